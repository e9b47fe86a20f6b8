"""A streaming session for engines that take a whole recording at once.

Used with the OpenAI-compatible engine (``/v1/audio/transcriptions`` takes
a file): :meth:`feed` does nothing, since :meth:`finish` is given the whole
recording anyway, and :meth:`finish` sends it in one request.
"""

from __future__ import annotations

import threading
import time
from typing import Optional

import numpy as np

from ..core.interfaces import SpeechToText, Transcript


class BufferedSession:
    """The StreamingTranscriber interface over one call at the release."""

    def __init__(self, engine: SpeechToText) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._current: Optional[object] = None
        self.last_stats: dict = {}

    def begin(self) -> object:
        token = object()
        with self._lock:
            self._current = token
        return token

    def feed(self, block: np.ndarray) -> None:
        """Nothing to do: the recording is sent at the release."""

    def stable_text(self, token: Optional[object] = None) -> str:
        return ""

    def finish(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        t0 = time.perf_counter()
        with self._lock:
            if token is None or token is self._current:
                self._current = None
        try:
            return self.engine.transcribe(full_audio)
        finally:
            self.last_stats = {
                "how": "batch",
                "engine": self.engine.name,
                "total_s": round(time.perf_counter() - t0, 4),
            }

    def abort(self) -> None:
        with self._lock:
            self._current = None

    def close(self) -> None:
        self.abort()
