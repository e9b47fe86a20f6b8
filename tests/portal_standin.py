"""A stand-in xdg-desktop-portal for tests, on a private session bus.

A real ``dbus-daemon`` (:class:`PrivateBus`) and a real D-Bus service that
owns ``org.freedesktop.portal.Desktop`` and implements, at
``/org/freedesktop/portal/desktop``, the parts of GlobalShortcuts and
RemoteDesktop sayso uses, as the portal spec defines them: every
request-style call returns a request handle at once (built from the
caller's unique name and ``handle_token``), exports a Request object there
and emits ``Request.Response`` after the method reply; sessions are objects
with ``Session.Close`` and a ``Closed`` signal; ``Activated`` /
``Deactivated`` / ``ShortcutsChanged`` go to the session's owner when the
test says so; ``NotifyKeyboardKeysym`` calls are recorded in order; the
RemoteDesktop ``Start`` "asks for consent" (counted) unless a valid,
single-use restore token was given at SelectDevices.

It stands in for the desktop (no real dialog, no real keyboard): the real
KDE portal is tested in test_portal_kde_e2e.py where it runs.  Run it alone
with ``python tests/portal_standin.py`` to get a bus address to play with.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from jeepney import HeaderFields  # noqa: E402

from sayso.desktop.portal.bus import Bus, Exported, Interface, Method, MethodError  # noqa: E402

NAME, PATH = "org.freedesktop.portal.Desktop", "/org/freedesktop/portal/desktop"
GS, RD = "org.freedesktop.portal.GlobalShortcuts", "org.freedesktop.portal.RemoteDesktop"
REQUEST, SESSION = "org.freedesktop.portal.Request", "org.freedesktop.portal.Session"
NOT_ALLOWED = "org.freedesktop.portal.Error.NotAllowed"
INVALID = "org.freedesktop.portal.Error.InvalidArgument"


#: a session bus with no service files: nothing is auto-started, so an installed real
#: portal cannot answer in the stand-in's place
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class PrivateBus:
    """A ``dbus-daemon`` of our own; ``address`` to connect, ``close()`` to end it."""

    def __init__(self) -> None:
        fd, self.config = tempfile.mkstemp(prefix="sayso-bus-", suffix=".conf")
        with os.fdopen(fd, "w") as fh:
            fh.write(BUS_CONFIG)
        self.proc = subprocess.Popen(
            ["dbus-daemon", f"--config-file={self.config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            self.close()
            raise RuntimeError("dbus-daemon printed no address")

    def env(self, base: Optional[dict] = None) -> dict:
        env = dict(os.environ if base is None else base)
        env["DBUS_SESSION_BUS_ADDRESS"] = self.address
        return env

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        if os.path.exists(self.config):
            os.unlink(self.config)


@pytest.fixture
def bus():
    """A private bus for one test (import this fixture by name)."""
    private = PrivateBus()
    yield private
    private.close()


@dataclass
class StandinSession:
    path: str
    owner: str
    kind: str  # "shortcuts" | "remote"
    shortcuts: dict = field(default_factory=dict)  # id -> {"description", "trigger_description"}
    bound_once: bool = False
    devices: int = 0  # RemoteDesktop: selected types
    persist_mode: int = 0
    restore_token: str = ""
    started: bool = False


class StandinPortal:
    """The service; its attributes are what the tests look at or change."""

    def __init__(
        self,
        address: str,
        shortcuts_version: int = 1,
        remote_version: int = 2,
        device_types: int = 7,
        with_shortcuts: bool = True,
    ) -> None:
        self.bus = Bus(address, "standin")
        self.sessions: dict = {}
        self.keysyms: list = []  # (keysym, state) from NotifyKeyboardKeysym, in order
        self.calls: list = []  # method names in order
        self.consents = 0  # times the "dialog" was shown
        self.consent_answer = 0  # 0 allow, 1 the user refuses
        self.bind_answer = 0
        self.trigger_override: dict = {}  # id -> trigger the "user" picks instead
        self.valid_tokens: set = set()
        self.cond = threading.Condition()
        self._versions = {GS: shortcuts_version, RD: remote_version}
        self.device_types = device_types
        obj = Exported(PATH)
        if with_shortcuts:
            obj.add(self._shortcuts_iface())
        obj.add(self._remote_iface())
        self.bus.export(obj)
        self.bus.request_name(NAME)

    # --- interfaces ----------------------------------------------------------
    def _shortcuts_iface(self) -> Interface:
        return Interface(
            GS,
            methods={
                "CreateSession": Method("a{sv}", "o", lambda m, o: self._create(m, o, "shortcuts", "s"), after=True),
                "BindShortcuts": Method("oa(sa{sv})sa{sv}", "o", self._bind, after=True),
                "ListShortcuts": Method("oa{sv}", "o", self._list, after=True),
            },
            properties={"version": ("u", lambda: self._versions[GS])},
            signals={"Activated": "osta{sv}", "Deactivated": "osta{sv}", "ShortcutsChanged": "oa(sa{sv})"},
        )

    def _remote_iface(self) -> Interface:
        return Interface(
            RD,
            methods={
                "CreateSession": Method("a{sv}", "o", lambda m, o: self._create(m, o, "remote", "o"), after=True),
                "SelectDevices": Method("oa{sv}", "o", self._select, after=True),
                "Start": Method("osa{sv}", "o", self._start, after=True),
                "NotifyKeyboardKeysym": Method("oa{sv}iu", "", self._keysym),
                "NotifyKeyboardKeycode": Method("oa{sv}iu", "", self._keycode),
            },
            properties={
                "version": ("u", lambda: self._versions[RD]),
                "AvailableDeviceTypes": ("u", lambda: self.device_types),
            },
        )

    # --- requests and sessions ------------------------------------------------
    @staticmethod
    def _sender(msg) -> str:
        return msg.header.fields[HeaderFields.sender]

    def _handle(self, msg, options: dict, kind: str = "request") -> str:
        token = options.get("handle_token", ("s", ""))[1] or f"t{secrets.token_hex(4)}"
        if kind == "session":
            token = options.get("session_handle_token", ("s", ""))[1] or f"s{secrets.token_hex(4)}"
        return f"{PATH}/{kind}/{self._sender(msg).lstrip(':').replace('.', '_')}/{token}"

    def _respond(self, msg, options: dict, code: int, results: dict) -> tuple:
        """Reply with a request handle; emit its Response after the reply."""
        handle = self._handle(msg, options)
        req = Exported(handle)
        req.add(Interface(REQUEST, methods={"Close": Method("", "", lambda m: self.bus.unexport(handle))}))
        self.bus.export(req)
        sender = self._sender(msg)

        def later() -> None:
            self.bus.emit(handle, REQUEST, "Response", "ua{sv}", (code, results), destination=sender)
            self.bus.unexport(handle)

        return (handle,), later

    def _session(self, msg, path: str, kind: str) -> StandinSession:
        session = self.sessions.get(str(path))
        if session is None or session.kind != kind:
            raise MethodError(INVALID, f"Invalid session {path}")
        if session.owner != self._sender(msg):
            raise MethodError(NOT_ALLOWED, "the session belongs to another client")
        return session

    def _create(self, msg, options: dict, kind: str, handle_type: str) -> tuple:
        self._record(f"{kind}.CreateSession")
        path = self._handle(msg, options, "session")
        if path in self.sessions:
            raise MethodError(INVALID, "session handle in use")
        session = StandinSession(path, self._sender(msg), kind)
        self.sessions[path] = session
        obj = Exported(path)
        obj.add(
            Interface(
                SESSION,
                methods={"Close": Method("", "", lambda m: self.close_session(path, False))},
                properties={"version": ("u", lambda: 1)},
                signals={"Closed": "a{sv}"},
            )
        )
        self.bus.export(obj)
        return self._respond(msg, options, 0, {"session_handle": (handle_type, path)})

    def close_session(self, path: str, emit: bool = True) -> None:
        """Drop a session; with *emit*, as the desktop does it (``Closed`` sent)."""
        session = self.sessions.pop(path, None)
        self.bus.unexport(path)
        if session is not None and emit:
            self.bus.emit(path, SESSION, "Closed", "a{sv}", ({},), destination=session.owner)

    def _record(self, name: str) -> None:
        with self.cond:
            self.calls.append(name)
            self.cond.notify_all()

    # --- GlobalShortcuts ------------------------------------------------------
    def _bind(self, msg, session_path, shortcuts, parent_window, options) -> tuple:
        self._record("BindShortcuts")
        session = self._session(msg, session_path, "shortcuts")
        if session.bound_once:
            raise MethodError(NOT_ALLOWED, "shortcuts of a session can be bound only once")
        session.bound_once = True
        if self.bind_answer != 0:
            return self._respond(msg, options, self.bind_answer, {})
        for sid, info in shortcuts:
            trigger = self.trigger_override.get(sid) or info.get("preferred_trigger", ("s", ""))[1]
            session.shortcuts[sid] = {
                "description": info.get("description", ("s", ""))[1],
                "trigger_description": trigger or "unset",
            }
        return self._respond(msg, options, 0, {"shortcuts": ("a(sa{sv})", self._shortcut_list(session))})

    def _list(self, msg, session_path, options) -> tuple:
        self._record("ListShortcuts")
        session = self._session(msg, session_path, "shortcuts")
        return self._respond(msg, options, 0, {"shortcuts": ("a(sa{sv})", self._shortcut_list(session))})

    @staticmethod
    def _shortcut_list(session: StandinSession) -> list:
        return [(sid, {k: ("s", v) for k, v in info.items()}) for sid, info in session.shortcuts.items()]

    def shortcut_session(self) -> StandinSession:
        return next(s for s in self.sessions.values() if s.kind == "shortcuts")

    def activate(
        self, shortcut_id: str, pressed: bool = True, session: Optional[StandinSession] = None, timestamp: int = 0
    ) -> None:
        """The user pressed (or released) the keys bound to *shortcut_id*."""
        session = session or self.shortcut_session()
        self.bus.emit(
            PATH,
            GS,
            "Activated" if pressed else "Deactivated",
            "osta{sv}",
            (session.path, shortcut_id, timestamp, {}),
            destination=session.owner,
        )

    def change_shortcut(self, shortcut_id: str, trigger: str, session: Optional[StandinSession] = None) -> None:
        """The user changed the keys in the desktop's settings."""
        session = session or self.shortcut_session()
        session.shortcuts.setdefault(shortcut_id, {"description": shortcut_id})["trigger_description"] = trigger
        self.bus.emit(
            PATH,
            GS,
            "ShortcutsChanged",
            "oa(sa{sv})",
            (session.path, self._shortcut_list(session)),
            destination=session.owner,
        )

    # --- RemoteDesktop --------------------------------------------------------
    def _select(self, msg, session_path, options) -> tuple:
        self._record("SelectDevices")
        session = self._session(msg, session_path, "remote")
        opts = {k: v[1] for k, v in options.items()}
        session.devices = int(opts.get("types", 7)) & self.device_types
        if self._versions[RD] >= 2:
            session.persist_mode = int(opts.get("persist_mode", 0))
            session.restore_token = str(opts.get("restore_token", ""))
        return self._respond(msg, options, 0, {})

    def _start(self, msg, session_path, parent_window, options) -> tuple:
        self._record("Start")
        session = self._session(msg, session_path, "remote")
        restored = session.restore_token and session.restore_token in self.valid_tokens
        self.valid_tokens.discard(session.restore_token)  # single use
        if not restored:
            self.consents += 1  # the dialog
            if self.consent_answer != 0:
                return self._respond(msg, options, self.consent_answer, {})
        session.started = True
        results = {"devices": ("u", session.devices)}
        if session.persist_mode:
            token = secrets.token_hex(8)
            self.valid_tokens.add(token)
            results["restore_token"] = ("s", token)
        return self._respond(msg, options, 0, results)

    def _keysym(self, msg, session_path, options, keysym, state) -> tuple:
        session = self._session(msg, session_path, "remote")
        if not session.started or not session.devices & 1:
            raise MethodError(NOT_ALLOWED, "the session has no keyboard")
        with self.cond:
            self.keysyms.append((int(keysym), int(state)))
            self.cond.notify_all()
        return ()

    def _keycode(self, msg, session_path, options, keycode, state) -> tuple:
        self._session(msg, session_path, "remote")
        return ()

    def wait_keysyms(self, count: int, timeout: float = 10.0) -> list:
        with self.cond:
            self.cond.wait_for(lambda: len(self.keysyms) >= count, timeout)
            return list(self.keysyms)

    def close(self) -> None:
        self.bus.close()


def keysyms_to_text(events: list) -> str:
    """What a text field would hold after these (keysym, state) events:
    presses only, BackSpace erases, Return/Tab are newline/tab, Unicode keysyms decoded."""
    out: list = []
    for keysym, state in events:
        if state != 1:
            continue
        if keysym == 0xFF08:
            if out:
                out.pop()
        elif keysym == 0xFF0D:
            out.append("\n")
        elif keysym == 0xFF09:
            out.append("\t")
        elif keysym & 0xFF000000 == 0x01000000:
            out.append(chr(keysym & 0x00FFFFFF))
        elif keysym < 0x100:
            out.append(chr(keysym))
    return "".join(out)


if __name__ == "__main__":
    private = PrivateBus()
    portal = StandinPortal(private.address)
    print(f"DBUS_SESSION_BUS_ADDRESS={private.address}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        portal.close()
        private.close()
