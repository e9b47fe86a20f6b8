"""Microphone capture: 16 kHz mono float32 with a RAM pre-roll ring buffer.

With ``preroll_ms > 0`` the input stream stays open and the last N ms are
kept in memory, so the first word said as the key goes down is not cut.
Audio is never written to disk.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from .config import AudioConfig
from .errors import AudioError

_LOGGER = logging.getLogger(__name__)

SAMPLE_RATE = 16000
BLOCK_MS = 50


@dataclass
class Recording:
    audio: np.ndarray  # float32 mono at SAMPLE_RATE
    truncated: bool = False  # hit max_seconds
    preroll_samples: int = 0  # how much of the start came from before the key press

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    @property
    def held_seconds(self) -> float:
        """How long the key was held (the recording without its pre-roll)."""
        return (len(self.audio) - self.preroll_samples) / SAMPLE_RATE


def resolve_device(spec: str, kind: str) -> Optional[object]:
    """Config device spec -> sounddevice device (None = system default).

    An empty spec on Linux means the sound server's default (the ALSA
    ``pulse``/``pipewire`` device), never a raw ``hw:`` device.
    """
    import sounddevice as sd

    try:
        devices = sd.query_devices()
    except Exception as err:
        raise AudioError(f"cannot list audio devices: {err}") from None
    channels = "max_input_channels" if kind == "input" else "max_output_channels"
    usable = [(i, d) for i, d in enumerate(devices) if d[channels] > 0]
    if not usable:
        raise AudioError(f"no audio {kind} device found" + (" (no microphone)" if kind == "input" else ""))
    if spec.strip().lstrip("-").isdigit():
        index = int(spec)
        if not any(i == index for i, _ in usable):
            raise AudioError(f"audio {kind} device {index} does not exist or has no {kind} channels")
        return index
    if spec:
        for i, d in usable:
            if spec.lower() in d["name"].lower():
                return i
        raise AudioError(f"no audio {kind} device matches {spec!r}")
    if sys.platform.startswith("linux"):
        for wanted in ("pipewire", "pulse"):
            for i, d in usable:
                if d["name"].lower() == wanted:
                    return i
    return None


def to_mono_16k(block: np.ndarray, rate: int) -> np.ndarray:
    mono = block.mean(axis=1) if block.ndim == 2 else block
    mono = mono.astype(np.float32, copy=False)
    if rate == SAMPLE_RATE:
        return mono.copy()
    n_out = int(round(len(mono) * SAMPLE_RATE / rate))
    x_old = np.arange(len(mono), dtype=np.float64) / rate
    x_new = np.arange(n_out, dtype=np.float64) / SAMPLE_RATE
    return np.interp(x_new, x_old, mono).astype(np.float32)


class Recorder:
    """Captures from the microphone between :meth:`start` and :meth:`stop`.

    *on_audio* (optional) receives each new 16 kHz block while recording,
    on the audio thread: keep it cheap (the streaming transcriber queues it).
    *on_limit* is called once when ``max_seconds`` is reached.
    """

    def __init__(self, cfg: AudioConfig, on_audio: Optional[Callable[[np.ndarray], None]] = None,
                 on_limit: Optional[Callable[[], None]] = None) -> None:
        self.cfg = cfg
        self.on_audio = on_audio
        self.on_limit = on_limit
        self._stream = None
        self._rate = SAMPLE_RATE
        self._lock = threading.Lock()
        self._preroll: collections.deque = collections.deque()
        self._preroll_len = 0
        self._blocks: list = []
        self._samples = 0
        self._preroll_samples = 0
        self._recording = False
        self._truncated = False
        self._status_error: Optional[str] = None

    @property
    def recording(self) -> bool:
        return self._recording

    def open(self) -> None:
        """Open the input stream (kept open when pre-roll is on)."""
        if self._stream is not None:
            return
        import sounddevice as sd

        device = resolve_device(self.cfg.input_device, "input")
        try:
            rate = SAMPLE_RATE
            try:
                sd.check_input_settings(device=device, channels=1, samplerate=rate, dtype="float32")
            except Exception:
                rate = int(sd.query_devices(device, "input")["default_samplerate"])
            stream = sd.InputStream(device=device, channels=1, samplerate=rate, dtype="float32",
                                    blocksize=int(rate * BLOCK_MS / 1000), callback=self._callback)
            stream.start()
        except AudioError:
            raise
        except Exception as err:
            raise AudioError(f"cannot open the microphone: {_short(err)}") from None
        self._stream, self._rate = stream, rate
        _LOGGER.debug("Input stream open: device=%s rate=%s", device, rate)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as err:
                _LOGGER.debug("Closing input stream: %s", err)

    def start(self) -> None:
        """Begin a recording; the pre-roll becomes its first audio."""
        if self._stream is None or not self._stream.active:
            self.close()
            self.open()
        with self._lock:
            self._blocks = list(self._preroll) if self.cfg.preroll_ms > 0 else []
            self._samples = self._preroll_samples = sum(len(b) for b in self._blocks)
            self._preroll.clear()
            self._preroll_len = 0
            self._truncated = False
            self._recording = True
        if self.on_audio and self._blocks:
            self.on_audio(np.concatenate(self._blocks))

    def stop(self) -> Recording:
        with self._lock:
            self._recording = False
            blocks, self._blocks = self._blocks, []
            truncated = self._truncated
        if self.cfg.preroll_ms <= 0:
            self.close()
        audio = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
        return Recording(audio, truncated, self._preroll_samples)

    def cancel(self) -> None:
        self.stop()

    def _callback(self, indata, frames, time_info, status) -> None:  # audio thread
        if status and status.input_overflow:
            self._status_error = "input overflow"
        block = to_mono_16k(indata, self._rate)
        limit_hit = False
        with self._lock:
            if self._recording:
                if self._samples >= self.cfg.max_seconds * SAMPLE_RATE:
                    if not self._truncated:
                        self._truncated = limit_hit = True
                else:
                    self._blocks.append(block)
                    self._samples += len(block)
                    if self.on_audio:
                        self.on_audio(block)
            elif self.cfg.preroll_ms > 0:
                self._preroll.append(block)
                self._preroll_len += len(block)
                keep = self.cfg.preroll_ms * SAMPLE_RATE // 1000
                while self._preroll and self._preroll_len - len(self._preroll[0]) >= keep:
                    self._preroll_len -= len(self._preroll.popleft())
        if limit_hit and self.on_limit:
            threading.Thread(target=self.on_limit, daemon=True).start()


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
