"""Desktop notifications on a real session bus, and the sound cues on a real sound server.

A jeepney-based stand-in owns org.freedesktop.Notifications on the desktop
fixture's `dbus-daemon --session` and records every Notify call.
"""

import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from jeepney import MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.low_level import HeaderFields
from test_control import CtlDaemon

from sayso.core.config_types import NotifyConfig
from sayso.desktop.feedback import CUE_RATE, CUES, DesktopNotifier, escape_markup, make_notifier, tone

from conftest import BASE_CONFIG, wait_for

BUS_NAME = "org.freedesktop.Notifications"


class NotificationServer:
    """Owns org.freedesktop.Notifications and records the Notify calls."""

    def __init__(self, address: str) -> None:
        self.hold = threading.Event()
        self.hold.set()  # clear it to delay the replies
        self.conn = open_dbus_connection(bus=address)
        reply = self.conn.send_and_get_reply(message_bus.RequestName(BUS_NAME, 4), timeout=5)  # DO_NOT_QUEUE
        assert reply.body == (1,), f"could not own {BUS_NAME}: {reply.body}"
        self.calls: list = []
        self._next_id = 100
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            if msg.header.message_type != MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            if member == "Notify":
                app, replaces, icon, summary, body, actions, hints, timeout = msg.body
                note_id = replaces or self._next_id
                self._next_id += 1
                released = self.hold.wait(5)
                self.calls.append(
                    dict(
                        app=app,
                        replaces=replaces,
                        icon=icon,
                        summary=summary,
                        body=body,
                        hints={k: v[1] for k, v in hints.items()},
                        timeout=timeout,
                        id=note_id,
                        released=released,
                    )
                )
                self.conn.send(new_method_return(msg, "u", (note_id,)))
            else:
                self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def wait_calls(self, n: int, timeout: float = 10) -> list:
        wait_for(lambda: len(self.calls) >= n, timeout, 0.05, f"{n} Notify calls")
        return self.calls

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.conn.close()


@pytest.fixture
def server(desktop):
    srv = NotificationServer(desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    yield srv
    srv.close()


def test_notify_sends_urgency_escaped_body_and_replaces_the_same_summary(desktop, server):
    notifier = make_notifier(NotifyConfig(desktop=True, sounds=False), desktop.env)
    assert isinstance(notifier, DesktopNotifier) and notifier.backend == "dbus"
    notifier.notify("Rewrite done", "fix: <teh> & more -> the", urgency="normal")
    notifier.notify("Nothing heard", urgency="low")
    notifier.notify("Rewrite done", "second", urgency="critical")
    calls = server.wait_calls(3)
    first, quiet, second = calls
    assert first["app"] == "sayso" and first["summary"] == "Rewrite done" and first["replaces"] == 0
    assert first["body"] == "fix: &lt;teh&gt; &amp; more -&gt; the"
    assert first["hints"]["urgency"] == 1 and quiet["hints"]["urgency"] == 0 and second["hints"]["urgency"] == 2
    assert quiet["replaces"] == 0
    assert second["replaces"] == first["id"]  # the same notice updated, not stacked
    assert notifier.sent[-1] == ("Rewrite done", "critical")
    notifier.close()


def test_long_bodies_are_cut(desktop, server):
    notifier = make_notifier(NotifyConfig(desktop=True, sounds=False), desktop.env)
    notifier.notify("Rewrite done", "x" * 5000)
    body = server.wait_calls(1)[0]["body"]
    assert len(body) == 400 and body.endswith("…")
    notifier.close()


def test_notify_returns_before_the_server_answers(desktop, server):
    notifier = make_notifier(NotifyConfig(desktop=True, sounds=False), desktop.env)
    server.hold.clear()  # the server sits on the call until notify() has returned
    notifier.notify("Dictation could not be typed", "kept in history", urgency="critical")
    server.hold.set()
    assert server.wait_calls(1)[0]["released"] is True  # a blocking notify() would have deadlocked it
    notifier.close()


class PrivateBus:
    """A session bus of its own: no notification service, or one whose
    activation never answers (*hanging*: a desktop's notification service
    installed on a session where it cannot start, as plasma-workspace's
    ``plasma_waitforname`` outside Plasma)."""

    def __init__(self, root: Path, hanging: bool = False) -> None:
        services = root / "services"
        services.mkdir(parents=True)
        if hanging:
            (services / f"{BUS_NAME}.service").write_text(f"[D-BUS Service]\nName={BUS_NAME}\nExec=/bin/sleep 60\n")
        config = root / "session.conf"
        config.write_text(
            '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" '
            '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
            f"<busconfig><type>session</type><listen>unix:tmpdir={root}</listen>"
            f"<servicedir>{services}</servicedir>"
            '<policy context="default"><allow send_destination="*" eavesdrop="true"/>'
            '<allow eavesdrop="true"/><allow own="*"/></policy></busconfig>\n'
        )
        out = subprocess.run(
            ["dbus-daemon", f"--config-file={config}", "--fork", "--print-address=1", "--print-pid=1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        self.address, self.pid = out[0], int(out[1])

    def close(self) -> None:
        subprocess.run(["kill", str(self.pid)], check=False)


@pytest.mark.parametrize("hanging", [False, True], ids=["no-server", "server-never-answers"])
def test_no_notification_server_never_raises_nor_keeps_waiting(desktop, tmp_path, hanging):
    """Nobody owns the name, or its activation never answers: notices go on
    being accepted, and after the first failure they are not waited for."""
    bus = PrivateBus(tmp_path, hanging)
    try:
        notifier = make_notifier(NotifyConfig(desktop=True, sounds=False), {"DBUS_SESSION_BUS_ADDRESS": bus.address})
        for i in range(50):  # more than the queue holds: extra notices are dropped, not waited for
            notifier.notify(f"notice {i}", "body", urgency="critical")
        assert notifier.flush(30)  # one 3 s timeout at most: not 3 s per queued notice
        assert len(notifier.sent) == 20
        notifier.close()
    finally:
        bus.close()


def test_without_a_session_bus_notices_only_go_to_the_log(desktop):
    env = {k: v for k, v in desktop.env.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    notifier = make_notifier(NotifyConfig(desktop=True, sounds=False), env)
    assert notifier.backend == "log" and not notifier.enabled
    notifier.notify("Dictation failed", "no microphone", urgency="critical")
    assert notifier.sent == [("Dictation failed", "critical")]
    off = make_notifier(NotifyConfig(desktop=False, sounds=False), desktop.env)
    assert off.backend == "log"


def test_escape_markup():
    assert escape_markup("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_daemon_notifies_nothing_heard_and_a_bad_reload(desktop, server):
    daemon = CtlDaemon(desktop, BASE_CONFIG.replace("sounds = false", "sounds = false\ndesktop = true"))
    try:
        assert daemon.json("status")["backends"]["notifications"] == "dbus"
        assert daemon.ctl("dictate", "start").returncode == 0
        time.sleep(1.5)
        reply = daemon.json("--wait", "dictate", "stop")
        assert reply["result"]["status"] == "empty"
        nothing = server.wait_calls(1)[0]
        assert nothing["summary"] == "Nothing heard" and nothing["hints"]["urgency"] == 0
        daemon.config.write_text(BASE_CONFIG + '\n[output]\nmethod = "teleport"\n')
        assert daemon.ctl("reload").returncode == 3
        bad = server.wait_calls(2)[1]
        assert bad["summary"] == "sayso: config not reloaded" and bad["hints"]["urgency"] == 2
        assert "output.method" in bad["body"] and "teleport" in bad["body"]
    finally:
        daemon.stop()


# --------------------------------------------------------------------------
# Sound cues
# --------------------------------------------------------------------------


def test_tones_are_short_faded_and_scaled():
    for name, steps in CUES.items():
        samples = tone(name, 0.3)
        assert len(samples) == sum(int(CUE_RATE * s) for _, s in steps)
        assert 0.28 <= np.max(np.abs(samples)) <= 0.3 + 1e-6
        assert abs(samples[0]) < 1e-3 and abs(samples[-1]) < 0.02  # fades: no clicks
        assert len(samples) / CUE_RATE < 0.35
    assert np.max(np.abs(tone("start", 0.0))) == 0.0
    with pytest.raises(ValueError):
        tone("fanfare", 0.3)


def _record_cue(desktop, tmp_path: Path, cue: str, volume: float, sounds: bool = True) -> np.ndarray:
    """Play *cue* through a notifier in a child process (with the desktop's sound server)
    while recording the null sink's monitor; returns the recording."""
    out = tmp_path / f"{cue}.wav"
    rec = subprocess.Popen(
        [
            "parecord",
            "--device=sayso_test.monitor",
            "--rate=16000",
            "--channels=1",
            "--format=s16le",
            "--file-format=wav",
            str(out),
        ],
        env=desktop.env,
    )
    try:
        time.sleep(0.5)
        code = (
            f"from sayso.core.config import NotifyConfig; from sayso.desktop.feedback import make_notifier\n"
            f"n = make_notifier(NotifyConfig(desktop=False, sounds={sounds}, volume={volume}), {{}})\n"
            f"n.cue({cue!r})\n"
            f"assert n.sounds is None or n.sounds.wait(10)\n"
            f"print(n.sounds.played if n.sounds else 0)\n"
        )
        played = subprocess.run(
            [sys.executable, "-c", code], env=desktop.env, capture_output=True, text=True, timeout=60
        )
        assert played.returncode == 0, played.stderr
        time.sleep(0.5)
    finally:
        rec.terminate()
        rec.wait(10)
    with wave.open(str(out)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768, played.stdout.strip()


def _band_energy(audio: np.ndarray, freq: float, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(audio))
    freqs = np.fft.rfftfreq(len(audio), 1 / rate)
    return float(spectrum[(freqs > freq - 15) & (freqs < freq + 15)].sum() / spectrum.sum())


def test_start_cue_is_heard_at_the_configured_volume(desktop, tmp_path):
    audio, played = _record_cue(desktop, tmp_path, "start", 0.3)
    assert played == "1"
    assert 0.2 <= np.max(np.abs(audio)) <= 0.4
    assert _band_energy(audio, 660) > 0.15 and _band_energy(audio, 880) > 0.15
    assert _band_energy(audio, 330) < 0.02
    error, _ = _record_cue(desktop, tmp_path, "error", 0.3)
    assert _band_energy(error, 330) > 0.3
    assert _band_energy(error, 330) > 10 * max(_band_energy(error, 660), _band_energy(error, 880))


def test_sounds_off_plays_nothing(desktop, tmp_path):
    audio, played = _record_cue(desktop, tmp_path, "start", 0.3, sounds=False)
    assert played == "0"
    assert np.max(np.abs(audio), initial=0.0) < 0.01
