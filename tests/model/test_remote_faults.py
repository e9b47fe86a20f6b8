"""Faults of the remote engines: a server never started, killed mid-dictation,
stalled.  Each gives one RemoteError line, and returns control instead of
hanging (the hang guard below allows the timeout plus a wide margin: it is
no timing test); the caller still holds the recording and the local engine
transcribes it.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

from sayso.core.errors import RemoteError, RemoteLost, RemoteTimeout, RemoteUnavailable
from sayso.remote.openai_stt import OpenAISpeechToText
from sayso.remote.openai_tts import OpenAITextToSpeech
from sayso.remote.wyoming_stt import WyomingSpeechToText
from sayso.remote.wyoming_tts import WyomingTextToSpeech

from conftest import TRANSCRIPTS, wait_for, wer
from remote_support import StalledServer, read_audio, refused_port, start_faster_whisper, start_sayso_serve

TIMEOUT = 2.0
MARGIN = 20.0  # a hang guard, not a measurement


def outcome(fn, limit: float = TIMEOUT + MARGIN):
    """Run *fn* on a thread: its result or exception; fails if it is still running after *limit*."""
    box: dict = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as err:  # noqa: BLE001 - handed to the test
            box["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still waiting after {limit:.0f} s"
    return box.get("error", box.get("result"))


def one_line(err: BaseException, kind: type, *words: str) -> None:
    assert isinstance(err, kind), repr(err)
    assert isinstance(err, RemoteError)
    text = str(err)
    assert text and "\n" not in text
    for word in words:
        assert word in text, text


def _stream(engine, audio: np.ndarray, upto: int):
    session = engine.streaming()
    token = session.begin()
    for i in range(0, upto, 1600):
        session.feed(audio[i : min(i + 1600, upto)])
    return session, token


@pytest.fixture(scope="module")
def local():
    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber

    return Transcriber.load(SttConfig())


# --- never started ------------------------------------------------------------------------


def test_server_never_started(tmp_path):
    uri, url = f"tcp://127.0.0.1:{refused_port()}", f"http://127.0.0.1:{refused_port()}/v1"
    audio = np.zeros(16000, np.float32)
    stt = WyomingSpeechToText(uri, timeout_s=TIMEOUT)
    tts = WyomingTextToSpeech(uri, timeout_s=TIMEOUT)
    try:
        one_line(outcome(lambda: stt.transcribe(audio)), RemoteUnavailable, "connection refused", uri)
        session, token = _stream(stt, audio, len(audio))
        one_line(outcome(lambda: session.finish(audio, token)), RemoteUnavailable, "connection refused")
        assert not stt.describe().reachable and "refused" in stt.describe().error
        one_line(outcome(lambda: list(tts.synthesize("Hello."))), RemoteUnavailable, "connection refused")
    finally:
        stt.close()
        tts.close()
    one_line(
        outcome(lambda: OpenAISpeechToText(url, timeout_s=TIMEOUT).transcribe(audio)),
        RemoteUnavailable,
        "connection refused",
        url,
    )
    one_line(outcome(lambda: list(OpenAITextToSpeech(url, timeout_s=TIMEOUT).synthesize("Hi."))), RemoteUnavailable)
    missing = WyomingSpeechToText(f"unix://{tmp_path}/none.sock", timeout_s=TIMEOUT)
    one_line(outcome(lambda: missing.transcribe(audio)), RemoteUnavailable, "no such socket")
    missing.close()


# --- killed mid-dictation ------------------------------------------------------------------


@pytest.mark.model
def test_whisper_server_killed_mid_dictation_loses_nothing(tmp_path, local):
    server = start_faster_whisper(tmp_path)
    stt = WyomingSpeechToText(server.uri, timeout_s=10)
    try:
        audio = read_audio("jfk.flac")
        session, token = _stream(stt, audio, len(audio) // 2)
        wait_for(lambda: token.sent > 0, 20, what="audio sent to the server")
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(10)
        for i in range(len(audio) // 2, len(audio), 1600):  # the key is still held: the microphone goes on
            session.feed(audio[i : i + 1600])
            time.sleep(0.001)
        err = outcome(lambda: session.finish(audio, token))
        assert isinstance(err, (RemoteLost, RemoteUnavailable)), repr(err)
        one_line(err, type(err), server.uri)
        # the caller's recording is intact: the local engine gives the dictation
        assert wer(TRANSCRIPTS["jfk.flac"]["text"], local.transcribe(audio).text) < 0.1
        one_line(outcome(lambda: stt.transcribe(audio)), RemoteUnavailable, "refused")
    finally:
        stt.close()
        server.kill()


@pytest.mark.model
def test_serve_killed_mid_reading(tmp_path):
    server = start_sayso_serve(tmp_path, "--no-stt", http=False)
    tts = WyomingTextToSpeech(server.uri, timeout_s=10)
    try:
        pieces = tts.synthesize("This sentence is read while the server goes away. " * 30)
        assert next(pieces).seconds > 0
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(10)
        err = outcome(lambda: list(pieces))
        one_line(err, RemoteLost, server.uri)
    finally:
        tts.close()
        server.kill()


# --- stalled --------------------------------------------------------------------------------


@pytest.fixture
def stalled():
    server = StalledServer()
    yield server
    server.close()


def test_stalled_wyoming_server(stalled):
    audio = np.zeros(16000 * 3, np.float32)
    stt = WyomingSpeechToText(stalled.uri, timeout_s=TIMEOUT)
    tts = WyomingTextToSpeech(stalled.uri, timeout_s=TIMEOUT)
    try:
        one_line(outcome(lambda: stt.transcribe(audio)), RemoteTimeout, f"within {TIMEOUT:g} s")
        session, token = _stream(stt, audio, len(audio))
        one_line(outcome(lambda: session.finish(audio, token)), RemoteTimeout, stalled.uri)
        assert not stt.describe(refresh=True).reachable
        one_line(outcome(lambda: list(tts.synthesize("Hello."))), RemoteTimeout)
    finally:
        stt.close()
        tts.close()
    assert stalled.accepted >= 4


def test_stalled_openai_server(stalled):
    audio = np.zeros(16000, np.float32)
    stt = OpenAISpeechToText(stalled.url, api_key="sk-never-shown", timeout_s=TIMEOUT)
    err = outcome(lambda: stt.transcribe(audio))
    one_line(err, RemoteTimeout, stalled.url)
    assert "sk-never-shown" not in str(err)
    one_line(outcome(lambda: list(OpenAITextToSpeech(stalled.url, timeout_s=TIMEOUT).synthesize("Hi."))), RemoteTimeout)
    assert not stt.describe().reachable
