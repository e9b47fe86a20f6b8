"""The describe interface, its prompt and the image as a ``data:`` URL."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Protocol

from ..image import encode_jpeg, encode_png, fit

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

PROMPT = (
    "Describe this image for a person who cannot see it, as good alt text. "
    "First one short sentence saying what it is. Then, if it matters, the details: "
    "who or what is in it, what is happening, and any text it contains, quoted exactly. "
    "Do not start with 'This image shows'. No more than five sentences."
)
#: an image bigger than this as PNG goes as JPEG instead
PNG_LIMIT = 2 * 1024 * 1024


def prompt_of(configured: str) -> str:
    return configured.strip() or PROMPT


def data_url(image: Image, max_side: int) -> str:
    """*image* scaled to *max_side*, as PNG (crisp text) or, when that is large, JPEG."""
    scaled = fit(image, max_side)
    data, mime = encode_png(scaled), "image/png"
    if len(data) > PNG_LIMIT:
        data, mime = encode_jpeg(scaled, 85), "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def messages(prompt: str, url: str) -> list:
    """One user turn: the instruction and the picture (the OpenAI vision format)."""
    return [
        {
            "role": "user",
            "content": [{"type": "text", "text": prompt}, {"type": "image_url", "image_url": {"url": url}}],
        }
    ]


def clean(text: str) -> str:
    """The description, trimmed; an empty answer is an error for the caller."""
    return text.strip()


class Describer(Protocol):
    name: str

    def available(self) -> bool: ...

    def describe(self, image: Image) -> str:
        """Alt text for *image*; EngineError/ModelError (one line) when it cannot."""

    def close(self) -> None: ...
