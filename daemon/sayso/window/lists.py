"""Editors for the options that are lists: vocabulary terms, a voice per language, your own rewrite actions.

Each change (Add, Remove) saves the whole option through the window's
ConfigStore at once, so the daemon's loader checks it and the running daemon
reloads; the rest of the file stays byte for byte. Every control has a name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QListWidget, QVBoxLayout, QWidget

from .store import DELETE
from .widgets import button, name

if TYPE_CHECKING:
    from .app import SettingsWindow

Save = Callable[[str, Any], bool]


class ListEditor(QWidget):
    """A list of words (``kind="list"``) or of ``key = value`` pairs (``kind="map"``): add, remove."""

    def __init__(self, dotted: str, label: str, kind: str, value: Any, save: Save) -> None:
        super().__init__()
        self.dotted, self.kind, self.save = dotted, kind, save
        self.items: list[str] = list(value) if kind == "list" else [f"{k} = {v}" for k, v in (value or {}).items()]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.addItems(self.items)
        self.list.setMaximumHeight(120)
        name(self.list, label, "The entries; select one and press Remove")
        layout.addWidget(self.list)
        row = QHBoxLayout()
        self.entry = QLineEdit()
        example = "a word or name" if kind == "list" else "language = voice, for example de = thorsten"
        self.entry.setPlaceholderText(example)
        name(self.entry, f"New entry for {label}", f"Type {example}, then press Add")
        self.entry.returnPressed.connect(self.add)
        row.addWidget(self.entry)
        row.addWidget(button("Add", f"Add the new entry to {label}", self.add))
        row.addWidget(button("Remove", f"Remove the selected entry from {label}", self.remove))
        layout.addLayout(row)

    def value(self, items: list[str]) -> Any:
        if self.kind == "list":
            return list(items)
        pairs = (item.split("=", 1) for item in items)
        return {k.strip(): v.strip() for k, v in pairs}

    def add(self) -> None:
        text = self.entry.text().strip()
        if not text:
            return
        if self.kind == "map" and "=" not in text:
            text = f"{text} ="  # the loader says what is missing, at the field
        items = self.items + [text]
        if self.save(self.dotted, self.value(items)):
            self.items = items
            self.list.addItem(text)
            self.entry.clear()

    def remove(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self.items):
            return
        items = self.items[:row] + self.items[row + 1 :]
        if self.save(self.dotted, self.value(items)):
            self.items = items
            self.list.takeItem(row)


class ActionsEditor(QWidget):
    """``rewrite.actions``: your own rewrite actions (a name, a prompt, a hotkey): add or replace, remove."""

    def __init__(self, dotted: str, label: str, value: Any, save: Save) -> None:
        super().__init__()
        self.dotted, self.save = dotted, save
        self.entries: dict[str, Any] = dict(value or {})
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        name(self.list, label, "Your own rewrite actions; select one to change or remove it")
        self.list.currentTextChanged.connect(self._show)
        self.list.setMaximumHeight(120)
        layout.addWidget(self.list)
        form = QFormLayout()
        self.name_ = QLineEdit()
        self.prompt = QLineEdit()
        self.hotkey = QLineEdit()
        for widget, text, help_ in (
            (self.name_, "Action name", "Lower case letters, digits, - or _ (used as sayso ctl rewrite NAME)"),
            (self.prompt, "Prompt", "What the model is asked to do with the text"),
            (self.hotkey, "Action hotkey", 'Optional, for example <ctrl>+<alt>+p ("" = none)'),
        ):
            name(widget, text, help_)
            form.addRow(text, widget)
        layout.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(button("Save action", "Add this action, or replace the one with this name", self.put))
        row.addWidget(button("Remove action", "Remove the selected action", self.remove))
        layout.addLayout(row)
        self._fill()

    def _fill(self) -> None:
        self.list.clear()
        self.list.addItems(sorted(self.entries))

    def _show(self, action: str) -> None:
        cfg = self.entries.get(action)
        if cfg is not None:
            self.name_.setText(action)
            self.prompt.setText(getattr(cfg, "prompt", ""))
            self.hotkey.setText(getattr(cfg, "hotkey", ""))

    def put(self) -> None:
        action = self.name_.text().strip()
        if not action:
            return
        table = {"prompt": self.prompt.text()}
        if self.hotkey.text().strip():
            table["hotkey"] = self.hotkey.text().strip()
        if self.save(f'{self.dotted}."{action}"', table):
            self.entries[action] = _Shown(table["prompt"], table.get("hotkey", ""))
            self._fill()

    def remove(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        if self.save(f'{self.dotted}."{item.text()}"', DELETE):
            self.entries.pop(item.text(), None)
            self._fill()


class _Shown:
    def __init__(self, prompt: str, hotkey: str) -> None:
        self.prompt, self.hotkey = prompt, hotkey


def editor(window: SettingsWindow, dotted: str, label: str, kind: str, value: Any) -> QWidget:
    if kind == "actions":
        return ActionsEditor(dotted, label, value, window.save)
    return ListEditor(dotted, label, kind, value, window.save)
