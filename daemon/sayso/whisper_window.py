"""Encode only as much of Whisper's 30 s window as the audio needs.

faster-whisper pads every call to a 30 s window (3,000 mel frames), so the
encoder costs the same for a 2 s phrase as for 30 s of speech: ~0.3 s of the
~0.35 s a short dictation takes with tiny.en on 2 CPU cores.  CTranslate2's
Whisper encoder accepts fewer frames (the idea of whisper.cpp's
``audio_ctx``): a 3 s phrase in a 5 s window takes ~80 ms.

Whisper was trained on full windows.  Measured with tiny.en
(``scripts/eval_window.py``, docs/latency.md): with 2 s of margin the last
word was sometimes dropped; with 6 s (and windows of at least 10 s) the
words matched full windows as often as not.  On fragments of about a
second the decoder sometimes loops ("F. F. F. F."), so a fitted decode is
capped (:func:`token_cap`) and redone with the full window when it looks
looped (:func:`looped`).

faster-whisper has no option for it: its ``generate_segments`` pads each
window with the module-level ``pad_or_trim`` to 3,000 frames.  :func:`fit`
wraps that function, for the calling thread only (a context variable), and
reports whether it could; a faster-whisper without that hook gets full
windows (and a test notices).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import re
from typing import Iterator, Optional

_LOGGER = logging.getLogger(__name__)

FULL_S = 30  # Whisper's window
MARGIN_S = 6.0  # window beyond the audio, for the decoder to see the end
MIN_S = 10  # shortest window
FULL_FRAMES = 3000
COMPRESSION_RATIO = 2.4  # faster-whisper's default compression_ratio_threshold

_frames: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("sayso_whisper_frames", default=None)
_installed: Optional[bool] = None


def window_seconds(audio_seconds: float, mode: str) -> int:
    """The window for *audio_seconds* of audio: 30 s, or fitted ("fit")."""
    if mode != "fit":
        return FULL_S
    return min(FULL_S, max(MIN_S, math.ceil(audio_seconds + MARGIN_S)))


def _install() -> bool:
    global _installed
    if _installed is not None:
        return _installed
    try:
        import faster_whisper.transcribe as ft

        original = ft.pad_or_trim
    except (ImportError, AttributeError):
        _LOGGER.warning("This faster-whisper cannot encode short windows; using full 30 s windows")
        _installed = False
        return False

    def pad_or_trim(array, length: int = FULL_FRAMES, *, axis: int = -1):
        frames = _frames.get()
        return original(array, frames if frames and length == FULL_FRAMES else length, axis=axis)

    ft.pad_or_trim = pad_or_trim
    _installed = True
    return True


def token_cap(audio_seconds: float) -> int:
    """New tokens a fitted window may decode: twice a fast speaker's ~5 per
    second, so a decoder that does not stop is cut short."""
    return int(24 + 10 * min(audio_seconds, FULL_S))


def looped(segments: list, cap: int) -> bool:
    """Did a fitted decode loop (hit the token cap, repeat itself past
    Whisper's own compression-ratio threshold, or say the same word or two
    words four times running)?  Then the full window is used."""
    tokens = sum(len(getattr(s, "tokens", ())) for s in segments)
    if tokens >= cap - 2 or any(getattr(s, "compression_ratio", 0.0) > COMPRESSION_RATIO for s in segments):
        return True
    words = re.findall(r"\w+", " ".join(s.text for s in segments).lower())
    for n in (1, 2):
        grams = [tuple(words[i:i + n]) for i in range(0, len(words) - n + 1)]
        for i in range(len(grams) - 3 * n):
            if grams[i] == grams[i + n] == grams[i + 2 * n] == grams[i + 3 * n]:
                return True
    return False


@contextlib.contextmanager
def fit(seconds: int) -> Iterator[bool]:
    """Within the block, on this thread, encode windows of *seconds*.

    Pass the same value as faster-whisper's ``chunk_length``.  Yields
    whether short windows are in effect."""
    if seconds >= FULL_S or not _install():
        yield False
        return
    token = _frames.set(seconds * FULL_FRAMES // FULL_S)
    try:
        yield True
    finally:
        _frames.reset(token)
