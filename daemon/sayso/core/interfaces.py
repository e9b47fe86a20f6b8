"""The engine interfaces the rest of sayso uses, local or remote.

Small on purpose: what :class:`sayso.dictate.dictation.Dictation` and the read-aloud
pipeline call, nothing else.

* :class:`SpeechToText`: one call over a whole recording.
* :class:`StreamingSpeechToText`: the methods of
  :class:`sayso.dictate.streaming.StreamingTranscriber`, so a remote engine drops in
  where the local streamer is used (``last_stats["how"]`` is never
  ``"ready"`` for a remote engine: that value makes Dictation re-check the
  text with the local model).
* :class:`TextToSpeech`: audio per sentence or clause, as it is made.

Audio in is 16 kHz mono float32 (:data:`sayso.core.pcm.SAMPLE_RATE`); text out is a
:class:`Transcript` (defined here, with its :class:`Segment`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Protocol, runtime_checkable

import numpy as np


class PassCancelled(Exception):
    """A transcription given up by its *cancel* check (the audio it was for
    changed): the streaming worker's passes ahead, see dictate/streaming.py."""


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
    segments: list[Segment] = field(default_factory=list)
    duration: float = 0.0
    dropped: int = 0  # segments removed by the hallucination gate

    @property
    def empty(self) -> bool:
        return not self.text.strip()

    @property
    def words(self) -> list[str]:
        """The text's words, with their case and punctuation."""
        return self.text.split()


@dataclass(frozen=True)
class SpeechAudio:
    """A piece of synthesised speech: mono samples (float32 in [-1, 1], or int16)."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0

    def as_float32(self) -> np.ndarray:
        if self.samples.dtype == np.int16:
            return self.samples.astype(np.float32) / 32768.0
        return self.samples.astype(np.float32, copy=False)


@dataclass
class EngineInfo:
    """What ``sayso doctor`` shows for a configured engine."""

    engine: str  # "wyoming" or "openai"
    address: str  # never holds a key
    reachable: bool
    rtt_ms: Optional[float] = None  # one describe / GET models round trip
    models: list[str] = field(default_factory=list)  # speech models, or voices for text to speech
    languages: list[str] = field(default_factory=list)
    streaming: bool = False  # transcript or synthesis streaming announced by the server
    error: str = ""  # one line when not reachable


@runtime_checkable
class SpeechToText(Protocol):
    name: str

    def transcribe(self, audio: np.ndarray, context: Optional[str] = None) -> Transcript:
        """The transcript of a whole recording; *context* is the text said before it."""

    def describe(self, refresh: bool = False) -> EngineInfo:
        """Reachable? models, languages, round-trip time (cached unless *refresh*)."""

    def close(self) -> None:
        """Free connections and threads."""


@runtime_checkable
class StreamingSpeechToText(Protocol):
    last_stats: dict[str, Any]  # after finish(): at least {"how": ...}

    def begin(self) -> object:
        """A recording starts; returns its token."""

    def feed(self, block: np.ndarray) -> None:
        """New audio, on the audio thread: must only queue it."""

    def stable_text(self, token: Optional[object] = None) -> str:
        """Text already final for the recording ("" if the engine has none)."""

    def finish(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        """The final transcript at the key release (raises promptly on a fault)."""

    def abort(self) -> None:
        """Drop the recording."""

    def close(self) -> None:
        """Stop threads and connections."""


@runtime_checkable
class TextToSpeech(Protocol):
    name: str

    @property
    def sample_rate(self) -> int:
        """The rate of the audio (known once the server has answered once)."""

    def synthesize(self, text: str) -> Iterator[SpeechAudio]:
        """Speech for *text*, piece by piece: the first piece comes before
        later sentences are synthesised.  Closing the iterator stops the work."""

    def describe(self, refresh: bool = False) -> EngineInfo:
        """Reachable? voices, round-trip time."""

    def close(self) -> None:
        """Free connections and threads."""
