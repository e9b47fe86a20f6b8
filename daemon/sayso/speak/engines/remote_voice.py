"""A read-aloud voice whose speech comes from a remote engine.

:class:`RemoteVoice` stands where :class:`sayso.speak.engines.piper.Voice` does in the
read-aloud pipeline, so text preparation, sentence chunks, pauses, pause /
skip / stop stay sayso's: each chunk is one request to the remote engine,
made while the previous chunk plays.  The local voice it wraps gives the
profile (language, pauses, prosody), the output rate (remote audio at
another rate is resampled) and, with ``speak.engine_fallback = "local"``,
the speech when the server fails: one notice, then the local voice for
:data:`DOWN_S` seconds before the server is tried again.

The Wyoming and OpenAI speech requests have no speed field that sayso
sends: ``speak.rate`` (faster / slower) applies to the local voice only.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

import numpy as np

from ...audio.playback import resample
from ...core.errors import RemoteError, first_line
from .piper import SynthSpeed

_LOGGER = logging.getLogger(__name__)
DOWN_S = 30.0  # after a fault, the local voice this long before the server is tried again


class RemoteVoice:
    def __init__(self, engine, local, fallback: str = "local", notice: Optional[Callable[[str], None]] = None) -> None:
        self.engine = engine
        self.local = local  # sayso.speak.engines.piper.Voice
        self.fallback = fallback
        self.notice = notice
        self.profile = local.profile
        self.speed = SynthSpeed()  # the remote engine's time per character (first-chunk length)
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self.local.name} ({self.engine.name})"

    @property
    def sample_rate(self) -> int:
        return self.local.sample_rate

    def warm(self) -> None:
        """The local voice (the fallback) and one describe of the server."""
        self.local.warm()
        info = self.engine.describe(refresh=True)
        if info.reachable:
            _LOGGER.info(
                "Voice server %s: %d voices, %.0f ms round trip", info.address, len(info.models), info.rtt_ms or 0
            )
        else:
            _LOGGER.warning("%s", info.error)

    def synthesize(self, text: str, rate: float = 1.0, prosody=None) -> np.ndarray:
        """Float32 samples at :attr:`sample_rate` for one chunk of text."""
        if time.monotonic() < self._down_until:
            return self.local.synthesize(text, rate, prosody)
        start = time.perf_counter()
        try:
            pieces = [(p.as_float32(), p.sample_rate) for p in self.engine.synthesize(text)]
        except RemoteError as err:
            return self._failed(err, text, rate, prosody)
        self.speed.observe(len(text), time.perf_counter() - start)
        audio = [resample(samples, rate_in, self.sample_rate) for samples, rate_in in pieces]
        return np.concatenate(audio).astype(np.float32, copy=False) if audio else np.zeros(0, np.float32)

    def _failed(self, err: RemoteError, text: str, rate: float, prosody) -> np.ndarray:
        message = first_line(err)
        _LOGGER.debug("The remote voice failed", exc_info=True)
        if self.fallback != "local":
            raise err
        with self._lock:
            self._down_until = time.monotonic() + DOWN_S
        _LOGGER.warning("%s: reading on with the local voice", message)
        if self.notice is not None:
            self.notice(f"Voice server unavailable: reading with the local voice ({message})")
        return self.local.synthesize(text, rate, prosody)
