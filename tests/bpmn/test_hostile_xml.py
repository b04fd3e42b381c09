"""Deployed BPMN is untrusted input: hostile or oversized XML is refused before anything
expands, and malformed XML is refused with a clear message."""

from __future__ import annotations

import pytest

from sdk.bpmn import BpmnParseError, parse, read

from .models import model, straight

BPMN = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + f"]><bpmn:definitions {BPMN}>&lol9;</bpmn:definitions>"
)


@pytest.mark.parametrize(
    "xml",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            f"<bpmn:definitions {BPMN}>&x;</bpmn:definitions>",
            id="external-file-entity",
        ),
        pytest.param(
            f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
            f"<bpmn:definitions {BPMN}>&x;</bpmn:definitions>",
            id="external-url-entity",
        ),
        pytest.param(
            f'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/d.dtd">'
            f"<bpmn:definitions {BPMN}/>",
            id="external-dtd",
        ),
        pytest.param(
            f'<?xml version="1.0"?><!DOCTYPE d [<!ELEMENT d ANY>]><bpmn:definitions {BPMN}/>',
            id="internal-doctype",
        ),
    ],
)
def test_doctype_and_entities_are_refused_without_expansion(xml: str) -> None:
    with pytest.raises(BpmnParseError, match="DTD, an entity or an external reference"):
        parse(xml)


def test_too_large_is_refused_before_parsing() -> None:
    xml = model(straight()).replace("</bpmn:definitions>", " " * 2000 + "</bpmn:definitions>")
    with pytest.raises(BpmnParseError, match="more than the 1000 accepted"):
        parse(xml, max_size_bytes=1000)


def test_too_deep_is_refused() -> None:
    deep = "<bpmn:documentation>" * 200 + "</bpmn:documentation>" * 200
    xml = model(straight()).replace("</bpmn:process>", deep + "</bpmn:process>")
    with pytest.raises(BpmnParseError, match="deeper than 64 levels"):
        parse(xml)


@pytest.mark.parametrize(
    ("xml", "fragment"),
    [
        ("<bpmn:definitions", "not well-formed XML"),
        ("", "not well-formed XML"),
        ("<definitions/>", "not BPMN 2.0 'definitions'"),
        (b"\xff\xfe<x", "not well-formed XML"),
    ],
)
def test_malformed_or_foreign_xml(xml: str | bytes, fragment: str) -> None:
    with pytest.raises(BpmnParseError, match=fragment):
        read(xml)


def test_bytes_with_an_encoding_declaration() -> None:
    xml = model(straight()).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    data = xml.replace('id="p"', 'id="p" name="Bestellung \xfcberpr\xfcfen"').encode("latin-1")
    assert parse(data).process("p").name == "Bestellung \xfcberpr\xfcfen"
