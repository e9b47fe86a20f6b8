"""The Rewrite with reasons page: Harper's changes to a text, each with its reason, to accept or discard.

Offline (harper-py): :func:`sayso.rewrite.findings.harper_findings` lists what
Harper found, with its message; the preview is the text with the first
suggestion of each applied. Accept has the running daemon write the new
text to the clipboard through its rewrite transaction (snapshot, write, undo
entry: ``sayso ctl undo`` restores the old clipboard byte-exact); Discard
leaves the clipboard as it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPlainTextEdit, QVBoxLayout, QWidget

from ..core.errors import first_line
from .widgets import button, name

if TYPE_CHECKING:
    from .app import SettingsWindow


class ReasonsPage(QWidget):
    def __init__(self, window: SettingsWindow) -> None:
        super().__init__()
        self.window_ = window
        self.result = ""
        self.source = ""
        layout = QVBoxLayout(self)
        label = QLabel("Te&xt to check (Tab leaves the box)")
        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        name(self.text, "Text to check", "Harper checks this text for grammar and spelling, offline")
        label.setBuddy(self.text)
        layout.addWidget(label)
        layout.addWidget(self.text)
        row = QHBoxLayout()
        self.check = button("Chec&k", "Show each change Harper suggests, with its reason", self.run)
        row.addWidget(self.check)
        row.addWidget(button("&Paste from the clipboard", "Check the clipboard's text", self.paste))
        layout.addLayout(row)
        self.changes = QListWidget()
        self.changes.setWordWrap(True)
        name(self.changes, "Changes and their reasons")
        layout.addWidget(self.changes)
        self.preview = QLabel("")
        self.preview.setWordWrap(True)
        layout.addWidget(self.preview)
        row = QHBoxLayout()
        self.accept = button("&Accept: copy the new text", "Put the corrected text on the clipboard", self.take)
        self.discard = button("&Discard", "Forget the changes; the clipboard stays as it was", self.drop)
        for b in (self.accept, self.discard):
            b.setEnabled(False)
            row.addWidget(b)
        layout.addLayout(row)

    def paste(self) -> None:
        self.text.setPlainText(QGuiApplication.clipboard().text())
        self.run()

    def run(self) -> None:
        text = self.text.toPlainText()
        dialect = self.window_.store.config.rewrite.dialect
        self.preview.setText("Checking...")

        def work() -> Any:
            from ..rewrite.findings import apply_suggestions, harper_findings

            found = harper_findings(text, dialect=dialect)
            return text, found, apply_suggestions(text, found)

        self.window_.in_thread(work, self.show_findings)

    def show_findings(self, value: Any) -> None:
        self.changes.clear()
        if isinstance(value, Exception):
            self.preview.setText(f"Problem: Harper is not available: {first_line(value)}")
            return
        text, found, self.result = value
        self.source = text
        for f in found:
            self.changes.addItem(f.describe(text))
        if not found:
            self.preview.setText("Harper found nothing to change.")
        else:
            self.preview.setText(f"New text: {self.result}")
        for b in (self.accept, self.discard):
            b.setEnabled(bool(found))

    def take(self) -> None:
        """The daemon writes the new text as its rewrites do (``sayso ctl undo`` puts the clipboard back)."""
        reply = self.window_.daemon.call("rewrite", "accept", "fix", self.source, self.result)
        if reply is None:
            QGuiApplication.clipboard().setText(self.result)
            self.preview.setText(f"Copied the new text (sayso is not running: no undo): {self.result}")
        elif not reply.get("ok"):
            self.preview.setText(f"Problem: not copied: {reply.get('error', '')}")
            return
        else:
            self.preview.setText(f"Copied the new text to the clipboard (undo: sayso ctl undo): {self.result}")
        self.accept.setEnabled(False)

    def drop(self) -> None:
        self.changes.clear()
        self.result = ""
        self.preview.setText("Discarded: nothing was changed.")
        self.accept.setEnabled(False)
        self.discard.setEnabled(False)
