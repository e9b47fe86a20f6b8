"""Typing through the ``org.freedesktop.portal.RemoteDesktop`` portal.

A keyboard-only remote-desktop session: the desktop asks the user once
("sayso wants to control your keyboard"), then every character goes in as
a keysym (``NotifyKeyboardKeysym``), so Unicode needs no keymap tricks and
GNOME, which lacks the virtual keyboard protocol, can be typed into.

Consent is kept with the portal's *restore token* (RemoteDesktop version 2,
``persist_mode`` 2): the token of the last session is stored 0600 under
``$XDG_STATE_HOME/sayso/`` and offered at the next start, so the dialog
comes once, not at every start.  Tokens are single-use; each Start returns
the next one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Optional

from jeepney import HeaderFields, MatchRule

from .keys import KEYSYMS, chord_keysyms, text_keysyms
from .xdp import PORTAL_NAME, PORTAL_PATH, SESSION_IFACE, Portal, PortalError, check_portal

_LOGGER = logging.getLogger(__name__)

IFACE = "org.freedesktop.portal.RemoteDesktop"
KEYBOARD, POINTER, TOUCHSCREEN = 1, 2, 4
PERSIST_UNTIL_REVOKED = 2
PRESSED, RELEASED = 1, 0
TOKEN_FILE = "remote-desktop.token"


def state_dir(env=os.environ) -> Path:
    base = env.get("XDG_STATE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".local", "state")
    return Path(base) / "sayso"


class TokenStore:
    """The restore token in one 0600 file (its folder 0700)."""

    def __init__(self, path: Optional[Path] = None, env=os.environ) -> None:
        self.path = Path(path) if path is not None else state_dir(env) / TOKEN_FILE

    def load(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def save(self, token: str) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, token.encode("utf-8"))
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    def clear(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class PortalKeyboard:
    """Types :class:`Edit` s (``delete``, ``text``) through a RemoteDesktop session.

    The session starts on first use (or :meth:`start`); the first start on a
    desktop may show the consent dialog and wait for the user (*timeout*).
    """

    name = "portal"

    def __init__(
        self, env=os.environ, tokens: Optional[TokenStore] = None, timeout: float = 120.0, key_delay_ms: float = 0.0
    ) -> None:
        self.env = env
        self.tokens = tokens if tokens is not None else TokenStore(env=env)
        self.timeout = timeout
        self.key_delay = key_delay_ms / 1000.0
        self.session: Optional[str] = None
        self.version = 0
        self.devices = 0
        self._portal: Optional[Portal] = None
        self._lock = threading.RLock()  # one typist at a time; start() under it too

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        """None when the portal can give sayso a keyboard, else why not (one line)."""
        why, _version = check_portal(IFACE, env)
        if why:
            return why
        try:
            portal = Portal(env)
        except PortalError as err:
            return str(err)
        try:
            types = int(portal.prop(IFACE, "AvailableDeviceTypes"))
        except PortalError as err:
            return f"the RemoteDesktop portal does not say which devices it offers ({err})"
        finally:
            portal.close()
        if not types & KEYBOARD:
            return "the RemoteDesktop portal offers no keyboard on this desktop"
        return None

    # --- session -------------------------------------------------------------
    def start(self) -> None:
        """Create, configure and start the session (idempotent)."""
        with self._lock:
            if self.session is not None:
                return
            if self._portal is not None:  # the desktop closed the last session
                self._portal.close()
                self._portal = None
            portal = Portal(self.env)
            try:
                self.version = portal.version(IFACE)
                portal.bus.subscribe(
                    MatchRule(type="signal", interface=SESSION_IFACE, member="Closed"), self._on_closed
                )
                session = self._create(portal)
                self._select(portal, session)
                self._start(portal, session)
            except BaseException:
                portal.close()
                raise
            self._portal, self.session = portal, session
        _LOGGER.info("Typing through the RemoteDesktop portal (version %d)", self.version)

    def _create(self, portal: Portal) -> str:
        session_token = portal.new_token("session")
        results = portal.request(
            IFACE,
            "CreateSession",
            "a{sv}",
            lambda token: ({"handle_token": ("s", token), "session_handle_token": ("s", session_token)},),
            self.timeout,
        )
        session = str(results.get("session_handle") or "")
        if not session:
            raise PortalError("RemoteDesktop CreateSession: no session handle")
        return session

    def _select(self, portal: Portal, session: str) -> None:
        def options(token: str) -> tuple:
            opts = {"handle_token": ("s", token), "types": ("u", KEYBOARD)}
            if self.version >= 2:
                opts["persist_mode"] = ("u", PERSIST_UNTIL_REVOKED)
                saved = self.tokens.load()
                if saved:
                    opts["restore_token"] = ("s", saved)
            return session, opts

        portal.request(IFACE, "SelectDevices", "oa{sv}", options, self.timeout)

    def _start(self, portal: Portal, session: str) -> None:
        results = portal.request(
            IFACE, "Start", "osa{sv}", lambda token: (session, "", {"handle_token": ("s", token)}), self.timeout
        )
        self.devices = int(results.get("devices", 0) or 0)
        if not self.devices & KEYBOARD:
            portal.close_session(session)
            raise PortalError("the desktop did not grant sayso the keyboard")
        token = results.get("restore_token")
        if token:
            self.tokens.save(str(token))
        elif self.version >= 2:
            _LOGGER.info("The portal returned no restore token: it will ask again next time")

    def _on_closed(self, msg) -> None:
        if msg.header.fields.get(HeaderFields.path) == self.session:
            _LOGGER.info("The desktop closed sayso's RemoteDesktop session")
            self.session = None  # the next insert starts a new one

    # --- typing --------------------------------------------------------------
    def insert(self, edit) -> None:
        """BackSpace ``edit.delete`` times, then type ``edit.text``."""
        keysyms = [KEYSYMS["BackSpace"]] * int(getattr(edit, "delete", 0) or 0)
        keysyms += text_keysyms(getattr(edit, "text", "") or "")
        if not keysyms:
            return
        with self._lock:
            self.start()
            for keysym in keysyms:
                self._key(keysym, PRESSED)
                self._key(keysym, RELEASED)

    def press_keys(self, chord: str, repeat: int = 1) -> None:
        """Press a chord such as ``<ctrl>+v`` (paste) through the same session."""
        keysyms = chord_keysyms(chord)
        with self._lock:
            self.start()
            for _ in range(repeat):
                pressed = []
                try:
                    for keysym in keysyms:
                        self._key(keysym, PRESSED)
                        pressed.append(keysym)
                finally:
                    for keysym in reversed(pressed):
                        self._key(keysym, RELEASED)

    def _key(self, keysym: int, state: int) -> None:
        portal, session = self._portal, self.session
        if portal is None or session is None:
            raise PortalError("the RemoteDesktop session is closed")
        try:
            portal.bus.call(
                PORTAL_NAME, PORTAL_PATH, IFACE, "NotifyKeyboardKeysym", "oa{sv}iu", (session, {}, keysym, state)
            )
        except Exception as err:
            self.session = None
            raise PortalError(f"typing through the portal failed: {err}") from None
        if self.key_delay:
            time.sleep(self.key_delay)

    def stop(self) -> None:
        with self._lock:
            portal, self._portal = self._portal, None
            session, self.session = self.session, None
        if portal is not None:
            if session:
                portal.close_session(session)
            portal.close()
