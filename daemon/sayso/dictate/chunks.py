"""A dictation's transcript as one function of its audio, at any length.

Whisper hears 30 s at a time.  faster-whisper transcribes a long recording
window by window, each with the text before it as the prompt; sayso does
the same, but chooses where the windows meet by the speaker's pauses
(Silero VAD), not by Whisper's rough segment times, and ends the last one
at the end of speech:

* the recording is cut into *chunks* at the end of speech (Silero with
  hysteresis, which ends a little after the last sound) plus ``tail_s``,
  where a pause of at least ``pause_s`` follows and the chunk has at least
  ``min_s`` of audio (short dictations are one chunk);
* a chunk that reaches ``max_s`` without such a pause is cut at the end of
  speech followed by its longest silence (or, with none, at ``max_s``);
* the last chunk ends at the end of speech plus ``tail_s``: the silence
  before the key release is not part of the dictation;
* each chunk is transcribed by one plain faster-whisper call (the
  :class:`~sayso.dictate.engines.faster_whisper.Transcriber`: full 30 s
  window, the configured search, the vocabulary as hotwords) with the text
  of the chunks before it as the prompt;
* speech at the end of a chunk that its text leaves out (after the last
  segment: Whisper decodes a window's unfinished phrase alone and often
  drops it) is heard again at the start of the next chunk, as plain
  faster-whisper starts its next window at the last segment's end.

Every cut is decided from the audio up to it (the VAD runs forwards, and a
cut at a pause is known once the pause is ``pause_s`` long): the plan of
the first seconds of a recording is the beginning of the plan of the whole.
So the live path (:mod:`sayso.dictate.streaming`) can transcribe a chunk as
soon as it is cut, and the end of speech as soon as it is heard, and at the
key release have the very text ``sayso dictate --file`` gives for the same
audio, without transcribing it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ..audio.vad import WINDOW, IncrementalVad
from ..core.interfaces import PassCancelled, Segment, Transcript
from ..core.pcm import SAMPLE_RATE


@dataclass(frozen=True)
class ChunkRules:
    """Where a dictation is cut (measured in docs/latency.md)."""

    pause_s: float = 0.5  # a silence this long after speech may end a chunk...
    min_s: float = 15.0  # ...once the chunk has this much audio
    max_s: float = 28.0  # a chunk is cut by this length in any case
    tail_s: float = 0.032  # audio kept after the end of speech (one VAD window)
    prompt_chars: int = 600  # text of the chunks before, given as the prompt
    carry_s: float = 0.3  # speech this long after a chunk's last segment goes to the next chunk...
    carry_max_s: float = 2.0  # ...up to this much (a chunk and what it carries fit in 30 s)


@dataclass(frozen=True)
class Plan:
    """The chunks of a recording, in samples: ``cuts`` are final (the audio
    after them cannot change them); ``end`` is where the last chunk ends
    (the end of speech plus the tail; None: no speech after the last cut)."""

    cuts: Tuple[int, ...]
    end: Optional[int]

    def chunks(self) -> List[Tuple[int, int]]:
        bounds = [0, *self.cuts]
        spans = list(zip(bounds, bounds[1:], strict=False))
        if self.end is not None:
            spans.append((bounds[-1], self.end))
        return spans


def plan(flags: np.ndarray, length: int, rules: ChunkRules = ChunkRules()) -> Plan:
    """The chunks of *length* samples of audio whose Silero speech flags,
    one per ``WINDOW``, are *flags* (a pure function; see the module doc)."""
    tail = int(rules.tail_s * SAMPLE_RATE)
    pause = max(1, int(round(rules.pause_s * SAMPLE_RATE / WINDOW)))
    min_len, max_len = int(rules.min_s * SAMPLE_RATE), int(rules.max_s * SAMPLE_RATE)
    cuts: List[int] = []
    start = 0
    ends: List[Tuple[int, int]] = []  # (end of speech, silent windows after it) in the current chunk
    speech_end: Optional[int] = None
    silent = 0
    for i, speech in enumerate(flags):
        if speech:
            if speech_end is not None and silent:
                ends.append((speech_end, silent))
            speech_end, silent = None, 0
            here = (i + 1) * WINDOW
            if here - start >= max_len:  # no pause long enough: cut at the best one so far
                start = _forced_cut(ends, start, here, tail, min_len)
                cuts.append(start)
                ends = [e for e in ends if e[0] + tail > start]
            continue
        if speech_end is None and i > 0 and flags[i - 1]:
            speech_end = i * WINDOW
        if speech_end is None:
            continue
        silent += 1
        if silent == pause and speech_end + tail - start >= min_len:
            start = min(speech_end + tail, length)
            cuts.append(start)
            ends, speech_end, silent = [], None, 0
    last = _last_speech_end(flags, start)
    end = None if last is None else min(last + tail, length)
    return Plan(tuple(cuts), end)


def _forced_cut(ends: List[Tuple[int, int]], start: int, here: int, tail: int, min_len: int) -> int:
    """Where a chunk without a long pause is cut: after the speech followed
    by the longest silence (ties: the latest), preferring its second half
    (past ``min_s / 2``); with no silence at all, at *here*."""
    late = [e for e in ends if e[0] - start >= min_len // 2]
    if not (late or ends):
        return here
    speech_end, _ = max(late or ends, key=lambda e: (e[1], e[0]))
    return min(speech_end + tail, here)


def _last_speech_end(flags: np.ndarray, start: int) -> Optional[int]:
    idx = np.flatnonzero(flags[start // WINDOW :])
    return None if not idx.size else (start // WINDOW + int(idx[-1]) + 1) * WINDOW


def prompt(texts: List[str], chars: int) -> Optional[str]:
    """The text before a chunk, as the prompt (its last *chars*, from a word)."""
    text = " ".join(t for t in texts if t)
    if len(text) > chars:
        cut = text[-chars:]
        text = cut if text[-chars - 1] == " " or " " not in cut else cut[cut.find(" ") + 1 :]
    return text or None


# (start, end, prompt, lead): what a chunk's text depends on; its audio starts *lead* samples before *start*
Key = Tuple[int, int, Optional[str], int]


class Chunker:
    """The transcript of a recording by :func:`plan`, chunk by chunk, with a
    cache of the passes already made (the live path fills it ahead)."""

    def __init__(self, transcribe: Callable[..., Transcript], rules: ChunkRules = ChunkRules()) -> None:
        self._transcribe = transcribe  # Transcriber.transcribe(audio, context=, check_speech=)
        self.rules = rules
        self.cache: Dict[Key, Transcript] = {}
        self.passes = 0
        self.cancelled = 0  # passes given up half-way (the live path)

    def parts(self, spans: List[Tuple[int, int]]) -> Iterator[Tuple[Key, Optional[Transcript]]]:
        """Each chunk's key and text, in order, up to the first one not known
        yet (given with None): a chunk's key depends on the texts before it."""
        texts: List[str] = []
        lead = 0
        for start, end in spans:
            key = (start, end, prompt(texts, self.rules.prompt_chars), lead)
            part = self.cache.get(key)
            yield key, part
            if part is None:
                return
            texts.append(part.text)
            lead = self._unheard(key, part)

    def _unheard(self, key: Key, part: Transcript) -> int:
        """How much of chunk *key*'s end its text leaves out, in samples: the
        audio after its last segment if speech goes on there for ``carry_s``
        (the speech ends ``tail_s`` before a cut at a pause), else 0."""
        start, end, _, lead = key
        if not part.segments:
            return 0
        heard = start - lead + int(part.segments[-1].end * SAMPLE_RATE)
        speech_end = end - int(self.rules.tail_s * SAMPLE_RATE)
        if (speech_end - heard) / SAMPLE_RATE < self.rules.carry_s:
            return 0
        return min(end - heard, int(self.rules.carry_max_s * SAMPLE_RATE))

    def next_pass(self, audio: np.ndarray, spans: List[Tuple[int, int]]) -> Optional[Key]:
        """The first chunk of *spans* whose text is not known yet (None: all are)."""
        return next((key for key, part in self.parts(spans) if part is None), None)

    def known_text(self, spans: List[Tuple[int, int]]) -> str:
        """The text of *spans* from the cache, as far as it goes in order."""
        return " ".join(part.text for _, part in self.parts(spans) if part is not None and part.text)

    def run(self, audio: np.ndarray, key: Key, cancel: Optional[Callable[[], bool]] = None) -> Optional[Transcript]:
        """The text of chunk *key* (transcribed unless cached).  With
        *cancel* (the live path's passes ahead), None if it said stop."""
        start, end, context, lead = key
        if key not in self.cache:
            chunk = audio[start - lead : end]
            if cancel is None:
                self.cache[key] = self._transcribe(chunk, context=context, check_speech=False)
            else:
                try:
                    self.cache[key] = self._transcribe(chunk, context=context, check_speech=False, cancel=cancel)
                except PassCancelled:
                    self.cancelled += 1
                    return None
            self.passes += 1
        return self.cache[key]

    def transcript(self, audio: np.ndarray, spans: List[Tuple[int, int]]) -> Transcript:
        """All chunks' text (transcribing those not in the cache), as one transcript."""
        while (key := self.next_pass(audio, spans)) is not None:
            self.run(audio, key)
        texts: List[str] = []
        segments: List[Segment] = []
        dropped = 0
        for (start, _, _, lead), part in self.parts(spans):
            assert part is not None  # all transcribed above
            texts.append(part.text)
            offset = (start - lead) / SAMPLE_RATE
            segments += [
                Segment(s.start + offset, s.end + offset, s.text, s.no_speech_prob, s.avg_logprob)
                for s in part.segments
            ]
            dropped += part.dropped
        text = " ".join(t for t in texts if t)
        return Transcript(text, segments, duration=len(audio) / SAMPLE_RATE, dropped=dropped)


def speech_flags(audio: np.ndarray, vad: Optional[IncrementalVad] = None) -> np.ndarray:
    """Silero's speech flags of *audio* (extending *vad*, which has seen its beginning)."""
    vad = vad if vad is not None else IncrementalVad()
    vad.extend(np.ascontiguousarray(audio, dtype=np.float32))
    return vad.flags


def transcribe_dictation(
    transcriber, audio: np.ndarray, rules: ChunkRules = ChunkRules(), chunker: Optional[Chunker] = None
) -> Transcript:
    """The transcript of a whole dictation (``sayso dictate --file``, the
    daemon without streaming, and the live path's final text)."""
    if audio.size == 0:
        return Transcript("", duration=0.0)
    if not np.isfinite(audio).all():
        from ..core.errors import InputError

        raise InputError("the audio contains invalid samples")
    chunker = chunker or Chunker(transcriber.transcribe, rules)
    spans = plan(speech_flags(audio), len(audio), chunker.rules).chunks()
    return chunker.transcript(audio, spans)
