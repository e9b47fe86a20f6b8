"""Word-level helpers of streaming dictation: timed words, the agreed prefix, shifted segments."""

from __future__ import annotations

import os
from typing import List

from ..core.interfaces import Segment


def _timed_words(segments: List[Segment]) -> tuple:
    """The segments' words and about when each ends: spread over its
    segment by length (word timestamps would change how faster-whisper
    decodes, so the passes would no longer equal the final call)."""
    words: List[str] = []
    ends: List[float] = []
    for seg in segments:
        pieces = seg.text.split()
        total = sum(len(p) + 1 for p in pieces) or 1
        done = 0
        for piece in pieces:
            done += len(piece) + 1
            words.append(piece)
            ends.append(seg.start + (seg.end - seg.start) * done / total)
    return words, ends


def _bare(word: str) -> str:
    """A word without its case and punctuation, for comparing passes."""
    return "".join(ch for ch in word.lower() if ch.isalnum() or ch == "'")


def _common_prefix(a: List[str], b: List[str]) -> int:
    """How many words *a* and *b* share at their start."""
    return len(os.path.commonprefix([a, b]))


def _shift(segments: List[Segment], offset: float) -> list:
    return [Segment(s.start + offset, s.end + offset, s.text, s.no_speech_prob, s.avg_logprob) for s in segments]
