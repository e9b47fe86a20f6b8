"""``sayso settings``: the window (Qt 6 widgets; screen readers see it through AT-SPI).

Pages: First run (step by step, each step skippable), Settings (grouped as the
pipelines are), History, Status. The window changes the config only through
:class:`~sayso.window.store.ConfigStore` and reaches the daemon only through
the control socket (``reload``, ``history``, ``dictate retry``). Every control
has an accessible name and description, everything is reachable with Tab,
the focused control has a thick outline, text keeps the desktop's font, and
a state is always said in words (never only by a colour).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import NoDaemonError, SaysoError, first_line
from . import fields
from .store import DELETE, ConfigStore, help_texts
from .widgets import button, name

#: thick focus outline in the palette's highlight colour (3:1 against the window at least), kept on every control
FOCUS_STYLE = """
QPushButton:focus, QCheckBox:focus, QRadioButton:focus, QComboBox:focus, QLineEdit:focus,
QSpinBox:focus, QDoubleSpinBox:focus, QListWidget:focus, QTabBar::tab:focus {
    border: 3px solid palette(highlight);
}
"""

#: a check's status in words and a sign, so that nothing is said by colour alone
STATUS_WORDS = {"OK": "OK", "WARN": "Warning", "FAIL": "Problem"}

Checks = Callable[[], Iterable[Any]]  # doctor's run_checks, handed in by the command line


class Daemon:
    """The running daemon, through its control socket; None replies when none runs."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def call(self, cmd: str, *args: str, timeout: float = 30.0, wait: bool = False) -> Optional[dict]:
        from ..control.client import request

        try:
            return request(cmd, list(args), env=self.env, timeout=timeout, wait=wait)
        except NoDaemonError:
            return None


class Bridge(QObject):
    """Results from worker threads, delivered on the window's thread."""

    done = Signal(object, object)  # (callback, value)


class SettingsPage(QWidget):
    """One group of options: a form with the help under each field and its error, if any."""

    def __init__(self, group: str, window: SettingsWindow) -> None:
        super().__init__()
        self.window_ = window
        self.errors: dict[str, QLabel] = {}
        self.widgets: dict[str, QWidget] = {}
        helps = help_texts()
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for opt in fields.options(group):
            text = helps.get(fields.plain_key(opt.dotted), "")
            note = fields.restart_note(opt.dotted)
            widget = self._widget(opt)
            name(widget, opt.label, " ".join(t for t in (text, note) if t))
            label = QLabel(opt.label)
            label.setBuddy(widget)
            column = QVBoxLayout()
            column.addWidget(widget)
            if text:
                hint = QLabel(text)
                hint.setWordWrap(True)
                column.addWidget(hint)
            error = QLabel("")
            error.setWordWrap(True)
            error.setVisible(False)
            column.addWidget(error)
            self.errors[opt.dotted] = error
            self.widgets[opt.dotted] = widget
            form.addRow(label, column)

    def _widget(self, opt: fields.Option) -> QWidget:
        value = opt.to_widget_value(self.window_.store.value(opt.dotted))
        save = self.window_.save
        if opt.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(opt.choices))
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda v, d=opt.dotted: save(d, v))
            return combo
        if opt.kind == "bool":
            box = QCheckBox(opt.label)
            box.setChecked(bool(value))
            box.toggled.connect(lambda v, d=opt.dotted: save(d, bool(v)))
            return box
        if opt.kind in ("int", "float"):
            spin: QSpinBox | QDoubleSpinBox
            if opt.kind == "int":
                spin = QSpinBox()
                spin.setRange(0, 1_000_000)  # the loader refuses negative integers
            else:
                spin = QDoubleSpinBox()
                spin.setRange(-1000.0, 1_000_000.0)
                spin.setDecimals(2)
                spin.setSingleStep(0.1)
            spin.setValue(value)
            kind = int if opt.kind == "int" else float
            spin.editingFinished.connect(lambda s=spin, d=opt.dotted, k=kind: save(d, k(s.value())))
            return spin
        if opt.kind in ("list", "map", "actions"):
            from .lists import editor

            return editor(self.window_, opt.dotted, opt.label, opt.kind, value)
        line = QLineEdit(str(value))
        line.editingFinished.connect(lambda e=line, d=opt.dotted: save(d, e.text()))
        return line

    def show_error(self, dotted: str, message: str) -> None:
        """*message* under the field of *dotted* (or of its table: ``rewrite.actions."pirate"``)."""
        dotted = next((k for k in self.errors if dotted == k or dotted.startswith(k + ".")), "")
        label = self.errors.get(dotted)
        if label is None:
            return
        label.setText(f"Not saved: {message}" if message else "")
        label.setVisible(bool(message))
        widget = self.widgets[dotted]
        base = widget.accessibleDescription().split(" Not saved: ")[0]
        widget.setAccessibleDescription(base + (f" Not saved: {message}" if message else ""))


#: seconds the window waits, minimised, before the daemon types (the person's window gets the focus back)
STEP_ASIDE_S = 3.0


class HistoryPage(QWidget):
    """Recent dictations and kept recordings: copy, type again, play, retry, delete, clear all."""

    def __init__(self, window: SettingsWindow) -> None:
        super().__init__()
        self.window_ = window
        self.entries: list[dict] = []
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Recent dictations. Text that could not be typed and recordings that were not transcribed are kept here."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.list = QListWidget()
        name(self.list, "Dictations", "Recent dictations, newest first")
        wrap(self.list)
        layout.addWidget(self.list)
        row = QHBoxLayout()
        for b in (
            button("&Copy", "Copy the selected dictation's text to the clipboard", self.copy),
            button(
                "Type a&gain",
                f"The window steps aside and sayso types the selected text where the focus is, in {STEP_ASIDE_S:.0f} s",
                self.type_again,
            ),
            button("&Play recording", "Play the selected kept recording", self.play),
            button(
                "&Retry recording",
                f"The window steps aside and sayso transcribes the newest kept recording and types it, in "
                f"{STEP_ASIDE_S:.0f} s",
                self.retry,
            ),
            button("&Delete", "Forget the selected entry and its recording", self.delete),
            button("Clear &all", "Forget every entry and recording", self.clear),
            button("Refre&sh", "Read the history again", self.refresh),
        ):
            row.addWidget(b)
        layout.addLayout(row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.refresh()

    def _path(self) -> Path:
        from ..core.paths import runtime_dir

        return runtime_dir(self.window_.env) / "undelivered.jsonl"

    def refresh(self) -> None:
        from ..dictate.history import read_undelivered

        reply = self.window_.daemon.call("history")
        entries = list(reply.get("entries", [])) if reply and reply.get("ok") else []
        kept = read_undelivered(self._path())
        seen = {(e.get("time"), e.get("audio")) for e in entries}
        self.entries = sorted(
            entries + [e for e in kept if (e.get("time"), e.get("audio")) not in seen],
            key=lambda e: -float(e.get("time", 0)),
        )
        self.list.clear()
        for e in self.entries:
            self.list.addItem(describe_entry(e))
        if self.entries:
            self.list.setCurrentRow(0)
        self.message.setText(f"{len(self.entries)} entries." if self.entries else "No dictations yet.")

    def _selected(self) -> Optional[dict]:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def copy(self) -> None:
        entry = self._selected()
        if not entry or not entry.get("text"):
            self.message.setText("Nothing to copy: select an entry with text.")
            return
        QGuiApplication.clipboard().setText(entry["text"])
        self.message.setText("Copied to the clipboard.")

    def type_again(self) -> None:
        entry = self._selected()
        if not entry or not entry.get("text"):
            self.message.setText("Nothing to type: select an entry with text.")
            return
        self._step_aside(("type", entry["text"]), "Typed it again.")

    def retry(self) -> None:
        entry = self._selected()
        if not entry or not entry.get("audio"):
            self.message.setText("Nothing to retry: select a kept recording.")
            return
        self._step_aside(("dictate", "retry", repr(entry["time"])), "The recording was transcribed again and typed.")

    def _step_aside(self, request: tuple, done: str) -> None:
        """Minimise (the person's window gets the focus back), then ask the daemon to type."""
        self.message.setText(f"Switch to the window to type into: sayso types in {STEP_ASIDE_S:.0f} seconds.")
        self.window_.showMinimized()
        daemon = self.window_.daemon

        def work() -> Optional[dict]:
            import time

            time.sleep(STEP_ASIDE_S)
            return daemon.call(*request, timeout=300, wait=True)

        self.window_.in_thread(work, lambda reply: self._typed(reply, done))

    def _typed(self, reply: Any, done: str) -> None:
        if isinstance(reply, Exception):
            self.message.setText(f"Problem: {first_line(reply)}")
        elif reply is None:
            self.message.setText("Problem: sayso is not running: start it to type or transcribe.")
        elif not reply.get("ok"):
            self.message.setText(f"Problem: {reply.get('error', 'it failed')}")
        else:
            self.refresh()
            self.message.setText(done)
            return
        self.refresh_keep_message()

    def refresh_keep_message(self) -> None:
        text = self.message.text()
        self.refresh()
        self.message.setText(text)

    def play(self) -> None:
        entry = self._selected()
        if not entry or not entry.get("audio"):
            self.message.setText("Nothing to play: select a kept recording.")
            return
        audio, device = entry["audio"], self.window_.store.config.audio.output_device or None
        self.message.setText("Playing the recording...")
        self.window_.in_thread(lambda: play_wav(audio, device), self._played)

    def _played(self, error: Any) -> None:
        self.message.setText(f"Problem: cannot play it: {first_line(error)}" if error else "Played the recording.")

    def delete(self) -> None:
        entry = self._selected()
        if entry is None:
            self.message.setText("Select an entry to delete.")
            return
        reply = self.window_.daemon.call("history", "delete", repr(float(entry.get("time", 0))))
        if reply is None:  # no daemon: the kept file only
            from ..dictate.history import forget

            forget(self._path(), [entry])
        self.refresh()
        self.message.setText(f"Deleted. {self.message.text()}")

    def clear(self) -> None:
        reply = self.window_.daemon.call("history", "clear")
        if reply is None:
            from ..dictate.history import forget

            forget(self._path(), list(self.entries))
        self.refresh()
        self.message.setText("Every entry and recording was deleted.")


def play_wav(path: str, device: Optional[str] = None) -> None:
    """Play a kept recording (16-bit mono WAV) to the end."""
    import wave

    import numpy as np
    import sounddevice as sd

    with wave.open(path, "rb") as wav:
        rate, channels, frames = wav.getframerate(), wav.getnchannels(), wav.readframes(wav.getnframes())
    samples = (np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0).reshape(-1, channels)
    sd.play(samples, rate, device=device, blocking=True)


def wrap(items: QListWidget) -> None:
    """Long lines wrap (a fix is read whole, never cut at the edge)."""
    items.setWordWrap(True)
    items.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    items.setResizeMode(QListWidget.ResizeMode.Adjust)


def describe_entry(entry: dict) -> str:
    import time

    when = time.strftime("%H:%M", time.localtime(float(entry.get("time", 0))))
    if entry.get("audio"):
        return f"{when}  Kept recording, not transcribed: {entry.get('error') or 'no engine answered'}"
    state = "typed" if entry.get("delivered") else f"not typed ({entry.get('error') or 'kept'})"
    return f"{when}  {state}: {entry.get('text', '')}"


class StatusPage(QWidget):
    """What ``sayso doctor`` says, a line per check with its fix, and Check again."""

    def __init__(self, window: SettingsWindow) -> None:
        super().__init__()
        self.window_ = window
        layout = QVBoxLayout(self)
        self.list = QListWidget()
        name(self.list, "Checks", "What sayso doctor found, with the fix for each problem")
        wrap(self.list)
        layout.addWidget(self.list)
        self.again = button("Check &again", "Run every check again", self.run)
        layout.addWidget(self.again)
        self.started = False

    def run(self) -> None:
        if self.window_.checks is None:
            return
        self.started = True
        self.again.setEnabled(False)
        self.list.clear()
        self.list.addItem("Checking...")
        self.window_.in_thread(lambda: list(self.window_.checks()), self.show_checks)  # type: ignore[misc]

    def show_checks(self, checks: Any) -> None:
        self.list.clear()
        if isinstance(checks, Exception):
            self.list.addItem(f"Problem: the checks failed: {first_line(checks)}")
        else:
            for c in checks:
                text = f"{STATUS_WORDS.get(c.status, c.status)}: {c.name}: {c.detail}"
                if c.fix and c.status != "OK":
                    text += f". Fix: {c.fix}"
                self.list.addItem(text)
        self.again.setEnabled(True)


class SettingsWindow(QMainWindow):
    def __init__(self, store: ConfigStore, env: Mapping[str, str], checks: Optional[Checks] = None) -> None:
        super().__init__()
        self.store, self.env, self.checks = store, env, checks
        self.daemon = Daemon(env)
        self.bridge = Bridge()
        self.bridge.done.connect(lambda callback, value: callback(value))
        self.setWindowTitle("sayso settings")
        name(self, "sayso settings")
        self.tabs = QTabWidget()
        name(self.tabs, "Pages")
        from .firstrun import FirstRunPage

        self.first_run = FirstRunPage(self)
        self.tabs.addTab(self.first_run, "&First run")
        self.settings_pages: dict[str, SettingsPage] = {}
        for group in fields.GROUPS:
            page = SettingsPage(group, self)
            self.settings_pages[group] = page
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes from the page tab to the first field
            scroll.setWidget(page)
            self.tabs.addTab(scroll, group)
        from .reasons import ReasonsPage

        self.reasons = ReasonsPage(self)
        self.tabs.addTab(self.reasons, "Rewrite with reas&ons")
        self.history = HistoryPage(self)
        self.tabs.addTab(self.history, "&History")
        self.status_page = StatusPage(self)
        self.tabs.addTab(self.status_page, "S&tatus")
        self.tabs.currentChanged.connect(self._page_shown)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.tabs)
        self.message = QLabel(f"Settings file: {store.path}")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.setCentralWidget(central)
        self.resize(900, 700)

    def _page_shown(self, index: int) -> None:
        if self.tabs.widget(index) is self.status_page and not self.status_page.started:
            self.status_page.run()

    def in_thread(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        def run() -> None:
            try:
                value = work()
            except Exception as err:  # shown in the window, never a traceback
                value = err
            self.bridge.done.emit(then, value)

        threading.Thread(target=run, daemon=True).start()

    def save(self, dotted: str, value: Any) -> bool:
        """Save one option; the error goes under its field, else the daemon reloads. A value the
        config already has writes nothing (leaving a field unchanged leaves the file as it was)."""
        if value is not DELETE and self._current(dotted) == value:
            self._field_error(dotted, "")
            return True
        try:
            self.store.save(dotted, value)
        except SaysoError as err:
            self._field_error(dotted, first_line(err))
            self.say(f"Not saved: {first_line(err)}")
            return False
        self._field_error(dotted, "")
        self.say(f"Saved {fields.plain_key(dotted)}. " + self.reload_daemon())
        return True

    def _current(self, dotted: str) -> Any:
        try:
            return self.store.value(dotted)
        except (AttributeError, KeyError):
            return None

    def _field_error(self, dotted: str, message: str) -> None:
        for page in self.settings_pages.values():
            page.show_error(dotted, message)

    def reload_daemon(self) -> str:
        reply = self.daemon.call("reload")
        if reply is None:
            return "sayso is not running: it uses this when it starts."
        if not reply.get("ok"):
            return f"The daemon kept its old settings: {reply.get('error', '')}"
        later = reply.get("needs_restart") or []
        if later:
            return f"The daemon uses it now, except {', '.join(later)}: restart sayso for that."
        return "The daemon uses it now."

    def say(self, text: str) -> None:
        self.message.setText(text)


class FollowDesktopFont(QObject):
    """A new desktop font (size) while the window is open reaches every widget: Qt does not pass an
    application font change on to widgets a style sheet has polished, so the sheet is laid again."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.app = app
        self.pending = False
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.app and event.type() == QEvent.Type.ApplicationFontChange and not self.pending:
            self.pending = True
            QTimer.singleShot(0, self.restyle)
        return False

    def restyle(self) -> None:
        sheet = self.app.styleSheet()
        self.app.setStyleSheet("")
        self.app.setStyleSheet(sheet)
        self.pending = False


def use_accessible_colours(app: QApplication) -> None:
    """The desktop's palette, repaired where it misses WCAG AA; again whenever the desktop changes it."""
    from .palette import accessible, shortfalls

    def repair() -> None:
        if shortfalls(app.palette()):
            app.setPalette(accessible(app.palette()))

    repair()
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda *_: QTimer.singleShot(0, repair))


def run_window(
    config_path: Path, env: Mapping[str, str] = os.environ, checks: Optional[Checks] = None, page: str = ""
) -> int:
    """Open the window and run until it is closed; the exit status."""
    store = ConfigStore.open(config_path)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(["sayso-settings"])
    app.setApplicationName("sayso-settings")
    app.setApplicationDisplayName("sayso settings")
    use_accessible_colours(app)
    app.setStyleSheet(FOCUS_STYLE)
    FollowDesktopFont(app)
    window = SettingsWindow(store, env, checks)
    if page:
        for i in range(window.tabs.count()):
            if window.tabs.tabText(i).replace("&", "").lower() == page.lower():
                window.tabs.setCurrentIndex(i)
    window.show()
    window.activateWindow()
    QTimer.singleShot(0, window.first_run.focus_first)
    return int(app.exec())


__all__ = ["SettingsWindow", "run_window", "Qt"]
