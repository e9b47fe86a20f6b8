"""X11 keyboard output through XTEST, with exact Unicode.

Characters the keymap lacks are bound to spare keycodes on *both* shift
levels before typing.  (Binding one keysym alone lets X apply its lower/upper
rule: xdotool and pynput were seen typing "ü" or "ï" for "Ü" on Xvfb.)
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from typing import Iterable, Optional

from ..core.chords import MODIFIER_KEYSYMS
from ..core.errors import OutputError

_LOGGER = logging.getLogger(__name__)

_SPECIAL = {"\n": "Return", "\t": "Tab", "\b": "BackSpace"}
_KEY_NAMES = {
    **MODIFIER_KEYSYMS,
    "space": "space",
    "enter": "Return",
    "esc": "Escape",
    "tab": "Tab",
    "backspace": "BackSpace",
    "delete": "Delete",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "page_up": "Prior",
    "page_down": "Next",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "menu": "Menu",
}


def char_keysym(ch: str) -> int:
    from Xlib import XK

    if ch in _SPECIAL:
        return XK.string_to_keysym(_SPECIAL[ch])
    code = ord(ch)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code  # Latin-1 keysyms equal their code points
    return 0x01000000 | code  # Unicode keysym


class XKeyboard:
    """Types text and key chords into the focused X window via XTEST."""

    _lock = threading.Lock()  # one typist at a time in this process

    def __init__(self, display_name: Optional[str] = None, delay_ms: int = 2) -> None:
        try:
            from Xlib import display as xdisplay

            self.d = xdisplay.Display(display_name)
        except Exception as err:  # DisplayError, ConnectionError...
            raise OutputError(f"cannot open the X display: {err}") from None
        if not self.d.has_extension("XTEST"):
            raise OutputError("the X server has no XTEST extension: cannot type")
        self.delay = delay_ms / 1000.0

    def close(self) -> None:
        self.d.close()

    # --- queries ------------------------------------------------------------
    def _mapping(self):
        info = self.d.display.info
        first = info.min_keycode
        return first, self.d.get_keyboard_mapping(first, info.max_keycode - first + 1)

    def held_keys(self) -> list:
        """Keycodes of all keys that are down now (modifiers included)."""
        keys = self.d.query_keymap()
        return [i * 8 + bit for i, byte in enumerate(keys) for bit in range(8) if byte & (1 << bit)]

    def wait_keys_released(self, timeout: float) -> bool:
        """Wait until the user lets go of every key.

        Held modifiers would turn typed text into shortcuts, and a key still
        down (the Space of Ctrl+Alt+Space, released a moment after Ctrl)
        would swallow the same key when we type it.
        """
        deadline = time.monotonic() + timeout
        while self.held_keys():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def focused_window_class(self) -> str:
        """WM_CLASS of the window with input focus (walking up to a named one)."""
        win = self.d.get_input_focus().focus
        for _ in range(10):
            if not hasattr(win, "get_wm_class"):
                return ""
            cls = win.get_wm_class()
            if cls:
                return " ".join(cls).lower()
            parent = win.query_tree().parent
            if not parent or parent == self.d.screen().root:
                return ""
            win = parent
        return ""

    def focused_window_id(self) -> int:
        """The top-level window holding the focus (apps move the X focus
        between their own subwindows, which must not look like a new place)."""
        win = self.d.get_input_focus().focus
        root = self.d.screen().root
        for _ in range(20):
            if not hasattr(win, "query_tree"):
                return 0
            parent = win.query_tree().parent
            if not parent or parent == root:
                return win.id
            win = parent
        return win.id

    # --- typing -------------------------------------------------------------
    def type_text(self, text: str, hold_timeout: float = 300.0) -> None:
        """Type *text* into the focused window.  Between characters, while
        the user holds any key (the next dictation's chord, a shortcut),
        typing pauses: a character typed under Ctrl+Alt is a shortcut, not
        text.  It resumes when every key is up, if the focus is still where
        it was; otherwise (or after *hold_timeout*) OutputError, saying how
        much was typed."""
        with self._lock:
            first, mapping = self._mapping()
            plan, spare_used = self._plan(text, first, mapping)
            focus = self.focused_window_id()
            try:
                if spare_used:
                    self.d.sync()
                    time.sleep(0.05)  # clients refresh their keymap (MappingNotify)
                for done, (keycode, shift) in enumerate(plan):
                    self._hands_off(focus, hold_timeout, done, len(plan))
                    self._tap(keycode, shift)
                self.d.sync()
                time.sleep(0.05)
            finally:
                if spare_used:
                    for kc in spare_used:
                        self.d.change_keyboard_mapping(kc, [(0, 0)])
                    self.d.sync()

    def _hands_off(self, focus: int, timeout: float, done: int, total: int) -> None:
        """Wait while the user holds a key (see :meth:`type_text`)."""
        if not self.held_keys():
            return
        _LOGGER.debug("A key is down: typing paused after %d of %d characters", done, total)
        deadline = time.monotonic() + timeout
        while self.held_keys():
            if time.monotonic() > deadline:
                raise OutputError(f"keys held for {timeout:.0f} s while typing; {done} of {total} characters typed")
            time.sleep(0.015)
        if self.focused_window_id() != focus:
            raise OutputError(f"the focus moved while typing; {done} of {total} characters typed")

    def _plan(self, text: str, first: int, mapping) -> tuple:
        """(keycode, needs_shift) per character; binds spare keycodes as needed."""
        where = {}
        for i, syms in enumerate(mapping):
            for level, sym in enumerate(syms[:2]):
                if sym and sym not in where:
                    where[sym] = (first + i, level == 1)
        spares = [first + i for i, syms in enumerate(mapping) if not any(syms)]
        bound, used, plan = {}, [], []
        for ch in text:
            sym = char_keysym(ch)
            if sym in where:
                plan.append(where[sym])
                continue
            if sym not in bound:
                if not spares:
                    raise OutputError("too many different characters to type at once")
                kc = spares.pop()
                self.d.change_keyboard_mapping(kc, [(sym, sym)])
                bound[sym] = kc
                used.append(kc)
            plan.append((bound[sym], False))
        return plan, used

    def _tap(self, keycode: int, shift: bool) -> None:
        from Xlib import X
        from Xlib.ext import xtest

        shift_kc = self.d.keysym_to_keycode(0xFFE1) if shift else 0
        if shift_kc:
            xtest.fake_input(self.d, X.KeyPress, shift_kc)
        xtest.fake_input(self.d, X.KeyPress, keycode)
        xtest.fake_input(self.d, X.KeyRelease, keycode)
        if shift_kc:
            xtest.fake_input(self.d, X.KeyRelease, shift_kc)
        self.d.sync()
        if self.delay:
            time.sleep(self.delay)

    def chord(self, keys: Iterable[str]) -> None:
        """Press a chord given as binding key names, e.g. ["ctrl", "v"]."""
        from Xlib import XK, X
        from Xlib.ext import xtest

        codes = []
        for name in keys:
            sym = XK.string_to_keysym(_KEY_NAMES.get(name, name))
            if not sym and len(name) == 1:
                sym = char_keysym(name)
            if not sym and name.startswith("f") and name[1:].isdigit():
                sym = XK.string_to_keysym(name.upper())
            kc = self.d.keysym_to_keycode(sym) if sym else 0
            if not kc:
                raise OutputError(f"key {name!r} is not on this keyboard")
            codes.append(kc)
        with self._lock:
            for kc in codes:
                xtest.fake_input(self.d, X.KeyPress, kc)
            for kc in reversed(codes):
                xtest.fake_input(self.d, X.KeyRelease, kc)
            self.d.sync()

    def backspace(self, count: int, hold_timeout: float = 300.0) -> None:
        focus = self.focused_window_id()
        for done in range(count):
            self._hands_off(focus, hold_timeout, done, count)
            self.chord(["backspace"])
            if self.delay:
                time.sleep(self.delay)


class KeyWatch:
    """Notices whether the user presses a key while it runs: polls the key
    state (XQueryKeymap) every *interval* on a connection of its own.
    Modifiers and the keys named in *ignore* (the dictation hotkey) do not
    count: pressing them types nothing."""

    def __init__(self, ignore: Iterable[str] = (), interval: float = 0.015) -> None:
        from Xlib import display

        try:
            self._d = display.Display()
        except Exception as err:
            raise OutputError(f"cannot open the X display: {err}") from None
        self._ignore = self._modifier_codes() | self._codes(ignore)
        self.touched = False
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="sayso-keywatch")
        self._thread.start()

    def _modifier_codes(self) -> set:
        return {kc for row in self._d.get_modifier_mapping() for kc in row if kc}

    def _codes(self, names: Iterable[str]) -> set:
        from Xlib import XK

        codes = set()
        for name in names:
            sym = XK.string_to_keysym(_KEY_NAMES.get(name, name)) or (char_keysym(name) if len(name) == 1 else 0)
            if sym:
                codes.add(self._d.keysym_to_keycode(sym))
        return codes

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._interval):
                keys = self._d.query_keymap()
                down = {i * 8 + bit for i, byte in enumerate(keys) for bit in range(8) if byte & (1 << bit)}
                if down - self._ignore:
                    self.touched = True
                    return
        except Exception as err:  # the display went away: assume the worst
            _LOGGER.debug("Key watch stopped: %s", err)
            self.touched = True

    def stop(self) -> bool:
        """Stop watching; whether a key was pressed meanwhile."""
        self._stop.set()
        self._thread.join(1.0)
        try:
            self._d.close()
        except Exception:
            pass
        return self.touched


class KeyGrabber:
    """Passive X grabs so the focused app never sees sayso's hotkeys.

    Without it, holding Ctrl+Alt+Space lets the app receive autorepeated
    Space presses, and one arrives bare if Ctrl is let go first. Key events
    are still seen by the RECORD-based listener, which does the matching.
    Only chords with a normal key and generic modifiers are grabbed.
    """

    _MASKS = {"ctrl": "ControlMask", "shift": "ShiftMask", "alt": "Mod1Mask", "cmd": "Mod4Mask"}

    def __init__(self, display_name: Optional[str] = None) -> None:
        from Xlib import display as xdisplay

        self.d = xdisplay.Display(display_name)
        self.root = self.d.screen().root
        self.grabbed: list = []
        self._stop = threading.Event()
        self._wake = os.pipe()  # close() wakes the drain thread
        self._thread: Optional[threading.Thread] = None

    def grab(self, binding) -> bool:
        """Grab *binding*; False when it cannot be grabbed (left to the app)."""
        from Xlib import XK, X, error

        if binding.lone_modifier or any(m not in self._MASKS for m in binding.modifiers):
            return False
        name = _KEY_NAMES.get(binding.key, binding.key)
        sym = XK.string_to_keysym(name.upper() if name.startswith("f") and name[1:].isdigit() else name)
        if not sym and len(binding.key) == 1:
            sym = char_keysym(binding.key)
        keycode = self.d.keysym_to_keycode(sym) if sym else 0
        if not keycode:
            return False
        mask = 0
        for mod in binding.modifiers:
            mask |= getattr(X, self._MASKS[mod])
        catcher = error.CatchError(error.BadAccess)
        for extra in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):  # CapsLock, NumLock
            self.root.grab_key(keycode, mask | extra, False, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher)
        self.d.sync()
        if catcher.get_error():
            _LOGGER.warning("Hotkey %s is taken by another program; apps will also see it", binding)
            return False
        self.grabbed.append((keycode, mask))
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._drain, daemon=True, name="x-grab")
        self._thread.start()

    def _drain(self) -> None:
        """Read (and drop) the grabbed events so the connection never backs up.

        Sleeps in select() until the X server sends something (no polling:
        an idle daemon must not wake up)."""
        while not self._stop.is_set():
            while self.d.pending_events():
                self.d.next_event()
            ready, _, _ = select.select([self.d.fileno(), self._wake[0]], [], [])
            if self._wake[0] in ready:
                return

    def close(self) -> None:
        from Xlib import X

        if self._stop.is_set():
            return
        self._stop.set()
        os.write(self._wake[1], b"x")
        if self._thread is not None:
            self._thread.join(1)
        for fd in self._wake:
            os.close(fd)
        try:
            for keycode, mask in self.grabbed:
                for extra in (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask):
                    self.root.ungrab_key(keycode, mask | extra)
            self.d.sync()
            self.d.close()
        except Exception as err:  # the X server may be gone already
            _LOGGER.debug("Ungrab failed: %s", err)
