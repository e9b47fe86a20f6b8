"""An :class:`Edit`: what dictation hands the output: characters to delete, then text to insert."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Edit:
    delete: int  # characters to erase before the cursor first (scratch that)
    text: str

    @property
    def empty(self) -> bool:
        return self.delete == 0 and not self.text
