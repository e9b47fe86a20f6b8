"""Dictations in a row at a person's pace (issue 17).

Real daemon, Xvfb, PulseAudio (speech played into the virtual
microphone), xdotool holding the chord, the Tk target window.  The test
does what a person does: it starts the next dictation once the window's
text has not changed for 2 s, never waiting for the daemon's log.  Seen
before: a 36 s dictation was corrected 3 s after it looked finished, typed
under the next dictation's held Ctrl+Alt, which fired sayso's own chords
and put the next dictation in the wrong place.

Checked: each dictation's text is right and lands after the previous one,
the text already in the window never changes afterwards, no chord fires
from sayso's typing, and nothing is corrected; a press while the previous
dictation is still being typed loses neither of them.
"""

from __future__ import annotations

import csv
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from sayso.dictate.engines.faster_whisper import SAMPLE_RATE, load_audio_file

from conftest import DATA, TRANSCRIPTS, hold_and_play, wer

pytestmark = [pytest.mark.e2e, pytest.mark.model]

KEYS = "ctrl+alt+space"
LONG = {
    r["file"]: r["reference"]
    for r in csv.DictReader((DATA / "long" / "manifest.tsv").open(encoding="utf-8"), delimiter="\t")
}


def as_wav(source: Path, target: Path) -> Path:
    """16-bit WAV with 0.3 s of silence first (paplay plays FLAC too fast
    here, and the null sink drops the first 10-90 ms: tests/data/README.md)."""
    audio = np.concatenate([np.zeros(int(0.3 * SAMPLE_RATE), np.float32), load_audio_file(str(source))])
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return target


def sequence(tmp_path: Path) -> list:
    """(wav, reference): 27 s, 3 s, 22 s and 11 s of real speech."""
    clips = [
        (DATA / "long" / "long_librivox_sense_and_sensibility_0870-0930.wav", None),
        (DATA / "lamp.wav", TRANSCRIPTS["lamp.wav"]["text"]),
        (DATA / "long" / "long_librispeech_1089-134686-0000-0002.wav", None),
        (DATA / "jfk.flac", TRANSCRIPTS["jfk.flac"]["text"]),
    ]
    out = []
    for i, (path, reference) in enumerate(clips):
        out.append((as_wav(path, tmp_path / f"{i}.wav"), reference or LONG[path.name]))
    return out


def no_stray_chords(log: str) -> None:
    """sayso's own typing never fires a sayso chord, and nothing is corrected."""
    for line in ("Recording too short", "nothing to undo", "nothing selected", "Corrected"):
        assert line not in log, f"{line!r} in the daemon's log:\n{log}"


def test_long_dictations_then_the_next_two_seconds_after_the_text_stops(desktop, daemon_factory, textbox, tmp_path):
    daemon = daemon_factory()
    textbox.focus()
    before = ""
    for wav, reference in sequence(tmp_path):
        hold_and_play(desktop, KEYS, wav, tail=0.3)
        now = textbox.wait_stable(120, settle=2.0, previous=before)  # quiet for 2 s: the person goes on
        assert now.startswith(before), f"earlier text changed:\nbefore: {before!r}\nnow:    {now!r}"
        typed = now[len(before) :]
        assert wer(reference, typed) <= 0.15, (reference, typed)
        before = now
    time.sleep(5)  # later changes would corrupt the document
    assert textbox.text() == before
    no_stray_chords(daemon.log)


def test_a_press_while_the_previous_dictation_is_typed_loses_neither(desktop, daemon_factory, textbox, tmp_path):
    """The next chord goes down as soon as the first text appears, while
    it is still being typed: typing pauses under the held chord and goes on
    after it, then the second dictation follows it.  (--debug: the log
    says when typing paused; it shows transcripts, which is fine here.)"""
    daemon = daemon_factory(args=("--debug",))
    textbox.focus()
    (first, first_ref), (second, second_ref) = sequence(tmp_path)[0], sequence(tmp_path)[3]
    hold_and_play(desktop, KEYS, first, tail=0.3)
    deadline = time.monotonic() + 60
    while not textbox.text().strip() and time.monotonic() < deadline:
        time.sleep(0.01)
    hold_and_play(desktop, KEYS, second, tail=0.3)
    deadline = time.monotonic() + 120
    while "fellow" not in textbox.text().lower() and time.monotonic() < deadline:
        time.sleep(0.05)
    final = textbox.wait_stable(120, settle=3.0, previous="")
    assert final.count(".") >= 4, final
    split = final.lower().find("and so")
    assert split > 0, final
    assert wer(first_ref, final[:split]) <= 0.15, final
    assert wer(second_ref, final[split:]) <= 0.15, final
    assert "typing paused" in daemon.log  # the chord did come down while the first text was typed
    no_stray_chords(daemon.log)
