"""The control socket: ``$XDG_RUNTIME_DIR/sayso/control.sock``.

One JSON object per line each way.  A request is
``{"cmd": "dictate", "args": ["start"], "wait": false}``; a reply is
``{"ok": true, ...}`` or ``{"ok": false, "error": "one line", "code": N}``.
``{"cmd": "status", "args": ["watch"]}`` is the one request answered with a
stream: a line now and one per change of state until the client leaves
(:mod:`sayso.desktop.portal.statusline`); watchers have slots of their own.

The directory is 0700 and the socket 0600; a connection from another user is
refused after a SO_PEERCRED check anyway.  Lines longer than
:data:`MAX_LINE` are refused without being read into memory; malformed
requests get an error reply.  Nothing here ever stops the daemon except
``quit``.  Each connection has its own thread, so a slow command (a rewrite,
``dictate stop --wait``) never blocks ``status`` from another client.
"""

from __future__ import annotations

import logging
import os
import select
import socket
import struct
import sys
import threading
from pathlib import Path
from typing import Callable, Optional

from ..core.errors import AlreadyRunningError, ControlError, ExitStatus, SaysoError, first_line  # noqa: F401
from .protocol import MAX_LINE, LineReader, LineTooLong, Reply, Request  # noqa: F401  (re-exported)

_LOGGER = logging.getLogger(__name__)

MAX_CLIENTS = 8
MAX_WATCHERS = 8  # ``status watch`` streams (status bars), counted apart from the clients
IDLE_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------


class ControlServer:
    """Accepts connections on a thread; one thread per client."""

    def __init__(self, daemon, path: Path, commands: Callable) -> None:
        self.daemon = daemon
        self.commands = commands  # commands(daemon, server).run(request) -> Reply
        self.path = Path(path)
        self.last_error = ""
        self._sock: Optional[socket.socket] = None
        self._stop = threading.Event()
        self._slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self._watchers = threading.BoundedSemaphore(MAX_WATCHERS)
        self._inode: Optional[int] = None

    def start(self) -> None:
        _check_dir(self.path.parent)
        _clear_stale(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(str(self.path))
            os.chmod(self.path, 0o600)
            sock.listen(16)
        except OSError as err:
            sock.close()
            raise ControlError(f"cannot create the control socket {self.path}: {err.strerror or err}") from None
        sock.settimeout(0.25)
        self._sock, self._inode = sock, os.stat(self.path).st_ino
        threading.Thread(target=self._accept_loop, daemon=True, name="control").start()
        _LOGGER.info("Control socket: %s", self.path)

    def close(self) -> None:
        self._stop.set()
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        try:
            if self._inode is not None and os.stat(self.path).st_ino == self._inode:
                os.unlink(self.path)
        except OSError:
            pass

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            sock = self._sock
            if sock is None:
                return
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            if not self._slots.acquire(blocking=False):
                _send_quietly(conn, Reply(False, "too many control connections; try again", int(ExitStatus.ERROR)))
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="control-client").start()

    def _serve(self, conn: socket.socket) -> None:
        holds_slot = True  # a watcher gives its slot back
        try:
            with conn:
                if not _peer_allowed(conn):
                    _send_quietly(conn, Reply(False, "permission denied: the daemon belongs to another user", 1))
                    _drain(conn)
                    return
                conn.settimeout(IDLE_TIMEOUT_S)
                reader = LineReader(conn, MAX_LINE)
                while not self._stop.is_set():
                    try:
                        line = reader.readline()
                    except LineTooLong:
                        too_big = f"request too large (over {MAX_LINE // 1024} KiB)"
                        _send_quietly(conn, Reply(False, too_big, int(ExitStatus.USAGE)))
                        return
                    if line is None:
                        return
                    if not line.strip():
                        continue
                    request, reply = self._handle(line)
                    if reply.stream is not None:
                        self._slots.release()  # a bar may watch for days: not at the cost of 'sayso ctl'
                        holds_slot = False
                        self._stream(conn, reply.stream)
                        return
                    conn.sendall(reply.encode())
                    if request is not None and request.cmd == "quit" and reply.ok:
                        self.daemon.request_stop()
                        return
        except OSError as err:  # client went away or idled out
            _LOGGER.debug("Control connection closed: %s", err)
        finally:
            if holds_slot:
                self._slots.release()

    def _stream(self, conn: socket.socket, stream: Callable) -> None:
        """Write *stream*'s lines until the client leaves or the daemon stops."""
        if not self._watchers.acquire(blocking=False):
            _send_quietly(conn, Reply(False, f"too many status watchers (at most {MAX_WATCHERS})", 1))
            return
        try:
            left = threading.Event()
            threading.Thread(
                target=_wait_gone, args=(conn, left, self._stop), daemon=True, name="control-watch"
            ).start()
            conn.settimeout(10.0)  # a client that stops reading is dropped, never blocks the daemon

            def write_line(text: str) -> None:
                if left.is_set() or self._stop.is_set():
                    raise OSError("the watcher left")
                conn.sendall(text.encode("utf-8") + b"\n")

            stream(write_line, _Either(left, self._stop))
        finally:
            self._watchers.release()

    def _handle(self, line: bytes) -> tuple:
        request = None
        try:
            request = Request.parse(line)
            return request, self.commands(self.daemon, self).run(request)
        except SaysoError as err:
            self.last_error = first_line(err)
            _LOGGER.info("Control request failed: %s", self.last_error)
            return request, Reply.failure(err)
        except Exception as err:  # a bug must not take the daemon down
            _LOGGER.error("Control request failed: %s", err)
            _LOGGER.debug("Traceback", exc_info=True)
            self.last_error = f"internal error: {first_line(err)}"
            return request, Reply(False, self.last_error, int(ExitStatus.ERROR))


def _check_dir(folder: Path) -> None:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(folder)
        if st.st_uid != os.getuid():
            raise ControlError(f"{folder} belongs to another user")
        if st.st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError as err:
        raise ControlError(f"cannot create {folder}: {err.strerror or err}") from None


def _clear_stale(path: Path) -> None:
    """Remove a socket left by a crashed daemon; refuse if one answers."""
    if not os.path.lexists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
    except OSError:
        try:
            os.unlink(path)
        except OSError as err:
            raise ControlError(f"cannot remove the stale socket {path}: {err.strerror}") from None
        return
    finally:
        probe.close()
    raise AlreadyRunningError(
        f"another sayso daemon is already running ({path} answers); stop it first ('sayso ctl quit')"
    )


def peer_uid(conn: socket.socket) -> Optional[int]:
    """The uid of the process at the other end (None where unknown)."""
    if hasattr(socket, "SO_PEERCRED"):
        raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", raw)
        return uid
    if sys.platform == "darwin":  # LOCAL_PEERCRED: struct xucred {u_int version; uid_t uid; ...}
        raw = conn.getsockopt(0, 0x001, 76)
        return struct.unpack_from("2I", raw)[1]
    return None


def _peer_allowed(conn: socket.socket) -> bool:
    try:
        uid = peer_uid(conn)
    except OSError as err:
        _LOGGER.warning("Refused a control connection: cannot check the peer (%s)", err)
        return False
    if uid is None or uid == os.getuid():
        return True
    _LOGGER.warning("Refused a control connection from uid %d", uid)
    return False


class _Either:
    """``is_set()`` of two events (the watcher left, the daemon stops)."""

    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or self.b.is_set()


def _wait_gone(conn: socket.socket, left: threading.Event, stop: threading.Event) -> None:
    """Set *left* when the watching client closes its end (it sends nothing more)."""
    try:
        while not stop.is_set():
            ready, _, _ = select.select([conn], [], [], 0.5)
            if ready and not conn.recv(4096):
                break
    except (OSError, ValueError):
        pass
    left.set()


def _send_quietly(conn: socket.socket, reply: Reply) -> None:
    try:
        conn.sendall(reply.encode())
    except OSError:
        pass


def _drain(conn: socket.socket) -> None:
    """Let a refused client finish sending (bounded) so it can read the reply."""
    try:
        conn.shutdown(socket.SHUT_WR)
        conn.settimeout(1.0)
        left = MAX_LINE
        while left > 0:
            chunk = conn.recv(min(left, 4096))
            if not chunk or b"\n" in chunk:
                return
            left -= len(chunk)
    except OSError:
        pass
