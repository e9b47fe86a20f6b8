"""Piper text-to-speech: load a voice once, keep it warm, synthesise chunks.

:meth:`Voice.load` resolves a :class:`~sayso.voices.VoiceProfile` to its
model files and loads them with ``PiperVoice.load`` (cached per model, so
switching back to a voice costs nothing).  :meth:`Voice.synthesize` turns
one chunk of normalised text into float32 mono samples, applying the
profile's synthesis settings, the chunk kind's prosody and the user's rate
through piper's ``SynthesisConfig``.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import ModelError
from .voices import Prosody, VoiceProfile, model_files

log = logging.getLogger(__name__)

MIN_RATE, MAX_RATE = 0.3, 4.0

_CACHE: dict[tuple[str, str], object] = {}
_CACHE_LOCK = threading.Lock()


def _load_piper(model: Path, config: Path, name: str):
    """PiperVoice for *model*, loaded once per process."""
    key = (str(model), str(config))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
        try:
            from piper import PiperVoice
        except ImportError:
            raise ModelError("text to speech needs the PyPI package piper-tts") from None
        try:
            json.loads(config.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            raise ModelError(f"voice '{name}': config {config.name} is not valid JSON ({_short(err)})") from None
        try:
            voice = PiperVoice.load(model, config_path=config)
        except Exception as err:  # onnxruntime raises its own types for corrupt files
            raise ModelError(f"voice '{name}': cannot load {model.name}: {_short(err)}") from None
        _CACHE[key] = voice
        return voice


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:160]


@dataclass
class Voice:
    profile: VoiceProfile
    piper: object  # piper.PiperVoice
    model_path: Path

    @classmethod
    def load(cls, profile: VoiceProfile, voices_dir: Optional[Path] = None) -> "Voice":
        model, config = model_files(profile, voices_dir)
        piper = _load_piper(model, config, profile.name)
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
        parts = [chunk.audio_float_array for chunk in self.piper.synthesize(text, syn_config=config)]
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(parts).astype(np.float32, copy=False)


def to_int16(audio: np.ndarray) -> np.ndarray:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16)


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
