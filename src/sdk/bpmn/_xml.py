"""Hostile-input-safe XML reading and the namespaces a Zeebe BPMN file uses.

defusedxml refuses DTDs, entity declarations and external references before expat can act on
them; on top of that the size is checked before parsing and the nesting depth while building,
so neither a large nor a deep document costs more than the bounds allow.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ._errors import BpmnParseError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

DEFAULT_MAX_SIZE_BYTES = 4 * 1024 * 1024
"""The largest resource read: real models are tens of kilobytes."""
DEFAULT_MAX_DEPTH = 64
"""The deepest element nesting read: sub-processes nest a few levels, not dozens."""


def bpmn(local: str) -> str:
    """The ElementTree tag of a BPMN model element."""
    return f"{{{BPMN_NS}}}{local}"


def zeebe(local: str) -> str:
    """The ElementTree tag of a Zeebe extension element."""
    return f"{{{ZEEBE_NS}}}{local}"


def split_tag(tag: str) -> tuple[str, str]:
    """``(namespace, local name)`` of an ElementTree tag."""
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


class _TooDeep(Exception):
    pass


class _DepthLimitedBuilder(TreeBuilder):
    """A tree builder that stops the parse once elements nest deeper than ``max_depth``."""

    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        self._depth += 1
        if self._depth > self._max_depth:
            raise _TooDeep
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> Element:
        self._depth -= 1
        return super().end(tag)


def parse_xml(data: bytes | str, *, max_size_bytes: int, max_depth: int) -> Element:
    """The root element of ``data``, or ``BpmnParseError`` for anything unsafe or malformed."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_size_bytes:
        raise BpmnParseError(
            f"the resource is {len(raw)} bytes, more than the {max_size_bytes} accepted"
        )
    parser = DefusedXMLParser(
        target=_DepthLimitedBuilder(max_depth),
        forbid_dtd=True,
        forbid_entities=True,
        forbid_external=True,
    )
    try:
        parser.feed(raw)
        root: Element = parser.close()
    except _TooDeep:
        raise BpmnParseError(f"the XML nests elements deeper than {max_depth} levels") from None
    except DefusedXmlException as exc:
        raise BpmnParseError(
            f"the XML declares a DTD, an entity or an external reference ({type(exc).__name__});"
            " BPMN needs none, so it is refused"
        ) from None
    except ParseError as exc:
        raise BpmnParseError(f"the resource is not well-formed XML: {exc}") from None
    if root.tag != bpmn("definitions"):
        ns, local = split_tag(root.tag)
        raise BpmnParseError(
            f"the root element is '{local}' in namespace '{ns}', not BPMN 2.0 'definitions'"
            f" ({BPMN_NS})"
        )
    return root
