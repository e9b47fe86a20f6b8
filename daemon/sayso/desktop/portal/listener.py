"""``hotkeys.backend = "portal"``: :class:`PortalShortcuts` behind the daemon's listener interface.

The daemon builds every listener as ``cls(matcher)`` and calls ``start()`` /
``stop()``; the matcher holds the parsed bindings (``{name: Binding}``) and
``emit(name, event)``.  Here the desktop does the matching, so the matcher
is used only for those two: each binding becomes a portal shortcut with
the binding as its preferred trigger, and Activated / Deactivated become
``emit(name, "press")`` / ``emit(name, "release")``, exactly what the other
listeners send, so ``Daemon.on_binding`` and the press modes work unchanged.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

from .keys import to_portal_trigger
from .shortcuts import PortalShortcuts

_LOGGER = logging.getLogger(__name__)

PRESS, RELEASE = "press", "release"  # sayso.core.chords.PRESS / RELEASE

#: what the desktop's dialog shows for each action
DESCRIPTIONS = {
    "dictate": "Dictate (hold to talk)",
    "cancel": "Cancel dictation, reading or rewrite",
    "speak.toggle": "Read the selection aloud (again: stop)",
    "speak.selection": "Read the selection aloud",
    "speak.clipboard": "Read the clipboard aloud",
    "speak.stop": "Stop reading",
    "speak.pause": "Pause or resume reading",
    "speak.skip": "Skip to the next sentence",
    "speak.faster": "Read faster",
    "speak.slower": "Read slower",
    "undo": "Undo the last rewrite",
    "rewrite.undo": "Undo the last rewrite",
    "rewrite.force-last": "Use the rewrite the meaning check refused",
}


def describe(action: str) -> str:
    if action in DESCRIPTIONS:
        return DESCRIPTIONS[action]
    if action.startswith("dictate-"):  # [hotkeys.dictate_cleanup]
        return f"Dictate with clean-up {action.split('-', 1)[1]} (hold to talk)"
    if action.startswith("rewrite."):
        return f"Rewrite the clipboard: {action.split('.', 1)[1]}"
    return f"sayso: {action}"


def portal_bindings(bindings: dict) -> dict:
    """``{name: Binding or "<ctrl>+..."}`` -> ``{name: (description, portal trigger or None)}``."""
    out = {}
    for name, binding in bindings.items():
        if binding is None:
            continue
        text = getattr(binding, "text", "") or str(binding)
        try:
            trigger = to_portal_trigger(text)
        except ValueError as err:
            _LOGGER.warning("Hotkey %s (%s) cannot be offered to the portal: %s", name, text, err)
            trigger = None
        if trigger is None:
            _LOGGER.info("Hotkey %s (%s) has no portal form: the desktop will ask for the keys", name, text)
        out[name] = (describe(name), trigger)
    return out


class PortalListener:
    """The daemon-side listener: ``PortalListener(matcher)``, ``start()``, ``stop()``, ``bound()``."""

    name = "portal"

    @classmethod
    def create(cls, matcher, *, evdev_device: str = "", env=os.environ) -> PortalListener:
        return cls(matcher, env=env)

    def __init__(self, matcher, env=os.environ, timeout: float = 120.0) -> None:
        self.matcher = matcher
        loose = set(getattr(matcher, "loose", ()))  # Escape-style keys: a global grab would take them from every app
        wanted = {name: b for name, b in matcher.bindings.items() if name not in loose}
        if loose & set(matcher.bindings):
            _LOGGER.info(
                "Not binding %s through the portal (it would take the key from every app)",
                ", ".join(sorted(loose & set(matcher.bindings))),
            )
        self.shortcuts = PortalShortcuts(portal_bindings(wanted), self._on_event, env=env, timeout=timeout)

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        return PortalShortcuts.is_available(env)

    def _on_event(self, name: str, pressed: bool) -> None:
        self.matcher.emit(name, PRESS if pressed else RELEASE)

    def start(self) -> None:
        from ...core.errors import HotkeyError
        from .bus import BusError
        from .xdp import PortalError

        try:
            self.shortcuts.start()
        except (PortalError, BusError) as err:
            raise HotkeyError(f"the GlobalShortcuts portal: {err}") from None

    def stop(self) -> None:
        self.shortcuts.stop()

    def keyless(self) -> Optional[str]:
        """Why this listener will hear nothing (the desktop bound no keys at all), else None."""
        bound = self.bound()
        if any(trigger != "unset" for trigger in bound.values()):
            return None
        return (
            "the desktop bound sayso's shortcuts to no keys (assign them in its settings; Hyprland: a "
            "'bind = ..., global, ...' line per action)"
        )

    def bound(self) -> dict:
        """What the desktop bound, for ``sayso doctor``: ``{name: trigger description}``."""
        return {k: v.get("trigger_description") or "unset" for k, v in self.shortcuts.bound().items()}
