"""Dictation post-processing: spacing, voice commands and filler words.

Turns a transcript into an :class:`Edit` (characters to erase, text to
insert) given what earlier dictations put in the same window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from ..core.config_types import DictateConfig
from ..core.edit import Edit  # noqa: F401  (re-exported)

_COMMANDS = [  # (pattern, replacement); punctuation Whisper adds around them is dropped
    (re.compile(r"[ \t]*\bnew paragraph\b[.,;:!?]*[ \t]*", re.I), "\n\n"),
    (re.compile(r"[ \t]*\bnew line\b[.,;:!?]*[ \t]*", re.I), "\n"),
]
_SCRATCH = re.compile(r"\bscratch that\b[.,;:!?]*", re.I)


def remove_fillers(text: str, fillers: list) -> str:
    if not fillers:
        return text
    words = "|".join(re.escape(f) for f in sorted(fillers, key=len, reverse=True))
    # "Um, I think" -> "I think"; "so, uh, we" -> "so, we"
    text = re.sub(rf"(^|(?<=[\s,.;:!?]))(?:{words})\b[,;:]?\s*", "", text, flags=re.I)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"[,;:]+([,.!?])", r"\1", text)
    text = re.sub(r"^[\s,;:]+", "", text)
    return _capitalize_first(text.strip())


def _capitalize_first(text: str) -> str:
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + ch.upper() + text[i + 1 :]
    return text


def apply_commands(text: str) -> str:
    for pattern, repl in _COMMANDS:
        text = pattern.sub(repl, text)
    return re.sub(r"\n[ \t]+", "\n", text)


@dataclass
class Composer:
    """Remembers the recent dictations in one place to space and undo them."""

    cfg: DictateConfig
    history: list = field(default_factory=list)  # texts inserted, newest last
    context: Optional[object] = None  # e.g. the focused window id

    def draft(self, transcript: str, context: Optional[object] = None) -> Edit:
        """The edit that puts *transcript* in the window as the next
        dictation, changing nothing: a streamed dictation is drafted again
        as it grows, then :meth:`committed` once."""
        history = self.history if context == self.context else []
        text = transcript.strip()
        if self.cfg.remove_fillers:
            text = remove_fillers(text, self.cfg.fillers)
        delete = 0
        if self.cfg.voice_commands:
            parts = _SCRATCH.split(text)
            if len(parts) > 1:
                before, text = parts[:-1], parts[-1].strip()
                if not any(p.strip() for p in before) and history:
                    delete = len(history[-1])
            text = apply_commands(text)
        if not text.strip("\n") and "\n" not in text:
            return Edit(delete, "")
        previous = history[:-1] if delete else history
        if previous and not previous[-1].endswith(("\n", " ")) and not text.startswith(("\n", " ")):
            text = " " + text
        return Edit(delete, text)

    compose = draft  # a one-shot dictation: the same edit

    def last(self, context: Optional[object] = None) -> str:
        """The text of the previous dictation in *context* ("" if none)."""
        return self.history[-1] if self.history and context == self.context else ""

    def committed(self, edit: Edit, context: Optional[object] = None) -> None:
        """The edit reached the window (in *context*): remember it for
        spacing and scratch; what it erased is forgotten."""
        self._enter(context)
        if edit.delete and self.history:
            self.history.pop()
        if edit.text:
            self.history.append(edit.text)
            del self.history[:-50]

    def _enter(self, context: Optional[object]) -> None:
        if context != self.context:
            self.history.clear()
            self.context = context

    def reset(self) -> None:
        self.history.clear()
        self.context = None
