"""The settings window's accessibility checks that a screen reader's tree does not show:
WCAG 2.2 AA contrast in light and dark palettes, text that follows the desktop's font size,
a visible focus outline, and nothing said by colour alone. The real window, Qt offscreen."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor, QFont, QPalette  # noqa: E402
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QPushButton, QWidget  # noqa: E402

from sayso.window.app import (  # noqa: E402
    FOCUS_STYLE,
    STATUS_WORDS,
    FollowDesktopFont,
    SettingsWindow,
    use_accessible_colours,
)
from sayso.window.palette import GROUPS, TEXT_PAIRS, accessible, contrast, shortfalls  # noqa: E402
from sayso.window.store import ConfigStore  # noqa: E402

R = QPalette.ColorRole

#: a dark desktop palette as KDE's Breeze Dark sets it (its highlight under white text is 2.3:1)
BREEZE_DARK = {
    R.Window: "#202326", R.WindowText: "#fcfcfc", R.Base: "#141618", R.AlternateBase: "#1d1f22",
    R.Text: "#fcfcfc", R.Button: "#292c30", R.ButtonText: "#fcfcfc", R.Highlight: "#3daee9",
    R.HighlightedText: "#fcfcfc", R.PlaceholderText: "#6e7175", R.ToolTipBase: "#292c30",
    R.ToolTipText: "#fcfcfc", R.Link: "#1d99f3",
}  # fmt: skip


@pytest.fixture(scope="module")
def app():
    return QApplication.instance() or QApplication(["sayso-settings-test"])


@pytest.fixture
def window(app, tmp_path):
    (tmp_path / "run").mkdir(mode=0o700)
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run"), "HOME": str(tmp_path)}
    saved = app.palette(), app.font()
    use_accessible_colours(app)
    app.setStyleSheet(FOCUS_STYLE)
    win = SettingsWindow(ConfigStore.open(tmp_path / "config.toml"), env)
    win.show()
    app.processEvents()
    yield win
    win.close()
    app.setStyleSheet("")
    app.setPalette(saved[0])
    app.setFont(saved[1])


def _palette(colours: dict) -> QPalette:
    palette = QPalette()
    for group in GROUPS:
        for role, colour in colours.items():
            palette.setColor(group, role, QColor(colour))
    return palette


def test_light_palette_meets_aa_once_repaired(app):
    light = app.style().standardPalette()
    assert shortfalls(light), "Fusion's light palette was expected to miss AA (white on #308cc6 is 3.6:1)"
    assert shortfalls(accessible(light)) == []


def test_dark_palette_meets_aa_once_repaired():
    dark = _palette(BREEZE_DARK)
    assert shortfalls(dark)
    fixed = accessible(dark)
    assert shortfalls(fixed) == []
    assert fixed.color(R.Window) == dark.color(R.Window) and fixed.color(R.Text) == dark.color(R.Text)  # kept


def test_a_high_contrast_palette_is_left_alone():
    black_on_white = {role: "#000000" for role in (R.WindowText, R.Text, R.ButtonText, R.ToolTipText, R.Link)}
    black_on_white |= {role: "#ffffff" for role in (R.Window, R.Base, R.AlternateBase, R.Button, R.ToolTipBase)}
    black_on_white |= {R.Highlight: "#000080", R.HighlightedText: "#ffffff", R.PlaceholderText: "#333333"}
    palette = _palette(black_on_white)
    assert shortfalls(palette) == []
    assert all(accessible(palette).color(g, r) == palette.color(g, r) for g in GROUPS for r in black_on_white)


def test_every_widget_of_the_window_draws_aa_colours(window):
    widgets = [w for w in window.findChildren(QWidget) if w.isEnabled()]  # WCAG exempts disabled controls
    assert len(widgets) > 200
    for widget in widgets:
        palette = widget.palette()
        for group in GROUPS:
            for fg, bg in TEXT_PAIRS:
                ratio = contrast(palette.color(group, fg), palette.color(group, bg))
                assert ratio >= 4.5, f"{type(widget).__name__} {widget.accessibleName()!r}: {fg.name} {ratio:.2f}"


def _sizes(window: SettingsWindow) -> list:
    shown = [w for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton) if w.text()]
    return [(w.text(), w.font().pointSizeF(), w.sizeHint().height()) for w in shown]


def test_text_follows_the_desktops_font_size(app, window, tmp_path):
    """Qt hands the desktop's font (from its platform theme) to the application font: a window made
    with a larger one has every label and button in it, larger."""
    normal = _sizes(window)
    bigger = QFont(app.font())
    bigger.setPointSizeF(app.font().pointSizeF() * 1.6)
    app.setFont(bigger)
    large = SettingsWindow(ConfigStore.open(tmp_path / "config.toml"), window.env)
    try:
        grown = _sizes(large)
        assert len(grown) == len(normal) > 100
        for (text, size, height), (_, big, tall) in zip(normal, grown, strict=True):
            assert big >= size * 1.55, f"{text!r} kept a fixed font"
            assert tall > height, f"{text!r} did not grow"
    finally:
        large.close()


def test_an_open_window_follows_a_new_desktop_font_size(app, window):
    """The desktop's font grows while the window is open (Qt sends ApplicationFontChange)."""
    follow = FollowDesktopFont(app)
    try:
        normal = _sizes(window)
        bigger = QFont(app.font())
        bigger.setPointSizeF(app.font().pointSizeF() * 1.6)
        app.setFont(bigger)
        for _ in range(5):
            app.processEvents()
        for (text, size, height), (_, big, tall) in zip(normal, _sizes(window), strict=True):
            assert big >= size * 1.55, f"{text!r} kept its old font"
            assert tall > height, f"{text!r} did not grow"
    finally:
        app.removeEventFilter(follow)


def test_the_focused_control_has_a_visible_outline(app, window):
    window.tabs.setCurrentWidget(window.first_run)
    button = window.first_run.skip
    other = window.first_run.next
    other.setFocus(Qt.FocusReason.TabFocusReason)
    app.processEvents()
    plain = button.grab().toImage()
    button.setFocus(Qt.FocusReason.TabFocusReason)
    app.processEvents()
    assert button.hasFocus()
    outlined = button.grab().toImage()
    edge = [outlined.pixelColor(x, outlined.height() // 2) for x in range(4)]
    highlight = button.palette().color(R.Highlight)
    assert any(c == highlight for c in edge), [c.name() for c in edge]  # the 3 px border, in the highlight
    assert plain.pixelColor(1, plain.height() // 2) != highlight
    assert contrast(highlight, button.palette().color(R.Window)) >= 3.0


def test_nothing_is_said_by_colour_alone(window):
    """No widget recolours its text (a state is words: OK, Warning, Problem), and the only style sheet
    is the focus outline."""
    app_palette = QApplication.instance().palette()
    for widget in window.findChildren(QWidget):
        assert widget.styleSheet() == "", type(widget).__name__
        for group in GROUPS:
            for fg, _ in TEXT_PAIRS:
                assert widget.palette().color(group, fg) == app_palette.color(group, fg), widget.accessibleName()
    assert "color:" not in FOCUS_STYLE.replace("palette(highlight)", "")
    assert set(STATUS_WORDS.values()) == {"OK", "Warning", "Problem"}
    assert all(isinstance(b, QPushButton) and b.text() for b in window.findChildren(QPushButton))
