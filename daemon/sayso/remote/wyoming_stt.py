"""Speech to text on a Wyoming server (wyoming-faster-whisper, ``sayso serve``...).

One connection per recording: ``transcribe`` (language; the vocabulary as
``transcript_terms``), ``audio-start``, ``audio-chunk``s, ``audio-stop``,
then the server's ``transcript`` (or ``transcript-start`` /
``transcript-chunk``s / ``transcript`` / ``transcript-stop`` where it
streams it: the chunks become :meth:`stable_text`, the ``transcript`` the
final text).

:class:`WyomingStreamingSession` opens the connection at :meth:`begin` and
sends the audio **while the key is held**: :meth:`feed` (audio thread) only
queues the block and wakes the engine's event loop, which writes it.  At
the release :meth:`finish` sends what is left and ``audio-stop`` and waits
at most ``timeout_s`` for the text.  Every fault (server down at the start,
gone mid-recording, stalled) raises a :class:`RemoteError` from
:meth:`finish` at once or at the timeout; the caller still has the
recording and can give it to the local engine.

Limits of the protocol: Wyoming has no field for a prompt, so ``context``
(the text said before) is not sent, and servers may ignore
``transcript_terms`` (wyoming-faster-whisper 3.8.1 does; ``sayso serve``
uses them as faster-whisper hotwords, as the local engine does).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from typing import Optional, Sequence

import numpy as np
from wyoming.asr import Transcribe, TranscriptChunk, TranscriptStart, TranscriptStop
from wyoming.asr import Transcript as WyTranscript
from wyoming.audio import AudioChunk, AudioStart, AudioStop

from ..core.endpoints import check_endpoint
from ..core.errors import InputError, RemoteError, RemoteProtocolError, RemoteTimeout
from ..core.interfaces import EngineInfo, Segment, Transcript
from ..core.pcm import SAMPLE_RATE, to_pcm16
from .aio import LoopThread
from .wyoming_io import Connection, describe, split_chunks

_LOGGER = logging.getLogger(__name__)
WHAT = "Wyoming speech server"


def make_transcript(text: str, duration: float) -> Transcript:
    """A sayso Transcript from a server's text (whitespace normalised; one segment)."""
    text = " ".join(text.split())
    segments = [Segment(0.0, duration, text, 0.0, 0.0)] if text else []
    return Transcript(text, segments, duration=duration)


def _check_audio(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if not np.isfinite(audio).all():
        raise InputError("the audio contains invalid samples")
    return audio


def chunk_event(block: np.ndarray):
    return AudioChunk(rate=SAMPLE_RATE, width=2, channels=1, audio=to_pcm16(block)).event()


class _Stream:
    """One recording being streamed (shared by the audio, caller and loop threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.queued: list = []  # blocks not yet written
        self.fed: list = []  # every block fed, to compare with the recording at the release
        self.last = False  # finish() queued the tail: send audio-stop after it
        self.sent = 0  # samples written to the socket
        self.chunks: list = []  # transcript-chunk texts received
        self.wake: Optional[asyncio.Event] = None  # set on the loop
        self.future: Optional[concurrent.futures.Future] = None

    def notify(self) -> None:  # on the loop
        if self.wake is not None:
            self.wake.set()

    def take(self) -> tuple:
        with self.lock:
            blocks, self.queued = self.queued, []
            return blocks, self.last


async def _read_transcript(conn: Connection, stream: Optional[_Stream] = None) -> str:
    """Events until the transcript: its text (streamed chunks go to *stream*)."""
    chunks: list = []
    while True:
        event = await conn.read()
        if WyTranscript.is_type(event.type):
            return str(event.data.get("text") or "")
        if TranscriptStart.is_type(event.type):
            chunks = []
        elif TranscriptChunk.is_type(event.type):
            chunks.append(str(event.data.get("text") or ""))
            if stream is not None:
                with stream.lock:
                    stream.chunks = list(chunks)
        elif TranscriptStop.is_type(event.type):
            return "".join(chunks)


class WyomingSpeechToText:
    """A Wyoming speech-to-text server; thread-safe."""

    name = "wyoming"

    def __init__(
        self,
        uri: str,
        *,
        language: str = "en",
        model: str = "",
        vocabulary: Sequence[str] = (),
        timeout_s: float = 15.0,
        allow_remote: bool = False,
    ) -> None:
        self.endpoint = check_endpoint(uri, allow_remote=allow_remote, key="stt.uri")
        self.language = language
        self.model = model
        self.vocabulary = list(vocabulary)
        self.timeout_s = timeout_s
        self._loop = LoopThread("sayso-wyoming-stt")
        self._info: Optional[EngineInfo] = None

    @classmethod
    def from_config(cls, remote, stt) -> WyomingSpeechToText:
        """From a :class:`~sayso.core.config_remote.RemoteSttConfig` and sayso's SttConfig."""
        return cls(
            remote.uri,
            language=stt.language,
            model=remote.remote_model,
            vocabulary=stt.vocabulary,
            timeout_s=remote.timeout_s,
            allow_remote=remote.allow_remote,
        )

    @property
    def where(self) -> str:
        return f"the {WHAT} at {self.endpoint.display}"

    # --- describe -------------------------------------------------------------
    def describe(self, refresh: bool = False) -> EngineInfo:
        if self._info is not None and self._info.reachable and not refresh:
            return self._info
        future = self._loop.submit(describe(self.endpoint, self.timeout_s, WHAT))
        try:
            info, rtt = self._wait(future, self.timeout_s + 1.0, "describe itself")
        except RemoteError as err:
            return EngineInfo(self.name, self.endpoint.display, False, error=str(err))
        programs = info.asr
        models = [m.name for p in programs for m in p.models]
        languages = sorted({lang for p in programs for m in p.models for lang in m.languages})
        streaming = any(p.supports_transcript_streaming for p in programs)
        self._info = EngineInfo(
            self.name,
            self.endpoint.display,
            True,
            round(rtt * 1000, 1),
            models,
            languages,
            streaming,
            "" if programs else "the server offers no speech to text",
        )
        return self._info

    # --- one call ---------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, context: Optional[str] = None) -> Transcript:
        audio = _check_audio(audio)
        duration = len(audio) / SAMPLE_RATE
        if audio.size == 0:
            return Transcript("", duration=0.0)
        if context:
            _LOGGER.debug("Wyoming has no prompt field: the context is not sent")
        text = self._wait(self._loop.submit(self._transcribe(audio)), self.timeout_s, "send the transcript")
        return make_transcript(text, duration)

    def start_events(self) -> list:
        request = Transcribe(
            name=self.model or None, language=self.language or None, transcript_terms=self.vocabulary or None
        )
        return [request.event(), AudioStart(rate=SAMPLE_RATE, width=2, channels=1).event()]

    async def _transcribe(self, audio: np.ndarray) -> str:
        conn = await Connection(self.endpoint, WHAT).open(self.timeout_s)
        try:
            for event in self.start_events():
                await conn.write(event)
            for block in split_chunks(audio):
                await conn.write(chunk_event(block))
            await conn.write(AudioStop().event())
            return await _read_transcript(conn)
        finally:
            await conn.close()

    def _wait(self, future: concurrent.futures.Future, timeout: float, what: str):
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise RemoteTimeout(f"{self.where} did not {what} within {timeout:g} s") from None
        except concurrent.futures.CancelledError:
            raise RemoteError(f"the request to {self.where} was cancelled") from None

    # --- streaming ----------------------------------------------------------------
    def streaming(self) -> WyomingStreamingSession:
        return WyomingStreamingSession(self)

    async def stream(self, st: _Stream) -> str:
        """Send *st*'s audio as it comes; its transcript after audio-stop."""
        st.wake = asyncio.Event()
        st.wake.set()  # blocks fed before the loop got here
        conn = await Connection(self.endpoint, WHAT).open(self.timeout_s)
        reader: Optional[asyncio.Task] = None
        try:
            for event in self.start_events():
                await conn.write(event)
            reader = asyncio.ensure_future(_read_transcript(conn, st))
            while True:
                waiter = asyncio.ensure_future(st.wake.wait())
                await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if reader.done():
                    reader.result()  # the server's error, or it closed the connection
                    raise RemoteProtocolError(
                        f"{self.where} answered before the end of the recording "
                        "(is its own end-of-speech detection on?)"
                    )
                st.wake.clear()
                blocks, last = st.take()
                if blocks:
                    audio = np.concatenate(blocks)
                    for block in split_chunks(audio):
                        await conn.write(chunk_event(block))
                    st.sent += len(audio)
                if last:
                    break
            await conn.write(AudioStop().event())
            return await reader
        finally:
            if reader is not None and not reader.done():
                reader.cancel()
            await conn.close()

    def close(self) -> None:
        self._loop.close()


class WyomingStreamingSession:
    """The StreamingTranscriber interface over a Wyoming connection per recording."""

    def __init__(self, engine: WyomingSpeechToText) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._current: Optional[_Stream] = None
        self.last_stats: dict = {}

    def begin(self) -> object:
        st = _Stream()
        with self._lock:
            old, self._current = self._current, st
        if old is not None:  # its finish() may still come (a quick second press): give it a while
            self.engine._loop.call_soon(self._expire, old, max(10.0, self.engine.timeout_s))
        st.future = self.engine._loop.submit(self.engine.stream(st))
        return st

    @staticmethod
    def _expire(st: _Stream, delay: float) -> None:  # on the loop
        def cancel() -> None:
            if not st.last and st.future is not None:
                st.future.cancel()

        asyncio.get_running_loop().call_later(delay, cancel)

    def feed(self, block: np.ndarray) -> None:
        st = self._current
        if st is None or st.last:
            return
        with st.lock:
            st.queued.append(block)
            st.fed.append(block)
        self.engine._loop.call_soon(st.notify)

    def stable_text(self, token: Optional[object] = None) -> str:
        st = self._current
        if st is None or (token is not None and token is not st):
            return ""
        with st.lock:
            return " ".join("".join(st.chunks).split())

    def finish(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        t0 = time.perf_counter()
        full = _check_audio(full_audio)
        with self._lock:
            st = self._current if token is None else token
            if st is not None and st is self._current:
                self._current = None
        mine = isinstance(st, _Stream) and st.future is not None and not st.future.cancelled()
        tail = self._close_stream(st, full) if mine else None
        if tail is None:  # not streamed (aborted, expired), or it differs from the recording: one call
            if mine:
                st.future.cancel()
            self.last_stats = {"how": "batch", "engine": self.engine.name}
            return self.engine.transcribe(full)
        streamed = st.sent
        self.engine._loop.call_soon(st.notify)
        try:
            text = self.engine._wait(st.future, self.engine.timeout_s, "send the transcript")
        finally:
            self.last_stats = {
                "how": "stream",
                "engine": self.engine.name,
                "streamed_s": round(streamed / SAMPLE_RATE, 3),
                "tail_s": round(tail / SAMPLE_RATE, 3),
                "total_s": round(time.perf_counter() - t0, 4),
            }
            _LOGGER.debug("Wyoming finish: %s", self.last_stats)
        return make_transcript(text, len(full) / SAMPLE_RATE)

    @staticmethod
    def _close_stream(st: _Stream, full: np.ndarray) -> Optional[int]:
        """Queue the rest of the recording and the end; the tail's length, or
        None if what was fed is not the start of *full*."""
        with st.lock:
            fed = np.concatenate(st.fed) if st.fed else np.zeros(0, np.float32)
            if len(fed) > len(full) or not np.array_equal(fed, full[: len(fed)]):
                _LOGGER.warning("The streamed audio differs from the recording; sending it whole")
                return None
            tail = full[len(fed) :]
            if len(tail):
                st.queued.append(tail)
            st.last = True
            return len(tail)

    def abort(self) -> None:
        with self._lock:
            st, self._current = self._current, None
        if st is not None and st.future is not None:
            st.future.cancel()

    def close(self) -> None:
        self.abort()
