"""The control socket's client: one request, one reply (``sayso ctl``, ``sayso doctor``)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Optional

from ..core.errors import ControlError, NoDaemonError
from .protocol import LineReader, Request, socket_path


def request(
    cmd: str,
    args: Optional[list] = None,
    *,
    wait: bool = False,
    timeout: float = 60.0,
    env=os.environ,
    path: Optional[Path] = None,
) -> dict:
    """Send one request and return the reply object; NoDaemonError if none runs."""
    path = Path(path) if path is not None else socket_path(env)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            raise NoDaemonError(
                f"no sayso daemon is running (no control socket at {path}); start it with "
                "'sayso run' or 'sayso service install'"
            ) from None
        except PermissionError:
            raise ControlError(f"permission denied on {path} (does the daemon run as another user?)") from None
        try:
            sock.sendall(Request(cmd, list(args or []), wait).encode())
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: its reply says why
        line = LineReader(sock, 64 * 1024 * 1024).readline()
    except TimeoutError:
        raise ControlError(f"the daemon did not answer within {timeout:.0f} s") from None
    except (ConnectionResetError, BrokenPipeError):
        raise ControlError("the daemon closed the connection") from None
    finally:
        sock.close()
    if line is None:
        raise ControlError("the daemon closed the connection without a reply")
    try:
        reply = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        reply = None
    if not isinstance(reply, dict) or "ok" not in reply:
        raise ControlError("the daemon sent a malformed reply")
    return reply
