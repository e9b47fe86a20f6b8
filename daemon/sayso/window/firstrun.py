"""The First run page: microphone, hotkey, voice, rewrite; each step can be skipped and redone.

Each step saves through the window's ConfigStore (so the daemon's loader
checks it) when the person presses "Save and continue"; "Skip" moves on
and changes nothing.
"""

from __future__ import annotations

import math
import threading
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, Optional

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import first_line
from .widgets import button, name

if TYPE_CHECKING:
    from .app import SettingsWindow

SAY_SECONDS = 4.0
QT_MODIFIERS = (
    (Qt.KeyboardModifier.ControlModifier, "<ctrl>"),
    (Qt.KeyboardModifier.AltModifier, "<alt>"),
    (Qt.KeyboardModifier.ShiftModifier, "<shift>"),
    (Qt.KeyboardModifier.MetaModifier, "<cmd>"),
)
MODIFIER_KEYS = {Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Shift, Qt.Key.Key_Meta, Qt.Key.Key_AltGr}


def binding_of(key: int, modifiers: Qt.KeyboardModifier, text: str) -> str:
    """A key press as sayso's binding syntax (``<ctrl>+<alt>+space``); "" for a lone modifier."""
    if key in MODIFIER_KEYS:
        return ""
    parts = [word for flag, word in QT_MODIFIERS if modifiers & flag]
    if key == Qt.Key.Key_Space:
        parts.append("space")
    elif Qt.Key.Key_F1 <= key <= Qt.Key.Key_F24:
        parts.append(f"<f{key - Qt.Key.Key_F1 + 1}>")
    elif Qt.Key.Key_A <= key <= Qt.Key.Key_Z:
        parts.append(chr(key).lower())
    elif Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
        parts.append(chr(key))
    elif text and text.isprintable():
        parts.append(text.lower())
    else:
        return ""
    return "+".join(parts)


class HotkeyButton(QPushButton):
    """Press it, then press the chord: the chord becomes the hotkey (Escape cancels)."""

    def __init__(self, on_chord) -> None:
        super().__init__("&Press to set a new hotkey")
        self.capturing = False
        self.on_chord = on_chord
        self.clicked.connect(self.start)
        name(self, "Press to set a new hotkey", "Press this, then press the keys you want, all at once")

    def start(self) -> None:
        self.capturing = True
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.grabKeyboard()  # every key of the chord comes here, none is a shortcut
        self.setText("Now press the keys (Escape cancels)")
        self.setAccessibleName("Now press the keys, Escape cancels")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if not self.capturing:
            super().keyPressEvent(event)
            return
        if event.key() == Qt.Key.Key_Escape:
            self._done("")
            return
        chord = binding_of(event.key(), event.modifiers(), event.text())
        if chord:
            self._done(chord)

    def event(self, ev) -> bool:
        if self.capturing and isinstance(ev, QKeyEvent) and ev.type() == QKeyEvent.Type.KeyPress:
            if ev.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):  # Tab is a key of the chord too, while capturing
                self.keyPressEvent(ev)
                return True
        return super().event(ev)

    def _done(self, chord: str) -> None:
        self.capturing = False
        self.releaseKeyboard()
        self.setText("&Press to set a new hotkey")
        self.setAccessibleName("Press to set a new hotkey")
        self.on_chord(chord)


class Step(QWidget):
    title = ""

    def __init__(self, page: FirstRunPage) -> None:
        super().__init__()
        self.page = page
        self.window_ = page.window_
        self.layout_ = QVBoxLayout(self)
        heading = QLabel(f"<h2>{self.title}</h2>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        self.layout_.addWidget(heading)
        self.status = QLabel("")
        self.status.setWordWrap(True)

    def finish_layout(self) -> None:
        self.layout_.addWidget(self.status)
        self.layout_.addStretch(1)

    def save(self) -> bool:
        """Save this step's choice; False (with the reason shown) keeps the person here."""
        return True

    def entered(self) -> None:
        """The step is shown."""

    def left(self) -> None:
        """The step is hidden."""

    def text(self, words: str) -> QLabel:
        label = QLabel(words)
        label.setWordWrap(True)
        self.layout_.addWidget(label)
        return label


class MicrophoneStep(Step):
    title = "Step 1 of 4: Microphone"

    def __init__(self, page: FirstRunPage) -> None:
        super().__init__(page)
        self.text(
            "Speak: the bar shows how loud the microphone hears you. "
            "Then press Say something to see what sayso understands."
        )
        self.level = QProgressBar()
        self.level.setRange(0, 60)
        self.level.setFormat("%v dB above silence")
        name(self.level, "Microphone level", "How loud the microphone hears you, in decibels above -60 dBFS")
        self.layout_.addWidget(self.level)
        self.say = button("&Say something", f"Record {SAY_SECONDS:.0f} seconds and show the text", self.say_something)
        self.layout_.addWidget(self.say)
        self.transcript = QLabel("")
        self.transcript.setWordWrap(True)
        self.transcript.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.layout_.addWidget(self.transcript)
        self.finish_layout()
        self.recorder: Any = None
        self.peak = 0.0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._show_level)

    def entered(self) -> None:
        from ..audio.capture import Recorder

        if self.recorder is not None:
            return
        try:
            self.recorder = Recorder(self.window_.store.config.audio, on_audio=self._on_audio)
            self.recorder.start()
        except Exception as err:  # no microphone: said in words, the step can be skipped
            self.recorder = None
            self.status.setText(f"Problem: the microphone did not open: {first_line(err)}")
            return
        self.timer.start(100)
        self.status.setText("The microphone is open.")

    def left(self) -> None:
        self.timer.stop()
        if self.recorder is not None:
            self.recorder.stop()
            self.recorder.close()
            self.recorder = None

    def _on_audio(self, block) -> None:  # audio thread
        if len(block):
            self.peak = max(self.peak, float(abs(block).max()))

    def _show_level(self) -> None:
        db = 20 * math.log10(self.peak) if self.peak > 0 else -60.0
        self.level.setValue(int(max(0.0, min(60.0, db + 60.0))))
        self.peak = 0.0

    def say_something(self) -> None:
        if self.recorder is None:
            self.status.setText("Problem: no microphone is open.")
            return
        self.recorder.stop()
        self.recorder.start()
        self.say.setEnabled(False)
        self.status.setText(f"Listening for {SAY_SECONDS:.0f} seconds...")
        QTimer.singleShot(int(SAY_SECONDS * 1000), self._transcribe)

    def _transcribe(self) -> None:
        if self.recorder is None:
            return
        audio = self.recorder.stop().audio
        self.recorder.start()
        self.status.setText("Transcribing...")
        config = self.window_.store.config

        def work() -> str:
            from ..dictate.engines.faster_whisper import Transcriber

            return Transcriber.load(config.stt).transcribe(audio).text.strip()

        self.window_.in_thread(work, self._heard)

    def _heard(self, text: Any) -> None:
        self.say.setEnabled(True)
        if isinstance(text, Exception):
            self.status.setText(f"Problem: the speech model failed: {first_line(text)}")
        elif not text:
            self.transcript.setText("Nothing was heard.")
            self.status.setText("Nothing was heard: check the microphone level above.")
        else:
            self.transcript.setText(f"You said: {text}")
            self.status.setText("The microphone works.")


class HotkeyStep(Step):
    title = "Step 2 of 4: Dictation hotkey"

    def __init__(self, page: FirstRunPage) -> None:
        super().__init__(page)
        current = self.window_.store.config.hotkeys.dictate
        self.chord = current
        self.text("Hold the hotkey while you speak (or tap it to start and again to stop).")
        self.shown = QLabel(f"Dictation hotkey: {current}")
        self.layout_.addWidget(self.shown)
        self.capture = HotkeyButton(self._captured)
        self.layout_.addWidget(self.capture)
        if self.window_.env.get("WAYLAND_DISPLAY"):
            self.text(
                "On Wayland the desktop decides: with the GlobalShortcuts portal (KDE, GNOME 48+) the desktop "
                "asks you to confirm the keys when sayso takes the new hotkey, and may choose others; this step "
                "says what it bound. Without the portal, use hotkeys.backend evdev or a compositor binding to "
                "'sayso ctl dictate toggle'."
            )
        self.finish_layout()

    def _captured(self, chord: str) -> None:
        from .hotkeys import conflicts

        if not chord:
            self.status.setText("Cancelled: the hotkey is unchanged.")
            return
        problems, warnings = conflicts(chord, self.window_.store.config)
        if problems:
            self.status.setText(f"Problem: {problems[0]}")
            return
        self.chord = chord
        self.shown.setText(f"Dictation hotkey: {chord}")
        keep = "press Save and continue to keep it"
        self.status.setText(
            f"Warning: {warnings[0]} To use it anyway, {keep}." if warnings else f"New hotkey {chord}: {keep}."
        )

    def save(self) -> bool:
        if self.chord == self.window_.store.config.hotkeys.dictate:
            return True
        if not self.window_.save("hotkeys.dictate", self.chord):
            return False
        bound = self.desktop_binding()
        if bound:
            self.window_.say(f"{self.window_.message.text()} {bound}")
        return True

    def desktop_binding(self) -> str:
        """With the GlobalShortcuts portal the desktop decides the keys: what it bound, in a sentence."""
        reply = self.window_.daemon.call("status")
        backends = reply.get("backends", {}) if reply and reply.get("ok") else {}
        if backends.get("hotkeys") != "portal":
            return ""
        trigger = (backends.get("portal_shortcuts") or {}).get("dictate", "unset")
        if trigger == "unset":
            return (
                "The desktop has not bound dictation yet: confirm it in the desktop's dialog, or set it in the "
                "desktop's keyboard shortcut settings (sayso's dictate)."
            )
        return (
            f"The desktop bound dictation to {trigger}; it decides on Wayland (change it in its keyboard "
            "shortcut settings)."
        )


class VoiceStep(Step):
    title = "Step 3 of 4: Voice for reading aloud"

    def __init__(self, page: FirstRunPage) -> None:
        super().__init__(page)
        from ..speak.voices import VoiceRegistry

        speak = self.window_.store.config.speak
        self.voice = QComboBox()
        try:
            voices = sorted(VoiceRegistry().installed())
        except Exception:
            voices = []
        self.voice.addItems(voices or [speak.voice])
        self.voice.setCurrentText(speak.voice)
        name(self.voice, "Voice", "The voice that reads your selection aloud")
        label = QLabel("&Voice")
        label.setBuddy(self.voice)
        self.layout_.addWidget(label)
        self.layout_.addWidget(self.voice)
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.5, 3.0)
        self.rate.setSingleStep(0.1)
        self.rate.setValue(speak.rate)
        name(self.rate, "Speaking rate", "1.0 is normal, 1.5 faster, 0.8 slower")
        rate_label = QLabel("Speaking &rate")
        rate_label.setBuddy(self.rate)
        self.layout_.addWidget(rate_label)
        self.layout_.addWidget(self.rate)
        self.preview = button("&Play a sample", "Read a short sentence with this voice and rate", self.play)
        self.layout_.addWidget(self.preview)
        self.finish_layout()
        self.reader: Any = None

    def play(self) -> None:
        from ..speak.reader import ReadAloud, ReadAloudSettings

        if self.reader is None:
            self.reader = ReadAloud(ReadAloudSettings.of(self.window_.store.config), None)
        self.status.setText("Playing a sample...")
        voice, rate = self.voice.currentText(), self.rate.value()

        def work() -> str:
            self.reader.speak_text("Hello. This is how I sound when I read to you.", voice, rate)
            while not self.reader.wait(0.2):
                pass
            return str(self.reader.status().get("error") or "")

        self.window_.in_thread(work, self._played)

    def _played(self, error: Any) -> None:
        self.status.setText(f"Problem: {first_line(error)}" if error else "Played the sample.")

    def save(self) -> bool:
        speak = self.window_.store.config.speak
        ok = True
        if self.voice.currentText() != speak.voice:
            ok = self.window_.save("speak.voice", self.voice.currentText())
        if ok and abs(self.rate.value() - speak.rate) > 1e-9:
            ok = self.window_.save("speak.rate", round(self.rate.value(), 2))
        return ok

    def left(self) -> None:
        if self.reader is not None:
            threading.Thread(target=self.reader.close, daemon=True).start()
            self.reader = None


class RewriteStep(Step):
    title = "Step 4 of 4: Rewrite"

    def __init__(self, page: FirstRunPage) -> None:
        super().__init__(page)
        rewrite = self.window_.store.config.rewrite
        self.text("Rewrite fixes or changes the text on your clipboard. What should do it?")
        self.harper = QRadioButton("Ha&rper: grammar and spelling fixes, offline, English (ready now)")
        self.model = QRadioButton("A local &model on this machine (download one below)")
        self.server = QRadioButton("A s&erver: Ollama, llama.cpp server or LM Studio")
        for radio, what in ((self.harper, "harper"), (self.model, "llama"), (self.server, "openai")):
            name(radio, radio.text().replace("&", ""))
            radio.setChecked(rewrite.engine == what)
            self.layout_.addWidget(radio)
            if radio is self.model:
                from .pull import ModelPuller

                self.puller = ModelPuller(self.window_)
                self.layout_.addWidget(self.puller)
        if rewrite.engine == "auto":
            self.harper.setChecked(True)
        self.url = QLineEdit(rewrite.base_url)
        name(self.url, "Server address", "The server's API root, for example http://127.0.0.1:11434/v1")
        url_label = QLabel("Server &address")
        url_label.setBuddy(self.url)
        row = QHBoxLayout()
        row.addWidget(url_label)
        row.addWidget(self.url)
        self.test = button("Test co&nnection", "Ask the server for its models", self.test_connection)
        row.addWidget(self.test)
        self.layout_.addLayout(row)
        self.finish_layout()

    def test_connection(self) -> None:
        url = self.url.text().rstrip("/") + "/models"
        self.status.setText("Connecting...")

        def work() -> str:
            try:
                with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 (http(s) from the person)
                    import json

                    models = json.loads(reply.read().decode("utf-8")).get("data", [])
                    return f"Connected: the server offers {len(models)} model(s)."
            except (urllib.error.URLError, OSError, ValueError) as err:
                return f"Problem: cannot connect to {url}: {first_line(getattr(err, 'reason', err))}"

        self.window_.in_thread(work, self.status.setText)

    def save(self) -> bool:
        engine = "harper" if self.harper.isChecked() else "llama" if self.model.isChecked() else "openai"
        rewrite = self.window_.store.config.rewrite
        if engine == "openai" and self.url.text() != rewrite.base_url:
            if not self.window_.save("rewrite.base_url", self.url.text()):
                self.status.setText(f"Problem: {self.window_.message.text()}")
                return False
        if engine != rewrite.engine:
            return self.window_.save("rewrite.engine", engine)
        return True


class DoneStep(Step):
    title = "Done"

    def __init__(self, page: FirstRunPage) -> None:
        super().__init__(page)
        self.summary = self.text("")
        self.finish_layout()

    def entered(self) -> None:
        c = self.window_.store.config
        self.summary.setText(
            f"Dictation hotkey: {c.hotkeys.dictate}. Voice: {c.speak.voice} at {c.speak.rate:g}. "
            f"Rewrite: {c.rewrite.engine}. Every step can be done again from First run; every option is on the "
            "other pages."
        )


class FirstRunPage(QWidget):
    def __init__(self, window: SettingsWindow) -> None:
        super().__init__()
        self.window_ = window
        layout = QVBoxLayout(self)
        self.stack = QStackedWidget()
        self.steps: list[Step] = []
        for cls in (MicrophoneStep, HotkeyStep, VoiceStep, RewriteStep, DoneStep):
            step = cls(self)
            self.steps.append(step)
            self.stack.addWidget(step)
        layout.addWidget(self.stack)
        row = QHBoxLayout()
        self.back = button("&Back", "The previous step", self.go_back)
        self.skip = button("S&kip", "Go on without changing this", self.go_skip)
        self.next = button("Save and &continue", "Keep this choice and go on", self.go_next)
        for b in (self.back, self.skip, self.next):
            row.addWidget(b)
        layout.addLayout(row)
        self.index = 0
        self._show(0)

    def focus_first(self) -> None:
        self.steps[self.index].entered()
        current = self.stack.currentWidget()
        if current is not None:
            current.focusNextChild()

    def _show(self, index: int) -> None:
        old: Optional[Step] = self.steps[self.index] if self.stack.currentIndex() >= 0 else None
        if old is not None and index != self.index:
            old.left()
        self.index = max(0, min(index, len(self.steps) - 1))
        self.stack.setCurrentIndex(self.index)
        last = self.index == len(self.steps) - 1
        self.back.setEnabled(self.index > 0)
        self.skip.setEnabled(not last)
        self.next.setText("Save and &continue" if not last else "Start &again")
        self.next.setAccessibleName("Save and continue" if not last else "Start again")
        if self.isVisible():
            self.steps[self.index].entered()

    def go_back(self) -> None:
        self._show(self.index - 1)

    def go_skip(self) -> None:
        self._show(self.index + 1)

    def go_next(self) -> None:
        if self.index == len(self.steps) - 1:
            self._show(0)
            return
        if self.steps[self.index].save():
            self._show(self.index + 1)
