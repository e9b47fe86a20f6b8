"""The tray icon and the status line in waybar, a real StatusNotifierHost, on headless sway.

Real: sway (headless, as the unprivileged test user, see
test_wayland_e2e.py), its session ``dbus-daemon``, waybar 0.9 with its
``tray`` (waybar is the StatusNotifierWatcher too), the daemon (``sayso
--debug run`` with ``notify.tray = true``) and a waybar ``custom`` module
running ``sayso ctl status --watch --format waybar``: the module snippet of
docs/desktop.md.  The state is changed with ``sayso ctl dictate
start|cancel``.  Not done here: clicking waybar's menu (headless sway has no
pointer device); the menu is clicked through a stand-in host in
test_portal_daemon_e2e.py, against the same daemon code.
"""

import json
import subprocess
import sys
import threading
import time

import pytest
from test_wayland_e2e import Sway

from conftest import wait_for

pytestmark = pytest.mark.e2e
CONFIG = """
[hotkeys]
backend = "external"
[notify]
desktop = false
sounds = false
tray = true
"""


class Bar:
    def __init__(self, sway: Sway) -> None:
        self.sway = sway
        bus = sway.spawn(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            caps=False,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        sway.procs.append(bus)
        sway.env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        status_cmd = f"{sys.executable} -m sayso ctl status --watch --format waybar"
        config = {
            "layer": "top",
            "position": "top",
            "height": 30,
            "modules-right": ["custom/sayso", "tray"],
            "tray": {"icon-size": 20, "spacing": 4},
            "custom/sayso": {"exec": status_cmd, "return-type": "json", "format": "{}"},
        }
        (sway.home / "waybar.json").write_text(json.dumps(config))
        (sway.home / "sayso.toml").write_text(CONFIG)
        self.lines: list = []
        self.daemon = sway.spawn(
            [sys.executable, "-m", "sayso", "--debug", "--config", str(sway.home / "sayso.toml"), "run"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        sway.procs.append(self.daemon)
        threading.Thread(target=self._read, daemon=True).start()
        self.waybar = sway.spawn(
            ["waybar", "-c", str(sway.home / "waybar.json")],
            caps=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sway.procs.append(self.waybar)

    def _read(self) -> None:
        for line in self.daemon.stderr:
            self.lines.append(line.strip())

    def wait_line(self, pattern: str, start: int = 0, timeout: float = 60) -> str:
        return wait_for(
            lambda: next((line for line in self.lines[start:] if pattern in line), None),
            timeout,
            0.05,
            f"a daemon log line {pattern!r} (got {self.lines[-30:]})",
        )

    def calls(self) -> list:
        return [line.split("D-Bus call ", 1)[1] for line in list(self.lines) if "D-Bus call " in line]

    def shot(self, name: str):
        from PIL import Image

        path = self.sway.runtime / f"{name}.png"
        assert self.sway.run("grim", str(path)).returncode == 0
        image = Image.open(path).convert("RGB")
        image.load()
        return image


def red_pixels(image, box) -> int:
    region = image.crop(box)
    return sum(
        1
        for r, g, b in (region.getpixel((x, y)) for x in range(region.width) for y in range(region.height))
        if r > 170 and g < 110 and b < 110
    )


@pytest.fixture(scope="module")
def bar(desktop):
    session = Sway(desktop)
    try:
        yield Bar(session)
    finally:
        session.close()


def test_waybar_shows_the_tray_icon_and_reads_the_menu(bar):
    bar.wait_line("Tray icon registered")  # at start, or again once waybar's watcher came
    wait_for(
        lambda: any(c.startswith("org.freedesktop.DBus.Properties.GetAll on /StatusNotifierItem") for c in bar.calls()),
        30,
        0.2,
        "waybar to read the tray item",
    )
    wait_for(
        lambda: any(c.startswith("com.canonical.dbusmenu.GetLayout on /MenuBar") for c in bar.calls()),
        30,
        0.2,
        "waybar to read the menu (libdbusmenu)",
    )


def test_the_icon_and_the_status_module_follow_the_state(bar):
    from PIL import Image  # noqa: F401  (pillow is in the test lock)

    wait_for(lambda: any("GetAll on /StatusNotifierItem" in c for c in bar.calls()), 30, 0.2, "the tray item read")
    wait_for(
        lambda: bar.sway.run("pgrep", "-u", bar.sway.user.pw_name, "-f", "ctl status --watch").returncode == 0,
        30,
        0.2,
        "waybar to run the status module",
    )
    width = json.loads(bar.sway.run("swaymsg", "-t", "get_outputs").stdout)[0]["rect"]["width"]
    tray_box = (width - 40, 0, width, 30)
    time.sleep(1.5)
    idle = bar.shot("idle")
    reads = len(bar.calls())
    assert bar.sway.ctl("dictate", "start")["ok"]
    wait_for(
        lambda: len([c for c in bar.calls()[reads:] if "GetAll on /StatusNotifierItem" in c]) >= 1,
        10,
        0.1,
        "waybar to re-read the item after NewIcon",
    )
    time.sleep(1.5)
    recording = bar.shot("recording")
    assert bar.sway.ctl("dictate", "cancel")["ok"]
    assert red_pixels(idle, tray_box) == 0
    assert red_pixels(recording, tray_box) > 20, "no red recording icon in the tray"
    # the status module's text changed too ("idle" -> "REC 0:01"): some pixels left of the tray differ
    text_box = (width - 300, 0, width - 40, 30)
    assert idle.crop(text_box).tobytes() != recording.crop(text_box).tobytes()
