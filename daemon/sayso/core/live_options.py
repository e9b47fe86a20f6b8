"""Which options a running daemon takes on a reload, and which need a restart.

``sayso ctl reload`` (and the settings window after each save, and SIGHUP)
rebuilds the hotkeys, the recorder, the dictation, read-aloud, rewrite and
screen reading from the new config in place. A few things are made once, when
the daemon starts, and keep their old value until a restart: they are listed
here, so that the daemon and the window say the same thing about them.
"""

from __future__ import annotations

from typing import Any

from .config_types import Config

#: dotted option (or a whole section) -> why it needs a restart
NEEDS_RESTART: dict[str, str] = {
    "general.session": "the desktop session is chosen when sayso starts",
    "general.history_size": "the dictation history is made when sayso starts",
    "notify.desktop": "notifications are set up when sayso starts",
    "notify.sounds": "the sounds are set up when sayso starts",
    "notify.volume": "the sounds are set up when sayso starts",
    "serve": "used by `sayso serve`: restart that",
}


def _get(config: Config, dotted: str) -> Any:
    node: Any = config
    for name in dotted.split("."):
        node = getattr(node, name)
    return node


def restart_needed(old: Config, new: Config) -> list[str]:
    """The options in NEEDS_RESTART whose value differs between *old* and *new*, in table order."""
    return [dotted for dotted in NEEDS_RESTART if _get(old, dotted) != _get(new, dotted)]


def restart_note(dotted: str) -> str:
    """Why *dotted* (``notify.sounds``, ``serve.port``) needs a restart; "" when a reload applies it."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        why = NEEDS_RESTART.get(".".join(parts[:n]))
        if why:
            return f"Needs a restart: {why}."
    return ""
