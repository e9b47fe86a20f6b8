"""A small layer over jeepney's threaded D-Bus router.

One :class:`Bus` is one connection to a message bus.  It can call methods
(:meth:`Bus.call`), watch signals (:meth:`Bus.subscribe`, with the bus-side
``AddMatch`` done for you), own names and export objects (:class:`Exported`,
which answers ``Introspect``, ``Properties.Get/GetAll`` and ``Peer.Ping``
itself).  Incoming signals and method calls are handled on one dispatch
thread per connection, in the order they arrived; replies to our own calls
are matched by jeepney's receiver thread, so a handler may make blocking
calls.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from typing import Any, Callable, Optional

from jeepney import (
    DBusAddress,
    HeaderFields,
    MatchRule,
    Message,
    MessageFlag,
    MessageType,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.threading import DBusRouter, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse, unwrap_msg

from .objects import INTROSPECTABLE, INVALID_ARGS, PROPS, Exported, Interface, Method, MethodError  # noqa: F401

_LOGGER = logging.getLogger(__name__)

PEER = "org.freedesktop.DBus.Peer"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
UNKNOWN_OBJECT = "org.freedesktop.DBus.Error.UnknownObject"
FAILED = "org.freedesktop.DBus.Error.Failed"


class BusError(Exception):
    """A D-Bus call failed; ``name`` is the D-Bus error name when there is one."""

    def __init__(self, message: str, name: str = "") -> None:
        super().__init__(message)
        self.name = name


def session_bus_address(env=os.environ) -> Optional[str]:
    """The session bus address from *env*, or the usual per-user socket."""
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return f"unix:path={os.path.join(runtime, 'bus')}"
    return None


def variant_value(value: Any) -> Any:
    """Unwrap a jeepney variant ``(signature, value)``; other values pass."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return value[1]
    return value


def unwrap_vardict(vardict: dict) -> dict:
    """``{"k": ("s", "v")}`` -> ``{"k": "v"}`` (one level)."""
    return {key: variant_value(val) for key, val in (vardict or {}).items()}


class Bus:
    """One connection to a message bus (see the module docstring)."""

    def __init__(self, address: str, name: str = "dbus", timeout: float = 5.0) -> None:
        try:
            self._conn = open_dbus_connection(bus=address)
        except (OSError, ValueError, TimeoutError, KeyError) as err:
            raise BusError(f"cannot connect to the D-Bus bus ({err})") from None
        self.router = DBusRouter(self._conn)
        self.timeout = timeout
        self.unique_name: str = self._conn.unique_name
        self._inbox: queue.Queue = queue.Queue()
        self._filter = self.router.filter(MatchRule(), queue=self._inbox)
        self._subs: dict = {}
        self._sub_ids = iter(range(1, 1 << 62))
        self._objects: dict = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._inflight = 0  # calls waiting for a reply (close() lets them finish: jeepney races otherwise)
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._dispatch_loop, daemon=True, name=f"{name}-dbus")
        self._thread.start()

    # --- calls ---------------------------------------------------------------
    def call(
        self,
        dest: str,
        path: str,
        iface: str,
        method: str,
        sig: Optional[str] = None,
        body: tuple = (),
        timeout: Optional[float] = None,
        no_reply: bool = False,
    ) -> tuple:
        """Call a method and return the reply's values (BusError on failure)."""
        msg = new_method_call(DBusAddress(path, bus_name=dest, interface=iface), method, sig, body)
        if no_reply:
            msg.header.flags |= MessageFlag.no_reply_expected
            self.router.send(msg)
            return ()
        try:
            reply = self._send_and_get_reply(msg, self.timeout if timeout is None else timeout)
            return unwrap_msg(reply)
        except DBusErrorResponse as err:
            text = err.data[0] if err.data and isinstance(err.data[0], str) else ""
            raise BusError(f"{iface}.{method}: {err.name}: {text}".rstrip(": "), err.name or "") from None
        except TimeoutError:
            raise BusError(f"{iface}.{method}: no reply from {dest}", "timeout") from None
        except Exception as err:  # RouterClosed, OSError: the connection is gone
            raise BusError(f"{iface}.{method}: {type(err).__name__}: {err}", "disconnected") from None

    def _send_and_get_reply(self, msg: Message, timeout: float) -> Message:
        with self._lock:
            self._inflight += 1
        try:
            return self.router.send_and_get_reply(msg, timeout=timeout)
        finally:
            with self._lock:
                self._inflight -= 1
                self._idle.notify_all()

    def get_property(self, dest: str, path: str, iface: str, name: str, timeout: Optional[float] = None) -> Any:
        (value,) = self.call(dest, path, PROPS, "Get", "ss", (iface, name), timeout=timeout)
        return variant_value(value)

    def get_all_properties(self, dest: str, path: str, iface: str, timeout: Optional[float] = None) -> dict:
        (values,) = self.call(dest, path, PROPS, "GetAll", "s", (iface,), timeout=timeout)
        return unwrap_vardict(values)

    def bus_call(self, method: str, *args, timeout: Optional[float] = None):
        """A call to the message bus itself (``NameHasOwner``, ``RequestName``...)."""
        msg = getattr(message_bus, method)(*args)
        try:
            return unwrap_msg(self._send_and_get_reply(msg, self.timeout if timeout is None else timeout))
        except DBusErrorResponse as err:
            raise BusError(f"org.freedesktop.DBus.{method}: {err.name}", err.name or "") from None
        except TimeoutError:
            raise BusError(f"org.freedesktop.DBus.{method}: no reply", "timeout") from None

    def has_owner(self, name: str) -> bool:
        return bool(self.bus_call("NameHasOwner", name)[0])

    def can_start(self, name: str) -> bool:
        return self.has_owner(name) or name in self.bus_call("ListActivatableNames")[0]

    def request_name(self, name: str) -> None:
        (code,) = self.bus_call("RequestName", name, 4)  # DBUS_NAME_FLAG_DO_NOT_QUEUE
        if code not in (1, 4):  # primary owner / already owner
            raise BusError(f"cannot own the name {name} (it is taken)", "name-taken")

    # --- signals -------------------------------------------------------------
    def subscribe(self, rule: MatchRule, callback: Callable[[Message], None], bus_side: bool = True) -> int:
        """Call *callback(msg)* for every signal matching *rule*; returns an id for :meth:`unsubscribe`.

        The rule is also sent to the bus (``AddMatch``) unless *bus_side* is
        False; unicast signals reach us without it.  Keep the rule free of a
        well-known ``sender``: signals carry the sender's unique name.
        """
        if bus_side:
            self.bus_call("AddMatch", rule)
        with self._lock:
            sub_id = next(self._sub_ids)
            self._subs[sub_id] = (rule, callback, bus_side)
        return sub_id

    def unsubscribe(self, sub_id: int) -> None:
        with self._lock:
            entry = self._subs.pop(sub_id, None)
        if entry is not None and entry[2] and not self._closed.is_set():
            try:
                self.bus_call("RemoveMatch", entry[0])
            except BusError as err:
                _LOGGER.debug("RemoveMatch: %s", err)

    def emit(
        self,
        path: str,
        iface: str,
        name: str,
        sig: Optional[str] = None,
        body: tuple = (),
        destination: Optional[str] = None,
    ) -> None:
        msg = new_signal(DBusAddress(path, interface=iface), name, sig, body)
        if destination:
            msg.header.fields[HeaderFields.destination] = destination
        self.router.send(msg)

    # --- exported objects ----------------------------------------------------
    def export(self, obj: Exported) -> Exported:
        with self._lock:
            self._objects[obj.path] = obj
        return obj

    def unexport(self, path: str) -> None:
        with self._lock:
            self._objects.pop(path, None)

    def exported(self, path: str) -> Optional[Exported]:
        with self._lock:
            return self._objects.get(path)

    # --- dispatch ------------------------------------------------------------
    def _dispatch_loop(self) -> None:
        while True:
            msg = self._inbox.get()
            if msg is None:
                return
            try:
                kind = msg.header.message_type
                if kind == MessageType.signal:
                    self._on_signal(msg)
                elif kind == MessageType.method_call:
                    self._on_call(msg)
            except Exception as err:  # a handler's bug must not end the dispatch thread
                _LOGGER.error("D-Bus handler failed: %s", err)
                _LOGGER.debug("Traceback", exc_info=True)

    def _on_signal(self, msg: Message) -> None:
        with self._lock:
            subs = [cb for rule, cb, _bus in self._subs.values() if rule.matches(msg)]
        for callback in subs:
            try:
                callback(msg)
            except Exception as err:
                _LOGGER.error("D-Bus signal handler failed: %s", err)
                _LOGGER.debug("Traceback", exc_info=True)

    def _on_call(self, msg: Message) -> None:
        fields = msg.header.fields
        path, iface, member = (
            fields.get(HeaderFields.path, ""),
            fields.get(HeaderFields.interface),
            fields.get(HeaderFields.member, ""),
        )
        _LOGGER.debug("D-Bus call %s.%s on %s from %s", iface, member, path, fields.get(HeaderFields.sender))
        after = None
        try:
            sig, body, after = self._handle_call(msg, path, iface, member)
            reply = new_method_return(msg, sig or None, body)
        except MethodError as err:
            reply = new_error(msg, err.name, "s", (err.text or err.name,))
        except Exception as err:
            _LOGGER.error("D-Bus method %s.%s failed: %s", iface, member, err)
            _LOGGER.debug("Traceback", exc_info=True)
            reply = new_error(msg, FAILED, "s", (f"{type(err).__name__}: {err}",))
        if not msg.header.flags & MessageFlag.no_reply_expected:
            self.router.send(reply)
        if after is not None:
            after()

    def _handle_call(self, msg: Message, path: str, iface: Optional[str], member: str) -> tuple:
        obj = self.exported(path)
        if iface == PEER:
            return ("", (), None) if member == "Ping" else ("s", ("",), None)
        if iface == INTROSPECTABLE and member == "Introspect":
            return "s", ((obj or Exported(path)).introspect(self._children(path)),), None
        if obj is None:
            raise MethodError(UNKNOWN_OBJECT, f"No object at {path}")
        if iface == PROPS:
            return self._properties_call(obj, member, msg.body)
        method, found_iface = self._find_method(obj, iface, member)
        if method is None:
            raise MethodError(UNKNOWN_METHOD, f"No method {member} on {iface or 'any interface'} at {path}")
        sig = msg.header.fields.get(HeaderFields.signature, "")
        if sig != method.in_sig:
            raise MethodError(INVALID_ARGS, f"{found_iface}.{member} takes ({method.in_sig}), not ({sig})")
        result = method.fn(msg, *msg.body)
        after = None
        if method.after:
            result, after = result
        return method.out_sig, tuple(result or ()), after

    @staticmethod
    def _find_method(obj: Exported, iface: Optional[str], member: str) -> tuple:
        for name, spec in obj.interfaces.items():
            if (iface is None or iface == name) and member in spec.methods:
                return spec.methods[member], name
        return None, None

    @staticmethod
    def _properties_call(obj: Exported, member: str, body: tuple) -> tuple:
        if member == "GetAll":
            return "a{sv}", (obj.properties(body[0]),), None
        if member == "Get":
            props = obj.properties(body[0])
            if body[1] not in props:
                raise MethodError(INVALID_ARGS, f"No such property {body[1]!r}")
            return "v", (props[body[1]],), None
        if member == "Set":
            raise MethodError("org.freedesktop.DBus.Error.PropertyReadOnly", "read-only")
        raise MethodError(UNKNOWN_METHOD, f"No method {member} on {PROPS}")

    def _children(self, path: str) -> list:
        prefix = path.rstrip("/") + "/"
        with self._lock:
            paths = list(self._objects)
        return sorted({p[len(prefix) :].split("/")[0] for p in paths if p.startswith(prefix)})

    # --- lifecycle -----------------------------------------------------------
    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._inbox.put(None)
        with self._lock:
            self._idle.wait_for(lambda: self._inflight == 0, 1.0)
        try:
            self.router.close()
        finally:
            self._conn.close()
        if threading.current_thread() is not self._thread:
            self._thread.join(2.0)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()
