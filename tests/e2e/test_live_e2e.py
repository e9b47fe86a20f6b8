"""``dictate.live``: the agreed words typed while the recording goes on.

Real daemon, Xvfb, PulseAudio (speech played into the virtual microphone),
xdotool hotkeys and the Tk target window.  In toggle mode no key is held
while speaking, so words appear before the stop (and are corrected in place
if the final transcription differs); with a held push-to-talk chord they
must wait for the release (typed under held modifiers they would become
shortcuts) and nothing may be typed twice.
"""

from __future__ import annotations

import subprocess
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from sayso.dictate.engines.faster_whisper import SAMPLE_RATE, load_audio_file

from conftest import BASE_CONFIG, DATA, TRANSCRIPTS, wait_for, wer

pytestmark = [pytest.mark.e2e, pytest.mark.model]

KEYS = "ctrl+alt+space"


def long_speech(path: Path) -> str:
    """~27 s: jfk, lamp, jfk with pauses; returns the reference text.

    0.3 s of silence first: PulseAudio's null sink drops the first 10-90 ms
    of each paplay stream (tests/data/README.md), which would cut "And"."""
    jfk, lamp = load_audio_file(str(DATA / "jfk.flac")), load_audio_file(str(DATA / "lamp.wav"))
    pause = np.zeros(int(0.8 * SAMPLE_RATE), np.float32)
    lead = np.zeros(int(0.3 * SAMPLE_RATE), np.float32)
    audio = np.concatenate([lead, jfk, pause, lamp, pause, jfk, pause])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return " ".join([TRANSCRIPTS["jfk.flac"]["text"], TRANSCRIPTS["lamp.wav"]["text"], TRANSCRIPTS["jfk.flac"]["text"]])


def start_live(daemon_factory, textbox, tmp_path: Path, mode: str) -> tuple:
    """(reference text, daemon, log mark) with dictate.live on in *mode*."""
    reference = long_speech(tmp_path / "long.wav")
    config = BASE_CONFIG.replace('dictate_mode = "hold"', f'dictate_mode = "{mode}"') + "[dictate]\nlive = true\n"
    daemon = daemon_factory(config)
    textbox.focus()
    return reference, daemon, daemon.mark()


def test_toggle_mode_types_phrases_while_recording(desktop, daemon_factory, textbox, tmp_path):
    reference, daemon, mark = start_live(daemon_factory, textbox, tmp_path, "toggle")
    desktop.xdotool("key", KEYS)
    daemon.wait_log(r"Recording$", 10, start=mark)
    player = subprocess.Popen(["paplay", str(tmp_path / "long.wav")], env=desktop.env)
    try:
        wait_for(lambda: textbox.text().strip() or player.poll() is not None, 120, 0.05, "live text")
        typed_while_speaking = textbox.text()
        still_playing = player.poll() is None
        player.wait(120)
    finally:
        if player.poll() is None:
            player.kill()
    time.sleep(0.5)
    stop = daemon.mark()
    desktop.xdotool("key", KEYS)
    daemon.wait_log(r"Recording stopped", 10, start=stop)
    daemon.wait_log(r"Inserted \d+ characters|All of it was typed", 90, start=stop)
    final = textbox.wait_stable(30, previous=typed_while_speaking)
    assert still_playing and typed_while_speaking.strip(), "nothing was typed while the speech went on"
    assert wer(reference, final) <= 0.1, final
    for phrase in ("living room", "fellow americans"):  # corrected in place, never typed twice
        # never typed twice (tiny.en may drop a word of this joined clip: WER above)
        assert final.lower().count(phrase) <= reference.lower().count(phrase), final


def test_held_chord_keeps_phrases_for_the_release(desktop, daemon_factory, textbox, tmp_path):
    reference, daemon, mark = start_live(daemon_factory, textbox, tmp_path, "hold")
    desktop.xdotool("keydown", KEYS)
    try:
        time.sleep(0.3)
        desktop.play(tmp_path / "long.wav")
        time.sleep(0.5)
        assert textbox.text() == "", "typed while the chord was held"
        assert "Inserted" not in "\n".join(daemon.lines[mark:])
    finally:
        desktop.xdotool("keyup", KEYS)
    daemon.wait_log(r"Inserted \d+ characters", 90, start=mark)
    final = textbox.wait_stable(30)
    assert wer(reference, final) <= 0.1, final
    for phrase in ("living room lamp", "fellow americans"):
        assert final.lower().count(phrase) <= reference.lower().count(phrase), final  # nothing typed twice
