"""The tray icon (StatusNotifierItem + dbusmenu) on a private session bus.

Real: ``dbus-daemon`` and the tray's D-Bus objects.  Stand-in: the
watcher and the host reading the item (tests/sni_standin.py), in place of
a desktop's tray; test_tray_waybar_e2e.py shows it in waybar's real tray.
"""

import threading
import time

import pytest

from sayso.desktop.portal.state import State, StatePublisher
from sayso.desktop.portal.tray import ICONS, Tray

from portal_standin import bus  # noqa: F401  (a fixture)
from sni_standin import Host, StandinWatcher


class Actions:
    def __init__(self):
        self.names, self.cond = [], threading.Condition()

    def __call__(self, name):
        with self.cond:
            self.names.append(name)
            self.cond.notify_all()

    def wait(self, count, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.names) >= count, timeout), self.names
            return list(self.names)


@pytest.fixture
def watcher(bus):
    w = StandinWatcher(bus.address)
    yield w
    w.close()


@pytest.fixture
def tray(bus, watcher):
    actions = Actions()
    t = Tray(actions, ["fix", ("Make it formal", "formal")], env=bus.env())
    t.start()
    t.actions = actions
    yield t
    t.stop()


@pytest.fixture
def host(bus, watcher, tray):
    h = Host(bus.address, watcher.wait_item())
    yield h
    h.close()


def test_is_available(bus):
    assert "no tray" in Tray.is_available(bus.env())
    w = StandinWatcher(bus.address)
    try:
        assert Tray.is_available(bus.env()) is None
    finally:
        w.close()


def test_registers_and_shows_the_idle_icon(tray, watcher, host):
    assert tray.registered
    assert watcher.items == [f"{tray.name}/StatusNotifierItem"]
    assert host.prop("IconName") == "audio-input-microphone"
    assert host.prop("Status") == "Active"
    assert host.prop("Id") == "sayso"
    icon, pixmaps, title, text = host.prop("ToolTip")
    assert (icon, title, text) == ("audio-input-microphone", "sayso", "ready")
    assert [(w, h) for w, h, _data in host.prop("IconPixmap")] == [(16, 16), (22, 22), (32, 32), (48, 48)]
    assert all(len(data) == w * h * 4 for w, h, data in host.prop("IconPixmap"))  # ARGB32


def test_menu_items_run_the_actions_by_name(tray, host):
    labels = host.menu_labels()
    assert list(labels) == [
        "Dictate (start/stop)",
        "Read selection aloud",
        "Stop",
        "Rewrite: fix",
        "Make it formal",
        "Undo rewrite",
        "Pause hotkeys",
        "Settings…",
        "Quit sayso",
    ]
    for label in labels:
        host.click(labels[label])
    # each action runs on its own thread, so they may finish in any order
    assert sorted(tray.actions.wait(8)) == sorted(
        [
            "dictate.toggle",
            "speak.selection",
            "stop",
            "rewrite.fix",
            "rewrite.formal",
            "undo",
            "pause",
            "settings",
            "quit",
        ]
    )


def test_separators_and_unknown_items_do_nothing(tray, host):
    _rev, (_root, _props, children) = host.layout()
    separators = [item_id for _sig, (item_id, props, _k) in children if props.get("type") == ("s", "separator")]
    assert len(separators) == 3
    for item_id in separators + [999]:
        host.click(item_id)
    time.sleep(0.3)
    assert tray.actions.names == []


def test_icon_follows_the_state(tray, host):
    publisher = StatePublisher()
    publisher.subscribe(tray.set_status)
    try:
        for state in (State.RECORDING, State.TRANSCRIBING, State.READING, State.REWRITING, State.IDLE):
            host.signals.clear()
            publisher.set(state)
            host.wait_signal("NewIcon")
            host.wait_signal("NewStatus")
            assert host.prop("IconName") == ICONS[state]
            assert host.prop("Status") == ("NeedsAttention" if state == State.RECORDING else "Active")
        host.signals.clear()
        publisher.error("no microphone")
        host.wait_signal("NewToolTip")
        assert host.prop("IconName") == "dialog-error"
        assert "no microphone" in host.prop("ToolTip")[3]
    finally:
        publisher.close()


def test_pause_is_a_checkmark_that_follows_the_paused_state(tray, host):
    labels = host.menu_labels()
    pause = labels["Pause hotkeys"]
    _rev, (_r, _p, children) = host.layout()
    props = dict(next(p for _s, (i, p, _k) in children if i == pause))
    assert props["toggle-type"] == ("s", "checkmark") and props["toggle-state"] == ("i", 0)
    from sayso.desktop.portal.state import Status

    tray.set_status(Status(State.PAUSED))
    (value,) = host.bus.call(
        host.service, host.menu_path(), "com.canonical.dbusmenu", "GetProperty", "is", (pause, "toggle-state")
    )
    assert value == ("i", 1)


def test_registers_again_when_the_watcher_comes_later(bus):
    actions = Actions()
    tray = Tray(actions, [], env=bus.env())
    tray.start()
    try:
        assert not tray.registered  # no tray host yet: not an error
        watcher = StandinWatcher(bus.address)
        try:
            assert watcher.wait_item() == f"{tray.name}/StatusNotifierItem"
        finally:
            watcher.close()
    finally:
        tray.stop()


def test_an_action_that_raises_keeps_the_menu_working(bus, watcher):
    calls = Actions()

    def run(name):
        calls(name)
        raise RuntimeError("bug")

    tray = Tray(run, [], env=bus.env())
    tray.start()
    host = Host(bus.address, watcher.wait_item())
    try:
        labels = host.menu_labels()
        host.click(labels["Stop"])
        host.click(labels["Quit sayso"])
        assert calls.wait(2) and sorted(calls.names) == ["quit", "stop"]
    finally:
        host.close()
        tray.stop()
