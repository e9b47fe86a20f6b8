"""Speech to text on an OpenAI-compatible server: ``POST {base_url}/audio/transcriptions``.

The recording goes as a 16 kHz 16-bit WAV file in a multipart form with
``model``, ``language`` and ``prompt`` (the vocabulary, then the text said
before; Whisper reads the prompt as earlier text, so names in it are spelt
as given).  With ``stream = true`` the request asks for ``stream=true`` and
reads server-sent events (``transcript.text.delta`` / ``.done`` as OpenAI
sends them, or one ``{"text": ...}`` per segment); a server that ignores it
and answers JSON is read as JSON.  Meant for speaches, LocalAI,
whisper.cpp's server and the like; tested against faster-whisper-server
0.0.3 and ``sayso serve --http``.

Streaming dictation uses :class:`~sayso.remote.session.BufferedSession`:
the endpoint takes a whole file, so the recording is sent at the release.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Optional, Sequence

import numpy as np

from ..core.errors import InputError, RemoteError, RemoteProtocolError
from ..core.interfaces import EngineInfo, Transcript
from ..core.pcm import SAMPLE_RATE, wav_bytes
from .openai_http import HttpClient, Response, load_api_key, multipart, sse_data
from .session import BufferedSession
from .wyoming_stt import make_transcript

_LOGGER = logging.getLogger(__name__)


class OpenAISpeechToText:
    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str = "",
        *,
        language: str = "en",
        vocabulary: Sequence[str] = (),
        api_key: str = "",
        timeout_s: float = 15.0,
        allow_remote: bool = False,
        stream: bool = False,
    ) -> None:
        self.http = HttpClient(
            base_url,
            api_key=api_key,
            timeout_s=timeout_s,
            allow_remote=allow_remote,
            key="stt.base_url",
            what="OpenAI-compatible speech server",
        )
        self.model = model or "whisper-1"
        self.language = language
        self.vocabulary = list(vocabulary)
        self.stream = stream
        self._info: Optional[EngineInfo] = None

    @property
    def where(self) -> str:
        return self.http.where

    @classmethod
    def from_config(cls, remote, stt) -> OpenAISpeechToText:
        key = load_api_key(remote.api_key_file, remote.api_key_env, "stt")
        return cls(
            remote.base_url,
            remote.remote_model,
            language=stt.language,
            vocabulary=stt.vocabulary,
            api_key=key,
            timeout_s=remote.timeout_s,
            allow_remote=remote.allow_remote,
            stream=remote.stream,
        )

    def describe(self, refresh: bool = False) -> EngineInfo:
        if self._info is not None and self._info.reachable and not refresh:
            return self._info
        self._info = describe_models(self.http, self.name)
        return self._info

    def prompt(self, context: Optional[str]) -> str:
        words = ", ".join(self.vocabulary)
        return " ".join(p for p in (f"{words}." if words else "", (context or "").strip()) if p)

    def transcribe(self, audio: np.ndarray, context: Optional[str] = None) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = len(audio) / SAMPLE_RATE
        if audio.size == 0:
            return Transcript("", duration=0.0)
        if not np.isfinite(audio).all():
            raise InputError("the audio contains invalid samples")
        fields = {"model": self.model, "response_format": "json"}
        if self.language:
            fields["language"] = self.language
        prompt = self.prompt(context)
        if prompt:
            fields["prompt"] = prompt
        if self.stream:
            fields["stream"] = "true"
        body, content_type = multipart(fields, "file", "audio.wav", "audio/wav", wav_bytes(audio, SAMPLE_RATE))
        deadline = time.monotonic() + self.http.timeout_s
        accept = "text/event-stream, application/json" if self.stream else "application/json"
        with self.http.open("POST", "/audio/transcriptions", body, content_type, accept) as resp:
            if resp.content_type == "text/event-stream":
                text = self._read_events(resp)
            else:
                text = _text_of(resp.read_all(deadline), self.http.where)
        return make_transcript(text, duration)

    def _read_events(self, resp: Response) -> str:
        """The text of a streamed transcript (deltas, or one text per segment)."""
        pieces: list = []
        for data in sse_data(resp.lines()):
            try:
                event = json.loads(data)
            except ValueError:
                raise RemoteProtocolError(f"{self.http.where} streamed something that is not JSON") from None
            if not isinstance(event, dict):
                continue
            kind = event.get("type", "")
            if kind == "transcript.text.done" and isinstance(event.get("text"), str):
                return event["text"]
            if kind == "transcript.text.delta":
                pieces.append(str(event.get("delta", "")))
            elif isinstance(event.get("text"), str):  # one segment per event (speaches, faster-whisper-server)
                pieces.append(" " + event["text"])
        return "".join(pieces)

    def streaming(self) -> BufferedSession:
        return BufferedSession(self)

    def close(self) -> None:
        """Nothing held between requests."""


def _text_of(raw: bytes, where: str) -> str:
    try:
        payload = json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace").strip()  # response_format=text servers
        if text.startswith("<"):
            raise RemoteProtocolError(f"{where} answered with a page, not a transcript") from None
        return text
    if isinstance(payload, dict) and isinstance(payload.get("text"), str):
        return payload["text"]
    raise RemoteProtocolError(f"{where} answered JSON without a transcript text")


def describe_models(http: HttpClient, engine: str) -> EngineInfo:
    """Reachable? ``GET /models`` and its round trip (a server without the
    listing, HTTP 404, still counts as reachable)."""
    start = time.perf_counter()
    try:
        with http.open("GET", "/models") as resp:
            raw = resp.read_all(time.monotonic() + http.timeout_s)
    except RemoteError as err:
        if "HTTP 404" in str(err) or "HTTP 405" in str(err):
            return EngineInfo(engine, http.endpoint.display, True, round((time.perf_counter() - start) * 1000, 1))
        return EngineInfo(engine, http.endpoint.display, False, error=str(err))
    rtt = round((time.perf_counter() - start) * 1000, 1)
    try:
        items = json.loads(raw).get("data") or []
    except (ValueError, AttributeError):
        items = []
    models = [str(m.get("id")) for m in items if isinstance(m, dict) and m.get("id")]
    return EngineInfo(engine, http.endpoint.display, True, rtt, models)
