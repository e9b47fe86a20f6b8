"""The engines ``sayso serve`` offers: sayso's own Transcriber and piper voice.

One lock for both: requests from every connection (Wyoming and HTTP) run
one at a time, as on the desktop.  A request's language and vocabulary
apply to it alone (the model is shared, the settings are not).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import Iterator, Optional, Sequence

import numpy as np
from wyoming.info import AsrModel, AsrProgram, Attribution, Info, TtsProgram, TtsVoice

from .. import __version__
from ..core.errors import InputError, ModelError
from ..dictate.chunks import transcribe_dictation
from ..dictate.engines.faster_whisper import Transcriber, Transcript

_LOGGER = logging.getLogger(__name__)
WHISPER = Attribution(name="SYSTRAN faster-whisper (OpenAI Whisper)", url="https://github.com/SYSTRAN/faster-whisper")
PIPER = Attribution(name="Piper (Open Home Foundation)", url="https://github.com/OHF-Voice/piper1-gpl")


def model_name(spec: str) -> str:
    """``bundled:tiny.en`` -> ``tiny.en``; a directory -> its name."""
    spec = spec.split(":", 1)[1] if spec.startswith("bundled:") else spec
    return spec.rstrip("/").rsplit("/", 1)[-1] or spec


class LocalEngines:
    """A warm Transcriber and/or Voice, shared by every client."""

    def __init__(self, transcriber: Optional[Transcriber] = None, voice=None) -> None:
        self.transcriber = transcriber
        self.voice = voice
        self.lock = threading.Lock()

    @classmethod
    def load(cls, stt_cfg, voice_name: str, stt: bool = True, tts: bool = True) -> LocalEngines:
        transcriber = voice = None
        if stt:
            transcriber = Transcriber.load(stt_cfg)
            transcriber.warm_up()
        if tts:
            from ..speak.engines.piper import Voice
            from ..speak.voices import VoiceRegistry

            registry = VoiceRegistry()
            voice = Voice.load(registry.get(voice_name), registry.user_dir)
            voice.warm()
        return cls(transcriber, voice)

    # --- speech to text ---------------------------------------------------------
    def transcribe(
        self,
        audio: np.ndarray,
        language: Optional[str] = None,
        vocabulary: Optional[Sequence[str]] = None,
        prompt: Optional[str] = None,
    ) -> Transcript:
        """As ``sayso dictate --file`` would, with the request's language and vocabulary."""
        if self.transcriber is None:
            raise ModelError("this server offers no speech to text")
        cfg = self.transcriber.cfg
        changes = {}
        if language:
            changes["language"] = language
        if vocabulary is not None:
            changes["vocabulary"] = [str(v) for v in vocabulary if str(v).strip()]
        request = (
            Transcriber(self.transcriber.model, dataclasses.replace(cfg, **changes)) if changes else self.transcriber
        )
        with self.lock:
            if prompt:  # the client's own context: one call with it as the prompt
                return request.transcribe(audio, context=prompt)
            return transcribe_dictation(request, audio)

    # --- text to speech ---------------------------------------------------------
    @property
    def sample_rate(self) -> int:
        if self.voice is None:
            raise ModelError("this server offers no text to speech")
        return self.voice.sample_rate

    def sentences(self, text: str) -> list:
        from ..speak.sentences import split_sentences

        return split_sentences(" ".join(text.split()), self.voice.profile.language if self.voice else "en")

    def synthesize_one(self, sentence: str, rate: float = 1.0) -> np.ndarray:
        """float32 samples at :attr:`sample_rate` for one sentence."""
        if self.voice is None:
            raise ModelError("this server offers no text to speech")
        if not sentence.strip():
            raise InputError("nothing to say")
        with self.lock:
            return self.voice.synthesize(sentence, rate)

    def synthesize(self, text: str, rate: float = 1.0) -> Iterator[np.ndarray]:
        for sentence in self.sentences(text):
            yield self.synthesize_one(sentence, rate)

    # --- info ---------------------------------------------------------------------
    def languages(self) -> list:
        languages = getattr(getattr(self.transcriber, "model", None), "supported_languages", None)
        return sorted(languages) if languages else ["en"]

    def info(self) -> Info:
        """Both engines in one ``info``."""
        asr, tts = [], []
        if self.transcriber is not None:
            name = model_name(self.transcriber.cfg.model)
            model = AsrModel(
                name=name,
                attribution=WHISPER,
                installed=True,
                description=f"faster-whisper {name}",
                version=None,
                languages=self.languages(),
            )
            asr.append(
                AsrProgram(
                    name="sayso-stt",
                    attribution=WHISPER,
                    installed=True,
                    version=__version__,
                    description="sayso serve: faster-whisper speech to text",
                    models=[model],
                    supports_transcript_streaming=True,
                )
            )
        if self.voice is not None:
            profile = self.voice.profile
            voice = TtsVoice(
                name=self.voice.name,
                attribution=PIPER,
                installed=True,
                version=None,
                description=profile.description or self.voice.model_path.stem,
                languages=[profile.language],
            )
            tts.append(
                TtsProgram(
                    name="sayso-tts",
                    attribution=PIPER,
                    installed=True,
                    version=__version__,
                    description="sayso serve: piper text to speech",
                    voices=[voice],
                    supports_synthesize_streaming=True,
                )
            )
        return Info(asr=asr, tts=tts)
