"""Putting text at the cursor of the focused app.

Methods: ``type`` (synthetic key presses: XTEST on X11, wtype/ydotool on
Wayland, pynput elsewhere), ``paste`` (clipboard + Ctrl+V or Shift+Insert,
then the user's clipboard restored byte-exact once the target has read it)
and ``auto``.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from typing import Optional

from .clipboard import Clipboard, XclipClipboard
from .config import OutputConfig
from .errors import OutputError, SaysoError
from .hotkeys import parse_binding
from .postprocess import Edit

_LOGGER = logging.getLogger(__name__)


class Output:
    """Inserts :class:`Edit` s through the configured method."""

    def __init__(self, cfg: OutputConfig, session: str, clipboard: Optional[Clipboard] = None) -> None:
        self.cfg = cfg
        self.session = session
        self.clipboard = clipboard
        self._xkb = None

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
            order = {"auto": ["wtype", "ydotool", "paste"], "type": ["wtype", "ydotool"], "paste": ["paste"],
                     "wtype": ["wtype"], "ydotool": ["ydotool"]}
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

    def wait_modifiers_released(self) -> None:
        if self.session != "x11":
            time.sleep(0.05)
            return
        if not self.xkb.wait_modifiers_released(self.cfg.modifier_timeout_s):
            raise OutputError("modifier keys are still held down; not typing (the text is kept)")

    # --- insertion ----------------------------------------------------------
    def insert(self, edit: Edit) -> str:
        """Insert *edit*; returns the method used. OutputError if all fail."""
        if edit.empty:
            return "none"
        self.wait_modifiers_released()
        errors = []
        for method in self.methods():
            try:
                getattr(self, f"_insert_{method}")(edit)
                return method
            except SaysoError as err:
                errors.append(f"{method}: {err}")
                _LOGGER.warning("Output method %s failed: %s", method, err)
        raise OutputError("could not insert the text (" + "; ".join(errors) + ")")

    def _insert_type(self, edit: Edit) -> None:
        if self.session != "x11":
            raise OutputError("the XTEST typer needs X11")
        if edit.delete:
            self.xkb.backspace(edit.delete)
        self.xkb.type_text(edit.text)

    def _insert_xdotool(self, edit: Edit) -> None:
        if edit.delete:
            _tool(["xdotool", "key", "--repeat", str(edit.delete), "BackSpace"])
        _tool(["xdotool", "type", "--delay", str(max(1, self.cfg.type_delay_ms)), "--", edit.text])

    def _insert_wtype(self, edit: Edit) -> None:
        if edit.delete:
            _tool(["wtype"] + ["-k", "BackSpace"] * edit.delete)
        _tool(["wtype", "--", edit.text])

    def _insert_ydotool(self, edit: Edit) -> None:
        if edit.delete:
            _tool(["ydotool", "key"] + ["14:1", "14:0"] * edit.delete)
        _tool(["ydotool", "type", "--", edit.text])

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
        if edit.delete:
            self._keys("backspace", repeat=edit.delete)
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
                self._keys(keys)
                if not owner.wait_read(timeout=max(1.0, self.cfg.restore_delay_ms / 1000 * 5)):
                    _LOGGER.warning("The target window did not read the pasted text")
            else:
                self.clipboard.write_text(text, "clipboard")
                self._keys(keys)
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

    def _keys(self, binding: str, repeat: int = 1) -> None:
        b = parse_binding(binding)
        keys = sorted(b.modifiers) + [b.key]
        for _ in range(repeat):
            if self.session == "x11":
                self.xkb.chord(keys)
            elif self.session == "wayland" and shutil.which("wtype"):
                mods = [a for m in sorted(b.modifiers) for a in ("-M", m)]
                rel = [a for m in sorted(b.modifiers) for a in ("-m", m)]
                _tool(["wtype", *mods, "-k", _wtype_key(b.key), *rel])
            else:
                _pynput_chord(keys)


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
