"""Names inside and beside BPMN shapes: SVG text does not wrap itself, so lines are broken
here from an estimate of the text's width (the sans-serif fonts Camunda Modeler uses)."""

from __future__ import annotations

from html import escape

from sdk.bpmn import Bounds

CHAR_WIDTH = 0.55
"""Average advance of a character, in ems: a little wide, so estimated lines rarely overflow."""
INSIDE_FONT = 12.0
OUTSIDE_FONT = 11.0
LINE_HEIGHT = 1.2
WORD_SLACK = 1.3
"""How far past the estimated line a single word may run before it is cut: the estimate is
generous, and a word cut in two reads worse than one a little over the edge."""
LABEL_WIDTH = 90.0
"""The width Camunda Modeler wraps an outside label at, when the diagram gives a narrower one."""


def _num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def wrap(text: str, max_width: float, font: float, *, whole_words: bool = False) -> list[str]:
    """``text`` broken at spaces (or inside a word far too long, unless ``whole_words``) into
    lines that fit."""
    limit = max(int(max_width / (font * CHAR_WIDTH)), 1)
    longest = float("inf") if whole_words else limit * WORD_SLACK
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            while len(word) > longest:  # a longer word may run over the edge
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:limit])
                word = word[limit:]
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= limit:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def _cut(lines: list[str], max_lines: int) -> list[str]:
    if len(lines) <= max_lines:
        return lines
    kept = lines[: max(max_lines, 1)]
    kept[-1] = kept[-1][: max(len(kept[-1]) - 1, 1)] + "…"
    return kept


def text_block(
    text: str,
    x: float,
    y: float,
    max_width: float,
    cls: str,
    *,
    center: bool = False,
    max_height: float | None = None,
    font: float = INSIDE_FONT,
    middle: bool = False,
    whole_words: bool = False,
) -> str:
    """A ``<text>`` of wrapped lines (escaped: names come from users' models).

    With ``center`` the block is centred on ``(x, y)``; otherwise ``y`` is its first baseline
    and ``x`` its left edge (its middle with ``middle``).
    """
    step = font * LINE_HEIGHT
    lines = wrap(text, max_width, font, whole_words=whole_words)
    if max_height is not None:
        lines = _cut(lines, int(max_height // step))
    if not lines:
        return ""
    if center:
        first = y - step * (len(lines) - 1) / 2 + font * 0.35
        anchor = ' text-anchor="middle"'
    else:
        first, anchor = y, ' text-anchor="middle"' if middle else ""
    spans = "".join(
        f'<tspan x="{_num(x)}" y="{_num(first + i * step)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text class="{cls}"{anchor}>{spans}</text>'


def label_lines(text: str, label: Bounds | None, shape: Bounds, cls: str) -> str:
    """An outside label (events, gateways, flows): in its label bounds when the diagram gives
    them, else centred under the shape."""
    if label is not None:
        width = max(label.width, LABEL_WIDTH)
        x, top = label.x + label.width / 2, label.y
    else:
        width = LABEL_WIDTH
        x, top = shape.x + shape.width / 2, shape.y + shape.height + 4
    return text_block(text, x, top + OUTSIDE_FONT, width, cls, font=OUTSIDE_FONT, middle=True)
