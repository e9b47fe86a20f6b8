"""xdg-desktop-portal plumbing shared by the GlobalShortcuts and RemoteDesktop clients.

Portal methods that need the user (or just time) return a *request handle*
at once and answer later with ``org.freedesktop.portal.Request.Response``
(``u response, a{sv} results``; 0 = success, 1 = cancelled by the user,
2 = other error).  The handle is predictable from our unique name and the
``handle_token`` we pass, so :class:`Portal` starts listening *before* it
calls, as the spec asks, and keeps any Response that arrives early.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import threading
import time
from typing import Callable, Optional

from jeepney import HeaderFields, MatchRule

from .bus import Bus, BusError, session_bus_address, unwrap_vardict

_LOGGER = logging.getLogger(__name__)

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
REQUEST_IFACE = "org.freedesktop.portal.Request"
SESSION_IFACE = "org.freedesktop.portal.Session"
REGISTRY_IFACE = "org.freedesktop.host.portal.Registry"
APP_ID = "io.github.sayso"

RESPONSE_TEXT = {0: "success", 1: "cancelled by the user", 2: "ended by the desktop"}
_MAX_KEPT = 64


class PortalError(Exception):
    """A portal call failed or was refused (the text says why, for the user)."""


class PortalCancelled(PortalError):
    """The user said no in the desktop's dialog (Response code 1)."""


def sender_path_part(unique_name: str) -> str:
    """``:1.42`` -> ``1_42``: how the portal spells our name in object paths."""
    return unique_name.lstrip(":").replace(".", "_")


class Portal:
    """A session-bus connection to the desktop portal with request handling."""

    _tokens = itertools.count(1)

    def __init__(self, env=os.environ, timeout: float = 5.0, bus: Optional[Bus] = None, app_id: str = APP_ID) -> None:
        if bus is None:
            address = session_bus_address(env)
            if not address:
                raise PortalError("no session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
            try:
                bus = Bus(address, "portal", timeout)
            except BusError as err:
                raise PortalError(str(err)) from None
        self.bus = bus
        self._responses: dict = {}
        self._cond = threading.Condition()
        self._sub = self.bus.subscribe(
            MatchRule(type="signal", interface=REQUEST_IFACE, member="Response"), self._on_response
        )
        self.registered = self._register(app_id)

    def _register(self, app_id: str) -> bool:
        """Tell a new portal (1.19+) our app id; host apps have none otherwise."""
        try:
            self.bus.call(PORTAL_NAME, PORTAL_PATH, REGISTRY_IFACE, "Register", "sa{sv}", (app_id, {}))
            return True
        except BusError as err:
            _LOGGER.debug("Portal registry not used (%s)", err)
            return False

    # --- properties ----------------------------------------------------------
    def version(self, iface: str, timeout: Optional[float] = None) -> int:
        """The interface's ``version``; PortalError when the portal lacks it."""
        try:
            return int(self.bus.get_property(PORTAL_NAME, PORTAL_PATH, iface, "version", timeout=timeout))
        except BusError as err:
            raise PortalError(_why_no_interface(iface, err)) from None

    def prop(self, iface: str, name: str):
        try:
            return self.bus.get_property(PORTAL_NAME, PORTAL_PATH, iface, name)
        except BusError as err:
            raise PortalError(str(err)) from None

    # --- requests ------------------------------------------------------------
    def new_token(self, kind: str = "sayso") -> str:
        return f"{kind}_{os.getpid()}_{next(self._tokens)}_{secrets.token_hex(3)}"

    def request_path(self, token: str) -> str:
        return f"{PORTAL_PATH}/request/{sender_path_part(self.bus.unique_name)}/{token}"

    def session_path(self, token: str) -> str:
        return f"{PORTAL_PATH}/session/{sender_path_part(self.bus.unique_name)}/{token}"

    def request(self, iface: str, method: str, sig: str, build: Callable[[str], tuple], timeout: float = 120.0) -> dict:
        """Call a request-style method and wait for its Response.

        *build(handle_token)* returns the call's arguments with the token in
        its options.  Returns the results (variants unwrapped); raises
        PortalCancelled when the user refused, PortalError otherwise.
        """
        token = self.new_token()
        expected = self.request_path(token)
        with self._cond:
            self._responses.setdefault(expected, None)
        try:
            try:
                (handle,) = self.bus.call(PORTAL_NAME, PORTAL_PATH, iface, method, sig, build(token))
            except BusError as err:
                raise PortalError(f"{method}: {err}") from None
            code, results = self._wait(str(handle), expected, timeout, method)
        finally:
            with self._cond:
                self._responses.pop(expected, None)
        if code == 1:
            raise PortalCancelled(f"{method}: {RESPONSE_TEXT[1]}")
        if code != 0:
            raise PortalError(f"{method}: {RESPONSE_TEXT.get(code, f'response {code}')}")
        return unwrap_vardict(results)

    def _wait(self, handle: str, expected: str, timeout: float, method: str) -> tuple:
        deadline = time.monotonic() + timeout
        with self._cond:
            if handle != expected:  # an old portal ignored handle_token
                self._responses.setdefault(handle, None)
            while True:
                got = self._responses.get(handle) or self._responses.get(expected)
                if got is not None:
                    self._responses.pop(handle, None)
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    self._close_request(handle)
                    raise PortalError(f"{method}: no answer from the desktop within {timeout:.0f} s")
                self._cond.wait(min(left, 1.0))

    def _close_request(self, handle: str) -> None:
        try:
            self.bus.call(PORTAL_NAME, handle, REQUEST_IFACE, "Close", "", (), timeout=2.0)
        except BusError as err:
            _LOGGER.debug("Closing request %s: %s", handle, err)

    def _on_response(self, msg) -> None:
        path = msg.header.fields.get(HeaderFields.path, "")
        code, results = msg.body
        with self._cond:
            if path not in self._responses and len(self._responses) >= _MAX_KEPT:
                return  # not ours (another app's Response on a broadcast)
            self._responses[path] = (int(code), results)
            self._cond.notify_all()

    def close_session(self, session: str) -> None:
        try:
            self.bus.call(PORTAL_NAME, session, SESSION_IFACE, "Close", "", (), timeout=2.0)
        except BusError as err:
            _LOGGER.debug("Closing portal session %s: %s", session, err)

    def close(self) -> None:
        self.bus.close()


def _why_no_interface(iface: str, err: BusError) -> str:
    short = iface.rsplit(".", 1)[-1]
    if err.name in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"):
        return "no xdg-desktop-portal on the session bus"
    if err.name in (
        "org.freedesktop.DBus.Error.InvalidArgs",
        "org.freedesktop.DBus.Error.UnknownInterface",
        "org.freedesktop.DBus.Error.UnknownProperty",
    ):
        return f"the desktop portal has no {short} interface (its backend for this desktop lacks it)"
    if err.name == "timeout":
        return "the desktop portal did not answer"
    return f"the desktop portal's {short} interface is not usable ({err})"


def check_portal(iface: str, env=os.environ, min_version: int = 1, timeout: float = 5.0) -> tuple:
    """(None, version) when *iface* is usable, else (why not, 0).  Never raises."""
    address = session_bus_address(env)
    if not address:
        return "no session bus (DBUS_SESSION_BUS_ADDRESS is not set)", 0
    try:
        bus = Bus(address, "portal-check", timeout)
    except BusError as err:
        return f"no session bus ({err})", 0
    try:
        if not bus.can_start(PORTAL_NAME):
            return "no xdg-desktop-portal on the session bus", 0
        try:
            version = int(bus.get_property(PORTAL_NAME, PORTAL_PATH, iface, "version", timeout=timeout))
        except BusError as err:
            return _why_no_interface(iface, err), 0
        if version < min_version:
            return (
                f"the desktop portal's {iface.rsplit('.', 1)[-1]} is version {version}, sayso needs {min_version}",
                version,
            )
        return None, version
    except BusError as err:
        return f"the session bus failed ({err})", 0
    finally:
        bus.close()
