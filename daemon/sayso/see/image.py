"""Screen images in memory: decode, check and encode, with one-line errors.

An image comes from a capture, the clipboard or a file; whatever it is, it is
checked here (size in bytes, size in pixels, that it decodes at all) before an
engine sees it. Nothing is written to disk and nothing of its content is logged.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

#: refused above these: a screenshot of a 8K screen is 33 Mpx, 4 bytes a pixel
MAX_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 40_000_000
#: the image MIME types sayso reads from the clipboard, best first
IMAGE_TARGETS = ("image/png", "image/jpeg", "image/webp", "image/bmp", "image/gif", "image/tiff")


@dataclass(frozen=True)
class Shot:
    """An RGB image and where it came from (``screen``, ``window``, ``region``, ``clipboard``, ``file``)."""

    image: Image
    source: str

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


def decode(data: bytes, what: str) -> Image:
    """*data* as an RGB image; InputError (one line) when it is huge, empty or not an image."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise InputError(f"the {what} is empty")
    if len(data) > MAX_BYTES:
        raise InputError(f"the {what} is too large ({len(data) // 1048576} MiB; at most {MAX_BYTES // 1048576} MiB)")
    try:
        with Image.open(io.BytesIO(data)) as img:
            check_pixels(img.size, what)
            img.load()
            return img.convert("RGB")
    except UnidentifiedImageError:
        raise InputError(f"the {what} is not an image sayso can read (PNG, JPEG, WebP, BMP, GIF, TIFF)") from None
    except Image.DecompressionBombError:
        raise InputError(f"the {what} has too many pixels (at most {MAX_PIXELS // 1_000_000} million)") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise InputError(f"the {what} is corrupt or cut short ({type(err).__name__})") from None


def check_pixels(size: tuple[int, int], what: str) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise InputError(f"the {what} is empty (0 pixels)")
    if width * height > MAX_PIXELS:
        raise InputError(
            f"the {what} has too many pixels ({width}x{height}; at most {MAX_PIXELS // 1_000_000} million)"
        )


def read_file(path: Path) -> Shot:
    """The image in *path*; InputError for a missing, unreadable, huge or non-image file."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path} is too large ({size // 1048576} MiB; at most {MAX_BYTES // 1048576} MiB)")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not an image") from None
    except OSError as err:
        raise InputError(f"cannot read {path}: {err.strerror or err}") from None
    return Shot(decode(data, str(path)), "file")


def encode_png(image: Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def encode_jpeg(image: Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def fit(image: Image, max_side: int) -> Image:
    """*image* scaled down (never up) so that its longer side is at most *max_side*."""
    width, height = image.size
    longest = max(width, height)
    if longest <= max_side:
        return image
    scale = max_side / longest
    from PIL import Image as _Image

    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))), _Image.Resampling.LANCZOS)
