"""Low-latency, interruptible playback of synthesised speech.

A :class:`Player` owns one sounddevice ``OutputStream`` whose callback pulls
:class:`Segment` objects (a sentence's samples plus the pause after it) from
a small queue filled by the synthesis thread.  Blocks are short (20 ms), so
stop, pause and skip act on the next callback: :meth:`Player.stop` silences
the callback at once and aborts the stream, dropping what PortAudio and the
sound server had buffered.  Pause and skip are heard after the device
buffer (``speak.output_latency_ms``, 100 ms by default) has played out.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np

from ..core.errors import AudioError, first_line

log = logging.getLogger(__name__)

BLOCK_MS = 20
AHEAD = 2  # segments synthesised ahead of the one playing
LATENCY_S = 0.1  # device buffer: smaller makes some ALSA->PulseAudio paths skip audio


@dataclass
class Segment:
    audio: np.ndarray  # float32 mono at the player's rate, pause included at the end
    index: int = 0  # chunk number, for status and skip
    speech_samples: int = 0  # how much of audio is speech (the rest is the pause)


StreamFactory = Callable[..., object]


def _sounddevice_stream(**kwargs) -> object:
    try:
        import sounddevice as sd
    except OSError as err:  # PortAudio library missing
        raise AudioError(f"audio output unavailable: {err}") from None
    return sd.OutputStream(**kwargs)


def warm_output() -> None:
    """Load sounddevice and PortAudio now: the first use probes the audio devices (tens of ms)."""
    try:
        importlib.import_module("sounddevice")
    except OSError as err:  # PortAudio missing: reported when something plays
        log.debug("audio output not available yet: %s", err)


def resample(audio: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst or audio.size == 0:
        return audio
    n_out = int(round(audio.size * dst / src))
    x_new = np.linspace(0, audio.size - 1, n_out)
    return np.interp(x_new, np.arange(audio.size), audio).astype(np.float32)


class Player:
    """Plays queued segments; stop/pause/skip take effect within one block."""

    def __init__(
        self,
        sample_rate: int,
        device: Optional[object] = None,
        stream_factory: Optional[StreamFactory] = None,
        ahead: int = AHEAD,
        latency: float = LATENCY_S,
    ) -> None:
        self.sample_rate = sample_rate
        self.latency = latency
        self.device = device
        self._factory = stream_factory or _sounddevice_stream
        self._queue: queue.Queue[Segment] = queue.Queue(maxsize=max(1, ahead))
        self._buf: Optional[np.ndarray] = None
        self._pos = 0
        self._input_done = False
        self._stopped = threading.Event()
        self._opened = threading.Event()  # the stream is open at its final rate (or the player stopped)
        self._start_pending = False  # start the stream when the first segment is queued
        self._start_lock = threading.Lock()
        self._done = threading.Event()
        self._paused = False
        self._skip = False
        self.index = -1  # chunk being played
        self.played_samples = 0
        self.first_audio = threading.Event()  # set when the first speech sample is played
        self.starved_blocks = 0
        self._stream = None
        self.rate = sample_rate  # the stream's rate (the device may refuse the voice's)

    # --- control (any thread) ---------------------------------------------
    def start(self, at_first_segment: bool = False) -> None:
        """Open the output and start it, now or when the first segment is queued.

        Segments may be put before (they wait for the stream to be open).
        Started at the first segment, the device's first buffer is speech: a
        stream started early fills the device buffer with silence first, and
        through ALSA's pulse plugin it then stalls for about 250 ms before
        asking for more, so the speech would wait for both.
        """
        try:
            self._stream = self._open_stream()
            self._start_pending = at_first_segment
        finally:
            self._opened.set()
        if not at_first_segment:
            self._start_stream()

    def _open_stream(self) -> object:
        blocksize = max(64, self.sample_rate * BLOCK_MS // 1000)
        try:
            return self._open(self.sample_rate, blocksize)
        except AudioError:
            raise
        except Exception as err:
            fallback = self._default_rate()
            if not fallback or fallback == self.sample_rate:
                raise AudioError(f"cannot open the audio output: {first_line(err, 160)}") from None
            log.info("Output refuses %d Hz, playing at %d Hz", self.sample_rate, fallback)
            try:
                stream = self._open(fallback, max(64, fallback * BLOCK_MS // 1000))
            except Exception as err2:
                raise AudioError(f"cannot open the audio output: {first_line(err2, 160)}") from None
            self.rate = fallback
            return stream

    def _start_stream(self) -> None:
        with self._start_lock:
            self._start_pending = False
            stream = self._stream
            if stream is None or self._stopped.is_set():
                return
            try:
                stream.start()
            except Exception as err:
                raise AudioError(f"cannot start audio output: {first_line(err, 160)}") from None

    def _open(self, rate: int, blocksize: int) -> object:
        return self._factory(
            samplerate=rate, channels=1, dtype="float32", blocksize=blocksize, latency=self.latency,
            device=self.device, callback=self._callback, finished_callback=self._finished,
        )  # fmt: skip

    def _default_rate(self) -> Optional[int]:
        try:
            import sounddevice as sd

            return int(sd.query_devices(self.device, "output")["default_samplerate"])
        except Exception:
            return None

    def put(self, segment: Segment, timeout: Optional[float] = None) -> bool:
        """Queue *segment* (blocks while the queue is full); False once stopped.

        Before the stream is open this waits for it: the stream's rate decides
        whether the segment is resampled.
        """
        while not self._opened.wait(0.05):
            if self._stopped.is_set():
                return False
        if self.rate != self.sample_rate:
            segment.audio = resample(segment.audio, self.sample_rate, self.rate)
            segment.speech_samples = int(segment.speech_samples * self.rate / self.sample_rate)
        while not self._stopped.is_set():
            try:
                self._queue.put(segment, timeout=0.05)
                if self._start_pending:
                    self._start_stream()
                return True
            except queue.Full:
                if timeout is not None:
                    timeout -= 0.05
                    if timeout <= 0:
                        return False
        return False

    def finish(self) -> None:
        """No more segments: the stream ends after the queued ones."""
        self._input_done = True

    def stop(self) -> None:
        """Silence now and release the device."""
        self._stopped.set()
        self._opened.set()
        with self._start_lock:  # never abort a stream while another thread starts it
            stream, self._stream = self._stream, None
        if stream is not None:
            for action in (stream.abort, stream.close):
                try:
                    action()
                except Exception as err:
                    log.debug("closing the output stream: %s", err)
        self._done.set()

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def skip(self) -> None:
        self._skip = True

    def wait(self, timeout: Optional[float] = None) -> bool:
        return self._done.wait(timeout)

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def active(self) -> bool:
        return not self._done.is_set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    # --- audio thread -------------------------------------------------------
    def _next(self) -> bool:
        try:
            seg = self._queue.get_nowait()
        except queue.Empty:
            return False
        self._buf, self._pos, self.index = seg.audio, 0, seg.index
        return True

    def _callback(self, outdata, frames, _time, status) -> None:
        out = outdata[:, 0]
        if self._stopped.is_set() or self._paused:
            out.fill(0)
            return
        if self._skip:
            self._skip, self._buf = False, None
        filled = 0
        while filled < frames:
            if self._buf is None or self._pos >= len(self._buf):
                if not self._next():
                    out[filled:] = 0
                    if self._input_done and self._queue.empty():
                        self._raise_stop()
                    elif self.index >= 0:
                        self.starved_blocks += 1  # synthesis fell behind playback
                    self._buf = None
                    return
            take = min(frames - filled, len(self._buf) - self._pos)
            out[filled : filled + take] = self._buf[self._pos : self._pos + take]
            self._pos += take
            filled += take
        self.played_samples += frames
        if not self.first_audio.is_set() and np.any(out):
            self.first_audio.set()

    def _raise_stop(self) -> None:
        import sounddevice as sd

        raise sd.CallbackStop

    def _finished(self) -> None:
        self._done.set()
