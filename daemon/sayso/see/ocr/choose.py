"""Which OCR engine: a pure function of the configured name and what is installed.

Only Tesseract is a backend today: on the test screens RapidOCR (PP-OCRv4 in
its wheel) read body text at 25 % CER and dropped the spaces between words,
where Tesseract read it at 0.05 % (docs/see.md has the table). A backend is
a module of its own here, its import named in :data:`MODULES`.
"""

from __future__ import annotations

import importlib.util
from typing import Callable, Optional

from ...core.errors import EngineError

ENGINES = ("tesseract",)
#: the import each backend needs
MODULES = {"tesseract": "tesserocr"}


def installed(find_spec: Callable[[str], object] = importlib.util.find_spec) -> tuple[str, ...]:
    return tuple(name for name in ENGINES if find_spec(MODULES[name]) is not None)


def choose_ocr(configured: str, available: tuple[str, ...]) -> str:
    """*configured* (``auto`` = the first of :data:`ENGINES` in *available*); EngineError when it cannot run."""
    if configured == "auto":
        if not available:
            raise EngineError("no OCR engine installed: pip install tesserocr (and apt install tesseract-ocr-eng)")
        return available[0]
    if configured not in ENGINES:
        raise EngineError(f"unknown OCR engine {configured!r} (auto, {', '.join(ENGINES)})")
    if configured not in available:
        raise EngineError(f"the {configured} OCR engine needs the PyPI package {MODULES[configured]}")
    return configured


def make_ocr(name: str = "auto", languages: str = "eng", available: Optional[tuple[str, ...]] = None):
    """The engine *name* (or auto's choice), not loaded yet."""
    choose_ocr(name, installed() if available is None else available)
    from .tesseract import TesseractEngine

    return TesseractEngine(languages)
