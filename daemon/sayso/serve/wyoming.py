"""The Wyoming side of ``sayso serve``: one handler per connection.

Speech to text: ``transcribe`` (language, ``transcript_names`` and
``transcript_terms`` as the request's vocabulary), ``audio-start``,
``audio-chunk``s (any rate, width and channels: converted to 16 kHz mono),
``audio-stop`` -> ``transcript-start``, a ``transcript-chunk`` per segment,
``transcript``, ``transcript-stop``.  Text to speech: ``synthesize`` ->
``audio-start``, chunks sentence by sentence, ``audio-stop``; or
``synthesize-start`` / ``-chunk``s / ``-stop``, each complete sentence
synthesised as soon as its text is in (``audio-start``/chunks/``audio-stop``
per sentence, then ``synthesize-stopped``).

Limits: an event larger than ``max_event_bytes``, more than ``max_audio_s``
of audio or ``max_text_chars`` of text is answered with an ``error`` event
and the connection is closed; so is an event that is not one.  A client
that vanishes (mid-stream or not) only ends its own connection.  No text is
logged below debug level.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Optional

import numpy as np
from wyoming.asr import Transcribe, Transcript, TranscriptChunk, TranscriptStart, TranscriptStop
from wyoming.audio import AudioChunk, AudioChunkConverter, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped

from ..core.config_remote import ServeLimits
from ..core.errors import SaysoError
from ..core.pcm import to_pcm16
from ..dictate.engines.faster_whisper import SAMPLE_RATE
from ..remote.wyoming_io import MalformedEvent, read_event
from .engines import LocalEngines

_LOGGER = logging.getLogger(__name__)
OUT_CHUNK = 2048  # samples per audio-chunk sent


class Refused(Exception):
    """A request over a limit, or for an engine this server lacks: error event, then close."""

    def __init__(self, text: str, code: str) -> None:
        super().__init__(text)
        self.code = code


class Clients:
    """How many connections are open (the max_clients limit)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.count, self._lock = limit, 0, threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.count >= self.limit:
                return False
            self.count += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.count -= 1


class SaysoEventHandler(AsyncEventHandler):
    def __init__(
        self,
        engines: LocalEngines,
        limits: ServeLimits,
        clients: Clients,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        super().__init__(reader, writer)
        self.engines, self.limits, self.clients = engines, limits, clients
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "a local client"
        self._request: Optional[Transcribe] = None
        self._audio: Optional[bytearray] = None
        self._converter: Optional[AudioChunkConverter] = None
        self._text: Optional[str] = None  # the synthesize stream's text not yet spoken

    async def run(self) -> None:
        if not self.clients.enter():
            await self._send_error(f"busy: at most {self.clients.limit} connections", "busy")
            self.writer.close()
            return
        try:
            await self._serve()
        finally:
            self.clients.leave()
            await self.disconnect()
            self.writer.close()

    async def _serve(self) -> None:
        while True:
            try:
                event = await asyncio.wait_for(
                    read_event(self.reader, self.limits.max_event_bytes), self.limits.idle_timeout_s
                )
            except asyncio.TimeoutError:
                _LOGGER.debug("%s: idle for %.0f s, closing", self.peer, self.limits.idle_timeout_s)
                return
            except MalformedEvent as err:
                _LOGGER.info("%s sent a malformed event (%s): closing the connection", self.peer, err)
                await self._send_error(f"malformed event: {err}", "malformed")
                return
            except (asyncio.IncompleteReadError, ConnectionError, OSError):
                event = None
            if event is None:
                if self._audio is not None or self._text is not None:
                    _LOGGER.info("%s went away mid-stream", self.peer)
                return
            if not await self._handle(event):
                return

    async def _handle(self, event: Event) -> bool:
        try:
            return await self.handle_event(event)
        except Refused as err:
            _LOGGER.info("%s: refused (%s)", self.peer, err)
            await self._send_error(str(err), err.code)
        except (ConnectionError, OSError):
            _LOGGER.info("%s went away before the answer", self.peer)
        except SaysoError as err:
            await self._send_error(str(err), type(err).__name__)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            _LOGGER.info("%s sent a malformed %s event: closing the connection", self.peer, event.type)
            _LOGGER.debug("Malformed event", exc_info=err)
            await self._send_error(f"malformed {event.type} event", "malformed")
        return False

    async def _send_error(self, text: str, code: str) -> None:
        """Send an error event, then close gently: unread input would make the
        close a reset that can destroy the error before the client reads it."""
        try:
            await self.write_event(Error(text=text, code=code).event())
            if self.writer.can_write_eof():
                self.writer.write_eof()
            await asyncio.wait_for(self._discard_input(), 1.0)
        except (ConnectionError, OSError, asyncio.TimeoutError):
            pass

    async def _discard_input(self, limit: int = 8 << 20) -> None:
        while limit > 0:
            data = await self.reader.read(65536)
            if not data:
                return
            limit -= len(data)

    async def handle_event(self, event: Event) -> bool:
        kind = event.type
        if Describe.is_type(kind):
            await self.write_event(self.engines.info().event())
        elif Ping.is_type(kind):
            await self.write_event(Pong(text=event.data.get("text")).event())
        elif Transcribe.is_type(kind):
            self._need(self.engines.transcriber, "speech to text")
            self._request, self._audio = Transcribe.from_event(event), None
        elif AudioStart.is_type(kind):
            self._start_audio()
        elif AudioChunk.is_type(kind):
            self._add_audio(event)
        elif AudioStop.is_type(kind):
            await self._transcribe()
        elif Synthesize.is_type(kind):
            if self._text is None:  # (inside a stream it only repeats the text, for older servers)
                await self._speak_whole(str(event.data["text"]))
        elif SynthesizeStart.is_type(kind):
            self._need(self.engines.voice, "text to speech")
            self._text = ""
        elif SynthesizeChunk.is_type(kind):
            await self._stream_text(str(event.data["text"]))
        elif SynthesizeStop.is_type(kind):
            await self._stream_end()
        return True

    @staticmethod
    def _need(engine: object, what: str) -> None:
        if engine is None:
            raise Refused(f"this server offers no {what}", "unsupported")

    # --- speech to text ------------------------------------------------------------
    def _start_audio(self) -> None:
        self._need(self.engines.transcriber, "speech to text")
        self._audio = bytearray()
        self._converter = AudioChunkConverter(rate=SAMPLE_RATE, width=2, channels=1)

    def _add_audio(self, event: Event) -> None:
        if self._audio is None:  # no audio-start: be lenient, as other servers are
            self._start_audio()
        chunk = AudioChunk.from_event(event)
        if not (
            isinstance(chunk.rate, int)
            and 1000 <= chunk.rate <= 192000
            and chunk.width in (1, 2, 4)
            and isinstance(chunk.channels, int)
            and 1 <= chunk.channels <= 8
        ):
            raise ValueError("bad audio format")
        self._audio += self._converter.convert(chunk).audio
        if len(self._audio) > self.limits.max_audio_s * SAMPLE_RATE * 2:
            self._audio = None
            raise Refused(f"audio longer than {self.limits.max_audio_s:g} s", "too_long")

    async def _transcribe(self) -> None:
        request, pcm = self._request or Transcribe(), self._audio
        self._request, self._audio = None, None
        if pcm is None:
            await self.write_event(Transcript(text="").event())
            return
        audio = np.frombuffer(bytes(pcm), dtype="<i2").astype(np.float32) / 32768.0
        vocabulary = None
        if request.transcript_names is not None or request.transcript_terms is not None:
            vocabulary = list(request.transcript_names or []) + list(request.transcript_terms or [])
        start = time.perf_counter()
        result = await asyncio.to_thread(self.engines.transcribe, audio, request.language, vocabulary)
        _LOGGER.info(
            "%s: transcribed %.1f s of audio in %.2f s",
            self.peer,
            len(audio) / SAMPLE_RATE,
            time.perf_counter() - start,
        )
        _LOGGER.debug("Transcript: %s", result.text)
        await self.write_event(TranscriptStart(language=request.language).event())
        for seg in result.segments:
            await self.write_event(TranscriptChunk(text=" " + seg.text.strip()).event())
        await self.write_event(Transcript(text=result.text, language=request.language).event())
        await self.write_event(TranscriptStop().event())

    # --- text to speech --------------------------------------------------------------
    def _check_text(self, text: str) -> None:
        self._need(self.engines.voice, "text to speech")
        if len(text) > self.limits.max_text_chars:
            self._text = None
            raise Refused(f"text longer than {self.limits.max_text_chars} characters", "too_long")

    async def _speak_whole(self, text: str) -> None:
        self._check_text(text)
        sentences = self.engines.sentences(text)
        await self._send_start()
        for sentence in sentences:
            await self._speak(sentence)
        await self.write_event(AudioStop().event())
        _LOGGER.info("%s: spoke %d characters", self.peer, len(text))

    async def _stream_text(self, piece: str) -> None:
        if self._text is None:
            raise ValueError("synthesize-chunk outside a stream")
        self._text += piece
        self._check_text(self._text)
        sentences = self.engines.sentences(self._text)
        if len(sentences) < 2:
            return
        for sentence in sentences[:-1]:  # the last one may go on in the next chunk
            await self._send_start()
            await self._speak(sentence)
            await self.write_event(AudioStop().event())
        self._text = sentences[-1]

    async def _stream_end(self) -> None:
        if self._text is None:
            raise ValueError("synthesize-stop outside a stream")
        rest, self._text = self._text, None
        if rest.strip():
            await self._send_start()
            await self._speak(rest)
            await self.write_event(AudioStop().event())
        await self.write_event(SynthesizeStopped().event())

    async def _send_start(self) -> None:
        await self.write_event(AudioStart(rate=self.engines.sample_rate, width=2, channels=1).event())

    async def _speak(self, sentence: str) -> None:
        audio = await asyncio.to_thread(self.engines.synthesize_one, sentence)
        rate = self.engines.sample_rate
        pcm = to_pcm16(audio)
        step = OUT_CHUNK * 2
        for i in range(0, len(pcm), step):
            await self.write_event(AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + step]).event())
