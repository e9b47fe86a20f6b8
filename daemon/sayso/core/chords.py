"""Hotkey bindings: parsing, exact chord matching and press modes.

This module is pure logic (no X, no pynput): key names go in, binding
events come out.  The listener backends (``hotkey_backends.py``) translate
their native key events into the names used here.

Binding strings follow pynput's ``HotKey.parse`` syntax: ``<ctrl>+<alt>+space``,
``<ctrl_r>``, ``<f9>``, ``<ctrl>+d``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

_LOGGER = logging.getLogger(__name__)

#: generic modifier -> the side-specific key names that satisfy it
MODIFIERS = {
    "ctrl": ("ctrl", "ctrl_l", "ctrl_r"),
    "alt": ("alt", "alt_l", "alt_r", "alt_gr"),
    "shift": ("shift", "shift_l", "shift_r"),
    "cmd": ("cmd", "cmd_l", "cmd_r"),
}
ALIASES = {  # other names people write for sayso's key names
    "control": "ctrl",
    "ctl": "ctrl",
    "option": "alt",
    "super": "cmd",
    "win": "cmd",
    "meta": "cmd",
    "escape": "esc",
    "return": "enter",
    "del": "delete",
    "ins": "insert",
    "pgup": "page_up",
    "pgdn": "page_down",
    "altgr": "alt_gr",
    "spacebar": "space",
    "control_l": "ctrl_l",
    "control_r": "ctrl_r",
    "super_l": "cmd_l",
    "super_r": "cmd_r",
}
#: sayso modifier name -> the X keysym pressed for it (X11 typing and the RemoteDesktop portal)
MODIFIER_KEYSYMS = {
    "ctrl": "Control_L",
    "ctrl_l": "Control_L",
    "ctrl_r": "Control_R",
    "alt": "Alt_L",
    "alt_l": "Alt_L",
    "alt_r": "Alt_R",
    "shift": "Shift_L",
    "shift_l": "Shift_L",
    "shift_r": "Shift_R",
    "cmd": "Super_L",
    "cmd_l": "Super_L",
    "cmd_r": "Super_R",
    "alt_gr": "ISO_Level3_Shift",
}
_NAMED_KEYS = {
    "space",
    "tab",
    "enter",
    "esc",
    "backspace",
    "delete",
    "insert",
    "home",
    "end",
    "page_up",
    "page_down",
    "up",
    "down",
    "left",
    "right",
    "caps_lock",
    "num_lock",
    "scroll_lock",
    "pause",
    "print_screen",
    "menu",
} | {f"f{i}" for i in range(1, 25)}
_SIDE_OF = {side: generic for generic, sides in MODIFIERS.items() for side in sides}
_CHAR_NAMES = {"plus": "+", "minus": "-", "comma": ",", "period": ".", "slash": "/"}


def is_modifier(name: str) -> bool:
    return name in _SIDE_OF


def modifier_group(name: str) -> Optional[str]:
    return _SIDE_OF.get(name)


@dataclass(frozen=True)
class Binding:
    """A parsed hotkey: modifiers that must be held plus one trigger key.

    For a lone-modifier binding (``<ctrl_r>``) ``key`` is that modifier and
    ``modifiers`` is empty.
    """

    key: str
    modifiers: frozenset[str] = field(default_factory=frozenset)
    text: str = ""

    @property
    def lone_modifier(self) -> bool:
        return is_modifier(self.key) and not self.modifiers

    def __str__(self) -> str:
        return self.text or "+".join([f"<{m}>" for m in sorted(self.modifiers)] + [self.key])


def _normalize(token: str) -> str:
    name = token.strip().lower()
    if name.startswith("<") and name.endswith(">"):
        name = name[1:-1].strip()
    name = ALIASES.get(name, name)
    return _CHAR_NAMES.get(name, name)


def parse_binding(text: str) -> Binding:
    """Parse ``<ctrl>+<alt>+space`` into a :class:`Binding` (ValueError if bad)."""
    if not text or not text.strip():
        raise ValueError("empty hotkey")
    raw = text.strip()
    # split on '+' but allow a literal '+' key at the end ("<ctrl>++")
    tokens = raw.split("+")
    if raw.endswith("++"):
        tokens = tokens[:-2] + ["+"]
    tokens = [t for t in tokens if t.strip() != ""] or tokens
    names = []
    for token in tokens:
        name = _normalize(token)
        if not name:
            raise ValueError(f"empty key in hotkey {raw!r}")
        if not (is_modifier(name) or name in _NAMED_KEYS or len(name) == 1 or _is_vk(name)):
            raise ValueError(f"unknown key name {token.strip()!r} in hotkey {raw!r}")
        names.append(name)
    if len(set(names)) != len(names):
        raise ValueError(f"key repeated in hotkey {raw!r}")
    if len(names) == 1:
        return Binding(key=names[0], text=raw)
    *mods, key = names
    if is_modifier(key):
        raise ValueError(f"hotkey {raw!r} ends in a modifier; put the normal key last")
    for mod in mods:
        if not is_modifier(mod):
            raise ValueError(f"{mod!r} is not a modifier in hotkey {raw!r} (only the last key may be a normal key)")
    return Binding(key=key, modifiers=frozenset(mods), text=raw)


def _is_vk(name: str) -> bool:
    return name.startswith("vk") and name[2:].isdigit()


def _mod_satisfied(required: str, held: set[str]) -> bool:
    """Is the (possibly side-specific) modifier *required* held?"""
    if required in MODIFIERS:
        return any(k in held for k in MODIFIERS[required])
    return required in held


# --------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------

PRESS, RELEASE, ABORT = "press", "release", "abort"


class ChordMatcher:
    """Turns key down/up names into (binding name, event) with exact matching.

    - ``<ctrl>+<alt>+d`` fires only when exactly Ctrl and Alt are held: not
      on Ctrl+Alt+Shift+D.
    - A lone-modifier binding (``<ctrl_r>``) fires on press with nothing else
      held, and emits ``abort`` if another key is pressed while it is held
      (it was part of a shortcut such as Right Ctrl + C).
    """

    def __init__(
        self, bindings: dict[str, Binding], emit: Callable[[str, str], None], loose: tuple[str, ...] = ()
    ) -> None:
        self.bindings = {name: b for name, b in bindings.items() if b is not None}
        self.emit = emit
        self.loose = set(loose)  # bindings that fire whatever else is held (Escape)
        self.held: set[str] = set()
        self.active: dict[str, Binding] = {}  # binding name -> Binding while it is pressed

    def key_down(self, key: str) -> None:
        if key in self.held:  # auto-repeat
            return
        for name, binding in list(self.active.items()):
            if binding.lone_modifier and key != binding.key:
                del self.active[name]
                self.emit(name, ABORT)
        others = self.held.copy()
        self.held.add(key)
        for name, binding in self.bindings.items():
            if name in self.active:
                continue
            if binding.lone_modifier:
                if key == binding.key or (binding.key in MODIFIERS and key in MODIFIERS[binding.key]):
                    if not others:
                        self.active[name] = binding
                        self.emit(name, PRESS)
                continue
            if key != binding.key:
                continue
            if name in self.loose and all(_mod_satisfied(m, others) for m in binding.modifiers):
                self.active[name] = binding
                self.emit(name, PRESS)
            elif self._exact_modifiers(binding, others):
                self.active[name] = binding
                self.emit(name, PRESS)

    def key_up(self, key: str) -> None:
        self.held.discard(key)
        for name, binding in list(self.active.items()):
            ends = key == binding.key or (
                binding.lone_modifier and binding.key in MODIFIERS and key in MODIFIERS[binding.key]
            )
            if not ends and key in _SIDE_OF:
                ends = any(_mod_satisfied(m, {key}) for m in binding.modifiers) and not all(
                    _mod_satisfied(m, self.held) for m in binding.modifiers
                )
            if ends:
                del self.active[name]
                self.emit(name, RELEASE)

    def reset(self) -> None:
        self.held.clear()
        self.active.clear()

    @staticmethod
    def _exact_modifiers(binding: Binding, others: set[str]) -> bool:
        held_mods = {k for k in others if is_modifier(k)}
        if any(not is_modifier(k) for k in others):
            return False  # another normal key is down: not this chord
        if not all(_mod_satisfied(m, held_mods) for m in binding.modifiers):
            return False
        for key in held_mods:  # every held modifier must be asked for
            if not any(key == m or key in MODIFIERS.get(m, ()) for m in binding.modifiers):
                return False
        return True


class PressMode:
    """Turns binding press/release into start/stop for hold, toggle and auto.

    ``auto``: a tap shorter than ``tap_ms`` toggles, a longer hold is
    push-to-talk.
    """

    def __init__(
        self,
        mode: str,
        tap_ms: int,
        start: Callable[[], None],
        stop: Callable[[], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.mode = mode
        self.tap_s = tap_ms / 1000.0
        self.start, self.stop = start, stop
        self.clock = clock
        self.recording = False
        self._pressed_at: Optional[float] = None
        self._latched = False

    def press(self) -> None:
        if self.recording:
            if self.mode in ("toggle", "auto") and (self._latched or self.mode == "toggle"):
                self._finish()
                self._pressed_at = None
            return
        self.recording = True
        self._latched = False
        self._pressed_at = self.clock()
        self.start()

    def release(self) -> None:
        if not self.recording or self._pressed_at is None:
            return
        held = self.clock() - self._pressed_at
        self._pressed_at = None
        if self.mode == "hold" or (self.mode == "auto" and held >= self.tap_s):
            self._finish()
        else:
            self._latched = True  # tap: keep recording until the next press

    def toggle(self) -> None:
        """Start a latched recording, or finish the current one."""
        if self.recording:
            self._finish()
            return
        self.recording, self._latched, self._pressed_at = True, True, None
        self.start()

    def abort(self) -> None:
        """The key was part of a shortcut or recording ended elsewhere."""
        self.recording = False
        self._pressed_at = None
        self._latched = False

    def _finish(self) -> None:
        self.recording = False
        self._latched = False
        self.stop()
