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

from ..core.config_types import AudioConfig
from ..core.errors import AudioError, first_line
from ..core.pcm import SAMPLE_RATE

_LOGGER = logging.getLogger(__name__)

# Blocks of 100 ms: an open input stream then costs ~0.25 % of a core
# (50 ms blocks: ~0.5 %).  The audio between the last block and the key
# release arrives with the next block; see Recorder.take_tail().
BLOCK_MS = 100


@dataclass
class Recording:
    audio: np.ndarray  # float32 mono at SAMPLE_RATE
    truncated: bool = False  # hit max_seconds
    preroll_samples: int = 0  # how much of the start came from before the key press
    take: int = 0  # which recording of the Recorder this is (for its tail)

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE

    @property
    def held_seconds(self) -> float:
        """How long the key was held (the recording without its pre-roll)."""
        return (len(self.audio) - self.preroll_samples) / SAMPLE_RATE

    def extended(self, tail: np.ndarray) -> Recording:
        if not len(tail):
            return self
        return Recording(np.concatenate([self.audio, tail]), self.truncated, self.preroll_samples, self.take)


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

    def __init__(
        self,
        cfg: AudioConfig,
        on_audio: Optional[Callable[[np.ndarray], None]] = None,
        on_limit: Optional[Callable[[], None]] = None,
    ) -> None:
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
        self._tail_wanted = False  # stop() was called; the block in flight ends the recording
        self._tail_from: Optional[float] = None  # stream time of the key release
        self._tail: Optional[np.ndarray] = None
        self._tail_ready = threading.Condition(self._lock)
        self._take = 0  # recordings started

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
            stream = sd.InputStream(
                device=device,
                channels=1,
                samplerate=rate,
                dtype="float32",
                blocksize=int(rate * BLOCK_MS / 1000),
                callback=self._callback,
            )
            stream.start()
        except AudioError:
            raise
        except Exception as err:
            raise AudioError(f"cannot open the microphone: {first_line(err)}") from None
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
            self._tail, self._tail_wanted = None, False  # a previous tail not taken is this pre-roll
            self._take += 1
            self._tail_ready.notify_all()
            if self.on_audio and self._blocks:  # under the lock: before any block the audio thread adds
                self.on_audio(np.concatenate(self._blocks))

    def stop(self) -> Recording:
        """End the recording at once with the audio received so far.

        The last moments before the release are still in the block in
        flight: :meth:`take_tail` waits for them (or :meth:`drop_tail`).
        """
        with self._lock:
            self._recording = False
            blocks, self._blocks = self._blocks, []
            truncated = self._truncated
            self._tail, self._tail_wanted = None, self._stream is not None and not truncated
            self._tail_from = self._stream_time()
        audio = np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)
        return Recording(audio, truncated, self._preroll_samples, self._take)

    def take_tail(self, rec: Recording, timeout: Optional[float] = None) -> np.ndarray:
        """The audio from the end of *rec* (just stopped) to the key release:
        it comes with the next block, at most ``BLOCK_MS`` later.  Empty if
        another recording has started since."""
        timeout = 2 * BLOCK_MS / 1000 + 0.1 if timeout is None else timeout
        with self._lock:
            mine = lambda: rec.take == self._take and not self._recording  # noqa: E731
            if mine() and self._tail_wanted and self._tail is None:
                self._tail_ready.wait_for(lambda: self._tail is not None or not self._tail_wanted, timeout)
            tail = self._tail if mine() and self._tail is not None else np.zeros(0, np.float32)
            if mine():
                self._tail, self._tail_wanted = None, False
        self._close_if_idle()
        return tail

    def drop_tail(self, rec: Recording) -> None:
        with self._lock:
            if rec.take == self._take and not self._recording:
                self._tail, self._tail_wanted = None, False
        self._close_if_idle()

    def _close_if_idle(self) -> None:
        if self.cfg.preroll_ms <= 0 and not self._recording:
            self.close()

    def cancel(self) -> None:
        self.drop_tail(self.stop())

    def _stream_time(self) -> Optional[float]:
        try:
            return float(self._stream.time)
        except Exception:
            return None

    def _callback(self, indata, frames, time_info, status) -> None:  # audio thread
        if status and status.input_overflow:
            self._status_error = "input overflow"
        block = to_mono_16k(indata, self._rate)
        limit_hit = False
        with self._lock:
            if self._tail_wanted and self._tail is None:
                self._tail = block[: self._samples_before_release(time_info, len(block))]
                self._tail_ready.notify_all()
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

    def _samples_before_release(self, time_info, n: int) -> int:
        """How much of a block (of *n* samples at 16 kHz) was captured before the key release."""
        adc = getattr(time_info, "inputBufferAdcTime", 0.0) if time_info is not None else 0.0
        if not adc or self._tail_from is None:
            return n  # no clock (or a test feeding blocks): all of it
        return max(0, min(n, int(round((self._tail_from - adc) * SAMPLE_RATE))))
