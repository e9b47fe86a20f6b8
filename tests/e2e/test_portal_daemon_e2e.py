"""The real daemon with its hotkeys and typing through the portal, its status
stream and its tray icon, end to end.

Real: the daemon (``python -m sayso run``: speech model, PulseAudio
microphone, press modes, the dictation pipeline, the control socket, the
tray), ``sayso ctl status --watch --json`` as a subprocess, a private
``dbus-daemon``.  Stand-ins on that bus: the portal
(tests/portal_standin.py) in place of the desktop and a
StatusNotifierWatcher with a host that reads and clicks the menu
(tests/sni_standin.py).  Held shortcut -> recording -> release -> the typed
keysyms arrive at the portal in order; each state change gives a watch line;
the tray menu drives the daemon through its action registry.
"""

import json
import subprocess
import sys
import threading
import time

import pytest

from conftest import DATA, REPO, TRANSCRIPTS, DaemonProc, wait_for, wer
from portal_standin import PrivateBus, StandinPortal, keysyms_to_text
from sni_standin import Host, StandinWatcher

UNICODE = "Ünïcödé Straße — naïve café ✓ 日本語"  # as in the X11 typing tests
CONFIG = """
[hotkeys]
backend = "portal"
dictate = "<ctrl>+<alt>+space"
dictate_mode = "hold"
[output]
method = "portal"
[notify]
desktop = false
sounds = false
tray = true
"""
LENIENT_S = 1.0  # the promise is 100 ms; a loaded 2-core machine gets this much before the test fails


class Desk:
    """The desktop fixture's env on a private bus with the stand-in portal and tray watcher."""

    def __init__(self, desktop, tmp_path) -> None:
        self.bus = PrivateBus()
        self.portal = StandinPortal(self.bus.address)
        self.watcher = StandinWatcher(self.bus.address)
        self.desktop = desktop
        self.env = dict(
            desktop.env,
            DBUS_SESSION_BUS_ADDRESS=self.bus.address,
            XDG_STATE_HOME=str(tmp_path / "state"),
            XDG_RUNTIME_DIR=str(tmp_path / "run"),
        )
        (tmp_path / "run").mkdir(mode=0o700)

    def close(self) -> None:
        self.watcher.close()
        self.portal.close()
        self.bus.close()


@pytest.fixture
def desk(desktop, tmp_path):
    d = Desk(desktop, tmp_path)
    yield d
    d.close()


class Watch:
    """``sayso ctl status --watch --json``, each line with the time it arrived."""

    def __init__(self, env) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sayso", "ctl", "status", "--watch", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list = []  # (monotonic arrival, dict)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), json.loads(line)))

    def states(self) -> list:
        out = []
        for _t, status in list(self.lines):
            if not out or out[-1] != status["state"]:
                out.append(status["state"])
        return out

    def wait(self, state: str, after: float, timeout: float = 60) -> float:
        """The arrival time of the first *state* line that came after *after*."""
        return wait_for(
            lambda: next((t for t, s in list(self.lines) if s["state"] == state and t >= after), None),
            timeout,
            0.005,
            f"a {state!r} watch line (got {self.states()})",
        )

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def hold(desk: Desk, daemon: DaemonProc, watch: Watch, audio) -> dict:
    """Hold the portal shortcut over *audio*; returns the press/release -> watch line delays."""
    mark = daemon.mark()
    pressed = time.monotonic()
    desk.portal.activate("dictate", True)  # the user holds the keys the desktop bound
    seen_recording = watch.wait("recording", pressed, 20)
    daemon.wait_log(r"Recording", 20, mark)
    desk.desktop.play(audio)
    time.sleep(0.5)
    released = time.monotonic()
    desk.portal.activate("dictate", False)  # ... and lets go
    seen_transcribing = watch.wait("transcribing", released, 20)
    daemon.wait_log(r"Inserted \d+ characters", 90, mark)
    logged = time.monotonic()  # the daemon's "Inserted" line reached us (it logs it just before going idle)
    seen_idle = watch.wait("idle", seen_transcribing, 20)
    return {
        "press->recording": seen_recording - pressed,
        "release->transcribing": seen_transcribing - released,
        "typed->idle": abs(seen_idle - logged),
    }


@pytest.mark.e2e
@pytest.mark.model
def test_held_portal_shortcut_dictates_types_and_streams_its_state(desk, tmp_path):
    code = subprocess.run(
        [sys.executable, "-c", "import sayso; print(sayso.__file__)"],
        env=desk.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert code.startswith(str(REPO / "daemon")), code  # the daemon below runs this tree's code
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    daemon = DaemonProc(desk, config)
    watch = None
    try:
        daemon.wait_log(r"Ready: hotkeys live", 120)
        daemon.wait_log(r"Speech model warm", 120)
        session = desk.portal.shortcut_session()
        assert session.shortcuts["dictate"]["trigger_description"] == "CTRL+ALT+space"
        assert "cancel" not in session.shortcuts  # Escape is never grabbed globally
        watch = Watch(desk.env)
        watch.wait("idle", 0, 20)

        first_delays = hold(desk, daemon, watch, DATA / "lamp.wav")
        first = keysyms_to_text(desk.portal.keysyms)
        assert wer(TRANSCRIPTS["lamp.wav"]["text"], first) <= 0.25, first
        assert [s for _k, s in desk.portal.keysyms] == [1, 0] * (len(desk.portal.keysyms) // 2)  # press, release
        count = len(desk.portal.keysyms)
        second_delays = hold(desk, daemon, watch, DATA / "jfk.wav")
        second = keysyms_to_text(desk.portal.keysyms[count:])
        assert wer(TRANSCRIPTS["jfk.flac"]["text"], second) <= 0.25, second
        assert desk.portal.consents == 1  # one consent for the whole run
        assert watch.states()[:4] == ["idle", "recording", "transcribing", "idle"], watch.states()
        assert all(s.get("elapsed", 0) >= 0 for _t, s in watch.lines if s["state"] == "recording")
        delays = [d for run in (first_delays, second_delays) for d in run.values()]
        print(f"\nstatus --watch through the real daemon: {first_delays} {second_delays} (s); promise 0.1 s")
        assert max(delays) < LENIENT_S, (first_delays, second_delays)
        assert "fellow Americans" not in daemon.log  # no transcript in the log
    finally:
        if watch is not None:
            watch.stop()
        daemon.stop()
    assert daemon.proc.returncode == 0, daemon.log
    assert not desk.portal.sessions  # both portal sessions were closed on the way out


@pytest.mark.e2e
@pytest.mark.model
def test_tray_menu_drives_the_daemon_through_its_action_registry(desk, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    daemon = DaemonProc(desk, config)
    try:
        daemon.wait_log(r"Tray icon registered", 120)
        daemon.wait_log(r"Speech model warm", 120)
        host = Host(desk.bus.address, desk.watcher.wait_item())
        labels = host.menu_labels()
        for label in (
            "Dictate (start/stop)",
            "Read selection aloud",
            "Stop",
            "Rewrite: fix",
            "Undo rewrite",
            "Pause hotkeys",
            "Quit sayso",
        ):
            assert label in labels, labels
        assert host.prop("IconName") == "audio-input-microphone"

        mark = daemon.mark()
        host.click(labels["Dictate (start/stop)"])  # the same "dictate.toggle" the hotkey runs
        daemon.wait_log(r"Tray: dictate.toggle", 10, mark)
        daemon.wait_log(r"Recording$", 10, mark)
        wait_for(lambda: host.prop("IconName") == "media-record", 5, 0.02, "the recording icon")
        desk.desktop.play(DATA / "lamp.wav")
        host.click(labels["Stop"])
        daemon.wait_log(r"Inserted \d+ characters", 90, mark)
        assert wer(TRANSCRIPTS["lamp.wav"]["text"], keysyms_to_text(desk.portal.keysyms)) <= 0.25
        wait_for(lambda: host.prop("IconName") == "audio-input-microphone", 10, 0.05, "the idle icon")

        host.click(labels["Pause hotkeys"])
        daemon.wait_log(r"Hotkeys paused", 10, mark)
        wait_for(lambda: host.prop("IconName") == "media-playback-pause", 5, 0.02, "the paused icon")
        mark = daemon.mark()
        desk.portal.activate("dictate", True)
        time.sleep(1.0)
        desk.portal.activate("dictate", False)
        assert "Recording" not in "\n".join(daemon.lines[mark:])  # paused: the held shortcut did nothing
        host.click(labels["Pause hotkeys"])
        daemon.wait_log(r"Hotkeys resumed", 10, mark)

        mark = daemon.mark()
        reload = subprocess.run(
            [sys.executable, "-m", "sayso", "ctl", "reload"], env=desk.env, capture_output=True, text=True, timeout=60
        )
        assert reload.returncode == 0, reload.stderr
        daemon.wait_log(r"Config reloaded", 30, mark)
        daemon.wait_log(r"Tray icon registered", 10, mark)  # the tray came back with the new build
        assert len([s for s in desk.portal.sessions.values() if s.kind == "shortcuts"]) == 1  # the old one closed
        host.close()
        host = Host(desk.bus.address, desk.watcher.wait_item())
        labels = host.menu_labels()
        host.click(labels["Quit sayso"])
        daemon.proc.wait(30)
        host.close()
    finally:
        daemon.stop()
    assert daemon.proc.returncode == 0, daemon.log


@pytest.mark.e2e
def test_sayso_type_unicode_exactly_through_the_portal(desk, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(CONFIG)
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "sayso", "--config", str(config), "type", UNICODE],
            env=desk.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
    assert keysyms_to_text(desk.portal.keysyms) == UNICODE * 2  # byte-exact, as on X11
    assert desk.portal.consents == 1  # the second run was let in by the stored restore token
    assert not desk.portal.sessions  # each run closed its session
