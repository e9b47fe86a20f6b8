"""The local engines are the first backends of the engine interfaces (sayso.core.interfaces)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from sayso.core.config_remote import RemoteSpeakConfig, RemoteSttConfig, choose_stt, choose_tts
from sayso.core.config_types import SttConfig
from sayso.core.interfaces import SpeechAudio, SpeechToText, StreamingSpeechToText, TextToSpeech
from sayso.dictate.engines.faster_whisper import Transcriber
from sayso.dictate.streaming import StreamingTranscriber
from sayso.speak.engines.piper import PiperTextToSpeech


class StandInVoice:
    name = "joe"
    sample_rate = 22050
    profile = SimpleNamespace(language="en_US")

    def synthesize(self, text: str, rate: float = 1.0) -> np.ndarray:
        return np.zeros(len(text), np.float32)


def test_faster_whisper_is_a_speech_to_text_engine():
    engine = Transcriber(model=None, cfg=SttConfig())
    assert isinstance(engine, SpeechToText)
    info = engine.describe()
    assert info.engine == "local" and info.reachable and info.models == [SttConfig().model]


def test_the_local_streamer_is_a_streaming_session():
    streamer = StreamingTranscriber(model=None)
    try:
        assert isinstance(streamer, StreamingSpeechToText)
    finally:
        streamer.close()


def test_piper_speaks_one_piece_per_sentence_with_its_rate():
    tts = PiperTextToSpeech(StandInVoice())
    assert isinstance(tts, TextToSpeech) and tts.sample_rate == 22050
    pieces = list(tts.synthesize("One sentence here. And a second one."))
    assert len(pieces) == 2 and all(isinstance(p, SpeechAudio) and p.sample_rate == 22050 for p in pieces)


def test_the_backend_is_chosen_by_a_pure_function_of_the_config_and_what_is_installed():
    assert choose_stt(RemoteSttConfig(), {"faster_whisper"}) == "local"
    assert choose_tts(RemoteSpeakConfig(), {"piper"}) == "local"


class Recorder:
    """A CTranslate2 model stand-in that records which copy got each call."""

    def __init__(self, name: str, calls: list) -> None:
        self.name, self.calls, self.device = name, calls, "cpu"

    def encode(self, features):
        self.calls.append(("encode", self.name))
        return features

    def generate(self, encoded):
        self.calls.append(("generate", self.name))
        return [encoded]


def test_passes_encode_with_the_model_and_decode_with_the_decoder_copy():
    from sayso.dictate.engines.faster_whisper import _PassModel

    calls: list = []
    model, decoder = Recorder("model", calls), Recorder("decoder", calls)
    whisper = SimpleNamespace(model=model)
    engine = Transcriber(whisper, SttConfig(), decoder)
    whisper.model.generate(whisper.model.encode("mel"))
    assert calls == [("encode", "model"), ("generate", "decoder")]
    assert isinstance(whisper.model, _PassModel) and whisper.model.device == "cpu"
    plain = engine.plain()  # the benches' anchor: faster-whisper's own copy for both
    assert plain.model is model and engine.model.model is not model
    calls.clear()
    plain.model.generate(plain.model.encode("mel"))
    assert calls == [("encode", "model"), ("generate", "model")]


def test_a_useless_pass_stops_before_the_decoder_copy():
    import pytest

    from sayso.core.interfaces import PassCancelled

    calls: list = []
    whisper = SimpleNamespace(model=Recorder("model", calls))
    Transcriber(whisper, SttConfig(), Recorder("decoder", calls))
    encoded = whisper.model.encode("mel")
    whisper.model.cancel = lambda: True
    with pytest.raises(PassCancelled):
        whisper.model.generate(encoded)
    assert calls == [("encode", "model")]


def test_decoder_threads():
    from sayso.dictate.engines.faster_whisper import cpu_threads, decoder_threads

    assert decoder_threads(SttConfig()) == 1
    assert decoder_threads(SttConfig(cpu_threads=3, decoder_threads=0)) == 3 == cpu_threads(SttConfig(cpu_threads=3))
    assert decoder_threads(SttConfig(decoder_threads=2)) == 2


def test_a_decoder_copy_only_where_it_has_other_threads_on_the_cpu(tmp_path):
    import pytest

    from sayso.core.errors import ModelError
    from sayso.dictate.engines.faster_whisper import _load_decoder

    on_cpu = SimpleNamespace(model=SimpleNamespace(device="cpu"))
    on_gpu = SimpleNamespace(model=SimpleNamespace(device="cuda"))
    assert _load_decoder(on_cpu, str(tmp_path), SttConfig(cpu_threads=1, decoder_threads=1)) is None
    assert _load_decoder(on_cpu, str(tmp_path), SttConfig(cpu_threads=2, decoder_threads=0)) is None
    assert _load_decoder(on_gpu, str(tmp_path), SttConfig(cpu_threads=2, decoder_threads=1)) is None
    with pytest.raises(ModelError, match="for the decoder") as err:  # an empty directory: one line, no traceback
        _load_decoder(on_cpu, str(tmp_path), SttConfig(cpu_threads=2, decoder_threads=1))
    assert "\n" not in str(err.value)
