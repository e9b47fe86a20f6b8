"""Clipboard and selection access, byte-exact snapshot and restore.

Backends: ``xclip`` (X11), ``wl-clipboard`` (Wayland) and ``pyperclip``
(macOS/Windows, text only).  The clipboard is the user's: whatever sayso
borrows it for is put back with :meth:`Clipboard.restore`.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from typing import Optional

from ..core.errors import ClipboardError, InputError
from .session import detect_session  # noqa: F401  (re-exported)

_LOGGER = logging.getLogger(__name__)

TEXT_TARGETS = ("UTF8_STRING", "text/plain;charset=utf-8", "text/plain", "STRING", "TEXT", "COMPOUND_TEXT")
_META_TARGETS = {"TARGETS", "TIMESTAMP", "MULTIPLE", "SAVE_TARGETS", "DELETE", "INCR"}
_TIMEOUT = 3.0


@dataclass
class ClipboardSnapshot:
    """What a selection held: one target (MIME type or X atom) and its bytes."""

    selection: str
    target: Optional[str] = None
    data: bytes = b""
    targets: list = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.target is None


def decode_text(data: bytes, what: str) -> str:
    """Bytes from a text target as str; binary content is refused."""
    if b"\x00" in data:
        raise InputError(f"the {what} holds binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the {what} holds data that is not UTF-8 text") from None


class Clipboard:
    """Base: text read/write plus snapshot/restore; subclasses add targets."""

    name = "base"

    @staticmethod
    def detect(session: str = "auto", env=os.environ) -> Clipboard:
        if session == "auto":
            session = detect_session(env)
        if session == "wayland" and shutil.which("wl-paste") and shutil.which("wl-copy"):
            return WaylandClipboard()
        if session in ("x11", "wayland") and shutil.which("xclip"):
            return XclipClipboard()
        if session in ("x11", "wayland"):
            raise ClipboardError("no clipboard tool found: install xclip (X11) or wl-clipboard (Wayland)")
        return PyperclipClipboard()

    # --- backend primitives -------------------------------------------------
    def targets(self, selection: str = "clipboard") -> list:
        raise NotImplementedError

    def read_target(self, target: str, selection: str = "clipboard") -> bytes:
        raise NotImplementedError

    def write_target(self, data: bytes, target: Optional[str], selection: str = "clipboard") -> None:
        raise NotImplementedError

    # --- shared logic -------------------------------------------------------
    def read_text(self, selection: str = "clipboard") -> str:
        """The selection as text ("" when empty); InputError for non-text."""
        targets = self.targets(selection)
        what = "selection" if selection == "primary" else "clipboard"
        text_target = next((t for t in TEXT_TARGETS if t in targets), None)
        if text_target is None:
            data_targets = [t for t in targets if t not in _META_TARGETS]
            if data_targets:
                raise InputError(f"the {what} holds {data_targets[0]}, not text")
            return ""
        return decode_text(self.read_target(text_target, selection), what)

    def write_text(self, text: str, selection: str = "clipboard") -> None:
        self.write_target(text.encode("utf-8"), None, selection)

    def snapshot(self, selection: str = "clipboard") -> ClipboardSnapshot:
        targets = self.targets(selection)
        data_targets = [t for t in targets if t not in _META_TARGETS]
        if not data_targets:
            return ClipboardSnapshot(selection, None, b"", targets)
        target = next((t for t in TEXT_TARGETS if t in data_targets), None)
        if target is None:
            preferred = [t for t in data_targets if "/" in t and not t.startswith("text/x-moz")]
            target = (preferred or data_targets)[0]
        return ClipboardSnapshot(selection, target, self.read_target(target, selection), targets)

    def restore(self, snap: ClipboardSnapshot) -> None:
        """Put a snapshot back exactly (an empty one empties the selection)."""
        if snap.empty:
            self.clear(snap.selection)
            return
        target = None if snap.target in TEXT_TARGETS else snap.target
        self.write_target(snap.data, target, snap.selection)

    def clear(self, selection: str = "clipboard") -> None:
        self.write_target(b"", None, selection)


def _run(cmd: list, what: str, input: Optional[bytes] = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, input=input, capture_output=True, timeout=_TIMEOUT, check=False)
    except FileNotFoundError:
        raise ClipboardError(f"{cmd[0]} is not installed") from None
    except subprocess.TimeoutExpired:
        raise ClipboardError(f"{what}: {cmd[0]} did not answer within {_TIMEOUT:.0f} s") from None


class XclipClipboard(Clipboard):
    name = "xclip"

    def targets(self, selection: str = "clipboard") -> list:
        proc = _run(["xclip", "-selection", selection, "-o", "-t", "TARGETS"], "reading the clipboard")
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            if "Can't open display" in err:
                raise ClipboardError(f"cannot open the X display {os.environ.get('DISPLAY', '')!r}")
            return []  # no owner: empty
        return [t for t in proc.stdout.decode(errors="replace").split() if t]

    def read_target(self, target: str, selection: str = "clipboard") -> bytes:
        proc = _run(["xclip", "-selection", selection, "-o", "-t", target], "reading the clipboard")
        if proc.returncode != 0:
            raise ClipboardError(
                f"cannot read {target} from the {selection}: {proc.stderr.decode(errors='replace').strip()}"
            )
        return proc.stdout

    def write_target(self, data: bytes, target: Optional[str], selection: str = "clipboard") -> None:
        self.serve(data, target, selection)

    def serve(self, data: bytes, target: Optional[str] = None, selection: str = "clipboard") -> XclipOwner:
        """Own the selection with *data*; returns once xclip owns it.

        The owner serves until another client takes the selection, also after
        this process exits; ``wait_read()`` tells when a paste has read it.
        """
        cmd = ["xclip", "-selection", selection, "-i", "-verbose"] + (["-t", target] if target else [])
        return XclipOwner(cmd, data)


class XclipOwner:
    """A foreground ``xclip -i -verbose`` logging to an unlinked file.

    xclip forks before it owns the selection, so its own exit says nothing;
    its verbose log does ("Waiting for selection request number N" once it
    owns the selection and after each request served). A file, not a pipe,
    so the owner survives this process.
    """

    def __init__(self, cmd: list, data: bytes) -> None:
        fd, path = tempfile.mkstemp(prefix="sayso-xclip-")
        try:
            log_w = os.open(path, os.O_WRONLY | os.O_APPEND)
            self._log = open(path, "rb")
        finally:
            os.close(fd)
            os.unlink(path)
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log_w, stderr=log_w, start_new_session=True)
        except FileNotFoundError:
            raise ClipboardError("xclip is not installed") from None
        finally:
            os.close(log_w)
        self.proc.stdin.write(data)
        self.proc.stdin.close()
        if not self._wait(lambda: self.requests >= 0, _TIMEOUT):
            self.proc.kill()
            raise ClipboardError("xclip did not take the clipboard")

    @property
    def requests(self) -> int:
        """Requests served so far (-1 until xclip owns the selection)."""
        self._log.seek(0)
        numbers = re.findall(rb"selection request number (\d+)", self._log.read())
        return int(numbers[-1]) - 1 if numbers else -1

    def _wait(self, done, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return done()
            time.sleep(0.01)
        return True

    def wait_read(self, timeout: float, settle: float = 0.3) -> bool:
        """Wait until a client has requested the data; False on timeout.

        A paste is usually TARGETS then the data: after the first request,
        wait up to *settle* seconds for the next one.
        """
        first = self._wait(lambda: self.requests >= 1, timeout)
        if first:
            self._wait(lambda: self.requests >= 2, settle)
            time.sleep(0.05)  # let the last transfer finish
        return first


class WaylandClipboard(Clipboard):
    name = "wl-clipboard"

    @staticmethod
    def _sel(selection: str) -> list:
        return ["--primary"] if selection == "primary" else []

    def targets(self, selection: str = "clipboard") -> list:
        proc = _run(["wl-paste", "--list-types", *self._sel(selection)], "reading the clipboard")
        if proc.returncode != 0:
            return []
        return [t for t in proc.stdout.decode(errors="replace").splitlines() if t]

    def read_target(self, target: str, selection: str = "clipboard") -> bytes:
        proc = _run(["wl-paste", "--no-newline", "--type", target, *self._sel(selection)], "reading the clipboard")
        if proc.returncode != 0:
            raise ClipboardError(
                f"cannot read {target} from the {selection}: {proc.stderr.decode(errors='replace').strip()}"
            )
        return proc.stdout

    def write_target(self, data: bytes, target: Optional[str], selection: str = "clipboard") -> None:
        if not data and target is None:
            _run(["wl-copy", "--clear", *self._sel(selection)], "clearing the clipboard")
            return
        cmd = ["wl-copy", *self._sel(selection), "--type", target or "text/plain;charset=utf-8"]
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
        except FileNotFoundError:
            raise ClipboardError("wl-copy is not installed") from None
        proc.communicate(data, timeout=_TIMEOUT)  # wl-copy forks its server and returns


class PyperclipClipboard(Clipboard):
    """macOS / Windows: text only through pyperclip; the primary selection is not available."""

    name = "pyperclip"

    def targets(self, selection: str = "clipboard") -> list:
        return ["text/plain"] if selection == "clipboard" and self._paste() else []

    def read_target(self, target: str, selection: str = "clipboard") -> bytes:
        return self._paste().encode("utf-8")

    def write_target(self, data: bytes, target: Optional[str], selection: str = "clipboard") -> None:
        import pyperclip

        if selection != "clipboard":
            raise ClipboardError("this system has no primary selection")
        pyperclip.copy(decode_text(data, "clipboard"))

    @staticmethod
    def _paste() -> str:
        import pyperclip

        try:
            return pyperclip.paste() or ""
        except pyperclip.PyperclipException as err:
            raise ClipboardError(f"cannot read the clipboard: {err}") from None
