"""The ``tesseract`` OCR engine: Tesseract 5 in process through tesserocr, on the system's traineddata.

Screen text is small and often light on dark, which Tesseract reads badly as
it is: the image is turned grey, inverted when dark, and scaled up
(:data:`SCALE`) before Tesseract reads it; the words' boxes are put in
reading order by :mod:`sayso.see.layout` (Tesseract's own layout runs lines
across a two-column gutter). The languages are Tesseract's codes (``eng``,
``deu``, ``eng+fra``) or ``auto`` (the locale's language and English, where
installed); their ``.traineddata`` come from Debian's ``tesseract-ocr-*``
packages.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional

from ...core.errors import EngineError, ModelError
from ..layout import TextBox, reading_order, text_of
from .base import OcrResult, is_dark

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

_LOGGER = logging.getLogger(__name__)

#: where the traineddata may be (Debian 12's first)
TESSDATA_DIRS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
    "/opt/homebrew/share/tessdata",
)
SCALE = 3


def tessdata_dir(env=os.environ) -> Optional[Path]:
    """The first folder with traineddata: $TESSDATA_PREFIX, then the usual places."""
    candidates = [env["TESSDATA_PREFIX"]] if env.get("TESSDATA_PREFIX") else []
    for folder in candidates + list(TESSDATA_DIRS):
        path = Path(folder)
        if any(path.glob("*.traineddata")):
            return path
    return None


def installed_languages(folder: Optional[Path]) -> list[str]:
    if folder is None:
        return []
    return sorted(p.stem for p in folder.glob("*.traineddata") if p.stem != "osd")


#: the locale's language (ISO 639-1) -> Tesseract's code, for ``see.language = "auto"``
LOCALE_LANGUAGES = {
    "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "pt": "por", "nl": "nld", "sv": "swe", "da": "dan",
    "nb": "nor", "no": "nor", "fi": "fin", "pl": "pol", "cs": "ces", "sk": "slk", "hu": "hun", "ro": "ron",
    "ru": "rus", "uk": "ukr", "el": "ell", "tr": "tur", "ja": "jpn", "zh": "chi_sim", "ko": "kor", "ar": "ara",
    "he": "heb", "hi": "hin", "ca": "cat", "hr": "hrv", "sl": "slv", "bg": "bul", "lt": "lit", "lv": "lav",
    "et": "est", "ga": "gle", "cy": "cym", "eu": "eus", "gl": "glg", "id": "ind", "vi": "vie", "th": "tha",
}  # fmt: skip


def resolve_languages(spec: str, env: Mapping[str, str], installed: list[str]) -> str:
    """``auto``: the locale's language and English, those of them installed (else ``eng``); else *spec*."""
    if spec != "auto":
        return spec
    locale = env.get("LC_ALL") or env.get("LC_MESSAGES") or env.get("LANG") or ""
    code = LOCALE_LANGUAGES.get(locale.split("_", 1)[0].split(".", 1)[0].lower(), "")
    wanted = [lang for lang in (code, "eng") if lang and lang in installed]
    return "+".join(wanted) or "eng"


def prepare(image: Image, scale: int = SCALE) -> Image:
    """Grey, dark text on light, scaled up: what Tesseract's LSTM reads best."""
    from PIL import Image as _Image
    from PIL import ImageOps

    grey = ImageOps.invert(image.convert("L")) if is_dark(image) else image.convert("L")
    if scale > 1:
        grey = grey.resize((grey.width * scale, grey.height * scale), _Image.Resampling.LANCZOS)
    return grey


class TesseractEngine:
    name = "tesseract"

    def __init__(self, languages: str = "eng", scale: int = SCALE, env: Mapping[str, str] = os.environ) -> None:
        self.languages = resolve_languages(languages, env, installed_languages(tessdata_dir(env)))
        self.scale = scale
        self._api = None
        self._lock = threading.Lock()

    def available(self) -> bool:
        import importlib.util

        return importlib.util.find_spec("tesserocr") is not None and self._missing() == []

    def _missing(self) -> list[str]:
        have = installed_languages(tessdata_dir())
        return [lang for lang in self.languages.split("+") if lang not in have]

    def load(self) -> None:
        with self._lock:
            self._ensure()

    def _ensure(self):
        if self._api is not None:
            return self._api
        try:
            import tesserocr
        except ImportError:
            raise EngineError("the tesseract OCR engine needs the PyPI package tesserocr") from None
        folder = tessdata_dir()
        if folder is None:
            raise ModelError("no Tesseract language data found: install tesseract-ocr-eng (apt)")
        missing = self._missing()
        if missing:
            raise ModelError(
                f"no Tesseract data for {', '.join(missing)} in {folder}: install tesseract-ocr-{missing[0]} "
                f"(installed: {', '.join(installed_languages(folder)) or 'none'})"
            )
        try:
            self._api = tesserocr.PyTessBaseAPI(path=str(folder), lang=self.languages, psm=tesserocr.PSM.AUTO)
        except RuntimeError as err:
            raise ModelError(f"Tesseract could not load {self.languages} from {folder}: {err}") from None
        return self._api

    def recognise(self, image: Image) -> OcrResult:
        started = time.monotonic()
        with self._lock:
            api = self._ensure()
            api.SetImage(prepare(image, self.scale))
            try:
                boxes = _words(api)
            except RuntimeError as err:
                raise EngineError(f"Tesseract failed: {err}") from None
            finally:
                api.Clear()
        return OcrResult(text_of(reading_order(boxes)), self.name, time.monotonic() - started)

    def close(self) -> None:
        with self._lock:
            api, self._api = self._api, None
            if api is not None:
                api.End()


def _words(api) -> list[TextBox]:
    """Every word Tesseract read, with its box: :mod:`sayso.see.layout` orders them
    (Tesseract's own page layout runs lines across a two-column gutter)."""
    import tesserocr

    api.Recognize()
    level = tesserocr.RIL.WORD
    boxes = []
    for word in tesserocr.iterate_level(api.GetIterator(), level):
        text = word.GetUTF8Text(level)
        bbox = word.BoundingBox(level)
        if text and bbox:
            x0, y0, x1, y1 = bbox
            boxes.append(TextBox(x0, y0, x1, y1, text))
    return boxes
