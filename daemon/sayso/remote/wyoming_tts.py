"""Text to speech on a Wyoming server (wyoming-piper, ``sayso serve``...).

:meth:`WyomingTextToSpeech.synthesize` opens a connection and sends the
text: as ``synthesize-start`` / ``synthesize-chunk`` / ``synthesize`` (for
older servers) / ``synthesize-stop`` when the server's ``info`` announces
synthesis streaming, else as one ``synthesize``.  The server answers with
``audio-start`` / ``audio-chunk``s / ``audio-stop`` (once per sentence when
streaming, then ``synthesize-stopped``), and each ``audio-chunk`` is
yielded as it arrives, at the server's rate: the first sentence plays while
the server makes the next.  Waiting longer than ``timeout_s`` for the next
piece raises :class:`RemoteTimeout`; closing the iterator closes the
connection.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
from typing import Iterator, Optional

from wyoming.audio import AudioChunk, AudioStop
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped, SynthesizeVoice

from ..core.endpoints import check_endpoint
from ..core.errors import InputError, RemoteError, RemoteProtocolError, RemoteTimeout
from ..core.interfaces import EngineInfo, SpeechAudio
from .aio import LoopThread
from .wyoming_io import Connection, describe, from_pcm

_LOGGER = logging.getLogger(__name__)
WHAT = "Wyoming voice server"
_END = object()


class WyomingTextToSpeech:
    name = "wyoming"

    def __init__(
        self, uri: str, *, voice: str = "", speaker: str = "", timeout_s: float = 10.0, allow_remote: bool = False
    ) -> None:
        self.endpoint = check_endpoint(uri, allow_remote=allow_remote, key="speak.uri")
        self.voice = voice
        self.speaker = speaker
        self.timeout_s = timeout_s
        self._loop = LoopThread("sayso-wyoming-tts")
        self._info: Optional[EngineInfo] = None
        self._rate = 0

    @classmethod
    def from_config(cls, remote) -> WyomingTextToSpeech:
        """From a :class:`~sayso.core.config_remote.RemoteSpeakConfig`."""
        return cls(remote.uri, voice=remote.remote_voice, timeout_s=remote.timeout_s, allow_remote=remote.allow_remote)

    @property
    def where(self) -> str:
        return f"the {WHAT} at {self.endpoint.display}"

    @property
    def sample_rate(self) -> int:
        """The rate of the last answer (0 before the first)."""
        return self._rate

    def describe(self, refresh: bool = False) -> EngineInfo:
        try:
            return self._fetch_info(refresh)
        except RemoteError as err:
            return EngineInfo(self.name, self.endpoint.display, False, error=str(err))

    def _fetch_info(self, refresh: bool = False) -> EngineInfo:
        """The server's voices (cached); RemoteError if it does not answer."""
        if self._info is not None and not refresh:
            return self._info
        future = self._loop.submit(describe(self.endpoint, self.timeout_s, WHAT))
        try:
            info, rtt = future.result(self.timeout_s + 1.0)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise RemoteTimeout(f"{self.where} did not describe itself within {self.timeout_s:g} s") from None
        every = [v for p in info.tts for v in p.voices]
        voices = [v.name for v in every if v.installed] + [v.name for v in every if not v.installed]  # ready ones first
        languages = sorted({lang for p in info.tts for v in p.voices for lang in v.languages})
        streaming = any(p.supports_synthesize_streaming for p in info.tts)
        self._info = EngineInfo(
            self.name,
            self.endpoint.display,
            True,
            round(rtt * 1000, 1),
            voices,
            languages,
            streaming,
            "" if info.tts else "the server offers no text to speech",
        )
        return self._info

    # --- synthesis ----------------------------------------------------------------
    def synthesize(self, text: str) -> Iterator[SpeechAudio]:
        if not text or not text.strip():
            raise InputError("nothing to say")
        streaming = self._fetch_info().streaming  # cached after the first time
        pieces: queue.Queue = queue.Queue()
        future = self._loop.submit(self._produce(text, streaming, pieces))
        try:
            while True:
                try:
                    item = pieces.get(timeout=self.timeout_s)
                except queue.Empty:
                    raise RemoteTimeout(f"{self.where} sent no audio for {self.timeout_s:g} s") from None
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            future.cancel()  # the consumer stopped (or it is over): close the connection

    def _requests(self, text: str, streaming: bool) -> list:
        voice = SynthesizeVoice(name=self.voice, speaker=self.speaker or None) if self.voice else None
        whole = Synthesize(text=text, voice=voice).event()
        if not streaming:
            return [whole]
        return [
            SynthesizeStart(voice=voice).event(),
            SynthesizeChunk(text=text).event(),
            whole,
            SynthesizeStop().event(),
        ]

    async def _produce(self, text: str, streaming: bool, pieces: queue.Queue) -> None:
        try:
            conn = await Connection(self.endpoint, WHAT).open(self.timeout_s)
            try:
                for event in self._requests(text, streaming):
                    await conn.write(event)
                await self._receive(conn, streaming, pieces)
            finally:
                await conn.close()
        except asyncio.CancelledError:
            raise
        except RemoteError as err:
            self._info = None  # describe again next time (the server may have changed)
            pieces.put(err)
            return
        except Exception as err:  # a bug here must not leave the consumer waiting
            _LOGGER.debug("Wyoming synthesis failed", exc_info=True)
            pieces.put(RemoteProtocolError(f"{self.where}: {type(err).__name__}: {err}"))
            return
        pieces.put(_END)

    async def _receive(self, conn: Connection, streaming: bool, pieces: queue.Queue) -> None:
        while True:
            event = await conn.read()
            if AudioChunk.is_type(event.type):
                chunk = AudioChunk.from_event(event)
                self._rate = int(chunk.rate)
                pieces.put(SpeechAudio(from_pcm(chunk.audio, chunk.width, chunk.channels), self._rate))
            elif SynthesizeStopped.is_type(event.type):
                return
            elif AudioStop.is_type(event.type) and not streaming:
                return

    def close(self) -> None:
        self._loop.close()
