"""Global hotkeys through the ``org.freedesktop.portal.GlobalShortcuts`` portal.

The desktop owns the keys: sayso asks for its actions with a description
and a preferred trigger, the desktop may show a dialog where the user
accepts or changes them, and then it sends ``Activated`` when the keys go
down and ``Deactivated`` when they come up, so hold-to-talk keeps press
*and* release.  No ``input`` group, no compositor config.

The session lives as long as our D-Bus connection: :meth:`PortalShortcuts.stop`
closes both.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Callable, Optional

from jeepney import HeaderFields, MatchRule

from .xdp import PORTAL_PATH, Portal, PortalError, check_portal

_LOGGER = logging.getLogger(__name__)

IFACE = "org.freedesktop.portal.GlobalShortcuts"
#: stable, so a desktop that names its settings after the session (Plasma 5.27) keeps the user's keys
SESSION_TOKEN = "sayso"


def shortcut_list(bindings: dict) -> list:
    """``{id: (description, trigger)}`` -> the ``a(sa{sv})`` BindShortcuts takes."""
    out = []
    for action, (description, trigger) in bindings.items():
        info = {"description": ("s", description or action)}
        if trigger:
            info["preferred_trigger"] = ("s", trigger)
        out.append((action, info))
    return out


def parse_shortcuts(value) -> dict:
    """The ``a(sa{sv})`` of a Response or ShortcutsChanged -> ``{id: {key: value}}``."""
    out = {}
    for item in value or []:
        action, info = item
        out[action] = {k: (v[1] if isinstance(v, tuple) and len(v) == 2 else v) for k, v in (info or {}).items()}
    return out


class PortalShortcuts:
    """Binds sayso's actions with the portal and reports their press/release.

    *bindings*: ``{action_name: (description, preferred_trigger)}`` with the
    trigger in the portal's syntax (``CTRL+ALT+space``, see
    :func:`sayso.desktop.portal.keys.to_portal_trigger`) or None to let the user pick.
    *on_event(action_name, pressed)* runs on the D-Bus dispatch thread: keep
    it short (hand long work to another thread).
    """

    name = "portal"

    def __init__(
        self, bindings: dict, on_event: Callable[[str, bool], None], env=os.environ, timeout: float = 120.0
    ) -> None:
        self.bindings = dict(bindings)
        self.on_event = on_event
        self.env = env
        self.timeout = timeout
        self.session: Optional[str] = None
        self._portal: Optional[Portal] = None
        self._bound: dict = {}
        self._held: set = set()
        self._lock = threading.Lock()

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        """None when the portal offers GlobalShortcuts, else why not (one line)."""
        why, _version = check_portal(IFACE, env)
        return why

    def start(self) -> None:
        """Create the session and bind; may wait for the user's dialog (PortalError if refused)."""
        portal = Portal(self.env)
        try:
            portal.version(IFACE)
            for member in ("Activated", "Deactivated", "ShortcutsChanged"):
                portal.bus.subscribe(
                    MatchRule(type="signal", interface=IFACE, member=member, path=PORTAL_PATH), self._on_signal
                )
            self._portal = portal
            self.session = self._create_session(portal)
            self._bind(portal)
        except BaseException:
            self._portal = None
            self.session = None
            portal.close()
            raise
        _LOGGER.info(
            "Hotkey listener: portal (%s)",
            ", ".join(f"{k} {v.get('trigger_description') or 'unset'}" for k, v in self.bound().items())
            or "nothing bound",
        )

    def _create_session(self, portal: Portal) -> str:
        """CreateSession, offering the shortcuts there too: Plasma 5.27's backend
        binds only those (its BindShortcuts ignores them), others ignore the option."""
        results = portal.request(
            IFACE,
            "CreateSession",
            "a{sv}",
            lambda token: (
                {
                    "handle_token": ("s", token),
                    "session_handle_token": ("s", SESSION_TOKEN),
                    "shortcuts": ("a(sa{sv})", shortcut_list(self.bindings)),
                },
            ),
            self.timeout,
        )
        session = str(results.get("session_handle") or "")
        if not session:
            raise PortalError("CreateSession: the portal returned no session handle")
        with self._lock:
            self._bound = parse_shortcuts(results.get("shortcuts"))
        return session

    def _bind(self, portal: Portal) -> None:
        if set(self.bindings) <= set(self.bound()):
            _LOGGER.debug("The portal bound every shortcut at CreateSession; not calling BindShortcuts")
        else:
            results = portal.request(
                IFACE,
                "BindShortcuts",
                "oa(sa{sv})sa{sv}",
                lambda token: (self.session, shortcut_list(self.bindings), "", {"handle_token": ("s", token)}),
                self.timeout,
            )
            bound = parse_shortcuts(results.get("shortcuts")) if "shortcuts" in results else self.list_shortcuts()
            with self._lock:
                self._bound = bound
        if not self.bound():
            raise PortalError(
                "the desktop bound none of sayso's shortcuts (it may want them set in its keyboard settings)"
            )
        missing = sorted(set(self.bindings) - set(self.bound()))
        if missing:
            _LOGGER.warning("The desktop did not bind: %s", ", ".join(missing))

    def list_shortcuts(self) -> dict:
        """Ask the portal what is bound now (``ListShortcuts``)."""
        portal = self._require()
        results = portal.request(
            IFACE, "ListShortcuts", "oa{sv}", lambda token: (self.session, {"handle_token": ("s", token)}), self.timeout
        )
        return parse_shortcuts(results.get("shortcuts"))

    def configure(self) -> None:
        """Open the desktop's dialog to change the keys (version 2 portals)."""
        portal = self._require()
        if portal.version(IFACE) < 2:
            raise PortalError("this desktop's GlobalShortcuts portal cannot open its settings (version 1)")
        portal.bus.call(
            "org.freedesktop.portal.Desktop",
            PORTAL_PATH,
            IFACE,
            "ConfigureShortcuts",
            "osa{sv}",
            (self.session, "", {}),
        )

    def bound(self) -> dict:
        """``{action: {"description": ..., "trigger_description": ...}}`` as the portal bound them."""
        with self._lock:
            return {k: dict(v) for k, v in self._bound.items()}

    def _require(self) -> Portal:
        if self._portal is None or self.session is None:
            raise PortalError("the portal shortcuts are not started")
        return self._portal

    # --- signals -------------------------------------------------------------
    def _on_signal(self, msg) -> None:
        member = msg.header.fields.get(HeaderFields.member)
        if not msg.body or str(msg.body[0]) != self.session:
            return
        if member == "ShortcutsChanged":
            with self._lock:
                self._bound = parse_shortcuts(msg.body[1])
            _LOGGER.info(
                "The desktop changed sayso's shortcuts: %s",
                ", ".join(f"{k} {v.get('trigger_description') or 'unset'}" for k, v in self.bound().items()),
            )
            return
        action = str(msg.body[1])
        if action not in self.bindings:
            return
        pressed = member == "Activated"
        with self._lock:  # a repeated Activated (key repeat) or a stray Deactivated is dropped
            if pressed == (action in self._held):
                return
            (self._held.add if pressed else self._held.discard)(action)
        _LOGGER.debug("Portal shortcut %s %s", action, "pressed" if pressed else "released")
        try:
            self.on_event(action, pressed)
        except Exception as err:  # a bug in a handler must not stop the shortcuts
            _LOGGER.error("Error in hotkey handler: %s", err)
            _LOGGER.debug("Traceback", exc_info=True)

    def stop(self) -> None:
        portal, self._portal = self._portal, None
        session, self.session = self.session, None
        with self._lock:
            held, self._held = self._held, set()
        for action in sorted(held):  # never leave a hold-to-talk recording running
            try:
                self.on_event(action, False)
            except Exception as err:
                _LOGGER.debug("Releasing %s on stop: %s", action, err)
        if portal is not None:
            if session:
                portal.close_session(session)
            portal.close()
