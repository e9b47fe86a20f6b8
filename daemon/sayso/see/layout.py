"""Reading order for text boxes: columns left to right, each top to bottom.

A recursive XY cut: a region splits first at a vertical gutter (an x range
no box crosses, wider than :data:`GUTTER_LINES` line heights) into columns,
else at a horizontal gap into bands (a heading above two columns, a toolbar
above a page), and so on down; what cannot be cut is one block, whose boxes
are joined into lines by their vertical overlap. Pure functions of the boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

#: a vertical gutter must be this many line heights wide to split columns
GUTTER_LINES = 1.5
#: a horizontal gap must be this many line heights high to split bands
BAND_LINES = 0.6


@dataclass(frozen=True)
class TextBox:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def reading_order(boxes: list[TextBox]) -> list[list[str]]:
    """The blocks of *boxes* in reading order, each a list of its lines."""
    boxes = [b for b in boxes if b.text.strip()]
    if not boxes:
        return []
    unit = max(1.0, median(b.height for b in boxes))
    return _cut(boxes, unit)


def text_of(blocks: list[list[str]]) -> str:
    return "\n\n".join("\n".join(lines) for lines in blocks)


def _cut(boxes: list[TextBox], unit: float) -> list[list[str]]:
    if len(boxes) > 1:
        for parts in (_split(boxes, "x", unit * GUTTER_LINES), _split(boxes, "y", unit * BAND_LINES)):
            if len(parts) > 1:
                return [block for part in parts for block in _cut(part, unit)]
    return [_lines(boxes)]


def _split(boxes: list[TextBox], axis: str, min_gap: float) -> list[list[TextBox]]:
    """*boxes* in groups apart by gaps of at least *min_gap* along *axis*."""
    span = (lambda b: (b.x0, b.x1)) if axis == "x" else (lambda b: (b.y0, b.y1))
    ordered = sorted(boxes, key=lambda b: span(b)[0])
    groups: list[list[TextBox]] = [[ordered[0]]]
    reach = span(ordered[0])[1]
    for box in ordered[1:]:
        start, end = span(box)
        if start - reach >= min_gap:
            groups.append([box])
        else:
            groups[-1].append(box)
        reach = max(reach, end)
    return groups


def _lines(boxes: list[TextBox]) -> list[str]:
    """The boxes of one block as lines: top to bottom, a line's boxes left to right."""
    lines: list[list[TextBox]] = []
    for box in sorted(boxes, key=lambda b: (b.y0 + b.y1) / 2):
        centre = (box.y0 + box.y1) / 2
        if lines:
            last = lines[-1]
            top, bottom = min(b.y0 for b in last), max(b.y1 for b in last)
            if top <= centre <= bottom:
                last.append(box)
                continue
        lines.append([box])
    return [" ".join(b.text.strip() for b in sorted(line, key=lambda b: b.x0)) for line in lines]
