"""Dictation edge cases end to end: pre-roll, length limit, text that cannot be
typed, no microphone, bad model, held modifiers."""

import json
import subprocess
import sys
import threading
import time

import pytest

from conftest import BASE_CONFIG, DATA, TRANSCRIPTS, hold_and_play, wer

pytestmark = pytest.mark.e2e
KEYS = "ctrl+alt+space"
LAMP = TRANSCRIPTS["lamp.wav"]["text"]


def test_preroll_keeps_the_first_word(desktop, textbox, daemon_factory):
    daemon_factory(BASE_CONFIG + "[audio]\npreroll_ms = 600\n")
    player = threading.Thread(target=desktop.play, args=(DATA / "lamp.wav",))
    player.start()
    time.sleep(0.25)  # the speaker starts before the key goes down
    desktop.xdotool("keydown", KEYS)
    player.join()
    time.sleep(0.5)
    desktop.xdotool("keyup", KEYS)
    text = textbox.wait_stable(60)
    assert text.lower().startswith("turn"), text


def test_max_seconds_stops_with_a_notice(desktop, textbox, daemon_factory):
    daemon = daemon_factory(BASE_CONFIG + "[audio]\nmax_seconds = 3.0\n")
    player = threading.Thread(target=desktop.play, args=(DATA / "jfk.wav",))
    desktop.xdotool("keydown", KEYS)
    player.start()
    try:
        daemon.wait_log("Maximum recording length reached", 10)
    finally:
        desktop.xdotool("keyup", KEYS)  # the user lets go after the notice
    player.join()
    text = textbox.wait_stable(60)
    words = text.split()
    assert 2 <= len(words) <= 10, text  # only the first 3 s of 11
    assert "and so" in text.lower()


def test_text_that_cannot_be_typed_is_kept(desktop, textbox, daemon_factory):
    daemon = daemon_factory(BASE_CONFIG + '[output]\nmethod = "wtype"\n')  # no Wayland here: fails
    hold_and_play(desktop, KEYS, DATA / "lamp.wav")
    line = daemon.wait_log("could not insert the text", 60)
    assert "lamp" not in line.lower()
    daemon.wait_log(r"is kept: see 'sayso history'", 5)
    proc = desktop.sayso("history", "--json")
    last = json.loads(proc.stdout)[-1]
    assert wer(LAMP, last["text"]) <= 0.25, last
    assert "Wayland" in last["error"] and last["delivered"] is False
    assert textbox.text() == ""
    assert "lamp" not in daemon.log.lower()


def test_no_microphone_is_one_line_and_daemon_stays_up(desktop, textbox, daemon_factory):
    daemon = daemon_factory(BASE_CONFIG + '[audio]\ninput_device = "no-such-microphone"\n')
    assert "no audio input device matches 'no-such-microphone'" in daemon.log
    for _ in range(2):
        mark = daemon.mark()
        desktop.xdotool("key", "--delay", "400", KEYS)
        daemon.wait_log("no audio input device matches", 10, start=mark)
    assert daemon.proc.poll() is None
    assert "Traceback" not in daemon.log


def test_missing_model_is_one_line_and_daemon_stays_up(desktop, tmp_path, daemon_factory):
    daemon = daemon_factory(BASE_CONFIG + f'[stt]\nmodel = "{tmp_path}/missing"\n', wait_model=False)
    daemon.wait_log("speech model directory not found", 30)
    mark = daemon.mark()
    hold_and_play(desktop, KEYS, DATA / "lamp.wav")
    daemon.wait_log("speech model directory not found", 30, start=mark)
    assert daemon.proc.poll() is None
    assert "Traceback" not in daemon.log


def test_waits_for_held_modifiers_before_typing(desktop, textbox):
    desktop.xdotool("keydown", "shift")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sayso", "type", "abc"], env=desktop.env, stderr=subprocess.PIPE, text=True
        )
        time.sleep(1.0)
        assert textbox.text() == ""
    finally:
        desktop.xdotool("keyup", "shift")
    assert proc.wait(10) == 0, proc.stderr.read()
    assert textbox.wait_stable(10) == "abc"


def test_bad_config_is_one_line(desktop, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[hotkeys]\ndictate = "<ctrl>+<alt>+spaec"\n')
    proc = desktop.sayso("--config", str(path), "run", timeout=30)
    assert proc.returncode == 3
    assert (
        proc.stderr.strip()
        == f"sayso: error: {path}:2: hotkeys.dictate: unknown key name 'spaec' in hotkey '<ctrl>+<alt>+spaec'"
    )
