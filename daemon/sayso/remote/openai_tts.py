"""Text to speech on an OpenAI-compatible server: ``POST {base_url}/audio/speech``.

JSON ``{"model", "voice", "input", "response_format"}`` with ``"wav"`` (the
rate is in the header) or ``"pcm"`` (headerless 16-bit mono at
``pcm_rate``, 24 kHz as OpenAI's).  The body is read as it arrives, so the
first audio plays before the sentence is complete where the server streams
(Kokoro-FastAPI, speaches, ``sayso serve --http``).  A longer text is split
into sentences, one request each; the next sentence is requested while the
current one is played.  Meant for Kokoro-FastAPI, speaches, LocalAI and
the like; tested against ``sayso serve --http``.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import re
import struct
import time
from typing import Iterator, Optional

from ..core.errors import InputError, RemoteProtocolError, RemoteTimeout
from ..core.interfaces import EngineInfo, SpeechAudio
from .openai_http import HttpClient, load_api_key
from .openai_stt import describe_models
from .wyoming_io import from_pcm

_LOGGER = logging.getLogger(__name__)
_SENTENCE_END = re.compile(r"(?<=[.!?;:。！？])\s+(?=\S)")


def split_sentences(text: str) -> list:
    """Sentences (or clauses ending in ; :) of *text*: cheap, for request sizes only."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


class _WavReader:
    """Parse a (possibly streamed) WAV: header first, then the samples as they come."""

    def __init__(self) -> None:
        self.buffer = b""
        self.format: Optional[tuple] = None  # (rate, width, channels)
        self.in_data = False

    def feed(self, data: bytes) -> bytes:
        """PCM bytes of the data chunk in *data* (after the header was seen)."""
        if self.in_data:
            return data
        self.buffer += data
        buf = self.buffer
        if len(buf) >= 12 and (buf[:4] != b"RIFF" or buf[8:12] != b"WAVE"):
            raise RemoteProtocolError("the server's audio is not a WAV file")
        pos = 12
        while len(buf) >= pos + 8:
            tag, size = buf[pos : pos + 4], struct.unpack("<I", buf[pos + 4 : pos + 8])[0]
            if tag == b"data":
                if self.format is None:
                    raise RemoteProtocolError("the server's WAV has no format chunk before its data")
                self.in_data, self.buffer = True, b""
                return buf[pos + 8 :]
            if len(buf) < pos + 8 + size:
                return b""
            if tag == b"fmt ":
                audio_format, channels, rate = struct.unpack("<HHI", buf[pos + 8 : pos + 16])
                width = struct.unpack("<H", buf[pos + 22 : pos + 24])[0] // 8
                if audio_format not in (1, 0xFFFE):
                    raise RemoteProtocolError("the server's WAV is not PCM (ask for response_format wav or pcm)")
                self.format = (rate, width, channels)
            pos += 8 + size + (size & 1)
        return b""


class OpenAITextToSpeech:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str = "",
        voice: str = "",
        *,
        api_key: str = "",
        timeout_s: float = 10.0,
        allow_remote: bool = False,
        response_format: str = "wav",
        pcm_rate: int = 24000,
    ) -> None:
        self.http = HttpClient(
            base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            allow_remote=allow_remote,
            key="speak.base_url",
            what="OpenAI-compatible voice server",
        )
        self.model = model or "tts-1"
        self.voice = voice or "alloy"
        self.response_format = response_format
        self.pcm_rate = pcm_rate
        self._rate = pcm_rate if response_format == "pcm" else 0
        self._ahead = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="sayso-openai-tts")
        self._info: Optional[EngineInfo] = None

    @property
    def where(self) -> str:
        return self.http.where

    @classmethod
    def from_config(cls, remote) -> OpenAITextToSpeech:
        key = load_api_key(remote.api_key_file, remote.api_key_env, "speak")
        return cls(
            remote.base_url,
            remote.remote_model,
            remote.remote_voice,
            api_key=key,
            timeout_s=remote.timeout_s,
            allow_remote=remote.allow_remote,
            response_format=remote.response_format,
            pcm_rate=remote.pcm_rate,
        )

    @property
    def sample_rate(self) -> int:
        return self._rate

    def describe(self, refresh: bool = False) -> EngineInfo:
        if self._info is None or not self._info.reachable or refresh:
            self._info = describe_models(self.http, self.name)
        return self._info

    def synthesize(self, text: str) -> Iterator[SpeechAudio]:
        sentences = split_sentences(text)
        if not sentences:
            raise InputError("nothing to say")
        ahead: Optional[concurrent.futures.Future] = None
        try:
            for i, sentence in enumerate(sentences):
                pieces = self._stream(sentence) if ahead is None else iter(self._take(ahead))
                first = next(pieces, None)  # this request is answering before the next one is sent
                nxt = sentences[i + 1] if i + 1 < len(sentences) else None
                ahead = self._ahead.submit(lambda s=nxt: list(self._stream(s))) if nxt else None
                if first is not None:
                    yield first
                yield from pieces
        finally:
            if ahead is not None:
                ahead.cancel()

    def _take(self, future: concurrent.futures.Future) -> list:
        try:
            return future.result(self.http.timeout_s * 3)
        except concurrent.futures.TimeoutError:
            raise RemoteTimeout(f"{self.http.where} did not send the next sentence in time") from None

    def _stream(self, sentence: str) -> Iterator[SpeechAudio]:
        """One request; its audio as it arrives."""
        body = json.dumps(
            {"model": self.model, "voice": self.voice, "input": sentence, "response_format": self.response_format}
        ).encode("utf-8")
        start = time.perf_counter()
        wav = _WavReader() if self.response_format == "wav" else None
        with self.http.open("POST", "/audio/speech", body, "application/json", accept="audio/*") as resp:
            rest = b""
            for data in resp.chunks():
                pcm = wav.feed(data) if wav is not None else data
                rate, width, channels = wav.format if wav is not None and wav.format else (self.pcm_rate, 2, 1)
                pcm, frame = rest + pcm, width * channels
                cut = len(pcm) - len(pcm) % frame
                pcm, rest = pcm[:cut], pcm[cut:]
                if pcm:
                    self._rate = rate
                    yield SpeechAudio(from_pcm(pcm, width, channels), rate)
        if wav is not None and not wav.in_data:
            raise RemoteProtocolError(f"{self.http.where} sent no audio")
        _LOGGER.debug("OpenAI speech: %d characters in %.3f s", len(sentence), time.perf_counter() - start)

    def close(self) -> None:
        self._ahead.shutdown(wait=False, cancel_futures=True)
