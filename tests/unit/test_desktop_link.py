"""The wiring of issue 13, in process: the state tracker, ``status watch`` over
the real control server, the portal choices of the listener and the output,
the config keys."""

import json
import os
import socket
import threading
import time
from types import SimpleNamespace

import pytest

from sayso.app.desktop_link import DesktopLink, StateTracker, _tidy
from sayso.control.commands import Commands
from sayso.control.server import MAX_WATCHERS, ControlServer
from sayso.core.config import parse_config_text
from sayso.core.config_types import OutputConfig
from sayso.core.errors import ConfigError, OutputError
from sayso.desktop.keys.listener import ExternalListener, HotkeyError, choose_listener, start_listener
from sayso.desktop.output import Output
from sayso.desktop.portal.listener import PortalListener
from sayso.desktop.portal.state import State, StatePublisher
from sayso.desktop.portal.tray import MenuItem
from sayso.dictate.postprocess import Edit


class FakeDictation:
    def __init__(self):
        self.recording = False
        self.busy = False
        self.on_change = None


class FakeSpeak:
    speaking = False
    on_change = None


def fake_daemon(actions=None):
    d = SimpleNamespace(
        dictation=FakeDictation(),
        speak=FakeSpeak(),
        actions=dict(actions or {}),
        env={},
        stopped=threading.Event(),
        ran=[],
    )
    d.request_stop = d.stopped.set
    d.run_action = lambda name: (d.ran.append(name), d.actions[name]())[1]
    return d


def seen(publisher):
    got = []
    publisher.subscribe(lambda s: got.append((s.state, s.message)), replay=False)
    return got


def settle(got, n, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        time.sleep(0.005)
    return got


def test_tracker_follows_the_pipelines_through_their_hooks():
    d = fake_daemon({"rewrite.fix": lambda: SimpleNamespace(ok=True), "rewrite.undo": lambda: None})
    publisher = StatePublisher()
    got = seen(publisher)
    tracker = StateTracker(d, publisher)
    tracker.attach()
    assert d.dictation.on_change == tracker.changed and d.speak.on_change == tracker.changed
    d.dictation.recording = True
    d.dictation.on_change("")
    d.dictation.recording, d.dictation.busy = False, True
    d.dictation.on_change("")
    d.dictation.busy = False
    d.dictation.on_change("")
    d.speak.speaking = True
    d.speak.on_change("")
    d.speak.speaking = False
    d.speak.on_change("")
    d.actions["rewrite.fix"]()  # wrapped: rewriting while it runs
    d.actions["rewrite.undo"]()  # not a rewrite: no state
    states = [s for s, _m in settle(got, 8)]
    assert states == [
        State.RECORDING,
        State.TRANSCRIBING,
        State.IDLE,
        State.READING,
        State.IDLE,
        State.REWRITING,
        State.IDLE,
    ], states
    publisher.close()


def test_a_failure_shows_as_error_then_falls_back_to_idle():
    d = fake_daemon({"rewrite.fix": lambda: SimpleNamespace(ok=False, message="the model is missing\nmore")})
    publisher = StatePublisher()
    got = seen(publisher)
    tracker = StateTracker(d, publisher, error_hold_s=0.3)
    tracker.attach()
    d.actions["rewrite.fix"]()
    settle(got, 3, 3.0)
    assert got[:3] == [(State.REWRITING, ""), (State.ERROR, "the model is missing"), (State.IDLE, "")], got
    d.dictation.on_change("no microphone")
    d.dictation.recording = True
    d.dictation.on_change("")  # a new activity replaces the failure at once
    settle(got, 5)
    assert got[3:5] == [(State.ERROR, "no microphone"), (State.RECORDING, "")], got
    tracker.close()
    publisher.close()


def test_link_registers_stop_pause_quit_and_pause_shows():
    stopped = []
    d = fake_daemon(
        {
            "speak.stop": lambda: stopped.append("speak"),
            "rewrite.cancel": lambda: stopped.append("rw"),
            "dictate.stop": lambda: stopped.append("dictation"),
        }
    )
    link = DesktopLink(d)
    got = seen(link.publisher)
    link.attach()
    assert {"stop", "pause", "quit"} <= set(d.actions)
    d.dictation.recording = True
    d.actions["stop"]()
    assert stopped == ["dictation", "speak", "rw"]
    d.dictation.recording = False
    assert d.actions["pause"]() is True and link.paused
    settle(got, 2)
    assert got[-1] == (State.PAUSED, ""), got
    assert d.actions["pause"]() is False and not link.paused
    d.actions["quit"]()
    assert d.stopped.is_set()
    link.close()


def test_menu_is_tidied_after_missing_actions_are_left_out():
    items = [MenuItem(), MenuItem("a", "a"), MenuItem(), MenuItem(), MenuItem("b", "b"), MenuItem()]
    assert [i.action for i in _tidy(items)] == ["a", "", "b"]


def test_tray_and_indicator_failures_are_one_line_and_the_link_goes_on(caplog):
    d = fake_daemon()
    link = DesktopLink(d)
    link.attach()
    config = SimpleNamespace(notify=SimpleNamespace(tray=True, indicator=True))
    with caplog.at_level("WARNING", logger="sayso.app.desktop_link"):
        link.start(config)  # env {}: no session bus, no display
    assert link.tray is None and link.indicator is None
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("No tray icon: no session bus") for m in messages), messages
    assert any(m.startswith("No recording indicator: no X display") for m in messages), messages
    link.close()


# --- status watch over the real control server --------------------------------------


class WatchDaemon:
    def __init__(self):
        self.desktop = SimpleNamespace(publisher=StatePublisher())
        self.env = {}

    def request_stop(self):
        pass


def connect(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(5)
    sock.connect(str(path))
    return sock


def read_line(sock, buf):
    while b"\n" not in buf[0]:
        chunk = sock.recv(4096)
        if not chunk:
            return None
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\n", 1)
    return json.loads(line)


@pytest.fixture
def server(tmp_path):
    daemon = WatchDaemon()
    srv = ControlServer(daemon, tmp_path / "sayso" / "control.sock", Commands)
    srv.start()
    yield daemon, srv
    srv.close()
    daemon.desktop.publisher.close()


def test_status_watch_streams_each_change_over_the_socket(server):
    daemon, srv = server
    assert oct(os.stat(srv.path).st_mode & 0o777) == "0o600"
    sock, buf = connect(srv.path), [b""]
    sock.sendall(b'{"cmd": "status", "args": ["watch"]}\n')
    assert read_line(sock, buf)["state"] == "idle"
    delays = []
    for state in ("recording", "transcribing", "idle", "reading", "rewriting", "idle"):
        t0 = time.monotonic()
        daemon.desktop.publisher.set(State(state))
        line = read_line(sock, buf)
        delays.append(time.monotonic() - t0)
        assert line["ok"] and line["state"] == state, line
    print(f"\nstatus watch over the control socket: change -> line in {max(delays) * 1000:.1f} ms at most")
    assert max(delays) < 1.0
    sock.close()


def test_watchers_do_not_use_up_the_control_slots_and_leave_cleanly(server):
    daemon, srv = server
    watchers = []
    for _ in range(MAX_WATCHERS):
        sock, buf = connect(srv.path), [b""]
        sock.sendall(b'{"cmd": "status", "args": ["watch"]}\n')
        assert read_line(sock, buf)["state"] == "idle"
        watchers.append(sock)
    extra, buf = connect(srv.path), [b""]
    extra.sendall(b'{"cmd": "status", "args": ["watch"]}\n')
    refused = read_line(extra, buf)
    assert refused["ok"] is False and "too many status watchers" in refused["error"]
    extra.close()
    ctl, buf = connect(srv.path), [b""]  # 'sayso ctl' still gets in
    ctl.sendall(b'{"cmd": "nope"}\n')
    assert "unknown command" in read_line(ctl, buf)["error"]
    ctl.close()
    for sock in watchers:
        sock.close()  # the bar quit: its slot comes back without any state change
    time.sleep(1.2)
    again, buf = connect(srv.path), [b""]
    again.sendall(b'{"cmd": "status", "args": ["watch"]}\n')
    assert read_line(again, buf)["state"] == "idle"
    again.close()


def test_status_with_other_arguments_is_a_usage_error(server):
    _daemon, srv = server
    sock, buf = connect(srv.path), [b""]
    sock.sendall(b'{"cmd": "status", "args": ["nope"]}\n')
    reply = read_line(sock, buf)
    assert reply["ok"] is False and reply["error"] == "usage: status [watch]" and reply["code"] == 2
    sock.close()


# --- listener and output choices ------------------------------------------------


def test_auto_on_wayland_picks_the_portal_first(monkeypatch):
    monkeypatch.setattr(PortalListener, "is_available", staticmethod(lambda env=None: None))
    assert choose_listener("auto", "wayland", {}) is PortalListener
    assert choose_listener("auto", "x11", {}) is not PortalListener  # X11: pynput first, never the portal
    assert choose_listener("portal", "x11", {}) is PortalListener  # asked for by name: anywhere


def test_portal_backend_asked_for_but_missing_is_one_line():
    with pytest.raises(HotkeyError, match="^hotkey backend portal: no session bus"):
        choose_listener("portal", "wayland", {})


class Matcher:
    bindings: dict = {}
    loose: set = set()

    def emit(self, name, event):
        pass


def test_a_portal_that_refuses_gives_way_under_auto(monkeypatch, caplog):
    monkeypatch.setattr(PortalListener, "is_available", staticmethod(lambda env=None: None))

    def refuse(self):
        raise HotkeyError("the GlobalShortcuts portal: the user said no")

    monkeypatch.setattr(PortalListener, "start", refuse)
    with caplog.at_level("WARNING", logger="sayso.desktop.keys.listener"):
        listener = start_listener("auto", "wayland", Matcher(), env={})
    assert isinstance(listener, ExternalListener)
    assert "Hotkey backend portal did not start: the GlobalShortcuts portal: the user said no" in caplog.text
    with pytest.raises(HotkeyError, match="the user said no"):
        start_listener("portal", "wayland", Matcher(), env={})


def test_a_portal_that_binds_no_keys_gives_way_under_auto_only(monkeypatch, caplog):
    monkeypatch.setattr(PortalListener, "is_available", staticmethod(lambda env=None: None))
    monkeypatch.setattr(PortalListener, "start", lambda self: None)
    monkeypatch.setattr(PortalListener, "stop", lambda self: None)
    monkeypatch.setattr(PortalListener, "bound", lambda self: {"dictate": "unset"})  # e.g. Hyprland without binds
    with caplog.at_level("WARNING", logger="sayso.desktop.keys.listener"):
        assert isinstance(start_listener("auto", "wayland", Matcher(), env={}), ExternalListener)
    assert "bound sayso's shortcuts to no keys" in caplog.text
    assert isinstance(start_listener("portal", "wayland", Matcher(), env={}), PortalListener)  # asked for: kept
    monkeypatch.setattr(PortalListener, "bound", lambda self: {"dictate": "Ctrl+Alt+Space"})
    assert isinstance(start_listener("auto", "wayland", Matcher(), env={}), PortalListener)


def test_output_methods_put_the_portal_after_wtype_on_wayland():
    assert Output(OutputConfig(), "wayland").methods() == ["wtype", "portal", "ydotool", "paste"]
    assert Output(OutputConfig(method="type"), "wayland").methods() == ["wtype", "portal", "ydotool"]
    assert Output(OutputConfig(method="portal"), "wayland").methods() == ["portal"]
    assert Output(OutputConfig(method="portal"), "x11").methods() == ["portal"]
    assert Output(OutputConfig(), "x11").methods() == ["type", "paste"]  # X11 unchanged


def test_output_portal_missing_is_an_output_error_asked_once(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    out = Output(OutputConfig(method="portal"), "wayland")
    for _ in range(2):
        with pytest.raises(OutputError, match="portal: no session bus"):
            out.insert(Edit(0, "hi"))
    assert "portal" in out._unusable
    with pytest.raises(OutputError, match="no session bus"):
        out.press_keys("<ctrl>+v")
    out.close()


def test_config_keys_and_their_errors():
    cfg = parse_config_text(
        '[hotkeys]\nbackend = "portal"\n[output]\nmethod = "portal"\n[notify]\ntray = true\nindicator = true\n'
    )
    assert (cfg.hotkeys.backend, cfg.output.method, cfg.notify.tray, cfg.notify.indicator) == (
        "portal",
        "portal",
        True,
        True,
    )
    defaults = parse_config_text("")
    assert (defaults.notify.tray, defaults.notify.indicator) == (False, False)
    with pytest.raises(ConfigError, match=r"^my\.toml:3: notify\.tray: expected true or false, got a string$"):
        parse_config_text('[output]\n[notify]\ntray = "yes"\n', "my.toml")
    with pytest.raises(ConfigError, match=r"^my\.toml:2: hotkeys\.backend: must be one of .*'portal'"):
        parse_config_text('[hotkeys]\nbackend = "portals"\n', "my.toml")


def test_status_and_doctor_say_what_the_portal_bound(monkeypatch):
    from sayso.control.commands import _backends
    from sayso.doctor.checks import check_hotkeys
    from sayso.doctor.main import FAIL, OK, Context

    listener = SimpleNamespace(name="portal", bound=lambda: {"dictate": "Ctrl+Alt+Space"})
    daemon = SimpleNamespace(listener=listener, output=None, notifier=None, clipboard=None, control=None)
    backends = _backends(daemon)
    assert backends["hotkeys"] == "portal" and backends["portal_shortcuts"] == {"dictate": "Ctrl+Alt+Space"}
    assert "portal_shortcuts" not in _backends(SimpleNamespace(**dict(vars(daemon), listener=ExternalListener(None))))

    cfg = parse_config_text('[hotkeys]\nbackend = "portal"\n')
    check = check_hotkeys(Context(cfg, {}, "wayland", False))
    assert check.status == FAIL and check.detail.startswith("portal: no session bus"), check
    monkeypatch.setattr(PortalListener, "is_available", staticmethod(lambda env=None: None))
    check = check_hotkeys(Context(parse_config_text(""), {}, "wayland", False))
    assert check.status == OK and check.detail.startswith("portal (GlobalShortcuts)"), check
