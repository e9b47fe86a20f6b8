"""Fitted Whisper windows (``stt.window = "fit"``) with the real tiny.en:
the encoder really gets fewer frames, the words are the same as with full
30 s windows, and nothing leaks to other calls or threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from conftest import DATA, TRANSCRIPTS, wer
from sayso.config import SttConfig
from sayso.stt import SAMPLE_RATE, Transcriber, load_audio_file
from sayso.whisper_window import window_seconds

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def models():
    return Transcriber.load(SttConfig(window="fit")), Transcriber.load(SttConfig(window="full"))


@pytest.fixture
def frames(models):
    """The number of mel frames of every encoder call."""
    seen: list = []

    def spy(encode):
        def encode_spy(features, *args, **kwargs):
            seen.append(features.shape[-1])
            return encode(features, *args, **kwargs)
        return encode_spy

    for transcriber in models:
        transcriber.model.encode = spy(transcriber.model.encode)
    yield seen
    for transcriber in models:
        del transcriber.model.encode


def test_window_sizes():
    assert window_seconds(3.0, "fit") == 10  # at least 10 s
    assert window_seconds(0.2, "fit") == 10
    assert window_seconds(11.0, "fit") == 17  # audio + 6 s
    assert window_seconds(23.9, "fit") == 30 and window_seconds(29.5, "fit") == 30
    assert window_seconds(3.0, "full") == 30


@pytest.mark.parametrize("clip, window", [("lamp.wav", 10), ("jfk.flac", 17)])
def test_fit_encodes_only_what_the_audio_needs(models, frames, clip, window):
    fit, full = models
    audio = load_audio_file(str(DATA / clip))
    fitted = fit.transcribe(audio, vad=False)
    assert frames and set(frames) == {window * 100}
    frames.clear()
    whole = full.transcribe(audio, vad=False)
    assert set(frames) == {3000}
    reference = TRANSCRIPTS[clip]["text"]
    assert wer(reference, fitted.text) == wer(reference, whole.text), (fitted.text, whole.text)


def test_the_window_is_per_call_and_per_thread(models, frames):
    fit, full = models
    lamp = load_audio_file(str(DATA / "lamp.wav"))
    results: dict = {}
    threads = [threading.Thread(target=lambda: results.__setitem__("fit", fit.transcribe(lamp, vad=False))),
               threading.Thread(target=lambda: results.__setitem__("full", full.transcribe(lamp, vad=False)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(frames) == [1000, 3000]
    frames.clear()
    full.transcribe(lamp, vad=False)  # after a fitted call, a full one is full again
    assert frames == [3000]


def test_vocabulary_survives_a_fitted_window(models):
    """With 2 s of margin tiny.en dropped the last "UI" here; with 6 s it does not."""
    fit, _ = models
    vocab = Transcriber(fit.model, SttConfig(window="fit", vocabulary=["ComfyUI"]))
    assert vocab.transcribe(load_audio_file(str(DATA / "hotwords.mp3"))).text.count("ComfyUI") == 2


def test_silence_in_a_fitted_window_gives_nothing(models):
    fit, _ = models
    noise = (np.random.default_rng(1).standard_normal(2 * SAMPLE_RATE) * 1e-3).astype(np.float32)
    assert fit.transcribe(noise).empty


def test_a_looping_decode_is_told_from_speech():
    from types import SimpleNamespace as Seg

    from sayso.whisper_window import looped, token_cap

    cap = token_cap(1.0)
    speech = [Seg(text=" Ask what you can do for your country.", tokens=[1] * 10, compression_ratio=1.3)]
    assert not looped(speech, cap)
    assert looped([Seg(text=" F. F. F. F. F. F.", tokens=[1] * 12, compression_ratio=1.4)], cap)  # seen with a 1 s fragment
    assert looped([Seg(text=" A-S-B-S-B-S-B-S-B", tokens=[1] * 12, compression_ratio=1.4)], cap)  # seen too
    assert looped([Seg(text=" and so", tokens=[1] * cap, compression_ratio=1.0)], cap)  # cut at the cap
    assert looped([Seg(text=" la la", tokens=[1] * 5, compression_ratio=3.1)], cap)


def test_short_fragments_never_give_loops(models):
    """Speculative streaming passes see fragments of a second or two, where
    tiny.en in a fitted window looped; the full window takes over then."""
    from sayso.bench_dictate import build_utterances
    from sayso.whisper_window import looped, token_cap

    fit, _ = models
    audio = build_utterances((3,), DATA)[0].audio  # "ask what you can do for your country": at 1.0 s it looped
    for tenths in range(8, 16):
        piece = audio[:tenths * SAMPLE_RATE // 10]
        text = fit.transcribe(piece, vad=False).text
        assert not looped([type("S", (), {"text": text, "tokens": (), "compression_ratio": 1.0})()], token_cap(1.0)), text
