"""Piper text-to-speech: load a voice once, keep it warm, synthesise chunks.

:meth:`Voice.load` resolves a :class:`~sayso.speak.voices.VoiceProfile` to its
model files and loads them with ``PiperVoice.load`` (cached per model, so
switching back to a voice costs nothing).  :meth:`Voice.synthesize` turns
one chunk of normalised text into float32 mono samples, applying the
profile's synthesis settings, the chunk kind's prosody and the user's rate
through piper's ``SynthesisConfig``.

Every synthesis is timed into the voice's :class:`SynthSpeed`, which tells
the read-aloud pipeline how long a first chunk this machine can synthesise
within the first-audio budget.  :meth:`Voice.warm` runs a few syntheses at
load so that onnxruntime has allocated its buffers (the first inference of a
longer input than any before is markedly slower) and the speed is known
before the first reading.
"""

from __future__ import annotations

import json
import logging
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np

from ...core.errors import ModelError, first_line
from ...core.interfaces import EngineInfo, SpeechAudio
from ..voices import Prosody, VoiceProfile, model_files

log = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 0.3, 4.0

# the longest warm-up input comes first: onnxruntime grows its buffers to the
# largest input seen, so later (shorter) syntheses never allocate
WARM_TEXTS = (
    "Reading aloud starts with a short phrase, and while it plays, the rest of the sentence, "
    "which may be much longer than the first few words, is synthesised in the background.",
    "The first few words come out at once.",
    "Then the rest follows.",
)


class PiperCache:
    """Loaded PiperVoices by (model, config) file: each model is loaded once.

    The daemon's pipelines share :data:`SHARED` (a reload keeps the voices in
    memory); pass a cache of your own to :meth:`Voice.load` to keep apart.
    """

    def __init__(self) -> None:
        self.voices: dict[tuple[str, str], object] = {}
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.voices.clear()


SHARED = PiperCache()


def _load_piper(model: Path, config: Path, name: str, cache: Optional[PiperCache] = None):
    """PiperVoice for *model*, loaded once per *cache*."""
    cache = SHARED if cache is None else cache
    key = (str(model), str(config))
    with cache.lock:
        if key in cache.voices:
            return cache.voices[key]
        try:
            from piper import PiperVoice
        except ImportError:
            raise ModelError("text to speech needs the PyPI package piper-tts") from None
        try:
            json.loads(config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise ModelError(
                f"voice '{name}': config {config.name} is not valid JSON ({first_line(err, 160)})"
            ) from None
        try:
            voice = _piper_voice(PiperVoice, model, config)
        except Exception as err:  # onnxruntime raises its own types for corrupt files
            raise ModelError(f"voice '{name}': cannot load {model.name}: {first_line(err, 160)}") from None
        cache.voices[key] = voice
        return voice


def _piper_voice(piper_voice: type, model: Path, config: Path) -> object:
    """PiperVoice with an onnxruntime session whose threads do not spin.

    onnxruntime's worker threads spin while waiting for work by default.
    When another process keeps a core busy on a 2-core machine, a spinning
    thread and that process share the core and every parallel step waits
    for it: a first chunk took 185 ms instead of 60 (measured, joe medium).
    Without spinning it took 84 ms, and the same 60 ms on an idle machine.

    No CPU memory arena either: the arena keeps the peak of every synthesis,
    and after the warm-up's long sentence the daemon held ~500 MB instead of
    ~225 MB (measured); short chunks synthesise as fast without it (77 ms
    either way), sentences of ~170 characters ~25 % slower, which is hidden
    behind playback (real-time factor ~0.05).  Without weight pre-packing
    it holds ~30 MB less at the same speed (measured).
    """
    import onnxruntime

    try:
        from piper.config import PiperConfig
    except ImportError:  # another piper layout: its own loader, default options
        return piper_voice.load(model, config_path=config)
    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_cpu_mem_arena = False
    options.add_session_config_entry("session.disable_prepacking", "1")  # no second copy of the weights (-30 MB)
    session = onnxruntime.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    piper_config = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
    try:
        return piper_voice(session=session, config=piper_config)
    except TypeError:  # another PiperVoice signature
        return piper_voice.load(model, config_path=config)


@dataclass
class SynthSpeed:
    """How fast this machine synthesises with a voice, from the recent syntheses.

    Synthesis time is modelled as ``ms_per_char * (chars + OVERHEAD_CHARS)``:
    a cost per character plus a fixed cost per call worth a few characters.
    The estimate is the median over the last *window* calls, so one slow call
    (another process busy for a moment) does not change it, while a machine
    that stays busy gets shorter first chunks.
    """

    OVERHEAD_CHARS = 5  # measured: about 10 ms per call at 2.2 ms per character (2-core x86, joe medium)
    prior_ms_per_char: float = 3.0  # before anything was timed: a slow machine
    window: int = 15
    _samples: deque = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, chars: int, seconds: float) -> None:
        if chars <= 0 or seconds <= 0:
            return
        with self._lock:
            self._samples.append(seconds * 1000 / (chars + self.OVERHEAD_CHARS))
            while len(self._samples) > self.window:
                self._samples.popleft()

    @property
    def ms_per_char(self) -> float:
        with self._lock:
            samples = list(self._samples)
        return statistics.median(samples) if samples else self.prior_ms_per_char

    def chars_within(self, budget_ms: float) -> int:
        """How many characters are expected to synthesise within *budget_ms*."""
        return max(0, int(budget_ms / self.ms_per_char) - self.OVERHEAD_CHARS)


@dataclass
class Voice:
    profile: VoiceProfile
    piper: object  # piper.PiperVoice
    model_path: Path
    speed: SynthSpeed = field(default_factory=SynthSpeed)

    @classmethod
    def load(
        cls, profile: VoiceProfile, voices_dir: Optional[Path] = None, cache: Optional[PiperCache] = None
    ) -> Voice:
        model, config = model_files(profile, voices_dir)
        piper = _load_piper(model, config, profile.name, cache)
        speakers = int(getattr(piper.config, "num_speakers", 1) or 1)
        if profile.speaker >= speakers:
            raise ModelError(f"voice '{profile.name}': speaker {profile.speaker} out of range (model has {speakers})")
        log.info("Voice %s loaded (%s, %d Hz)", profile.name, model.name, piper.config.sample_rate)
        return cls(profile, piper, model)

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def sample_rate(self) -> int:
        return int(self.piper.config.sample_rate)

    def synthesis_config(self, rate: float = 1.0, prosody: Optional[Prosody] = None):
        from piper import SynthesisConfig

        prosody = prosody or Prosody()
        syn = self.profile.synthesis
        cfg = self.piper.config
        length = (syn.length_scale if syn.length_scale is not None else cfg.length_scale) * prosody.length
        noise = (syn.noise_scale if syn.noise_scale is not None else cfg.noise_scale) * prosody.noise
        noise_w = (syn.noise_w_scale if syn.noise_w_scale is not None else cfg.noise_w_scale) * prosody.noise_w
        rate = min(MAX_RATE, max(MIN_RATE, rate))
        speaker = self.profile.speaker if int(getattr(cfg, "num_speakers", 1) or 1) > 1 else None
        return SynthesisConfig(
            speaker_id=speaker,
            length_scale=length / rate,
            noise_scale=noise,
            noise_w_scale=noise_w,
            volume=syn.volume,
        )

    def synthesize(self, text: str, rate: float = 1.0, prosody: Optional[Prosody] = None) -> np.ndarray:
        """float32 mono samples at :attr:`sample_rate` for *text* (empty if nothing to say)."""
        config = self.synthesis_config(rate, prosody)
        start = time.perf_counter()
        parts = [chunk.audio_float_array for chunk in self.piper.synthesize(text, syn_config=config)]
        # the time per character at rate 1: a faster rate makes less audio from the same text
        self.speed.observe(len(text), (time.perf_counter() - start) * min(MAX_RATE, max(MIN_RATE, rate)))
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)

    def warm(self) -> None:
        """Synthesise the warm-up texts: buffers allocated, speed measured."""
        start = time.perf_counter()
        for text in WARM_TEXTS:
            self.synthesize(text)
        log.info(
            "Voice %s warm in %.2f s (%.1f ms of synthesis per character)",
            self.name, time.perf_counter() - start, self.speed.ms_per_char,
        )  # fmt: skip


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def clear_cache() -> None:
    SHARED.clear()


class PiperTextToSpeech:
    """A piper :class:`Voice` behind :class:`sayso.core.interfaces.TextToSpeech`:
    text in, one :class:`SpeechAudio` per sentence out, each as it is made."""

    def __init__(self, voice: Voice, rate: float = 1.0) -> None:
        self.voice, self.rate = voice, rate
        self.name = f"piper:{voice.name}"

    @property
    def sample_rate(self) -> int:
        return self.voice.sample_rate

    def synthesize(self, text: str) -> Iterator[SpeechAudio]:
        from ..sentences import split_sentences

        for sentence in split_sentences(" ".join(text.split()), self.voice.profile.language):
            yield SpeechAudio(self.voice.synthesize(sentence, self.rate), self.voice.sample_rate)

    def describe(self, refresh: bool = False) -> EngineInfo:
        return EngineInfo(
            "local", "this machine", True, models=[self.voice.name], languages=[self.voice.profile.language]
        )

    def close(self) -> None:
        """Nothing to free: the voice cache keeps the model."""
