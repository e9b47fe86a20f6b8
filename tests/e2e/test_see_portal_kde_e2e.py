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
xdg-user-dirs makes on a desktop (the harness makes it)."""

from __future__ import annotations

import json
import os
import sys

import pytest
from test_portal_kde_e2e import KdeSession

from sayso.bench.ocr import ShownScreen, cer
from sayso.bench.screens import SCREENS, reference

pytestmark = pytest.mark.e2e

PLASMA_DIALOGS = "/usr/lib/x86_64-linux-gnu/qt5/qml/org/kde/plasma/workspace/dialogs/qmldir"
SNIPPET = (
    "import json, os\n"
    "from sayso.see.capture import capture\n"
    "from sayso.see.ocr.tesseract import TesseractEngine\n"
    "shot = capture('screen', session='wayland')\n"
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
        out = kde.run(sys.executable, "-c", SNIPPET, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:] + kde.logs()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    shown = f"sayso screen {screen.name}\n\n" + reference(screen)  # KWin's title bar, then the text
    error = cer(shown, result["text"])
    print(f"\nKDE Screenshot portal: {result['size'][0]}x{result['size'][1]}, Tesseract CER {100 * error:.2f} %")
    assert result["size"] == [1280, 800]
    assert error <= 0.02, result["text"]
    assert result["left"] == []  # the portal's file was deleted
