"""Putting text at the cursor of the focused app.

Methods: ``type`` (synthetic key presses: XTEST on X11, wtype, the
RemoteDesktop portal or ydotool on Wayland, pynput elsewhere), ``portal``
(keysyms through the RemoteDesktop portal, :mod:`sayso.desktop.portal.remote`),
``paste`` (clipboard + Ctrl+V or Shift+Insert,
then the user's clipboard restored byte-exact once the target has read it)
and ``auto``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from typing import Optional

from ..core.chords import parse_binding
from ..core.config_types import OutputConfig
from ..core.edit import Edit
from ..core.errors import OutputError, SaysoError
from .clipboard import Clipboard, XclipClipboard

_LOGGER = logging.getLogger(__name__)


class Output:
    """Inserts :class:`Edit` s through the configured method."""

    def __init__(self, cfg: OutputConfig, session: str, clipboard: Optional[Clipboard] = None, notifier=None) -> None:
        self.cfg = cfg
        self.session = session
        self.clipboard = clipboard
        self.notifier = notifier  # told when typing falls back to another method
        self._xkb = None
        self._portal = None  # sayso.desktop.portal.remote.PortalKeyboard, opened on first use
        self._unusable: dict = {}  # method -> why (e.g. no virtual keyboard protocol on GNOME)
        self._warned: set = set()

    # --- helpers ------------------------------------------------------------
    @property
    def xkb(self):
        if self._xkb is None:
            from .x11 import XKeyboard

            self._xkb = XKeyboard(delay_ms=self.cfg.type_delay_ms)
        return self._xkb

    def methods(self) -> list:
        """The methods to try, in order, for this session and config."""
        m = self.cfg.method
        if self.session == "x11":
            order = {"auto": ["type", "paste"], "type": ["type"], "paste": ["paste"], "xdotool": ["xdotool"]}
        elif self.session == "wayland":
            order = {
                "auto": ["wtype", "portal", "ydotool", "paste"],
                "type": ["wtype", "portal", "ydotool"],
                "paste": ["paste"],
                "wtype": ["wtype"],
                "ydotool": ["ydotool"],
            }
        else:
            order = {"auto": ["pynput", "paste"], "type": ["pynput"], "paste": ["paste"]}
        return order.get(m, [m])

    def context(self) -> Optional[object]:
        """An id of the focused window (spacing resets when it changes)."""
        if self.session != "x11":
            return None
        try:
            return self.xkb.focused_window_id()
        except SaysoError:
            return None

    def keys_held(self) -> Optional[bool]:
        """Is any key down now? None when this session cannot tell."""
        if self.session != "x11":
            return None
        try:
            return bool(self.xkb.held_keys())
        except SaysoError:
            return None

    @property
    def can_watch_keys(self) -> bool:
        """Can this session tell whether the user pressed a key (X11)?"""
        return self.session == "x11"

    def watch_keys(self, ignore=()) -> Optional[object]:
        """Start noticing the user's key presses (:class:`sayso.desktop.x11.KeyWatch`),
        or None where this session cannot (then nothing typed is corrected)."""
        if self.session != "x11":
            return None
        try:
            from .x11 import KeyWatch

            return KeyWatch(ignore)
        except SaysoError as err:
            _LOGGER.debug("%s", err)
            return None

    def wait_keys_released(self) -> None:
        """Before keys are sent: every key up (X11; elsewhere a moment for
        the hotkey's release to arrive).  The XTEST typer waits itself,
        between characters too, and checks the focus."""
        if self.session != "x11":
            time.sleep(0.05)
            return
        if not self.xkb.wait_keys_released(self.cfg.modifier_timeout_s):
            raise OutputError("keys are still held down; not typing (the text is kept)")

    # --- insertion ----------------------------------------------------------
    def insert(self, edit: Edit) -> str:
        """Insert *edit*; returns the method used. OutputError if all fail."""
        if edit.empty:
            return "none"
        if self.session != "x11":
            self.wait_keys_released()
        errors = []
        for method in self.methods():
            if method in self._unusable:
                errors.append(f"{method}: {self._unusable[method]}")
                continue
            try:
                getattr(self, f"_insert_{method}")(edit)
            except SaysoError as err:
                errors.append(f"{method}: {err}")
                _LOGGER.warning("Output method %s failed: %s", method, err)
                if _NO_VIRTUAL_KEYBOARD in str(err).lower():
                    self._unusable[method] = "the compositor lacks the virtual keyboard protocol"
                continue
            if errors:
                self._fell_back(method, errors)
            return method
        raise OutputError("could not insert the text (" + "; ".join(errors) + ")")

    def _fell_back(self, method: str, errors: list) -> None:
        """Never fall back silently: log every time, notify once per cause."""
        _LOGGER.warning("Text inserted with %s after: %s", method, "; ".join(errors))
        key = (method, tuple(e.split(":", 1)[0] for e in errors))
        if key in self._warned or self.notifier is None:
            return
        self._warned.add(key)
        self.notifier.notify(
            f"sayso typed with {method} instead", "; ".join(errors) + ". Run 'sayso doctor'.", urgency="normal"
        )

    def _insert_type(self, edit: Edit) -> None:
        if self.session != "x11":
            raise OutputError("the XTEST typer needs X11")
        if edit.delete:
            self.xkb.backspace(edit.delete, self.cfg.modifier_timeout_s)
        self.xkb.type_text(edit.text, self.cfg.modifier_timeout_s)

    def _insert_xdotool(self, edit: Edit) -> None:
        self.wait_keys_released()
        if edit.delete:
            _tool(["xdotool", "key", "--repeat", str(edit.delete), "BackSpace"])
        _tool(["xdotool", "type", "--delay", str(max(1, self.cfg.type_delay_ms)), "--", edit.text])

    def _insert_wtype(self, edit: Edit) -> None:
        # wtype uploads a keymap first; XWayland apps drop the first key sent right after it
        if edit.delete:
            _tool(["wtype", "-s", _WTYPE_SETTLE_MS] + ["-k", "BackSpace"] * edit.delete)
        _tool(["wtype", "-s", _WTYPE_SETTLE_MS, "--", edit.text])

    def _insert_ydotool(self, edit: Edit) -> None:
        if edit.delete:
            _tool(["ydotool", "key"] + ["14:1", "14:0"] * edit.delete)
        _tool(["ydotool", "type", "--", edit.text])

    @property
    def portal(self):
        """The RemoteDesktop keyboard session (OutputError where the portal offers none)."""
        if "portal" in self._unusable:
            raise OutputError(self._unusable["portal"])
        if self._portal is None:
            from .portal.remote import PortalKeyboard

            why = PortalKeyboard.is_available()
            if why:
                self._unusable["portal"] = why
                raise OutputError(why)
            self._portal = PortalKeyboard(key_delay_ms=self.cfg.type_delay_ms)
        return self._portal

    def _insert_portal(self, edit: Edit) -> None:
        self._portal_call(lambda kb: kb.insert(edit))

    def _portal_call(self, fn) -> None:
        from .portal.bus import BusError
        from .portal.xdp import PortalError

        try:
            fn(self.portal)
        except (PortalError, BusError, ValueError) as err:  # ValueError: a key with no keysym
            raise OutputError(f"the RemoteDesktop portal: {err}") from None

    def _portal_keys(self) -> bool:
        return "portal" in self.methods() and "portal" not in self._unusable

    def close(self) -> None:
        """End the portal session, if one was opened."""
        portal, self._portal = self._portal, None
        if portal is not None:
            portal.stop()

    def _insert_pynput(self, edit: Edit) -> None:
        from pynput.keyboard import Controller, Key

        kb = Controller()
        for _ in range(edit.delete):
            kb.tap(Key.backspace)
        try:
            kb.type(edit.text)
        except Controller.InvalidCharacterException as err:
            raise OutputError(f"cannot type character {err.args[1]!r}") from None

    def _insert_paste(self, edit: Edit) -> None:
        if self.session == "x11":
            self.wait_keys_released()
        if edit.delete:
            self.press_keys("backspace", repeat=edit.delete)
        self.paste_text(edit.text)

    def paste_text(self, text: str) -> None:
        """Paste through the clipboard, then restore it byte-exact."""
        if self.clipboard is None:
            raise OutputError("no clipboard tool for paste")
        snap = self.clipboard.snapshot("clipboard")
        keys = self.cfg.terminal_paste_keys if self._in_terminal() else self.cfg.paste_keys
        try:
            if isinstance(self.clipboard, XclipClipboard):
                owner = self.clipboard.serve(text.encode("utf-8"), None, "clipboard")
                self.press_keys(keys)
                if not owner.wait_read(timeout=max(1.0, self.cfg.restore_delay_ms / 1000 * 5)):
                    _LOGGER.warning("The target window did not read the pasted text")
            else:
                self.clipboard.write_text(text, "clipboard")
                self.press_keys(keys)
                time.sleep(self.cfg.restore_delay_ms / 1000)
        finally:
            self.clipboard.restore(snap)

    def _in_terminal(self) -> bool:
        if self.session != "x11":
            return False
        try:
            cls = self.xkb.focused_window_class()
        except SaysoError:
            return False
        return any(term in cls for term in self.cfg.terminal_classes)

    def press_keys(self, binding: str, repeat: int = 1) -> None:
        """Press a key chord such as ``<ctrl>+v`` in the focused window."""
        if self.cfg.method == "portal":  # the same session as the typing: no other tool needed
            self._portal_call(lambda kb: kb.press_keys(binding, repeat))
            return
        b = parse_binding(binding)
        keys = sorted(b.modifiers) + [b.key]
        for _ in range(repeat):
            if self.session == "x11":
                self.xkb.chord(keys)
            elif self.session == "wayland":
                self._wayland_chord(b.modifiers, b.key)
            else:
                _pynput_chord(keys)

    def _wayland_chord(self, modifiers, key: str) -> None:
        """A key chord on Wayland: wtype, else the RemoteDesktop portal or ydotool (both work on GNOME)."""
        if shutil.which("wtype") and "wtype" not in self._unusable:
            mods = [a for m in sorted(modifiers) for a in ("-M", m)]
            rel = [a for m in sorted(modifiers) for a in ("-m", m)]
            try:
                _tool(["wtype", "-s", _WTYPE_SETTLE_MS, *mods, "-k", _wtype_key(key), *rel])
                return
            except OutputError as err:
                if _NO_VIRTUAL_KEYBOARD not in str(err).lower() or not (shutil.which("ydotool") or self._portal_keys()):
                    raise
                self._unusable["wtype"] = "the compositor lacks the virtual keyboard protocol"
                _LOGGER.warning(
                    "wtype cannot send keys here (%s); using %s",
                    err,
                    "the portal" if self._portal_keys() else "ydotool",
                )
        if self._portal_keys():
            try:
                self._portal_call(lambda kb: kb.press_keys(_chord_text(modifiers, key)))
                return
            except OutputError as err:
                _LOGGER.warning("Cannot send %s through the portal: %s", key, err)
        codes = [_LINUX_KEYCODES[m.split("_")[0]] for m in sorted(modifiers)]
        if key not in _LINUX_KEYCODES:
            raise OutputError(f"ydotool: no key code for {key!r}")
        codes.append(_LINUX_KEYCODES[key])
        _tool(["ydotool", "key", *[f"{c}:1" for c in codes], *[f"{c}:0" for c in reversed(codes)]])


_WTYPE_SETTLE_MS = "30"
_NO_VIRTUAL_KEYBOARD = "virtual keyboard protocol"
#: Linux input key codes (input-event-codes.h) for the chords sayso sends with ydotool
_LINUX_KEYCODES = {
    "ctrl": 29,
    "shift": 42,
    "alt": 56,
    "cmd": 125,
    "v": 47,
    "c": 46,
    "insert": 110,
    "backspace": 14,
    "enter": 28,
    "space": 57,
}


def _chord_text(modifiers, key: str) -> str:
    """``{"ctrl"}, "v"`` -> ``<ctrl>+v`` (the binding syntax the portal keyboard takes)."""
    parts = [f"<{m}>" for m in sorted(modifiers)]
    return "+".join(parts + [key if len(key) == 1 else f"<{key}>"])


def _wtype_key(key: str) -> str:
    return {"insert": "Insert", "backspace": "BackSpace", "enter": "Return", "space": "space"}.get(key, key)


def _pynput_chord(keys: list) -> None:
    from pynput.keyboard import Controller, Key

    kb = Controller()
    objs = [getattr(Key, k) if hasattr(Key, k) else k for k in keys]
    for k in objs:
        kb.press(k)
    for k in reversed(objs):
        kb.release(k)


def _tool(cmd: list) -> None:
    if shutil.which(cmd[0]) is None:
        raise OutputError(f"{cmd[0]} is not installed")
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        raise OutputError(f"{cmd[0]} did not finish") from None
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise OutputError(f"{cmd[0]} failed: {err[0] if err else proc.returncode}")
