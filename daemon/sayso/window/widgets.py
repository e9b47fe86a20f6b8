"""Small helpers every page uses: a control with its accessible name and description."""

from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QPushButton, QWidget


def name(widget: QWidget, accessible: str, description: str = "") -> QWidget:
    widget.setAccessibleName(accessible)
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


def button(text: str, description: str, on_click: Callable[[], None]) -> QPushButton:
    b = QPushButton(text)
    name(b, text.replace("&", ""), description)
    b.setAutoDefault(True)  # Enter presses the focused button too
    b.clicked.connect(on_click)
    return b
