"""The OpenAI-compatible engines against ``sayso serve --http`` and against a
third-party server from PyPI (faster-whisper-server, with the bundled tiny.en)."""

from __future__ import annotations

import http.client
import json

import numpy as np
import pytest
from test_remote_wyoming import SENTENCES, _as_16k

from sayso.core.errors import RemoteProtocolError
from sayso.core.pcm import wav_bytes
from sayso.dictate.chunks import transcribe_dictation  # what `sayso serve` transcribes with
from sayso.remote.openai_http import multipart
from sayso.remote.openai_stt import OpenAISpeechToText
from sayso.remote.openai_tts import OpenAITextToSpeech

from conftest import TRANSCRIPTS, wait_for, wer
from remote_support import FWS_MODEL, pcm16, read_audio, start_faster_whisper_server, start_sayso_serve

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve-http")
    key = root / "key"
    key.write_text("sk-local-test\n")
    key.chmod(0o600)
    server = start_sayso_serve(root, "--max-audio-s", "30", "--max-text-chars", "2000", "--api-key-file", str(key))
    server.api = server.http_url + "/v1"  # type: ignore[attr-defined]
    yield server
    server.kill()


@pytest.fixture(scope="module")
def local():
    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber

    return Transcriber.load(SttConfig())


def test_transcriptions_json_and_streamed(serve, local):
    audio = read_audio("jfk.flac")
    expected = transcribe_dictation(local, pcm16(audio)).text  # the WAV upload is 16-bit
    for stream in (False, True):
        stt = OpenAISpeechToText(serve.api, "tiny.en", api_key="sk-local-test", stream=stream, timeout_s=60)
        assert stt.transcribe(audio).text == expected
    info = stt.describe()
    assert info.reachable and info.models == ["tiny.en", "joe"] and info.rtt_ms is not None


def test_prompt_carries_vocabulary_and_context(serve):
    stt = OpenAISpeechToText(serve.api, api_key="sk-local-test", vocabulary=["ComfyUI"], timeout_s=60)
    assert stt.prompt("Earlier words") == "ComfyUI. Earlier words"
    text = stt.transcribe(read_audio("hotwords.mp3")).text
    assert "ComfyUI" in text


def test_speech_wav_and_pcm_read_back(serve, local):
    for fmt, rate in (("wav", 22050), ("pcm", 24000)):
        tts = OpenAITextToSpeech(serve.api, voice="joe", api_key="sk-local-test", response_format=fmt, timeout_s=60)
        try:
            pieces = list(tts.synthesize(SENTENCES))
            assert {p.sample_rate for p in pieces} == {rate} and tts.sample_rate == rate
            assert wer(SENTENCES, local.transcribe(_as_16k(pieces)).text) < 0.15, fmt
        finally:
            tts.close()


def test_first_sentence_plays_while_the_next_is_made(serve):
    tts = OpenAITextToSpeech(serve.api, api_key="sk-local-test", timeout_s=60)
    requested = []
    stream_one = tts._stream
    tts._stream = lambda sentence: (requested.append(sentence), stream_one(sentence))[1]
    try:
        stream = tts.synthesize("First sentence here. Second sentence here. Third one too.")
        first = next(stream)  # the player has the first audio...
        assert first.seconds > 0
        wait_for(lambda: len(requested) == 2, 30, what="the second sentence to be requested")
        assert requested == ["First sentence here.", "Second sentence here."]  # ...while the next one is made
        assert sum(p.seconds for p in stream) > first.seconds
        assert len(requested) == 3
    finally:
        tts.close()


def test_api_key_is_required_and_not_echoed(serve):
    audio = read_audio("lamp.wav")
    with pytest.raises(RemoteProtocolError, match="HTTP 401.*check the API key") as err:
        OpenAISpeechToText(serve.api, api_key="sk-wrong-key", timeout_s=30).transcribe(audio)
    assert "sk-wrong" not in str(err.value) and "sk-local" not in str(err.value)
    with pytest.raises(RemoteProtocolError, match="HTTP 401"):
        OpenAISpeechToText(serve.api, timeout_s=30).transcribe(audio)


def _post(url: str, path: str, body: bytes, ctype: str, headers: dict = None) -> tuple:
    host, port = url[len("http://") :].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": ctype, "Authorization": "Bearer sk-local-test", **(headers or {})},
        )
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_http_limits_and_bad_requests(serve):
    url = serve.http_url
    long_wav = wav_bytes(np.zeros(16000 * 31, np.float32), 16000)
    body, ctype = multipart({"model": "x"}, "file", "a.wav", "audio/wav", long_wav)
    status, raw = _post(url, "/v1/audio/transcriptions", body, ctype)
    assert status == 413 and "30 s" in json.loads(raw)["error"]["message"]
    body, ctype = multipart({"model": "x"}, "file", "a.wav", "audio/wav", b"definitely not audio")
    assert _post(url, "/v1/audio/transcriptions", body, ctype)[0] == 400
    assert _post(url, "/v1/audio/transcriptions", b"{}", "application/json")[0] == 400
    speech = lambda payload: _post(url, "/v1/audio/speech", json.dumps(payload).encode(), "application/json")  # noqa: E731
    assert speech({"input": "x" * 2001})[0] == 413
    assert speech({"input": "Hello.", "response_format": "mp3"})[0] == 400
    assert speech({"input": ""})[0] == 400
    assert speech({"input": "Hi.", "speed": 9})[0] == 400
    assert _post(url, "/v1/audio/speech", b"not json", "application/json")[0] == 400
    assert _post(url, "/v1/nothing", b"", "text/plain")[0] == 404
    status, raw = _post(
        url,
        "/v1/audio/transcriptions",
        b"x" * 100,
        "multipart/form-data; boundary=zz",
        {"Content-Length": str(30 << 20)},
    )
    assert status == 413


def test_http_logs_no_text(serve):
    log = serve.log()
    assert "transcribed" in log and "spoke" in log
    assert "fellow Americans" not in log and "quick brown fox" not in log and "sk-local-test" not in log


# --- a third-party OpenAI-compatible server -------------------------------------------------


@pytest.fixture(scope="module")
def faster_whisper_server(tmp_path_factory, local):
    from sayso.dictate.engines.faster_whisper import cpu_threads

    # the same decoder as the local model's: compute type and threads
    options = {"device": "cpu", "compute_type": local.cfg.compute_type, "cpu_threads": cpu_threads(local.cfg)}
    server = start_faster_whisper_server(tmp_path_factory.mktemp("fws"), **options)
    yield server
    server.kill()


def test_against_faster_whisper_server(faster_whisper_server, local):
    """faster-whisper-server 0.0.3 loads the same model directory with the local
    model's compute type and threads; it decodes the uploaded WAV with
    faster-whisper's defaults (beam 5)."""
    audio = read_audio("jfk.flac")
    for stream in (False, True):  # it has no stream=true: the JSON answer is read
        stt = OpenAISpeechToText(
            faster_whisper_server.uri + "/v1", FWS_MODEL, language="en", stream=stream, timeout_s=60
        )
        text = stt.transcribe(audio).text
        assert text == local.transcribe(pcm16(audio)).text  # one plain call there and here
    assert wer(TRANSCRIPTS["jfk.flac"]["text"], text) < 0.1
    info = stt.describe()
    assert info.reachable and info.models == []  # no /v1/models: reachable all the same
    with pytest.raises(RemoteProtocolError, match="HTTP 4"):
        OpenAITextToSpeech(faster_whisper_server.uri + "/v1", timeout_s=30).synthesize("Hi.").__next__()
