"""The states and results of the pipelines, as enums whose members are their strings.

Each member compares equal to, formats as and serialises to its value
(``DictationStatus.TYPED == "typed"``, ``f"{x}"``, JSON), so the control
socket's replies, the logs and the history read as before.
"""

from __future__ import annotations

import enum


class TextEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)


class DictationStatus(TextEnum):
    """How a dictation ended (:class:`sayso.dictate.slots.DictationResult`)."""

    IDLE = "idle"  # stop() with nothing recording
    TYPED = "typed"
    EMPTY = "empty"
    TOO_SHORT = "too_short"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ReadingState(TextEnum):
    """What read-aloud is doing (``ReadAloud.status()["state"]``)."""

    IDLE = "idle"
    SPEAKING = "speaking"
    PAUSED = "paused"
