"""`sayso doctor` in the Xvfb + PulseAudio sandbox: all OK, then a missing microphone FAILs."""

import re
import threading

import pytest
from test_control import CtlDaemon

from sayso.doctor.base import FAIL, OK, WARN, Check, level_dbfs
from see_support import VisionServer

from conftest import BASE_CONFIG, DATA

pytestmark = pytest.mark.e2e
CHECKS = [
    "config",
    "session",
    "hotkeys",
    "microphone",
    "speakers",
    "clipboard",
    "selection",
    "typing",
    "speech model",
    "voice",
    "rewrite",
    "capture",
    "ocr",
    "describe",
    "daemon",
]
#: a rewrite setup the sandbox can satisfy without a network or a big model: Harper
DOCTOR_CONFIG = BASE_CONFIG + '\n[rewrite]\nengine = "harper"\n'
LINE = re.compile(r"^(OK|WARN|FAIL)\s+(\S+(?: model)?)\s+(.*)$")


def parse(stdout: str) -> dict:
    out = {}
    for line in stdout.splitlines():
        m = LINE.match(line)
        assert m, f"not a check line: {line!r}"
        out[m.group(2)] = (m.group(1), m.group(3))
    return out


def run_doctor(daemon: CtlDaemon, *args, play: bool = True):
    """Run doctor while speech plays into the virtual microphone (for the 1 s level)."""
    player = threading.Thread(target=daemon.desk.play, args=(DATA / "jfk.wav",)) if play else None
    if player:
        player.start()
    try:
        return daemon.desk.sayso("--config", str(daemon.config), "doctor", *args, timeout=300)
    finally:
        if player:
            player.join()


@pytest.fixture(scope="module")
def doctor_daemon(desktop):
    vision = VisionServer()  # a loopback vision server answers for "describe"
    daemon = CtlDaemon(desktop, DOCTOR_CONFIG + f'[see]\nbase_url = "{vision.url}"\n')
    yield daemon
    daemon.stop()
    vision.close()


def test_every_check_is_ok_in_the_sandbox(doctor_daemon):
    proc = run_doctor(doctor_daemon)
    checks = parse(proc.stdout)
    assert list(checks) == CHECKS, proc.stdout
    bad = {name: v for name, v in checks.items() if v[0] != OK}
    assert not bad, proc.stdout + proc.stderr
    assert proc.returncode == 0
    assert checks["session"][1].startswith("x11 (DISPLAY=:")
    assert checks["hotkeys"][1] == "pynput (X RECORD)"
    assert re.match(r"pulse: 1 s recorded, peak -?\d+ dBFS", checks["microphone"][1]), checks["microphone"]
    assert checks["clipboard"][1] == "xclip" and checks["typing"][1] == "XTEST (xdotool also present)"
    assert checks["speech model"][1].startswith("bundled:tiny.en loaded in")
    assert checks["voice"][1] == "voice 'joe' loads"
    assert checks["rewrite"][1] == "harper engine ready"
    assert checks["capture"][1] == "X11 screen 1280x800: region, window, screen"
    assert checks["ocr"][1].startswith("Tesseract (eng) from ")
    assert checks["describe"][1].startswith("server at http://127.0.0.1:")
    assert checks["daemon"][1].startswith("running (pid ") and str(doctor_daemon.sock) in checks["daemon"][1]


def test_missing_microphone_fails_with_the_fix(doctor_daemon, tmp_path):
    config = tmp_path / "nomic.toml"
    config.write_text(DOCTOR_CONFIG + '\n[audio]\ninput_device = "USB Headset 9000"\n')
    proc = doctor_daemon.desk.sayso("--config", str(config), "doctor", "--skip-models", timeout=120)
    assert proc.returncode == 1, proc.stdout
    line = next(line for line in proc.stdout.splitlines() if line.startswith("FAIL  microphone"))
    assert "no audio input device matches 'USB Headset 9000'" in line
    assert "-> fix: plug in / enable a microphone, or set audio.input_device to one of: " in line and "pulse" in line
    assert len([line for line in proc.stdout.splitlines() if line.startswith("FAIL")]) == 1, proc.stdout


def test_silent_microphone_warns(doctor_daemon):
    proc = run_doctor(doctor_daemon, "--skip-models", play=False)
    status, detail = parse(proc.stdout)["microphone"]
    assert status == WARN and "silent" in detail, proc.stdout
    assert "unmute it or raise its input volume" in proc.stdout
    assert proc.returncode == 0  # a warning is not a failure


def test_no_daemon_and_bad_config(doctor_daemon, tmp_path):
    env = dict(doctor_daemon.desk.env, XDG_RUNTIME_DIR=str(tmp_path))
    from conftest import Desktop

    desk = Desktop(env, tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text('[hotkeys]\nbackend = "telepathy"\n')
    proc = desk.sayso("--config", str(bad), "doctor", "--skip-models", timeout=120)
    checks = parse(proc.stdout)
    assert checks["config"][0] == FAIL and "hotkeys.backend: must be one of" in checks["config"][1]
    assert "-> fix: edit the file, then 'sayso config check'" in proc.stdout
    assert checks["daemon"][0] == WARN and "not running" in checks["daemon"][1]
    assert proc.returncode == 1


def test_check_line_format_and_level():
    assert Check("typing", OK, "XTEST", "unused").line() == "OK    typing       XTEST"
    assert Check("typing", FAIL, "no XTEST", "use paste").line() == "FAIL  typing       no XTEST -> fix: use paste"
    import numpy as np

    assert level_dbfs(np.zeros(10, np.float32)) == float("-inf")
    assert round(level_dbfs(np.full(10, 0.5, np.float32))) == -6
