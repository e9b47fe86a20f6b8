"""``sayso serve`` (a subprocess on loopback) against the ``wyoming`` library's own
client, against sayso's clients, and against clients that misbehave."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import stat
import struct
import time

import numpy as np
import pytest
from test_remote_wyoming import SENTENCES, _as_16k
from wyoming.asr import Transcribe, Transcript, TranscriptChunk
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncClient
from wyoming.info import Describe, Info
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop

from sayso.core.errors import RemoteProtocolError
from sayso.core.interfaces import SpeechAudio
from sayso.core.pcm import to_pcm16
from sayso.dictate.chunks import transcribe_dictation  # what `sayso serve` transcribes with
from sayso.remote.wyoming_stt import WyomingSpeechToText
from sayso.remote.wyoming_tts import WyomingTextToSpeech

from conftest import TRANSCRIPTS, wer
from remote_support import DATA, describe_ok, pcm16, read_audio, start_sayso_serve

pytestmark = pytest.mark.model

LIMITS = ("--max-audio-s", "30", "--max-text-chars", "2000", "--max-event-bytes", "262144")


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    server = start_sayso_serve(tmp_path_factory.mktemp("serve"), *LIMITS)
    yield server
    server.kill()


@pytest.fixture(scope="module")
def local():
    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber

    return Transcriber.load(SttConfig())


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


async def _events_until(client: AsyncClient, last: str) -> list:
    events = []
    while True:
        event = await client.read_event()
        assert event is not None, f"connection closed after {[e.type for e in events]}"
        events.append(event)
        if event.type in (last, "error"):
            return events


# --- the wyoming library's own client --------------------------------------------------


def test_describe_lists_both_engines_in_one_info(serve):
    async def go():
        async with AsyncClient.from_uri(serve.uri) as client:
            await client.write_event(Describe().event())
            return Info.from_event(await client.read_event())

    info = run(go())
    assert [p.name for p in info.asr] == ["sayso-stt"] and [p.name for p in info.tts] == ["sayso-tts"]
    assert info.asr[0].models[0].name == "tiny.en" and info.asr[0].models[0].languages == ["en"]
    assert info.asr[0].supports_transcript_streaming and info.tts[0].supports_synthesize_streaming
    assert info.tts[0].voices[0].name == "joe" and info.tts[0].voices[0].languages == ["en_US"]


async def _wyoming_transcribe(uri: str, audio: np.ndarray, rate: int = 16000, chunk: int = 1024) -> list:
    pcm = to_pcm16(audio)  # the bytes the reference hears (remote_support.pcm16): 32768, rounded
    async with AsyncClient.from_uri(uri) as client:
        await client.write_event(Transcribe(language="en").event())
        await client.write_event(AudioStart(rate=rate, width=2, channels=1).event())
        for i in range(0, len(pcm), chunk * 2):
            await client.write_event(AudioChunk(rate=rate, width=2, channels=1, audio=pcm[i : i + chunk * 2]).event())
        await client.write_event(AudioStop().event())
        return await _events_until(client, "transcript-stop")


def test_wyoming_client_transcribes_jfk(serve, local):
    audio = read_audio("jfk.flac")
    events = run(_wyoming_transcribe(serve.uri, audio))
    types = [e.type for e in events]
    assert types[0] == "transcript-start" and types[-2:] == ["transcript", "transcript-stop"]
    text = Transcript.from_event(events[-2]).text
    assert text == transcribe_dictation(local, pcm16(audio)).text
    chunks = "".join(TranscriptChunk.from_event(e).text for e in events if e.type == "transcript-chunk")
    assert " ".join(chunks.split()) == text
    assert wer(TRANSCRIPTS["jfk.flac"]["text"], text) < 0.1


def test_wyoming_client_at_another_rate_is_converted(serve):
    from faster_whisper import decode_audio

    audio = decode_audio(str(DATA / "lamp.wav"), sampling_rate=22050)
    events = run(_wyoming_transcribe(serve.uri, audio, rate=22050))
    assert wer(TRANSCRIPTS["lamp.wav"]["text"], Transcript.from_event(events[-2]).text) < 0.2


def _audio_of(events) -> tuple:
    chunks = [AudioChunk.from_event(e) for e in events if e.type == "audio-chunk"]
    pcm = b"".join(c.audio for c in chunks)
    return chunks[0].rate, np.frombuffer(pcm, "<i2").astype(np.float32) / 32768


def test_wyoming_client_synthesizes(serve, local):
    async def go():
        async with AsyncClient.from_uri(serve.uri) as client:
            await client.write_event(Synthesize(text=SENTENCES).event())
            return await _events_until(client, "audio-stop")

    events = run(go())
    types = [e.type for e in events]
    assert types[0] == "audio-start" and types[-1] == "audio-stop" and types.count("audio-start") == 1
    rate, samples = _audio_of(events)
    assert rate == 22050 and len(samples) / rate > 3
    assert wer(SENTENCES, local.transcribe(_as_16k([SpeechAudio(samples, rate)])).text) < 0.15


def test_wyoming_client_streams_text_in(serve, local):
    async def go():
        async with AsyncClient.from_uri(serve.uri) as client:
            await client.write_event(SynthesizeStart().event())
            for word in SENTENCES.split(" "):
                await client.write_event(SynthesizeChunk(text=word + " ").event())
            await client.write_event(Synthesize(text=SENTENCES).event())  # for older servers: ignored in a stream
            await client.write_event(SynthesizeStop().event())
            return await _events_until(client, "synthesize-stopped")

    events = run(go())
    types = [e.type for e in events]
    assert types.count("audio-start") == 2 and types.count("audio-stop") == 2  # one per sentence
    assert types.index("audio-stop") < len(types) - 2  # the first sentence came before the stream ended
    rate, samples = _audio_of(events)
    assert wer(SENTENCES, local.transcribe(_as_16k([SpeechAudio(samples, rate)])).text) < 0.15


# --- sayso's own clients ---------------------------------------------------------------


def test_sayso_client_against_serve(serve, local):
    stt = WyomingSpeechToText(serve.uri, timeout_s=60)
    tts = WyomingTextToSpeech(serve.uri, timeout_s=60)
    try:
        assert stt.describe().models == ["tiny.en"] and stt.describe().streaming
        audio = read_audio("jfk.flac")
        expected = transcribe_dictation(local, pcm16(audio)).text
        assert stt.transcribe(audio).text == expected
        session = stt.streaming()
        token = session.begin()
        for i in range(0, len(audio), 1600):
            session.feed(audio[i : i + 1600])
        assert session.finish(audio, token).text == expected and session.last_stats["how"] == "stream"
        assert tts.describe().models == ["joe"]
        pieces = list(tts.synthesize(SENTENCES))
        assert tts.sample_rate == 22050
        assert wer(SENTENCES, local.transcribe(_as_16k(pieces)).text) < 0.15
    finally:
        stt.close()
        tts.close()


def test_vocabulary_reaches_the_server_as_hotwords(serve, local):
    """transcript_terms -> the request's vocabulary, as stt.vocabulary locally."""
    from dataclasses import replace

    from sayso.dictate.engines.faster_whisper import Transcriber

    audio = read_audio("hotwords.mp3")
    stt = WyomingSpeechToText(serve.uri, vocabulary=["ComfyUI"], timeout_s=60)
    try:
        with_vocab = Transcriber(local.model, replace(local.cfg, vocabulary=["ComfyUI"]))
        assert stt.transcribe(audio).text == transcribe_dictation(with_vocab, pcm16(audio)).text
    finally:
        stt.close()


# --- misbehaving clients ----------------------------------------------------------------


def _raw(uri: str, payload: bytes) -> list:
    """Send raw bytes; the events that come back until the server closes."""
    if uri.startswith("unix://"):
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(uri[len("unix://") :])
    else:
        host, port = uri[len("tcp://") :].rsplit(":", 1)
        sock = socket.create_connection((host, int(port)), 10)
    with sock:
        sock.settimeout(60)
        sock.sendall(payload)
        data = b""
        while True:
            try:
                more = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not more:
                break
            data += more
    return parse_events(data)


def parse_events(data: bytes) -> list:
    """Wyoming events in *data* as dicts (type, data merged, payload length)."""
    events, pos = [], 0
    while True:
        end = data.find(b"\n", pos)
        if end < 0:
            return events
        head = json.loads(data[pos:end])
        pos = end + 1
        merged = dict(head.get("data") or {})
        if head.get("data_length"):
            merged.update(json.loads(data[pos : pos + head["data_length"]]))
            pos += head["data_length"]
        pos += head.get("payload_length") or 0
        events.append({"type": head["type"], "data": merged})


def _event_bytes(kind: str, data: dict, payload: bytes = b"") -> bytes:
    head = {"type": kind, "data": data}
    if payload:
        head["payload_length"] = len(payload)
    return json.dumps(head).encode() + b"\n" + payload


@pytest.mark.parametrize(
    "payload,code",
    [
        (b"this is not json\n", "malformed"),
        (b'{"no": "type"}\n', "malformed"),
        (b'{"type": "audio-chunk", "payload_length": 999999999}\n', "malformed"),
        (b"x" * 70000 + b"\n", "malformed"),
        (_event_bytes("audio-chunk", {"width": 2}, b"\0\0"), "malformed"),  # no rate
        (_event_bytes("audio-chunk", {"rate": 16000, "width": 3, "channels": 1}, b"\0\0\0"), "malformed"),
        (_event_bytes("synthesize", {}), "malformed"),  # no text
        (_event_bytes("synthesize-chunk", {"text": "outside a stream"}), "malformed"),
    ],
)
def test_malformed_events_get_an_error_and_the_server_lives_on(serve, payload, code):
    events = _raw(serve.uri, payload)
    assert events and events[-1]["type"] == "error", events
    assert (events[-1].get("data") or {}).get("code") == code or code in json.dumps(events[-1])
    assert describe_ok(serve.uri)


def test_clients_vanishing_mid_stream(serve, local):
    host, port = serve.uri[len("tcp://") :].rsplit(":", 1)
    audio = read_audio("jfk.flac")
    pcm = (audio * 32767).astype("<i2").tobytes()
    for how in ("close", "reset"):
        for request in (
            _event_bytes("transcribe", {"language": "en"})
            + _event_bytes("audio-start", {"rate": 16000, "width": 2, "channels": 1})
            + _event_bytes("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, pcm[:64000])
            + b'{"type": "audio-ch',
            _event_bytes("synthesize", {"text": "A long text to read. " * 40}),
            _event_bytes("transcribe", {})
            + _event_bytes("audio-start", {"rate": 16000, "width": 2, "channels": 1})
            + _event_bytes("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, pcm)
            + _event_bytes("audio-stop", {}),
        ):
            sock = socket.create_connection((host, int(port)), 10)
            if how == "reset":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.sendall(request)
            time.sleep(0.2)
            sock.close()
    stt = WyomingSpeechToText(serve.uri, timeout_s=60)
    try:
        assert stt.transcribe(audio).text == transcribe_dictation(local, pcm16(audio)).text  # still serving, same text
    finally:
        stt.close()
    assert "went away" in serve.log()


def test_size_limits(serve):
    stt = WyomingSpeechToText(serve.uri, timeout_s=60)
    tts = WyomingTextToSpeech(serve.uri, timeout_s=60)
    try:
        long_audio = np.tile(read_audio("jfk.flac"), 3)  # 33 s > --max-audio-s 30
        with pytest.raises(RemoteProtocolError, match="audio longer than 30 s"):
            stt.transcribe(long_audio)
        with pytest.raises(RemoteProtocolError, match="text longer than 2000 characters"):
            list(tts.synthesize("word " * 401))
        big = _event_bytes("audio-chunk", {"rate": 16000, "width": 2, "channels": 1}, b"\0" * 300000)
        events = _raw(serve.uri, _event_bytes("transcribe", {}) + big)
        assert events[-1]["type"] == "error" and "262144" in json.dumps(events[-1])
        assert describe_ok(serve.uri)
    finally:
        stt.close()
        tts.close()


def test_default_log_holds_no_text(serve):
    log = serve.log()
    assert "transcribed" in log and "spoke" in log
    for text in ("fellow Americans", "quick brown fox", "living room", "lazy dog"):
        assert text not in log


# --- other listeners ----------------------------------------------------------------------


def test_unix_socket_and_stt_only(tmp_path_factory):
    root = tmp_path_factory.mktemp("unix")
    path = root / "serve.sock"
    server = start_sayso_serve(root, "--no-tts", uri=f"unix://{path}", http=False)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600

        async def go():
            async with AsyncClient.from_uri(f"unix://{path}") as client:
                await client.write_event(Describe().event())
                return Info.from_event(await client.read_event())

        info = run(go())
        assert info.asr and not info.tts
        stt = WyomingSpeechToText(f"unix://{path}", timeout_s=60)
        try:
            assert "lamp" in stt.transcribe(read_audio("lamp.wav")).text.lower()
        finally:
            stt.close()
        events = _raw(f"unix://{path}", _event_bytes("synthesize", {"text": "Hello."}))
        assert events[-1]["type"] == "error" and "no text to speech" in json.dumps(events[-1])
        server.kill(signal.SIGTERM)  # systemd's stop: a clean exit, the socket removed
        assert server.proc.returncode == 0, server.log()
        assert "listening on unix://" in server.log()
    finally:
        server.kill()
    assert not path.exists()
