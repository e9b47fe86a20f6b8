"""What a new dictation hotkey collides with, in words, for the First run's hotkey step.

Problems stop the choice (another sayso hotkey, a key without a modifier
that types text); warnings let it stand but say what the person gives up
(a shortcut that most applications or desktops already use).
"""

from __future__ import annotations

from typing import Optional

from ..core.chords import parse_binding
from ..core.config_types import Config
from ..core.errors import SaysoError

#: a binding -> what it does elsewhere
COMMON = {
    "<ctrl>+c": "Copy in most applications",
    "<ctrl>+v": "Paste in most applications",
    "<ctrl>+x": "Cut in most applications",
    "<ctrl>+z": "Undo in most applications",
    "<ctrl>+a": "Select all in most applications",
    "<ctrl>+s": "Save in most applications",
    "<ctrl>+f": "Find in most applications",
    "<ctrl>+w": "Close a tab or window in most applications",
    "<ctrl>+q": "Quit in many applications",
    "<ctrl>+t": "a new tab in browsers and terminals",
    "<ctrl>+<alt>+t": "Open a terminal on GNOME and Ubuntu",
    "<ctrl>+<alt>+l": "Lock the screen on some desktops",
    "<ctrl>+<alt>+<delete>": "Log out or the task manager on most desktops",
    "<alt>+<tab>": "Switch windows on every desktop",
    "<alt>+<f4>": "Close the window on most desktops",
    "<cmd>+l": "Lock the screen on GNOME and Windows",
}


def _keys(binding: str) -> Optional[tuple]:
    """(modifiers, key) of *binding*, comparable; None when it does not parse."""
    try:
        parsed = parse_binding(binding)
    except (ValueError, SaysoError):
        return None
    return parsed.modifiers, parsed.key


def conflicts(chord: str, config: Config) -> tuple[list[str], list[str]]:
    """(problems, warnings) of *chord* as the dictation hotkey, each one sentence."""
    keys = _keys(chord)
    if keys is None:
        return [f"{chord} is not a key combination sayso can listen to."], []
    problems: list[str] = []
    others = {"cancel": config.hotkeys.cancel, **config.hotkeys.actions}
    others.update({f"rewrite.{n}": a.hotkey for n, a in config.rewrite.actions.items()})
    for action, binding in others.items():
        if binding and _keys(binding) == keys:
            problems.append(f"{chord} already does {action} in sayso: choose other keys, or change that one first.")
    modifiers, key = keys
    if not modifiers and len(key) == 1:
        problems.append(f"{chord} types a character: add Ctrl, Alt or Super, or use a function key.")
    warnings = [
        f"{chord} is also {what}: sayso would take it from them while it runs."
        for common, what in COMMON.items()
        if _keys(common) == keys
    ]
    return problems, warnings
