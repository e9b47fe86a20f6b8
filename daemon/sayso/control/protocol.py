"""The control protocol: one JSON object per line each way (client and server alike).

A request is ``{"cmd": "dictate", "args": ["start"], "wait": false}``; a reply
is ``{"ok": true, ...}`` or ``{"ok": false, "error": "one line", "code": N}``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..core.errors import ExitStatus, ProtocolError, first_line
from ..core.paths import runtime_base

MAX_LINE = 64 * 1024


@dataclass
class Request:
    cmd: str
    args: list = field(default_factory=list)
    wait: bool = False

    @classmethod
    def parse(cls, line: bytes) -> Request:
        try:
            data = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ProtocolError(f"malformed request: not a JSON line ({first_line(err)})") from None
        if not isinstance(data, dict) or not isinstance(data.get("cmd"), str):
            raise ProtocolError('malformed request: expected {"cmd": "...", "args": [...]}')
        args = data.get("args", [])
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ProtocolError("malformed request: args must be a list of strings")
        return cls(data["cmd"], args, bool(data.get("wait", False)))

    def encode(self) -> bytes:
        return (json.dumps(dataclasses.asdict(self)) + "\n").encode()


@dataclass
class Reply:
    ok: bool
    error: str = ""
    code: int = 0
    data: dict = field(default_factory=dict)
    #: instead of one reply line: ``stream(write_line, stop)`` writes lines until *stop* is set (``status watch``)
    stream: Optional[Callable] = field(default=None, compare=False)

    @classmethod
    def failure(cls, err: BaseException) -> Reply:
        status = getattr(err, "exit_status", ExitStatus.ERROR)
        return cls(False, first_line(err), int(status))

    def encode(self) -> bytes:
        body: dict = {"ok": self.ok}
        if not self.ok:
            body.update(error=self.error, code=self.code or int(ExitStatus.ERROR))
        body.update(self.data)
        return (json.dumps(body, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def socket_path(env=os.environ) -> Path:
    """Where the socket is (the client side: creates nothing)."""
    return runtime_base(env) / "sayso" / "control.sock"


class LineTooLong(Exception):
    pass


class LineReader:
    """Reads newline-terminated requests; never buffers more than *limit* bytes."""

    def __init__(self, conn: socket.socket, limit: int) -> None:
        self.conn, self.limit = conn, limit
        self._buf = b""

    def readline(self) -> Optional[bytes]:
        while True:
            nl = self._buf.find(b"\n")
            if nl >= 0:
                line, self._buf = self._buf[:nl], self._buf[nl + 1 :]
                if len(line) > self.limit:
                    raise LineTooLong()
                return line
            if len(self._buf) > self.limit:
                raise LineTooLong()
            chunk = self.conn.recv(min(65536, self.limit + 1 - len(self._buf)) or 1)
            if not chunk:
                line, self._buf = self._buf, b""
                return line if line.strip() else None
            self._buf += chunk
