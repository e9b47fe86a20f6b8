"""The OpenAI-compatible side of ``sayso serve``, on the standard library's http.server.

* ``POST /v1/audio/transcriptions``: multipart ``file`` (any format PyAV
  decodes), ``language``, ``prompt`` (given to Whisper as the text before),
  ``response_format`` json | text | verbose_json, ``stream=true`` for
  server-sent events (a ``transcript.text.delta`` per segment, then
  ``transcript.text.done``).
* ``POST /v1/audio/speech``: JSON ``input``, ``response_format`` wav
  (default; streamed, sentence by sentence) | pcm (16-bit mono at 24 kHz,
  as OpenAI's), ``speed``; any ``voice``/``model`` gets this server's voice.
* ``GET /v1/models``.

Bodies are bounded (``max_upload_bytes``, ``max_audio_s``,
``max_text_chars``); each connection has a socket timeout; with an API key
file every request needs ``Authorization: Bearer <key>``.  Plain http:
put a TLS proxy in front for other machines.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import socket
import struct
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

import numpy as np

from ..core.config_remote import ServeLimits
from ..core.errors import InputError, SaysoError
from ..core.pcm import to_pcm16
from ..dictate.engines.faster_whisper import SAMPLE_RATE
from .engines import LocalEngines, model_name

_LOGGER = logging.getLogger(__name__)
PCM_RATE = 24000


class HttpError(Exception):
    def __init__(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.kind = status, kind


class OpenAIServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple, engines: LocalEngines, limits: ServeLimits, api_key: str = "") -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.engines, self.limits, self.api_key = engines, limits, api_key
        self.slots = threading.BoundedSemaphore(limits.max_clients)
        super().__init__(address, Handler)


class Handler(BaseHTTPRequestHandler):
    server: OpenAIServer
    protocol_version = "HTTP/1.1"
    server_version = "sayso-serve"

    def setup(self) -> None:
        self.timeout = self.server.limits.idle_timeout_s  # slow or silent clients are dropped
        super().setup()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        _LOGGER.debug("http %s: " + format, self.address_string(), *args)

    # --- dispatch ------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802
        self._run(self._get)

    def do_POST(self) -> None:  # noqa: N802
        self._run(self._post)

    def _run(self, fn) -> None:
        if not self.server.slots.acquire(blocking=False):
            return self._fail(HttpError(503, "busy: too many requests at once", "server_error"))
        try:
            self._check_key()
            fn(self.path.split("?", 1)[0].rstrip("/"))
        except HttpError as err:
            self._fail(err)
        except InputError as err:
            self._fail(HttpError(400, str(err)))
        except SaysoError as err:
            self._fail(HttpError(500, str(err), "server_error"))
        except (TimeoutError, ConnectionError):
            _LOGGER.info("http %s went away before the answer", self.address_string())
            self.close_connection = True
        finally:
            self.server.slots.release()

    def _check_key(self) -> None:
        key = self.server.api_key
        if not key:
            return
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {key}".encode()):
            raise HttpError(401, "missing or wrong API key", "authentication_error")

    def _get(self, path: str) -> None:
        if path in ("/v1/models", "/models"):
            data = []
            if self.server.engines.transcriber is not None:
                data.append(
                    {
                        "id": model_name(self.server.engines.transcriber.cfg.model),
                        "object": "model",
                        "owned_by": "sayso",
                    }
                )
            if self.server.engines.voice is not None:
                data.append({"id": self.server.engines.voice.name, "object": "model", "owned_by": "sayso"})
            return self._json(200, {"object": "list", "data": data})
        if path in ("/health", ""):
            return self._json(200, {"status": "ok"})
        raise HttpError(404, f"no such endpoint: {path}")

    def _post(self, path: str) -> None:
        if path in ("/v1/audio/transcriptions", "/audio/transcriptions"):
            return self._transcriptions()
        if path in ("/v1/audio/speech", "/audio/speech"):
            return self._speech()
        raise HttpError(404, f"no such endpoint: {path}")

    # --- bodies --------------------------------------------------------------------
    def _body(self, limit: int) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            raise HttpError(411, "a Content-Length is required")
        if int(length) > limit:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            raise HttpError(413, f"the request body is larger than {limit} bytes")
        return self.rfile.read(int(length))

    def _form(self) -> dict:
        content_type = self.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise HttpError(400, "send multipart/form-data with a file field")
        body = self._body(self.server.limits.max_upload_bytes)
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            raise HttpError(400, "the multipart body cannot be parsed")
        form = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name:
                form[str(name)] = part.get_payload(decode=True) or b""
        return form

    # --- transcriptions ------------------------------------------------------------
    def _transcriptions(self) -> None:
        engines, limits = self.server.engines, self.server.limits
        if engines.transcriber is None:
            raise HttpError(404, "this server offers no speech to text")
        form = self._form()
        if "file" not in form:
            raise HttpError(400, "the form has no file field")
        audio = decode_audio(form["file"])
        if len(audio) > limits.max_audio_s * SAMPLE_RATE:
            raise HttpError(413, f"audio longer than {limits.max_audio_s:g} s")
        field = lambda k: form.get(k, b"").decode("utf-8", "replace").strip()  # noqa: E731
        result = engines.transcribe(audio, field("language") or None, None, field("prompt") or None)
        _LOGGER.info("http %s: transcribed %.1f s of audio", self.address_string(), len(audio) / SAMPLE_RATE)
        fmt = field("response_format") or "json"
        if field("stream").lower() == "true":
            return self._stream_transcript(result)
        if fmt == "text":
            return self._send(200, "text/plain; charset=utf-8", result.text.encode("utf-8"))
        if fmt == "verbose_json":
            segments = [
                {
                    "id": i,
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "avg_logprob": s.avg_logprob,
                    "no_speech_prob": s.no_speech_prob,
                }
                for i, s in enumerate(result.segments)
            ]
            return self._json(
                200,
                {
                    "task": "transcribe",
                    "language": field("language") or "en",
                    "duration": result.duration,
                    "text": result.text,
                    "segments": segments,
                },
            )
        if fmt != "json":
            raise HttpError(400, "response_format must be json, text or verbose_json")
        return self._json(200, {"text": result.text})

    def _stream_transcript(self, result) -> None:
        self._start_stream("text/event-stream")
        for seg in result.segments:
            self._event({"type": "transcript.text.delta", "delta": " " + seg.text.strip()})
        self._event({"type": "transcript.text.done", "text": result.text})

    def _event(self, data: dict) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode("utf-8") + b"\n\n")
        self.wfile.flush()

    # --- speech ---------------------------------------------------------------------
    def _speech(self) -> None:
        engines, limits = self.server.engines, self.server.limits
        if engines.voice is None:
            raise HttpError(404, "this server offers no text to speech")
        try:
            request = json.loads(self._body(1 << 20))
        except ValueError:
            raise HttpError(400, "the body is not JSON") from None
        text = request.get("input") if isinstance(request, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise HttpError(400, "input must be a non-empty string")
        if len(text) > limits.max_text_chars:
            raise HttpError(413, f"input longer than {limits.max_text_chars} characters")
        fmt = request.get("response_format") or "wav"
        if fmt not in ("wav", "pcm"):
            raise HttpError(400, "response_format must be wav or pcm")
        speed = request.get("speed", 1.0)
        if not isinstance(speed, (int, float)) or not 0.25 <= speed <= 4.0:
            raise HttpError(400, "speed must be a number from 0.25 to 4.0")
        rate = engines.sample_rate if fmt == "wav" else PCM_RATE
        self._start_stream("audio/wav" if fmt == "wav" else "audio/pcm")
        if fmt == "wav":
            self.wfile.write(streaming_wav_header(rate))
        for audio in engines.synthesize(text, float(speed)):
            if fmt == "pcm":
                audio = resample(audio, engines.sample_rate, PCM_RATE)
            self.wfile.write(to_pcm16(audio))
            self.wfile.flush()
        _LOGGER.info("http %s: spoke %d characters", self.address_string(), len(text))

    # --- responses ------------------------------------------------------------------
    def _start_stream(self, content_type: str) -> None:
        """Headers of a body written as it is made (ends when the connection closes)."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, "application/json", json.dumps(payload).encode("utf-8"))

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _fail(self, err: HttpError) -> None:
        try:
            self._json(err.status, {"error": {"message": str(err), "type": err.kind}})
        except (ConnectionError, OSError):
            self.close_connection = True


def decode_audio(data: bytes) -> np.ndarray:
    """Any audio file PyAV reads -> 16 kHz mono float32."""
    from faster_whisper import decode_audio as fw_decode

    try:
        return fw_decode(io.BytesIO(data), sampling_rate=SAMPLE_RATE)
    except Exception:
        raise HttpError(400, "cannot decode the audio file") from None


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Linear resampling (speech, for OpenAI's fixed pcm rate)."""
    if rate == target or not len(audio):
        return audio
    n = int(round(len(audio) * target / rate))
    return np.interp(np.arange(n) * (rate / target), np.arange(len(audio)), audio).astype(np.float32)


def streaming_wav_header(rate: int) -> bytes:
    """A 16-bit mono WAV header whose sizes say "unknown" (the body streams)."""
    size = 0xFFFFFFFF
    return (
        b"RIFF"
        + struct.pack("<I", size)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", size)
    )


def start_http(host: str, port: int, engines: LocalEngines, limits: ServeLimits, api_key: str = "") -> OpenAIServer:
    """The HTTP server, serving on a thread of its own; ``.shutdown()`` ends it."""
    server = OpenAIServer((host, port), engines, limits, api_key)
    threading.Thread(target=server.serve_forever, daemon=True, name="sayso-serve-http").start()
    return server


def bound_port(server: Optional[OpenAIServer]) -> int:
    return int(server.server_address[1]) if server is not None else 0
