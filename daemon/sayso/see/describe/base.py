"""The describe interface, its prompt and the image as a ``data:`` URL."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Protocol

from ..image import encode_jpeg, encode_png, fit

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

#: the first press: short alt text
PROMPT = (
    "Describe this image for a person who cannot see it, as good alt text: "
    "one or two short sentences saying what it is and what matters in it, "
    "with any short text it contains quoted exactly. "
    "Do not start with 'This image shows'."
)
#: the second press (or ``sayso ctl describe --details``): the details of the same picture
DETAILS_PROMPT = (
    "Describe this image in detail for a person who cannot see it. "
    "Say who or what is in it and where, what is happening, the colours and layout that matter, "
    "and all the text it contains, quoted exactly, in reading order. "
    "Do not start with 'This image shows'. Plain sentences, no lists."
)
#: the details may take this many times see.max_tokens (at most 4096)
DETAILS_TOKENS = 3
#: an image bigger than this as PNG goes as JPEG instead
PNG_LIMIT = 2 * 1024 * 1024


def prompt_of(configured: str, details: bool = False) -> str:
    """``see.prompt`` (or the alt-text prompt) first; the details prompt on request."""
    return DETAILS_PROMPT if details else configured.strip() or PROMPT


def tokens_of(max_tokens: int, details: bool = False) -> int:
    return min(4096, max_tokens * DETAILS_TOKENS) if details else max_tokens


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

    def describe(self, image: Image, details: bool = False) -> str:
        """Alt text for *image* (its longer details with *details*); EngineError/ModelError (one line)."""

    def close(self) -> None: ...
