"""sayso.see's Wayland capture through a real Screenshot portal: headless sway
(the harness of test_wayland_e2e.py), its own session bus, Debian's
xdg-desktop-portal and xdg-desktop-portal-wlr. A Tk screen of text on sway's
XWayland is captured through the portal as the test user, read by
Tesseract and compared with the text drawn."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_wayland_e2e import Sway

from sayso.bench.ocr import ShownScreen, cer
from sayso.bench.screens import SCREENS, reference

from conftest import wait_for

pytestmark = pytest.mark.e2e

FRONTEND = "/usr/libexec/xdg-desktop-portal"
WLR = "/usr/libexec/xdg-desktop-portal-wlr"
SNIPPET = (
    "import json, os\n"
    "from sayso.see.capture import capture\n"
    "from sayso.see.ocr.tesseract import TesseractEngine\n"
    "shot = capture('screen', session='wayland')\n"
    "print(json.dumps({'size': list(shot.size), 'text': TesseractEngine().recognise(shot.image).text,\n"
    "                  'left': sorted(os.listdir(os.path.expanduser('~')))}))\n"
)


def _has_name(sway: Sway, name: str) -> bool:
    out = sway.run(
        sys.executable,
        "-c",
        "import os, sys; from sayso.desktop.portal.bus import Bus; "
        "b = Bus(os.environ['DBUS_SESSION_BUS_ADDRESS']); print(b.has_owner(sys.argv[1])); b.close()",
        name,
        timeout=20,
    )
    return out.stdout.decode().strip() == "True"


@pytest.fixture(scope="module")
def portal_sway(desktop):
    sway = Sway(desktop)
    try:
        bus = subprocess.Popen(
            sway._prefix(False) + ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            env=sway.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
        )  # fmt: skip
        sway.procs.append(bus)
        assert bus.stdout is not None
        sway.env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        sway.env["XDG_CURRENT_DESKTOP"] = "sway"
        # xdg-desktop-portal-wlr starts only with a PipeWire to connect to (for its ScreenCast half)
        sway.procs.append(sway.spawn(["pipewire"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: (sway.runtime / "pipewire-0").exists(), 30, 0.1, "PipeWire")
        sway.procs.append(sway.spawn([WLR], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: _has_name(sway, "org.freedesktop.impl.portal.desktop.wlr"), 60, 0.3, "xdg-desktop-portal-wlr")
        sway.procs.append(sway.spawn([FRONTEND], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: _has_name(sway, "org.freedesktop.portal.Desktop"), 60, 0.3, "xdg-desktop-portal")
        yield sway
    finally:
        sway.close()


def test_the_screen_is_read_through_the_screenshot_portal(portal_sway):
    screen = SCREENS["dvsans-13-dark"]
    with ShownScreen(screen, env=portal_sway.env, prefix=tuple(portal_sway._prefix())):
        wait_for(lambda: "sayso screen" in portal_sway.focused_title(), 30, 0.2, "the Tk screen to have focus")
        out = portal_sway.run(sys.executable, "-c", SNIPPET, timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    assert result["size"][0] >= 1280 and result["size"][1] >= 720
    assert cer(reference(screen), result["text"]) <= 0.02, result["text"]
    assert not [n for n in result["left"] if n.lower().startswith(("pictures", "screenshot"))]  # nothing left behind


def test_doctor_says_capture_goes_through_the_portal(portal_sway):
    snippet = (
        "import os\n"
        "from sayso.core.config import parse_config_text\n"
        "from sayso.doctor.base import Context\n"
        "from sayso.doctor.see import check_capture\n"
        "print(check_capture(Context(parse_config_text(''), dict(os.environ), 'wayland', False)).line())\n"
    )
    out = portal_sway.run(sys.executable, "-c", snippet, timeout=60)
    line = out.stdout.decode().strip()
    assert line.startswith("OK") and "Screenshot portal version" in line, out.stderr.decode()[-2000:]
    assert line.endswith("a region dragged with slurp, captured by grim"), line  # grim really captured a pixel
