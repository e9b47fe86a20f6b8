"""``sayso ctl status --watch``: one line per change of state, for status bars.

Protocol (control socket, one JSON object per line): the client sends
``{"cmd": "status", "args": ["watch"]}``; the daemon answers with
:func:`watch`, one line ``{"ok": true, "state": "recording", "since": ...,
"seq": 7, "elapsed": 3}`` at once, then one per change (``elapsed`` and
``message`` only where they apply), plus one a second while recording so
the elapsed time moves.  The client formats each line for its bar:
``json`` (the line as is), ``text``, ``waybar``, ``polybar``, ``i3blocks``.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import sys
import threading
from typing import Callable, Optional

from ...core.paths import runtime_base
from .state import State, StatePublisher, Status

_LOGGER = logging.getLogger(__name__)

FORMATS = ("json", "text", "waybar", "polybar", "i3blocks")
WATCH_REQUEST = {"cmd": "status", "args": ["watch"]}
STOPPED = "stopped"  # the client's own state when no daemon answers
_LABELS = {
    "idle": "idle",
    "recording": "REC",
    "transcribing": "transcribing",
    "reading": "reading",
    "rewriting": "rewriting",
    "error": "error",
    "paused": "paused",
    STOPPED: "off",
}
_TOOLTIPS = {
    "idle": "ready: hold the dictate key",
    "recording": "recording",
    "transcribing": "transcribing",
    "reading": "reading aloud",
    "rewriting": "rewriting",
    "error": "error",
    "paused": "hotkeys paused",
    STOPPED: "the daemon is not running",
}
_COLORS = {
    "recording": "#e06c75",
    "error": "#e5c07b",
    "transcribing": "#61afef",
    "reading": "#98c379",
    "rewriting": "#c678dd",
    STOPPED: "#5c6370",
}


# --------------------------------------------------------------------------
# Server side: the stream
# --------------------------------------------------------------------------


def status_line(status: Status, now_mono: Optional[float] = None) -> str:
    return json.dumps({"ok": True, **status.to_dict(now_mono)}, ensure_ascii=False)


def watch(
    publisher: StatePublisher,
    write_line: Callable[[str], None],
    stop: Optional[threading.Event] = None,
    tick: float = 1.0,
) -> None:
    """Write the current status, then one line per change and a tick a second while recording.

    Blocks until *stop* is set or *write_line* raises OSError (the client
    left); other exceptions propagate.  Lines have no trailing newline.
    """
    changes: queue.Queue = queue.Queue()
    sub = publisher.subscribe(changes.put, replay=True)
    stop = stop or threading.Event()
    current: Optional[Status] = None
    written = -1  # the elapsed second last written while recording
    try:
        while not stop.is_set():
            try:
                current = changes.get(timeout=_wait_time(current, tick))
            except queue.Empty:
                if current is None or current.state != State.RECORDING or int(current.elapsed() / tick) == written:
                    continue
            if current.state == State.RECORDING:
                written = int(current.elapsed() / tick)
            try:
                write_line(status_line(current))
            except OSError:
                return
    finally:
        publisher.unsubscribe(sub)


def _wait_time(status: Optional[Status], tick: float) -> float:
    """How long to wait for a change: to just past the next whole elapsed
    second while recording, else a quarter second (to see *stop*)."""
    if status is None or status.state != State.RECORDING:
        return 0.25
    elapsed = status.elapsed()
    return min(0.25, max(0.0, (int(elapsed / tick) + 1) * tick - elapsed) + 0.002)


# --------------------------------------------------------------------------
# Client side: formatting
# --------------------------------------------------------------------------


def _clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _label(status: dict) -> str:
    state = str(status.get("state", "idle"))
    label = _LABELS.get(state, state)
    if state == "recording":
        return f"{label} {_clock(int(status.get('elapsed', 0)))}"
    return label


def _tooltip(status: dict) -> str:
    state = str(status.get("state", "idle"))
    text = f"sayso: {_TOOLTIPS.get(state, state)}"
    if state == "recording":
        text += f" ({int(status.get('elapsed', 0))} s)"
    if status.get("message"):
        text += f": {status['message']}"
    return text


def format_status(status: dict, fmt: str) -> str:
    """One output line for *fmt* (see :data:`FORMATS`) from a status dict."""
    state = str(status.get("state", "idle"))
    if fmt == "json":
        return json.dumps({k: v for k, v in status.items() if k != "ok"}, ensure_ascii=False)
    if fmt == "text":
        return _label(status) + (f": {status['message']}" if status.get("message") else "")
    if fmt == "waybar":
        return json.dumps(
            {"text": _label(status), "tooltip": _tooltip(status), "class": state, "alt": state}, ensure_ascii=False
        )
    if fmt == "polybar":
        color = _COLORS.get(state)
        label = _label(status).replace("%", "%%")
        return f"%{{F{color}}}{label}%{{F-}}" if color else label
    if fmt == "i3blocks":
        out = {"full_text": _label(status), "short_text": _label(status).split(" ")[0]}
        if state in _COLORS:
            out["color"] = _COLORS[state]
        return json.dumps(out, ensure_ascii=False)
    raise ValueError(f"unknown status format {fmt!r} (one of {', '.join(FORMATS)})")


# --------------------------------------------------------------------------
# Client side: the connection
# --------------------------------------------------------------------------


def stream_status(
    path: str, on_status: Callable[[dict], None], stop: Optional[threading.Event] = None, connect_timeout: float = 5.0
) -> None:
    """Connect to the control socket at *path*, ask to watch, call *on_status* per line.

    Returns when the daemon closes the stream or *stop* is set; OSError when
    it cannot connect; ValueError on a refused request (``ok`` false).
    """
    stop = stop or threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(connect_timeout)
        sock.connect(str(path))
        sock.sendall((json.dumps(WATCH_REQUEST) + "\n").encode())
        sock.settimeout(0.5)
        buf = b""
        while not stop.is_set():
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip():
                    _deliver(line, on_status)


def _deliver(line: bytes, on_status: Callable[[dict], None]) -> None:
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        _LOGGER.debug("Ignoring a malformed status line")
        return
    if not isinstance(data, dict):
        return
    if data.get("ok") is False:
        raise ValueError(str(data.get("error") or "the daemon refused to stream its status"))
    on_status(data)


class OutputClosed(Exception):
    """Whoever reads our lines went away (the bar quit)."""


def run_watch(
    path: str, fmt: str = "text", out=None, retry_s: float = 2.0, stop: Optional[threading.Event] = None
) -> int:
    """The CLI loop: print one formatted line per status; while no daemon
    answers, print the ``stopped`` state once and retry every *retry_s*
    (0: return 10 instead, :data:`ExitStatus.NO_DAEMON`), so a bar shows
    "off" and recovers by itself.  Returns 0 when *out* is closed or *stop* set."""
    out = out or sys.stdout
    stop = stop or threading.Event()
    last = [None]

    def emit(status: dict) -> None:
        line = format_status(status, fmt)
        if line == last[0]:
            return
        try:
            print(line, file=out, flush=True)
        except (BrokenPipeError, ValueError) as err:  # ValueError: write to a closed file
            raise OutputClosed() from err
        last[0] = line

    try:
        while not stop.is_set():
            try:
                stream_status(path, emit, stop)
            except (OSError, ValueError) as err:
                _LOGGER.debug("status stream: %s", err)
                if not retry_s:
                    return 10
            if stop.is_set():
                break
            emit({"state": STOPPED})
            if not retry_s or stop.wait(retry_s):
                break
    except OutputClosed:
        return 0
    return 0


def default_socket_path(env=None) -> str:
    """Where the daemon's control socket is (as sayso.control.server.socket_path says)."""
    import os

    env = os.environ if env is None else env
    return os.path.join(runtime_base(env), "sayso", "control.sock")


def main(argv: Optional[list] = None) -> int:
    """``python -m sayso.desktop.portal.statusline [--format F]``: the watch client on its own."""
    import argparse

    parser = argparse.ArgumentParser(prog="sayso-status", description="print sayso's state, one line per change")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument("--socket", default="", help="the control socket (default: the daemon's)")
    parser.add_argument("--no-retry", action="store_true", help="exit 10 when no daemon runs instead of waiting")
    args = parser.parse_args(argv)
    path = args.socket or default_socket_path()
    try:
        code = run_watch(path, "json" if args.json else args.format, retry_s=0 if args.no_retry else 2.0)
    except KeyboardInterrupt:
        return 130
    if code == 10:
        print(f"sayso: error: no sayso daemon is running (no control socket at {path})", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
