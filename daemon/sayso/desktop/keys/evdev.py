"""The ``evdev`` hotkey backend: reads key events from /dev/input (Linux).

Works on every Wayland compositor (and on X11, on the console) because it
sits below the display server; it needs read access to the keyboards, which
normally means membership of the ``input`` group.  It only listens: keys
still reach the focused app (nothing is grabbed).

Key names are those of :mod:`sayso.desktop.keys.listener`'s pynput backend (``ctrl_l``,
``alt_r``, ``space``, ``a``, ``f9``, ``esc``...).  Letters and punctuation
follow the key's position on a US layout, since evdev reports physical keys.
"""

from __future__ import annotations

import errno
import logging
import os
import selectors
import struct
import sys
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from ...core.chords import ChordMatcher
from ...core.errors import HotkeyError

_LOGGER = logging.getLogger(__name__)

EV_SYN, EV_KEY = 0x00, 0x01
SYN_DROPPED = 3
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
EVENT = struct.Struct("llHHi")  # struct input_event: timeval, type, code, value
RESCAN_S = 2.0
INPUT_DIR = "/dev/input"
_IGNORED_DEVICES = ("ydotool", "sayso")  # our own synthetic keyboards

_NAMED = {
    "LEFTCTRL": "ctrl_l",
    "RIGHTCTRL": "ctrl_r",
    "LEFTALT": "alt_l",
    "RIGHTALT": "alt_r",
    "LEFTSHIFT": "shift_l",
    "RIGHTSHIFT": "shift_r",
    "LEFTMETA": "cmd_l",
    "RIGHTMETA": "cmd_r",
    "SPACE": "space",
    "ENTER": "enter",
    "KPENTER": "enter",
    "ESC": "esc",
    "TAB": "tab",
    "BACKSPACE": "backspace",
    "DELETE": "delete",
    "INSERT": "insert",
    "HOME": "home",
    "END": "end",
    "PAGEUP": "page_up",
    "PAGEDOWN": "page_down",
    "UP": "up",
    "DOWN": "down",
    "LEFT": "left",
    "RIGHT": "right",
    "CAPSLOCK": "caps_lock",
    "NUMLOCK": "num_lock",
    "SCROLLLOCK": "scroll_lock",
    "PAUSE": "pause",
    "SYSRQ": "print_screen",
    "COMPOSE": "menu",
    "MENU": "menu",
    "MINUS": "-",
    "EQUAL": "=",
    "LEFTBRACE": "[",
    "RIGHTBRACE": "]",
    "SEMICOLON": ";",
    "APOSTROPHE": "'",
    "GRAVE": "`",
    "BACKSLASH": "\\",
    "COMMA": ",",
    "DOT": ".",
    "SLASH": "/",
}


@lru_cache(maxsize=1)
def key_names() -> dict:
    """Linux key code -> binding key name."""
    from evdev import ecodes

    names = {}
    for suffix, name in _NAMED.items():
        names[ecodes.ecodes[f"KEY_{suffix}"]] = name
    for ch in "abcdefghijklmnopqrstuvwxyz0123456789":
        names[ecodes.ecodes[f"KEY_{ch.upper()}"]] = ch
    for i in range(1, 25):
        names[ecodes.ecodes[f"KEY_F{i}"]] = f"f{i}"
    return names


@dataclass
class Keyboard:
    """An open event device: its fd is read raw, so a pipe works the same in tests."""

    fd: int
    name: str
    path: str = ""

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def _matches(spec: str, path: str, name: str) -> bool:
    if not spec:
        return True
    if spec.startswith("/"):
        return os.path.realpath(spec) == os.path.realpath(path)
    return spec.lower() in name.lower()


def find_keyboards(spec: str = "", input_dir: str = INPUT_DIR) -> list:
    """(path, name) of readable keyboards, matching *spec* (path or name part)."""
    import evdev
    from evdev import ecodes

    found = []
    for path in sorted(evdev.list_devices(input_dir, writable=False)):
        try:
            dev = evdev.InputDevice(path)
        except OSError:
            continue
        with dev:
            keys = set(dev.capabilities().get(ecodes.EV_KEY, []))
            name = dev.name or path
        if any(word in name.lower() for word in _IGNORED_DEVICES):
            continue
        is_keyboard = {ecodes.KEY_A, ecodes.KEY_SPACE} <= keys
        if (is_keyboard or (spec and keys)) and _matches(spec, path, name):
            found.append((path, name))
    return found


class EvdevListener:
    """Reads every matching keyboard in one thread and feeds the matcher."""

    name = "evdev"

    @classmethod
    def create(cls, matcher: ChordMatcher, *, evdev_device: str = "", env=os.environ) -> EvdevListener:
        return cls(matcher, evdev_device)

    def __init__(self, matcher: ChordMatcher, device: str = "", keyboards: Optional[list] = None) -> None:
        self.matcher = matcher
        self.device = device
        self._fixed = keyboards is not None  # given (tests): no discovery
        self._keyboards: dict = {kb.fd: kb for kb in (keyboards or [])}
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._sel: Optional[selectors.BaseSelector] = None
        self._pending: dict = {}

    @staticmethod
    def is_available(env=os.environ, device: str = "", input_dir: str = INPUT_DIR) -> Optional[str]:
        """None when usable, else why not (one line)."""
        if not sys.platform.startswith("linux"):
            return "evdev needs Linux"
        try:
            import evdev  # noqa: F401
        except ImportError:
            return "the evdev package is not installed (pip install evdev)"
        nodes = [n for n in os.listdir(input_dir) if n.startswith("event")] if os.path.isdir(input_dir) else []
        if not nodes:
            return f"no input devices in {input_dir} (a container or a remote session?)"
        if not any(os.access(os.path.join(input_dir, n), os.R_OK) for n in nodes):
            return f"no permission to read {input_dir}/event* (you are not in the 'input' group)"
        if not find_keyboards(device, input_dir):
            return (
                f"no keyboard matches hotkeys.evdev_device {device!r}"
                if device
                else f"no readable keyboard in {input_dir}"
            )
        return None

    def start(self) -> None:
        if not self._fixed:
            self._open_new()
            if not self._keyboards:
                why = self.is_available(device=self.device) or "no keyboard found"
                raise HotkeyError(f"evdev hotkeys: {why}")
        self._sel = selectors.DefaultSelector()
        for kb in self._keyboards.values():
            self._sel.register(kb.fd, selectors.EVENT_READ, kb)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True, name="evdev")
        self._thread.start()
        names = ", ".join(kb.name for kb in self._keyboards.values())
        _LOGGER.info("Hotkey listener: evdev (%s)", names)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None
        for kb in list(self._keyboards.values()):
            kb.close()
        self._keyboards.clear()
        if self._sel is not None:
            self._sel.close()
            self._sel = None

    # --- reading -------------------------------------------------------------
    def _open_new(self) -> list:
        """Open keyboards not yet open; returns the new ones."""
        known = {kb.path for kb in self._keyboards.values()}
        added = []
        for path, name in find_keyboards(self.device):
            if path in known:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as err:
                _LOGGER.debug("Cannot open %s: %s", path, err.strerror)
                continue
            kb = Keyboard(fd, name, path)
            self._keyboards[fd] = kb
            added.append(kb)
        return added

    def _run(self) -> None:
        last_scan = time.monotonic()
        while not self._stop.is_set():
            try:
                ready = self._sel.select(0.25)
            except (OSError, ValueError):
                return  # closed under us by stop()
            for key, _ in ready:
                self._read(key.data)
            if not self._fixed and time.monotonic() - last_scan > RESCAN_S:
                last_scan = time.monotonic()
                self._rescan()

    def _rescan(self) -> None:
        try:
            for kb in self._open_new():
                self._sel.register(kb.fd, selectors.EVENT_READ, kb)
                _LOGGER.info("Keyboard added: %s", kb.name)
        except Exception as err:  # a flaky device must not end the listener
            _LOGGER.debug("Rescanning keyboards: %s", err)

    def _read(self, kb: Keyboard) -> None:
        try:
            data = os.read(kb.fd, EVENT.size * 64)
        except BlockingIOError:
            return
        except OSError as err:
            if err.errno not in (errno.ENODEV, errno.EIO, errno.EBADF):
                _LOGGER.warning("Reading %s: %s", kb.name, err.strerror)
            data = b""
        if not data:
            self._drop(kb)
            return
        buf = self._pending.pop(kb.fd, b"") + data
        whole = len(buf) - len(buf) % EVENT.size
        if whole < len(buf):
            self._pending[kb.fd] = buf[whole:]
        for offset in range(0, whole, EVENT.size):
            _sec, _usec, etype, code, value = EVENT.unpack_from(buf, offset)
            self._event(etype, code, value)

    def _event(self, etype: int, code: int, value: int) -> None:
        if etype == EV_SYN and code == SYN_DROPPED:
            self.matcher.reset()  # events were lost: forget what we think is held
            return
        if etype != EV_KEY or value == KEY_REPEAT:
            return
        name = key_names().get(code, f"vk{code}")
        try:
            if value == KEY_DOWN:
                self.matcher.key_down(name)
            elif value == KEY_UP:
                self.matcher.key_up(name)
        except Exception as err:  # a bug in a handler must not kill the listener
            _LOGGER.error("Error in hotkey handler: %s", err)
            _LOGGER.debug("Traceback", exc_info=True)

    def _drop(self, kb: Keyboard) -> None:
        _LOGGER.info("Keyboard gone: %s", kb.name)
        try:
            self._sel.unregister(kb.fd)
        except (KeyError, ValueError):
            pass
        self._keyboards.pop(kb.fd, None)
        self._pending.pop(kb.fd, None)
        kb.close()
