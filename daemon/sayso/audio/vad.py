"""Incremental Silero VAD for streaming dictation.

faster-whisper's VAD filter runs Silero over a whole recording at once;
:class:`IncrementalVad` computes the same probabilities block by block as
audio arrives (about 1 ms per 50 ms block), carrying the model state.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..core.pcm import SAMPLE_RATE

WINDOW = 512  # Silero VAD window (32 ms at 16 kHz)
CONTEXT = 64  # samples of the previous window Silero sees


class IncrementalVad:
    """Silero speech probabilities of a growing recording, window by window.

    Carries the model's recurrent state between calls, so the probabilities
    equal those of one call over the whole recording (as faster-whisper's
    own VAD filter computes them).  Speech flags use the same hysteresis:
    speech starts at ``threshold`` and lasts while above ``neg_threshold``.
    """

    def __init__(self, threshold: float = 0.5, neg_threshold: Optional[float] = None) -> None:
        from faster_whisper.vad import get_vad_model

        self.model = get_vad_model()
        self.threshold = threshold
        self.neg_threshold = neg_threshold if neg_threshold is not None else max(threshold - 0.15, 0.01)
        self.flags = np.zeros(0, dtype=bool)
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._speech = False

    @property
    def windows(self) -> int:
        return len(self.flags)

    def extend(self, audio: np.ndarray) -> None:
        """Compute the windows of *audio* (the whole recording so far) not yet seen."""
        start, end = self.windows, len(audio) // WINDOW
        if end <= start:
            return
        frames = audio[start * WINDOW : end * WINDOW].reshape(-1, WINDOW)
        before = audio[start * WINDOW - CONTEXT : start * WINDOW] if start else np.zeros(CONTEXT, np.float32)
        context = np.concatenate([before[None, :], frames[:-1, -CONTEXT:]], axis=0)
        batch = np.ascontiguousarray(np.concatenate([context, frames], axis=1), dtype=np.float32)
        probs, self._h, self._c = self.model.session.run(None, {"input": batch, "h": self._h, "c": self._c})
        flags = np.empty(len(frames), dtype=bool)
        speech = self._speech
        for i, p in enumerate(np.asarray(probs).reshape(-1)):
            speech = p >= self.threshold or (speech and p >= self.neg_threshold)
            flags[i] = speech
        self._speech = speech
        self.flags = np.concatenate([self.flags, flags])

    def last_speech_end(self, before: Optional[int] = None) -> Optional[int]:
        """Sample index where the last speech window (before *before*) ends (None: no speech)."""
        idx = np.flatnonzero(self.flags if before is None else self.flags[: before // WINDOW])
        return int(idx[-1] + 1) * WINDOW if idx.size else None

    def first_speech(self, after: int, before: Optional[int] = None) -> Optional[int]:
        """Start sample of the first speech window in [after, before)."""
        lo = -(-after // WINDOW)
        hi = self.windows if before is None else min(self.windows, before // WINDOW)
        idx = np.flatnonzero(self.flags[lo:hi])
        return int(lo + idx[0]) * WINDOW if idx.size else None

    def has_speech(self, after: int, before: Optional[int] = None) -> bool:
        return self.first_speech(after, before) is not None


def ends_in_speech(audio: np.ndarray, silence_s: float = 0.1, context_s: float = 0.8) -> bool:
    """Whether *audio* (16 kHz) has speech within its last *silence_s*.

    Runs Silero over the last *context_s* only (~2 ms), without hysteresis:
    from a fresh state the probability falls ~100 ms late after the last
    word, so "silent" here means the speaker stopped at least ~200 ms ago.
    Used at key release to decide whether the moments after the last audio
    block may hold the end of a word and are worth waiting for.
    """
    window = audio[-int(context_s * SAMPLE_RATE) :]
    if len(window) < WINDOW:
        return len(window) > 0
    vad = IncrementalVad(neg_threshold=0.5)
    vad.extend(np.ascontiguousarray(window, dtype=np.float32))
    tail = max(1, int(round(silence_s * SAMPLE_RATE / WINDOW)))
    return bool(vad.flags[-tail:].any())
