"""sayso.see's Wayland capture through KDE's real Screenshot portal: headless KWin
with Debian's xdg-desktop-portal 1.16 and xdg-desktop-portal-kde 5.27 (the
harness of test_portal_kde_e2e.py). A Tk screen of text on KWin's XWayland is
captured through the portal as the test user, read by Tesseract and compared
with the text drawn.

``screen`` asks non-interactively; KDE's backend then takes the whole workspace
through KWin's ``org.kde.kwin.Screenshot`` without showing anything to press
(xdg-desktop-portal 1.16 asks no permission for it). It still builds its QML
dialog first, so it needs Plasma's QML modules (``plasma-workspace`` and
Kirigami, in scripts/setup.sh's test list): without them it crashes and sayso
says "Screenshot: ended by the desktop". It saves into ~/Pictures, which
xdg-user-dirs makes on a desktop (the harness makes it).

``window`` asks interactively: KDE's dialog comes up and a person picks "Active
Window", presses Take, clicks the window, presses Save. Here the keyboard is
the person's (KWin's fake input through the RemoteDesktop portal, as in
test_portal_kde_e2e.py), and KWin's window picker is driven with its arrow keys
and Enter.

The last test is the daemon: ``sayso ctl read screen`` with ``see.read_to =
"clipboard"`` captures through the same portal and puts the text on the Wayland
clipboard (read back with wl-paste)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from test_portal_kde_e2e import KdeDaemon, KdeSession

from sayso.bench.ocr import ShownScreen, cer
from sayso.bench.screens import SCREENS, reference

from conftest import wait_for

pytestmark = pytest.mark.e2e

PLASMA_DIALOGS = "/usr/lib/x86_64-linux-gnu/qt5/qml/org/kde/plasma/workspace/dialogs/qmldir"
SNIPPET = (
    "import json, os, sys\n"
    "from sayso.see.capture import capture\n"
    "from sayso.see.ocr.tesseract import TesseractEngine\n"
    "shot = capture(sys.argv[1], session='wayland')\n"
    "print(json.dumps({'size': list(shot.size), 'text': TesseractEngine().recognise(shot.image).text,\n"
    "                  'left': sorted(os.listdir(os.path.expanduser('~/Pictures')))}))\n"
)


@pytest.fixture(scope="module")
def kde():
    assert os.path.exists(PLASMA_DIALOGS), "Plasma's QML dialogs are missing: run scripts/setup.sh test"
    session = KdeSession()
    yield session
    session.close()


def test_the_screen_is_read_through_the_kde_screenshot_portal(kde):
    screen = SCREENS["dvsans-13-dark"]
    with ShownScreen(screen, env=kde.env, prefix=tuple(kde._prefix(False))):
        out = kde.run(sys.executable, "-c", SNIPPET, "screen", timeout=120)
    assert out.returncode == 0, out.stderr[-2000:] + kde.logs()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    shown = f"sayso screen {screen.name}\n\n" + reference(screen)  # KWin's title bar, then the text
    error = cer(shown, result["text"])
    print(f"\nKDE Screenshot portal: {result['size'][0]}x{result['size'][1]}, Tesseract CER {100 * error:.2f} %")
    assert result["size"] == [1280, 800]
    assert error <= 0.02, result["text"]
    assert result["left"] == []  # the portal's file was deleted


def _keys(*chords: str, pause: float = 0.2) -> list:
    return [[chord, pause] for chord in chords]


# Tab order of the dialog: Area, Delay, the two checkboxes, Take; after the pick: Save
PICK_ACTIVE_WINDOW_AND_TAKE = _keys("tab", "down", "down", "tab", "tab", "tab", "tab") + [["space", 1.5]]
UP_TO_THE_TK_WINDOW_AND_CLICK = _keys(*["up"] * 22, pause=0.05) + [["enter", 1.5]]  # KWin's picker: 10 px a key
SAVE = _keys("tab", "space")


def test_the_window_is_read_through_the_kde_screenshot_dialog(kde):
    screen = SCREENS["dvsans-13-dark"]
    with ShownScreen(screen, env=kde.env, prefix=tuple(kde._prefix(False))):
        reader = subprocess.Popen(
            kde._prefix(True) + [sys.executable, "-c", SNIPPET, "window"],
            env=kde.env, cwd=str(kde.root), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            log = kde.root / "portal-kde.log"
            wait_for(lambda: "interactive\", QVariant(bool, true)" in log.read_text(errors="replace"), 30, 0.1,
                     "KDE's backend to get sayso's interactive request")  # fmt: skip
            time.sleep(2.0)  # the dialog maps and takes the focus
            kde.probe("keys", json.dumps(PICK_ACTIVE_WINDOW_AND_TAKE + UP_TO_THE_TK_WINDOW_AND_CLICK + SAVE))
            out, err = reader.communicate(timeout=60)
        finally:
            if reader.poll() is None:
                reader.kill()
                reader.wait()
    assert reader.returncode == 0, err[-2000:] + kde.logs()
    result = json.loads(out.strip().splitlines()[-1])
    shown = f"sayso screen {screen.name}\n\n" + reference(screen)
    error = cer(shown, result["text"])
    print(f"\nKDE Screenshot dialog, Active Window: {result['size'][0]}x{result['size'][1]}, CER {100 * error:.2f} %")
    assert result["size"][0] >= 1280 and result["size"][1] > 800  # the window with KWin's borders, not the screen
    assert error <= 0.02, result["text"]
    assert result["left"] == []


SEE_CONFIG = """
[hotkeys]
backend = "auto"
[output]
method = "portal"
[notify]
desktop = false
sounds = false
[see]
read_to = "clipboard"
"""


def test_ctl_read_screen_through_the_kde_portal_puts_the_text_on_the_clipboard(kde, desktop):
    screen = SCREENS["dvsans-13-dark"]
    daemon = KdeDaemon(kde, SEE_CONFIG, PULSE_SERVER=desktop.env["PULSE_SERVER"])
    try:
        daemon.wait_log("Ready: hotkeys live")
        with ShownScreen(screen, env=kde.env, prefix=tuple(kde._prefix(False))):
            proc = daemon.sayso("ctl", "read", "screen", "--wait", timeout=120)
        assert proc.returncode == 0, proc.stderr + daemon.log() + kde.logs()
        text = kde.run("wl-paste", "--no-newline", timeout=20).stdout  # before the daemon (its wl-copy) goes
    finally:
        code = daemon.stop()
    shown = f"sayso screen {screen.name}\n\n" + reference(screen)
    error = cer(shown, text)
    print(f"\nsayso ctl read screen on KDE: {len(text)} characters on the clipboard, CER {100 * error:.2f} %")
    assert error <= 0.02, text
    assert "heat the oven" not in (daemon.log() + proc.stdout + proc.stderr).lower()  # no screen text in logs
    assert not os.listdir(kde.home / "Pictures")
    assert code == 0, daemon.log()
