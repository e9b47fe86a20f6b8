"""A region dragged on Wayland: headless sway (the harness of test_wayland_e2e.py) as the
unprivileged test user, Debian's slurp and grim, the pointer a real seat pointer
(a zwlr_virtual_pointer_v1, sayso.bench.wayland_pointer: headless sway has no
input devices, so ``swaymsg seat seat0 cursor`` moves a cursor no client can
see). The two-column Tk screen on sway's XWayland; a drag over the left column
reads that column only; Esc cancels; a click is an empty selection."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time

import pytest
from test_wayland_e2e import Sway

from sayso.bench.ocr import ShownScreen, cer
from sayso.bench.screens import SCREENS, columns_text

from conftest import VOICE_READY, wait_for

pytestmark = pytest.mark.e2e

SCREEN = SCREENS["two-dvsans-13-light"]
#: run as the test user inside sway: the capture, with the gesture of argv[1] started when slurp runs
SNIPPET = """
import json, sys, threading, time
from sayso.bench.wayland_pointer import VirtualPointer
from sayso.core.errors import SaysoError
from sayso.see.capture import capture
from sayso.see.ocr.tesseract import TesseractEngine

pointer = VirtualPointer(1280, 720)
pointer.move(5, 5)
ox, oy = json.loads(sys.argv[2])

def gesture():
    time.sleep(1.0)  # slurp maps its overlay; a person takes longer
    if sys.argv[1] == "drag":
        pointer.move(ox + 40, oy + 30)
        pointer.button(True)
        for step in range(1, 6):
            pointer.move(ox + 40 + 580 * step // 5, oy + 30 + 170 * step // 5)
        pointer.button(False)
    elif sys.argv[1] == "click":
        pointer.move(ox + 300, oy + 300)
        pointer.button(True)
        pointer.button(False)

if sys.argv[1] == "escape":  # the keyboard exists before slurp starts, the key comes later
    import subprocess
    subprocess.Popen(["wtype", "-s", "1500", "-k", "Escape"])
ready = lambda: threading.Thread(target=gesture, daemon=True).start()
try:
    shot = capture("region", session="wayland", on_ready=ready)
    print(json.dumps({"size": list(shot.size), "text": TesseractEngine().recognise(shot.image).text}))
except SaysoError as err:
    print(json.dumps({"error": type(err).__name__, "message": str(err)}))
"""


@pytest.fixture(scope="module")
def sway(desktop):
    for tool in ("slurp", "grim"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/setup.sh test"
    session = Sway(desktop)
    try:
        yield session
    finally:
        session.close()


def _content_origin(sway: Sway) -> tuple:
    """Where the Tk window's content starts on the sway output (its tile, less border and title)."""
    tree = json.loads(sway.run("swaymsg", "-t", "get_tree").stdout)
    stack = [tree]
    while stack:
        node = stack.pop()
        if "sayso screen" in (node.get("name") or "") and node.get("window_rect"):
            return node["rect"]["x"] + node["window_rect"]["x"], node["rect"]["y"] + node["window_rect"]["y"]
        stack += node.get("nodes", []) + node.get("floating_nodes", [])
    raise AssertionError("the Tk screen is not in sway's tree")


def _capture(sway: Sway, gesture: str) -> dict:
    with ShownScreen(SCREEN, env=sway.env, prefix=tuple(sway._prefix())):
        wait_for(lambda: "sayso screen" in sway.focused_title(), 30, 0.2, "the Tk screen to have focus")
        origin = _content_origin(sway)
        out = sway.run(sys.executable, "-c", SNIPPET, gesture, json.dumps(origin), timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def test_a_region_dragged_on_sway_reads_only_its_paragraph(sway):
    result = _capture(sway, "drag")
    assert "text" in result, result
    left, right = columns_text(SCREEN)
    assert 560 <= result["size"][0] <= 600 and 150 <= result["size"][1] <= 190, result["size"]
    assert cer(left, result["text"]) <= 0.02, result["text"]
    assert right.split()[0] not in result["text"].split()[:3]
    assert " ".join(right.split()[2:6]) not in " ".join(result["text"].split())


def test_esc_cancels_a_region_on_sway_and_a_click_is_empty(sway):
    cancelled = _capture(sway, "escape")
    assert cancelled == {"error": "CancelledError", "message": "region capture cancelled"}
    clicked = _capture(sway, "click")
    assert clicked == cancelled  # slurp ends a click without a drag as a cancel


def test_the_daemon_reads_a_region_dragged_on_sway_aloud(sway):
    """`sayso ctl read region` (what a sway `bindsym ... exec` runs) against `sayso run` as the
    test user: slurp's overlay takes the drag, the column is read aloud, its text is not logged."""
    from test_wayland_e2e import UserDaemon

    from sayso.bench.wayland_pointer import VirtualPointer

    daemon = UserDaemon(sway, "wtype")
    daemon.wait_log(VOICE_READY, 180)
    with ShownScreen(SCREEN, env=sway.env, prefix=tuple(sway._prefix())):
        wait_for(lambda: "sayso screen" in sway.focused_title(), 30, 0.2, "the Tk screen to have focus")
        ox, oy = _content_origin(sway)
        pointer = VirtualPointer(1280, 720, sway.env["WAYLAND_DISPLAY"], str(sway.runtime))
        try:
            pointer.move(5, 5)
            ctl = sway.spawn([sys.executable, "-m", "sayso", "ctl", "read", "region"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
            time.sleep(1.5)  # the request reaches the daemon, slurp maps its overlay
            pointer.move(ox + 40, oy + 30)
            pointer.button(True)
            for step in range(1, 6):
                pointer.move(ox + 40 + 580 * step // 5, oy + 30 + 170 * step // 5)
            pointer.button(False)
            assert ctl.wait(60) == 0, ctl.stderr.read().decode() if ctl.stderr else ""
            read = daemon.wait_log(r"Read \d+ characters from a \d+x\d+ region image", 60)
            daemon.wait_log(r"Reading \d+ characters with voice joe", 30)
        finally:
            pointer.close()
    assert re.search(r"Read (39\d|4[0-4]\d) characters from a 5[6-9]\dx1[5-8]\d region image", read), read
    left, _ = columns_text(SCREEN)
    log = "\n".join(daemon.lines)
    assert " ".join(left.split()[:4]) not in log and left.split()[5] not in log.split()
