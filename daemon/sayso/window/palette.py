"""Colours that meet WCAG 2.2 AA whatever the desktop's palette (light, dark or high contrast).

The window keeps the desktop's palette and only repairs what falls short:
each text colour against its background reaches 4.5:1 (moved towards black
or white, keeping its hue as long as it can), and the highlight that draws
the focus outline reaches 3:1 against the window (non-text contrast). A
palette that already meets both, a high-contrast theme say, is left as it is.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

TEXT_RATIO = 4.5
OUTLINE_RATIO = 3.0
R = QPalette.ColorRole
G = QPalette.ColorGroup
#: (text, background) pairs the window's widgets draw
TEXT_PAIRS = (
    (R.WindowText, R.Window),
    (R.Text, R.Base),
    (R.Text, R.AlternateBase),
    (R.ButtonText, R.Button),
    (R.HighlightedText, R.Highlight),
    (R.PlaceholderText, R.Base),
    (R.ToolTipText, R.ToolTipBase),
    (R.Link, R.Base),
)
GROUPS = (G.Active, G.Inactive)


def luminance(color: QColor) -> float:
    """WCAG relative luminance."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _toward(color: QColor, background: QColor, ratio: float) -> QColor:
    """*color* moved towards black or white (whichever stands out more) until it reaches *ratio*."""
    target = (
        QColor("black")
        if contrast(QColor("black"), background) >= contrast(QColor("white"), background)
        else QColor("white")
    )
    for step in range(1, 21):
        t = step / 20
        mixed = QColor.fromRgbF(
            color.redF() + (target.redF() - color.redF()) * t,
            color.greenF() + (target.greenF() - color.greenF()) * t,
            color.blueF() + (target.blueF() - color.blueF()) * t,
        )
        if contrast(mixed, background) >= ratio:
            return mixed
    return target


def accessible(palette: QPalette) -> QPalette:
    """A copy of *palette* with every pair of TEXT_PAIRS at 4.5:1 and the highlight at 3:1."""
    out = QPalette(palette)
    for group in GROUPS:
        window, highlight = out.color(group, R.Window), out.color(group, R.Highlight)
        if contrast(highlight, window) < OUTLINE_RATIO:
            out.setColor(group, R.Highlight, _toward(highlight, window, OUTLINE_RATIO))
        for fg, bg in TEXT_PAIRS:
            text, back = out.color(group, fg), out.color(group, bg)
            if contrast(text, back) < TEXT_RATIO:
                out.setColor(group, fg, _toward(text, back, TEXT_RATIO))
    return out


def shortfalls(palette: QPalette) -> list[str]:
    """What in *palette* misses AA ("" pairs named by role); [] when it all passes."""
    out = []
    for group in GROUPS:
        if contrast(palette.color(group, R.Highlight), palette.color(group, R.Window)) < OUTLINE_RATIO:
            out.append(f"{group.name}: focus outline (Highlight on Window)")
        for fg, bg in TEXT_PAIRS:
            ratio = contrast(palette.color(group, fg), palette.color(group, bg))
            if ratio < TEXT_RATIO:
                out.append(f"{group.name}: {fg.name} on {bg.name} {ratio:.2f}:1")
    return out
