"""The GlobalShortcuts and RemoteDesktop clients against the stand-in portal.

Real: a private ``dbus-daemon`` and a D-Bus service on it.  Stand-in: the
portal itself (tests/portal_standin.py), since no portal with a dialog and
a keyboard runs in every test environment; the real KDE portal is
test_portal_kde_e2e.py.  One check calls the stand-in with ``gdbus`` (an
independent D-Bus implementation) so the stand-in is not only judged by
the library it tests.
"""

import os
import shutil
import stat
import subprocess
import threading
import time

import pytest

from sayso.desktop.portal.remote import PortalKeyboard, TokenStore
from sayso.desktop.portal.shortcuts import PortalShortcuts
from sayso.desktop.portal.xdp import PortalCancelled, PortalError
from sayso.dictate.postprocess import Edit

from portal_standin import StandinPortal, bus, keysyms_to_text  # noqa: F401  (bus: a fixture)

UNICODE = "Ünïcödé Straße — naïve café ✓ 日本語"


@pytest.fixture
def portal(bus):
    standin = StandinPortal(bus.address)
    yield standin
    standin.close()


class Events:
    def __init__(self):
        self.items, self.cond = [], threading.Condition()

    def __call__(self, name, pressed):
        with self.cond:
            self.items.append((name, pressed, threading.current_thread().name))
            self.cond.notify_all()

    def wait(self, count, timeout=5.0):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.items) >= count, timeout), self.items
            return [(n, p) for n, p, _t in self.items]


BINDINGS = {
    "dictate": ("Hold to dictate", "CTRL+ALT+space"),
    "speak.toggle": ("Read aloud", "CTRL+ALT+s"),
    "rewrite.fix": ("Fix the clipboard", None),
}


# --------------------------------------------------------------------------
# availability
# --------------------------------------------------------------------------


def test_is_available_says_why_not(bus, tmp_path):
    assert PortalShortcuts.is_available({}) == "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
    assert "no session bus" in PortalShortcuts.is_available({"DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp_path}/none"})
    assert PortalShortcuts.is_available(bus.env()) == "no xdg-desktop-portal on the session bus"
    assert PortalKeyboard.is_available(bus.env()) == "no xdg-desktop-portal on the session bus"


def test_is_available_without_the_interface(bus):
    standin = StandinPortal(bus.address, with_shortcuts=False, device_types=2)
    try:
        assert PortalShortcuts.is_available(bus.env()) == (
            "the desktop portal has no GlobalShortcuts interface (its backend for this desktop lacks it)"
        )
        assert PortalKeyboard.is_available(bus.env()) == "the RemoteDesktop portal offers no keyboard on this desktop"
    finally:
        standin.close()


def test_is_available_when_there(portal, bus):
    assert PortalShortcuts.is_available(bus.env()) is None
    assert PortalKeyboard.is_available(bus.env()) is None


def test_standin_answers_gdbus(portal, bus):
    assert shutil.which("gdbus"), "gdbus (libglib2.0-bin) is missing: run scripts/setup.sh test"
    run = lambda *a: subprocess.run(  # noqa: E731  (the gdbus call, read at each use below)
        [
            "gdbus",
            "call",
            "--session",
            "-d",
            "org.freedesktop.portal.Desktop",
            "-o",
            "/org/freedesktop/portal/desktop",
            "-m",
            *a,
        ],
        env=bus.env(),
        capture_output=True,
        text=True,
        timeout=10,
    )
    out = run("org.freedesktop.DBus.Properties.Get", "org.freedesktop.portal.GlobalShortcuts", "version")
    assert out.stdout.strip() == "(<uint32 1>,)", out.stderr
    out = run("org.freedesktop.portal.GlobalShortcuts.CreateSession", "{'handle_token': <'abc'>}")
    assert out.stdout.strip().startswith("(objectpath '/org/freedesktop/portal/desktop/request/"), out.stderr
    assert out.stdout.strip().endswith("/abc',)")


# --------------------------------------------------------------------------
# GlobalShortcuts
# --------------------------------------------------------------------------


def test_bind_then_hold_to_talk_press_and_release(portal, bus):
    events = Events()
    shortcuts = PortalShortcuts(BINDINGS, events, env=bus.env(), timeout=10)
    shortcuts.start()
    try:
        assert portal.calls == ["shortcuts.CreateSession", "BindShortcuts"]
        assert shortcuts.session.endswith("/sayso")
        assert shortcuts.bound() == {
            "dictate": {"description": "Hold to dictate", "trigger_description": "CTRL+ALT+space"},
            "speak.toggle": {"description": "Read aloud", "trigger_description": "CTRL+ALT+s"},
            "rewrite.fix": {"description": "Fix the clipboard", "trigger_description": "unset"},
        }
        portal.activate("dictate", True)
        portal.activate("dictate", True)  # key repeat: one press only
        portal.activate("dictate", False)
        portal.activate("dictate", False)  # a stray release: dropped
        portal.activate("speak.toggle", True)
        portal.activate("unknown", True)  # not ours: ignored
        portal.activate("speak.toggle", False)
        assert events.wait(4) == [
            ("dictate", True),
            ("dictate", False),
            ("speak.toggle", True),
            ("speak.toggle", False),
        ]
        time.sleep(0.2)
        assert len(events.items) == 4
        assert shortcuts.list_shortcuts() == shortcuts.bound()
    finally:
        shortcuts.stop()
    assert not portal.sessions  # the session was closed


def test_signals_of_another_session_are_ignored(portal, bus):
    events = Events()
    one = PortalShortcuts(BINDINGS, events, env=bus.env(), timeout=10)
    two = PortalShortcuts(BINDINGS, Events(), env=bus.env(), timeout=10)
    one.start()
    two.start()
    try:
        other = portal.sessions[two.session]
        portal.activate("dictate", True, session=other)
        portal.activate("dictate", False, session=other)
        portal.activate("speak.toggle", True, session=portal.sessions[one.session])
        assert events.wait(1) == [("speak.toggle", True)]
        time.sleep(0.2)
        assert len(events.items) == 1
    finally:
        one.stop()
        two.stop()


def test_user_changes_keys_in_the_desktop(portal, bus):
    portal.trigger_override = {"dictate": "LOGO+d"}  # picked in the dialog
    shortcuts = PortalShortcuts(BINDINGS, Events(), env=bus.env(), timeout=10)
    shortcuts.start()
    try:
        assert shortcuts.bound()["dictate"]["trigger_description"] == "LOGO+d"
        portal.change_shortcut("dictate", "F8")
        deadline = time.monotonic() + 5
        while shortcuts.bound()["dictate"]["trigger_description"] != "F8" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert shortcuts.bound()["dictate"]["trigger_description"] == "F8"
    finally:
        shortcuts.stop()


def test_user_refuses_the_dialog(portal, bus):
    portal.bind_answer = 1
    shortcuts = PortalShortcuts(BINDINGS, Events(), env=bus.env(), timeout=10)
    with pytest.raises(PortalCancelled):
        shortcuts.start()
    assert shortcuts.session is None


def test_stop_releases_a_held_shortcut(portal, bus):
    events = Events()
    shortcuts = PortalShortcuts(BINDINGS, events, env=bus.env(), timeout=10)
    shortcuts.start()
    portal.activate("dictate", True)
    events.wait(1)
    shortcuts.stop()  # a recording must not go on with nobody to release it
    assert events.wait(2) == [("dictate", True), ("dictate", False)]


def test_a_handler_that_raises_does_not_stop_the_shortcuts(portal, bus):
    seen = Events()

    def handler(name, pressed):
        seen(name, pressed)
        raise RuntimeError("bug")

    shortcuts = PortalShortcuts(BINDINGS, handler, env=bus.env(), timeout=10)
    shortcuts.start()
    try:
        portal.activate("dictate", True)
        portal.activate("dictate", False)
        assert seen.wait(2) == [("dictate", True), ("dictate", False)]
    finally:
        shortcuts.stop()


# --------------------------------------------------------------------------
# RemoteDesktop keyboard
# --------------------------------------------------------------------------


def test_typing_unicode_byte_exact_with_backspaces(portal, bus, tmp_path):
    keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
    try:
        keyboard.insert(Edit(0, "abc\n"))
        keyboard.insert(Edit(2, UNICODE + "\ttab"))
    finally:
        keyboard.stop()
    events = portal.keysyms
    assert keysyms_to_text(events) == "ab" + UNICODE + "\ttab"
    # every key pressed then released, in order
    assert [s for _k, s in events] == [1, 0] * (len(events) // 2)
    assert events[:2] == [(0x61, 1), (0x61, 0)]
    assert (0xFF08, 1) in events
    assert (0x010065E5, 1) in events  # 日 as a Unicode keysym
    assert (0xDC, 1) in events  # Ü as its Latin-1 keysym
    assert portal.calls == ["remote.CreateSession", "SelectDevices", "Start"]


def test_paste_chord_through_the_same_session(portal, bus, tmp_path):
    keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
    try:
        keyboard.press_keys("<ctrl>+v")
        keyboard.press_keys("<shift>+<insert>")
    finally:
        keyboard.stop()
    assert portal.keysyms == [
        (0xFFE3, 1),
        (0x76, 1),
        (0x76, 0),
        (0xFFE3, 0),
        (0xFFE1, 1),
        (0xFF63, 1),
        (0xFF63, 0),
        (0xFFE1, 0),
    ]
    assert portal.calls.count("Start") == 1


def test_consent_asked_once_thanks_to_the_restore_token(portal, bus, tmp_path):
    store = TokenStore(tmp_path / "state" / "sayso" / "remote-desktop.token")
    for run in range(3):  # three daemon starts
        keyboard = PortalKeyboard(env=bus.env(), tokens=store, timeout=10)
        keyboard.insert(Edit(0, f"run{run}"))
        keyboard.stop()
    assert portal.consents == 1
    assert keysyms_to_text(portal.keysyms) == "run0run1run2"
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.path.parent).st_mode) == 0o700
    assert store.load() in portal.valid_tokens  # the newest, still unused token


def test_token_file_lives_under_xdg_state_home(portal, bus, tmp_path):
    env = bus.env({"XDG_STATE_HOME": str(tmp_path / "st"), "HOME": str(tmp_path)})
    keyboard = PortalKeyboard(env=env, timeout=10)
    keyboard.insert(Edit(0, "x"))
    keyboard.stop()
    assert (tmp_path / "st" / "sayso" / "remote-desktop.token").read_text() in portal.valid_tokens


def test_a_stale_token_asks_again(portal, bus, tmp_path):
    store = TokenStore(tmp_path / "token")
    store.save("revoked-by-the-user")
    keyboard = PortalKeyboard(env=bus.env(), tokens=store, timeout=10)
    keyboard.insert(Edit(0, "x"))
    keyboard.stop()
    assert portal.consents == 1
    assert store.load() != "revoked-by-the-user"


def test_version_1_portal_gets_no_persist_options(bus, tmp_path):
    standin = StandinPortal(bus.address, remote_version=1)
    try:
        keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
        keyboard.insert(Edit(0, "x"))
        keyboard.stop()
        keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
        keyboard.insert(Edit(0, "y"))
        keyboard.stop()
        assert standin.consents == 2  # no tokens before version 2
        assert not (tmp_path / "token").exists()
    finally:
        standin.close()


def test_refused_consent_is_an_error_and_nothing_is_typed(portal, bus, tmp_path):
    portal.consent_answer = 1
    keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
    with pytest.raises(PortalCancelled):
        keyboard.insert(Edit(0, "secret"))
    assert portal.keysyms == []


def test_session_closed_by_the_desktop_is_restarted(portal, bus, tmp_path):
    keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
    try:
        keyboard.insert(Edit(0, "one"))
        portal.close_session(keyboard.session)
        deadline = time.monotonic() + 5
        while keyboard.session is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        keyboard.insert(Edit(0, "two"))
    finally:
        keyboard.stop()
    assert keysyms_to_text(portal.keysyms) == "onetwo"
    assert portal.calls.count("Start") == 2
    assert portal.consents == 1  # restored with the token


def test_no_keyboard_granted(bus, tmp_path):
    standin = StandinPortal(bus.address, device_types=2)  # pointer only
    try:
        keyboard = PortalKeyboard(env=bus.env(), tokens=TokenStore(tmp_path / "token"), timeout=10)
        with pytest.raises(PortalError, match="did not grant sayso the keyboard"):
            keyboard.start()
    finally:
        standin.close()


# --------------------------------------------------------------------------
# the daemon-side listener
# --------------------------------------------------------------------------


def test_portal_listener_speaks_the_daemon_listener_interface(portal, bus):
    from sayso.core.chords import ChordMatcher, parse_binding
    from sayso.desktop.portal.listener import PortalListener

    emitted = []
    bindings = {
        "dictate": parse_binding("<ctrl>+<alt>+space"),
        "cancel": parse_binding("<esc>"),
        "rewrite.fix": parse_binding("<ctrl>+<alt>+f"),
        "speak.toggle": parse_binding("<ctrl_r>"),
    }
    matcher = ChordMatcher(bindings, lambda name, event: emitted.append((name, event)), loose=("cancel",))
    listener = PortalListener(matcher, env=bus.env(), timeout=10)
    assert PortalListener.is_available(bus.env()) is None
    listener.start()
    try:
        session = portal.shortcut_session()
        assert set(session.shortcuts) == {"dictate", "rewrite.fix", "speak.toggle"}  # never Escape
        assert listener.bound() == {
            "dictate": "CTRL+ALT+space",
            "rewrite.fix": "CTRL+ALT+f",
            "speak.toggle": "unset",
        }  # a lone modifier: the user picks
        assert session.shortcuts["rewrite.fix"]["description"] == "Rewrite the clipboard: fix"
        portal.activate("dictate", True)
        portal.activate("dictate", False)
        deadline = time.monotonic() + 5
        while len(emitted) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emitted == [("dictate", "press"), ("dictate", "release")]  # what Daemon.on_binding takes
    finally:
        listener.stop()
