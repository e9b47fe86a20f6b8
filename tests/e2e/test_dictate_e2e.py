"""Dictation end to end: Xvfb, PulseAudio null sink, xdotool hotkeys, a Tk window,
the daemon as a subprocess and the real bundled model."""

import time

import pytest

from conftest import BASE_CONFIG, DATA, TRANSCRIPTS, dictate, hold_and_play, wer

pytestmark = pytest.mark.e2e
KEYS = "ctrl+alt+space"
JFK = TRANSCRIPTS["jfk.flac"]["text"]


def test_hold_to_talk_types_the_transcript(desktop, textbox, daemon_factory):
    daemon = daemon_factory()
    text = dictate(desktop, daemon, textbox, DATA / "jfk.wav")
    assert wer(JFK, text) <= 0.25, text
    assert not text.startswith(" ")
    assert "fellow Americans" not in daemon.log  # no transcript in logs at the default level


def test_consecutive_dictations_are_spaced(desktop, textbox, daemon_factory):
    daemon = daemon_factory()
    first = dictate(desktop, daemon, textbox, DATA / "lamp.wav")
    both = dictate(desktop, daemon, textbox, DATA / "lamp.wav")
    assert both.startswith(first) and len(both) > len(first)
    assert both[len(first)] == " " and both[len(first) + 1] != " "
    assert wer("turn on the living room lamp turn on the living room lamp", both) <= 0.25, both


def test_paste_mode_restores_the_clipboard_exactly(desktop, textbox, daemon_factory):
    daemon = daemon_factory(BASE_CONFIG + '[output]\nmethod = "paste"\n')
    original = "précieux\tclipboard  ✓\n\n".encode()
    desktop.set_clipboard(original)
    text = dictate(desktop, daemon, textbox, DATA / "jfk.wav")  # (returns once the dictation is done, restore included)
    assert wer(JFK, text) <= 0.25, text
    assert "précieux" not in text, text
    assert desktop.get_clipboard() == original


def test_escape_cancels(desktop, textbox, daemon_factory):
    daemon = daemon_factory()
    desktop.xdotool("keydown", KEYS)
    time.sleep(0.3)
    desktop.play(DATA / "lamp.wav")
    desktop.xdotool("key", "Escape")
    desktop.xdotool("keyup", KEYS)
    daemon.wait_log("Dictation cancelled", 10)
    time.sleep(3)
    assert textbox.text() == ""
    assert "Inserted" not in daemon.log


def test_silence_types_nothing(desktop, textbox, daemon_factory):
    daemon = daemon_factory()
    desktop.xdotool("keydown", KEYS)
    time.sleep(2)
    desktop.xdotool("keyup", KEYS)
    daemon.wait_log("No speech heard", 30)
    time.sleep(0.5)
    assert textbox.text() == ""


def test_short_tap_is_ignored_and_next_dictation_works(desktop, textbox, daemon_factory):
    daemon = daemon_factory()
    desktop.xdotool("key", "--delay", "100", KEYS)
    daemon.wait_log("too short", 10)
    hold_and_play(desktop, KEYS, DATA / "lamp.wav")
    assert wer(TRANSCRIPTS["lamp.wav"]["text"], textbox.wait_stable(60)) <= 0.25


def test_exact_chord_does_not_fire_with_extra_modifier(desktop, textbox, daemon_factory):
    daemon = daemon_factory()
    mark = daemon.mark()
    hold_and_play(desktop, "ctrl+alt+shift+space", DATA / "lamp.wav")
    time.sleep(2)
    assert "Recording" not in "\n".join(daemon.lines[mark:])
    assert textbox.text().strip() == ""  # only the space key itself reached the window


def test_sigterm_mid_recording_stops_within_2s(desktop, daemon_factory):
    daemon = daemon_factory()
    desktop.xdotool("keydown", KEYS)
    try:
        daemon.wait_log("Recording", 10)
        took = daemon.stop()
    finally:
        desktop.xdotool("keyup", KEYS)
    assert daemon.proc.returncode == 0
    assert took < 2.0, took


def test_sayso_type_unicode_exactly(desktop, textbox):
    text = "Ünïcödé Straße — naïve café ✓ 日本語"
    proc = desktop.sayso("type", text)
    assert proc.returncode == 0, proc.stderr
    assert textbox.wait_stable(10) == text


def test_sayso_type_paste_unicode_and_clipboard_restored(desktop, textbox):
    desktop.set_clipboard(b"keep me")
    text = "Ünïcödé Straße — naïve café ✓ 日本語"
    proc = desktop.sayso("type", "--method", "paste", text)
    assert proc.returncode == 0, proc.stderr
    assert textbox.wait_stable(10) == text
    assert desktop.get_clipboard() == b"keep me"


def test_vocabulary_reaches_the_live_path(desktop, textbox, daemon_factory, tmp_path):
    """stt.vocabulary through the daemon: held hotkey, speech into the
    microphone, the streamed passes and the final text ("comfy UI" without it)."""
    import subprocess

    wav = tmp_path / "hotwords.wav"  # 16-bit WAV for paplay, 0.3 s of silence first (tests/data/README.md)
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-i",
            str(DATA / "hotwords.mp3"),
            "-af",
            "adelay=300:all=1",
            "-ar",
            "16000",
            "-ac",
            "1",
            "-sample_fmt",
            "s16",
            str(wav),
        ],
        check=True,
    )
    daemon = daemon_factory(BASE_CONFIG + '[stt]\nvocabulary = ["ComfyUI"]\n')
    text = dictate(desktop, daemon, textbox, wav)
    assert "ComfyUI" in text, text
