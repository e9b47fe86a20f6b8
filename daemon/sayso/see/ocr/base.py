"""The OCR engine interface and its result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image


@dataclass(frozen=True)
class OcrResult:
    """The text found, in reading order (blocks apart by a blank line), and how long it took."""

    text: str
    engine: str
    seconds: float

    @property
    def empty(self) -> bool:
        return not self.text.strip()


class OcrEngine(Protocol):
    name: str

    def load(self) -> None:
        """Load the models now (the daemon warms the engine in the background)."""

    def recognise(self, image: Image) -> OcrResult:
        """The text of *image* (RGB); EngineError (one line) when the engine fails."""

    def close(self) -> None: ...


def is_dark(image: Image) -> bool:
    """A light-on-dark image (the mean grey below the middle)."""
    from PIL import ImageStat

    return bool(ImageStat.Stat(image.convert("L")).mean[0] < 128)
