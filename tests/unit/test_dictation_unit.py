"""The dictation pipeline in-process with stand-ins (no model, no desktop).

A stand-in streamer gives the stable words at the release and the final
text; a stand-in output keeps the window's text (backspaces included), its
focus and a key watch the test can trip.  What is checked: the window
always ends with the final text, early words are corrected in place, and a
dictation that cannot be finished safely is kept in the history.
"""

from __future__ import annotations

import numpy as np
import pytest

from sayso.audio.capture import Recorder
from sayso.core.config_types import Config
from sayso.core.errors import OutputError
from sayso.desktop.notify import Notifier
from sayso.dictate.dictation import Dictation, DictationSettings
from sayso.dictate.engines.faster_whisper import Transcript
from sayso.dictate.history import History


class Watch:
    def __init__(self, window: Window) -> None:
        self.window = window

    def stop(self) -> bool:
        return self.window.typed_by_user


class Window:
    """A stand-in Output: the focused window's text."""

    def __init__(self, can_watch: bool = True) -> None:
        self.text = ""
        self.steps: list = []
        self.context_id = 1
        self.can_watch_keys = can_watch
        self.typed_by_user = False
        self.fail = False

    def context(self):
        return self.context_id

    def keys_held(self):
        return False

    def watch_keys(self, ignore=()):
        return Watch(self) if self.can_watch_keys else None

    def insert(self, edit) -> str:
        if self.fail:
            raise OutputError("cannot type here")
        self.steps.append(edit)
        self.text = (self.text[: len(self.text) - edit.delete] if edit.delete else self.text) + edit.text
        return "stand-in"


class Streamer:
    """A stand-in StreamingTranscriber: scripted stable and final texts."""

    def __init__(self, stable: str, final: str, how: str = "tail", on_stable=None) -> None:
        self.stable, self.final, self.how = stable, final, how
        self.on_stable_text = None
        self.last_stats: dict = {}
        self.during = on_stable  # called between stable_text() and finish(): the user's doings

    def begin(self):
        return object()

    def feed(self, block) -> None:
        pass

    def abort(self) -> None:
        pass

    def stable_text(self, token=None) -> str:
        return self.stable

    def finish(self, audio, token=None) -> Transcript:
        if self.during:
            self.during()
        self.last_stats = {"how": self.how}
        return Transcript(self.final, duration=len(audio) / 16000)


class Model:
    """The speech model's whole-recording call (the check of a ready text)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def get(self, timeout=None):
        return self

    def transcribe(self, audio, **kw) -> Transcript:
        self.calls += 1
        return Transcript(self.text, duration=len(audio) / 16000)


class FakeStream:
    active = True

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def rig(streamer, window: Window, model: Model = None, history: History = None, **dictate) -> Dictation:
    config = Config()
    for key, value in dictate.items():
        setattr(config.dictate, key, value)
    recorder = Recorder(config.audio)
    recorder._stream = FakeStream()
    return Dictation(
        DictationSettings.of(config),
        recorder,
        model or Model(streamer.final if streamer else ""),
        window,
        Notifier(enabled=False),
        history or History(10),
        streamer,
    )


SPEECH = None


def speech(seconds: float) -> np.ndarray:
    """Real speech (lamp.wav, repeated): the dictation's VAD must hear some."""
    global SPEECH
    if SPEECH is None:
        from sayso.dictate.engines.faster_whisper import load_audio_file

        from conftest import DATA

        SPEECH = load_audio_file(str(DATA / "lamp.wav"))
    return np.resize(SPEECH, int(seconds * 16000)).astype(np.float32)


def dictate(d: Dictation, seconds: float = 1.0):
    d.start()
    audio = speech(seconds)
    for i in range(0, len(audio), 1600):
        block = audio[i : i + 1600]
        d.recorder._callback(block[:, None], len(block), None, None)
    return d.stop().result(10)


def test_early_words_then_the_rest():
    window = Window()
    d = rig(Streamer("And so my fellow", "And so my fellow Americans."), window)
    result = dictate(d)
    assert result.status == "typed" and window.text == "And so my fellow Americans."
    assert [s.text for s in window.steps] == ["And so my fellow", " Americans."]
    assert all(s.delete == 0 for s in window.steps)


def test_early_words_the_final_text_changes_are_corrected_in_place():
    window = Window()
    d = rig(Streamer("And so my", "And so, my fellow Americans."), window)
    dictate(d)
    assert window.text == "And so, my fellow Americans."
    assert window.steps[1].delete == len(" my") and window.steps[1].text == ", my fellow Americans."


def test_a_ready_text_is_typed_once_without_another_call():
    """The streamer's text at the release is final: no check pass, no correction."""
    window = Window()
    model = Model("something else")
    d = rig(Streamer("", "And so, my fellow Americans.", how="ready"), window, model)
    dictate(d)
    assert model.calls == 0 and window.text == "And so, my fellow Americans."
    assert [s.delete for s in window.steps] == [0]
    assert d.history.last().text == "And so, my fellow Americans." and d.history.last().delivered


def test_the_focus_moving_before_anything_is_typed_keeps_the_text():
    """The text belongs where the key went up: typed into another window it
    would land in the wrong place (issue 17)."""
    window = Window()

    def focus_moves():
        window.context_id = 2

    d = rig(Streamer("", "Dear Sam, thank you.", on_stable=focus_moves), window)
    result = dictate(d)
    assert result.status == "failed" and "focus moved" in result.error
    assert window.text == "" and d.history.last().text == "Dear Sam, thank you."
    assert not d.history.last().delivered


def test_a_key_pressed_during_the_dictation_stops_the_typing_and_keeps_the_text():
    window = Window()

    def user_types():
        window.text += "x"
        window.typed_by_user = True

    d = rig(Streamer("Dear Sam,", "Dear Sam, thank you.", on_stable=user_types), window)
    result = dictate(d)
    assert result.status == "failed" and "a key was pressed" in result.error
    assert window.text == "Dear Sam,x"  # nothing typed over the user's key
    entry = d.history.last()
    assert not entry.delivered and entry.text == "Dear Sam, thank you."


def test_the_focus_moving_stops_the_typing_and_keeps_the_text():
    window = Window()

    def focus_moves():
        window.context_id = 2

    d = rig(Streamer("Dear Sam,", "Dear Sam, thank you.", on_stable=focus_moves), window)
    result = dictate(d)
    assert result.status == "failed" and "focus moved" in result.error
    assert not d.history.last().delivered and d.history.last().text == "Dear Sam, thank you."


def test_without_key_state_nothing_is_typed_early():
    """Wayland: no way to tell whether the user typed, so one insert at the end."""
    window = Window(can_watch=False)
    d = rig(Streamer("And so my", "And so, my fellow Americans.", how="ready"), window)
    dictate(d)
    assert [s.text for s in window.steps] == ["And so, my fellow Americans."] or window.text.endswith("Americans.")
    assert len(window.steps) == 1


def test_a_voice_command_split_by_the_early_words_still_works():
    window = Window()
    d = rig(Streamer("Dear Sam, new", "Dear Sam, new line. Thanks."), window)
    dictate(d)
    assert window.text == "Dear Sam,\nThanks."


def test_scratch_that_removes_the_previous_dictation():
    window = Window()
    d = rig(Streamer("", "One two."), window)
    dictate(d)
    d.streamer.stable, d.streamer.final = "Scratch", "Scratch that."
    dictate(d)
    assert window.text == ""
    d.streamer.stable, d.streamer.final = "", "Three."
    dictate(d)
    assert window.text == "Three."


def test_consecutive_dictations_are_spaced():
    window = Window()
    d = rig(Streamer("Hello", "Hello there."), window)
    dictate(d)
    dictate(d)
    assert window.text == "Hello there. Hello there."


def test_an_output_that_fails_keeps_the_dictation():
    window = Window()
    window.fail = True
    history = History(10)
    d = rig(Streamer("Hello", "Hello there."), window, history=history)
    result = dictate(d)
    assert result.status == "failed" and "cannot type here" in result.error
    assert history.last().text == "Hello there." and not history.last().delivered


def test_nothing_heard():
    window = Window()
    d = rig(Streamer("", ""), window)
    assert dictate(d).status == "empty" and window.text == ""


@pytest.mark.parametrize("instant", [True, False])
def test_instant_off_types_once(instant):
    window = Window()
    d = rig(Streamer("And so", "And so my fellow Americans."), window, instant=instant)
    dictate(d)
    assert window.text == "And so my fellow Americans."
    assert len(window.steps) == (2 if instant else 1)


def test_cleanup_rules_types_the_cleaned_text_and_raw_puts_the_transcript_back():
    """dictate.cleanup = "rules": the cleaned text is typed, history keeps
    both, and `sayso ctl dictate raw` (Dictation.raw) puts the transcript
    back in place, byte for byte (issue 20)."""
    window = Window()
    raw = "Send it to to Sam comma please."
    d = rig(Streamer("", raw), window, cleanup="rules")
    window.text = "Hi."
    d.composer.committed(d.composer.draft("Hi.", 1), 1)
    result = dictate(d)
    assert result.status == "typed" and window.text == "Hi. Send it to Sam, please.", window.text
    entry = d.history.last()
    assert entry.text == "Send it to Sam, please." and entry.raw == raw
    assert d.raw().result(10).status == "typed"
    assert window.text == "Hi. " + raw
    again = d.raw().result(10)
    assert again.status == "failed" and "no cleaned dictation" in again.error
    assert window.text == "Hi. " + raw


def test_raw_refuses_when_the_dictation_is_no_longer_the_last_text():
    window = Window()
    d = rig(Streamer("", "The the house."), window, cleanup="rules")
    dictate(d)
    assert window.text == "The house."
    d.streamer.final = "Later."
    d.dictate.cleanup = "off"
    dictate(d)
    result = d.raw().result(10)
    assert result.status == "failed" and "no cleaned dictation" in result.error
    assert window.text == "The house. Later."
