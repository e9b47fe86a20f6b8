"""Which options the Settings page shows, grouped as the pipelines are, and a widget for each.

The widget follows the option's type in ``core.config_types`` (a choice list
for a ``Literal``, a check box for a ``bool``, number fields, a line of
comma-separated words for a list); its label and help text come from the
key and the comments of ``default.toml``. Every widget has an accessible
name (the label) and description (the help).
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, Literal

from ..core.config_types import Config

#: page -> the dotted keys it shows (the ones a person changes; the rest stay in the file)
GROUPS: dict[str, tuple[str, ...]] = {
    "Dictate": (
        "stt.model",
        "stt.language",
        "stt.vocabulary",
        "dictate.remove_fillers",
        "dictate.voice_commands",
        "dictate.streaming",
        "dictate.live",
        "audio.input_device",
        "audio.max_seconds",
        "output.method",
        "output.type_delay_ms",
        "general.history_size",
    ),
    "Read aloud": (
        "speak.voice",
        "speak.rate",
        "speak.rate_step",
        "speak.fallback",
        "speak.emoji",
        "speak.selection_method",
        "audio.output_device",
        "speak.language_voices",
    ),
    "Rewrite": (
        "rewrite.engine",
        "rewrite.model",
        "rewrite.dialect",
        "rewrite.target_language",
        "rewrite.replace_selection",
        "rewrite.explain_via",
        "rewrite.base_url",
        "rewrite.api_model",
        "rewrite.allow_remote",
        "rewrite.timeout_s",
        "rewrite.actions",
    ),
    "Hotkeys": (
        "hotkeys.dictate",
        "hotkeys.dictate_mode",
        "hotkeys.tap_ms",
        "hotkeys.cancel",
        "hotkeys.backend",
        'hotkeys.actions."speak.toggle"',
        'hotkeys.actions."speak.pause"',
        'hotkeys.actions."speak.faster"',
        'hotkeys.actions."speak.slower"',
        'hotkeys.actions."rewrite.fix"',
        'hotkeys.actions."rewrite.explain"',
        'hotkeys.actions."rewrite.undo"',
    ),
    "Engines": (
        "stt.engine",
        "stt.uri",
        "stt.base_url",
        "stt.fallback",
        "stt.allow_remote",
        "speak.engine",
        "speak.uri",
        "speak.base_url",
        "speak.engine_fallback",
        "speak.allow_remote",
        "notify.desktop",
        "notify.sounds",
        "notify.tray",
    ),
}


@dataclass
class Option:
    dotted: str  # hotkeys.actions."speak.toggle"
    label: str  # "speak.toggle" -> a readable label
    kind: str  # choice, bool, int, float, list, str
    choices: tuple[str, ...] = ()

    def to_widget_value(self, value: Any) -> Any:
        return value


def _split(dotted: str) -> list[str]:
    from .store import _split as split

    return split(dotted)


def option(dotted: str) -> Option:
    """The Option for *dotted*, its kind read from the config dataclasses."""
    parts = _split(dotted)
    tp: Any = Config
    for name in parts:
        if dataclasses.is_dataclass(tp):
            tp = typing.get_type_hints(tp)[name]
        else:  # a dict's value
            tp = typing.get_args(tp)[1]
    label = parts[-1].replace("_", " ").replace(".", ": ")
    label = label[0].upper() + label[1:]
    if typing.get_origin(tp) is Literal:
        return Option(dotted, label, "choice", tuple(str(a) for a in typing.get_args(tp)))
    names: dict[Any, str] = {bool: "bool", int: "int", float: "float", str: "str"}
    if typing.get_origin(tp) is list:
        return Option(dotted, label, "list")
    if typing.get_origin(tp) is dict:
        return Option(dotted, label, "map" if typing.get_args(tp)[1] is str else "actions")
    return Option(dotted, label, names.get(tp, "str"))


def options(group: str) -> list[Option]:
    return [option(d) for d in GROUPS[group]]


def restart_note(dotted: str) -> str:
    """Why the running daemon takes *dotted* only after a restart ("" when a reload applies it)."""
    from ..core.live_options import restart_note as note

    return note(plain_key(dotted))


def plain_key(dotted: str) -> str:
    """The help-text key: quotes dropped (``hotkeys.actions.speak.toggle``)."""
    return ".".join(_split(dotted))
