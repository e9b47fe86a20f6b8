"""Pure key-name conversions for the portals (no D-Bus here).

- :func:`to_portal_trigger`: sayso's binding syntax (``<ctrl>+<alt>+space``)
  to the XDG shortcuts-spec trigger that GlobalShortcuts' ``preferred_trigger``
  takes (``CTRL+ALT+space``: modifiers ``CTRL ALT SHIFT LOGO``, then an xkb
  keysym name).
- :func:`char_keysym` / :func:`text_keysyms` / :func:`chord_keysyms`: what
  RemoteDesktop's ``NotifyKeyboardKeysym`` gets for text and key chords.
"""

from __future__ import annotations

from typing import Optional

from ...core.chords import ALIASES, MODIFIER_KEYSYMS

#: sayso modifier name -> shortcuts-spec modifier
TRIGGER_MODIFIERS = {
    "ctrl": "CTRL",
    "ctrl_l": "CTRL",
    "ctrl_r": "CTRL",
    "alt": "ALT",
    "alt_l": "ALT",
    "alt_r": "ALT",
    "shift": "SHIFT",
    "shift_l": "SHIFT",
    "shift_r": "SHIFT",
    "cmd": "LOGO",
    "cmd_l": "LOGO",
    "cmd_r": "LOGO",
}
_MODIFIER_ORDER = ("CTRL", "ALT", "SHIFT", "LOGO")
_ALIASES = {**ALIASES, "plus": "+", "minus": "-", "comma": ",", "period": ".", "slash": "/"}
#: sayso key name -> xkb keysym name
KEYSYM_NAMES = {
    "space": "space",
    "tab": "Tab",
    "enter": "Return",
    "esc": "Escape",
    "backspace": "BackSpace",
    "delete": "Delete",
    "insert": "Insert",
    "home": "Home",
    "end": "End",
    "page_up": "Page_Up",
    "page_down": "Page_Down",
    "up": "Up",
    "down": "Down",
    "left": "Left",
    "right": "Right",
    "caps_lock": "Caps_Lock",
    "num_lock": "Num_Lock",
    "scroll_lock": "Scroll_Lock",
    "pause": "Pause",
    "print_screen": "Print",
    "menu": "Menu",
    **{f"f{i}": f"F{i}" for i in range(1, 25)},
}
_PUNCTUATION = {
    "-": "minus",
    "=": "equal",
    "[": "bracketleft",
    "]": "bracketright",
    ";": "semicolon",
    "'": "apostrophe",
    "`": "grave",
    "\\": "backslash",
    ",": "comma",
    ".": "period",
    "/": "slash",
    "+": "plus",
    "*": "asterisk",
    "#": "numbersign",
}

#: xkb keysym values (xkbcommon-keysyms.h) for the keys sayso presses itself
KEYSYMS = {
    "BackSpace": 0xFF08,
    "Tab": 0xFF09,
    "Return": 0xFF0D,
    "Escape": 0xFF1B,
    "Delete": 0xFFFF,
    "Insert": 0xFF63,
    "Home": 0xFF50,
    "Left": 0xFF51,
    "Up": 0xFF52,
    "Right": 0xFF53,
    "Down": 0xFF54,
    "Page_Up": 0xFF55,
    "Page_Down": 0xFF56,
    "End": 0xFF57,
    "Menu": 0xFF67,
    "Pause": 0xFF13,
    "Print": 0xFF61,
    "Caps_Lock": 0xFFE5,
    "Num_Lock": 0xFF7F,
    "Scroll_Lock": 0xFF14,
    "space": 0x20,
    "Shift_L": 0xFFE1,
    "Shift_R": 0xFFE2,
    "Control_L": 0xFFE3,
    "Control_R": 0xFFE4,
    "Alt_L": 0xFFE9,
    "Alt_R": 0xFFEA,
    "Super_L": 0xFFEB,
    "Super_R": 0xFFEC,
    "ISO_Level3_Shift": 0xFE03,
    **{f"F{i}": 0xFFBE + i - 1 for i in range(1, 25)},
}
_TEXT_SPECIAL = {"\n": "Return", "\t": "Tab", "\b": "BackSpace"}


def _normalize(token: str) -> str:
    name = token.strip().lower()
    if name.startswith("<") and name.endswith(">"):
        name = name[1:-1].strip()
    return _ALIASES.get(name, name)


def split_binding(binding: str) -> list:
    """``<ctrl>+<alt>+space`` -> ``["ctrl", "alt", "space"]`` (names normalized as sayso does)."""
    raw = (binding or "").strip()
    if not raw:
        raise ValueError("empty hotkey")
    tokens = raw.split("+")
    if raw.endswith("++"):
        tokens = tokens[:-2] + ["+"]
    names = [_normalize(t) if t != "+" else "+" for t in tokens if t.strip() or t == "+"]
    if not names or any(not n for n in names):
        raise ValueError(f"empty key in hotkey {raw!r}")
    return names


def key_trigger_name(key: str) -> Optional[str]:
    """The xkb keysym name of a sayso (non-modifier) key name, None if it has none."""
    if key in KEYSYM_NAMES:
        return KEYSYM_NAMES[key]
    if len(key) == 1:
        if key.isascii() and key.isalnum():
            return key.lower()
        if key in _PUNCTUATION:
            return _PUNCTUATION[key]
        return f"U{ord(key):04X}"
    return None  # vk codes, lone modifiers


def to_portal_trigger(binding: str) -> Optional[str]:
    """``<ctrl>+<alt>+space`` -> ``CTRL+ALT+space``.

    None when the binding cannot be said in the shortcuts spec (a lone
    modifier such as ``<ctrl_r>``, AltGr, a raw ``vkNN`` code): the desktop
    then asks the user to pick the keys.  ValueError for a malformed binding.
    """
    *mods, key = split_binding(binding)
    if key in TRIGGER_MODIFIERS or key == "alt_gr":
        if mods:
            raise ValueError(f"hotkey {binding!r} ends in a modifier; put the normal key last")
        return None
    out = []
    for mod in mods:
        if mod == "alt_gr":
            return None
        if mod not in TRIGGER_MODIFIERS:
            raise ValueError(f"{mod!r} is not a modifier in hotkey {binding!r}")
        out.append(TRIGGER_MODIFIERS[mod])
    name = key_trigger_name(key)
    if name is None:
        return None
    ordered = [m for m in _MODIFIER_ORDER if m in out]
    return "+".join(ordered + [name])


def char_keysym(ch: str) -> int:
    """The keysym that types *ch*: Latin-1 = its code point, else 0x01000000 | code point."""
    if ch in _TEXT_SPECIAL:
        return KEYSYMS[_TEXT_SPECIAL[ch]]
    code = ord(ch)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return 0x01000000 | code


def text_keysyms(text: str) -> list:
    """One keysym per character of *text* ("\\r\\n" counts as one Return)."""
    return [char_keysym(ch) for ch in text.replace("\r\n", "\n").replace("\r", "\n")]


def key_keysym(name: str) -> int:
    """A sayso key name (``ctrl``, ``v``, ``insert``, ``f9``...) -> keysym."""
    name = _normalize(name)
    if name in MODIFIER_KEYSYMS:
        return KEYSYMS[MODIFIER_KEYSYMS[name]]
    if name in KEYSYM_NAMES:
        return KEYSYMS[KEYSYM_NAMES[name]]
    if len(name) == 1:
        return char_keysym(name)
    raise ValueError(f"no keysym for key {name!r}")


def chord_keysyms(chord: str) -> list:
    """``<ctrl>+v`` -> ``[Control_L, v]``: press in order, release in reverse."""
    return [key_keysym(name) for name in split_binding(chord)]
