"""Scoring transcripts: word error rate after the standard normaliser, and
the formatted agreement of two texts (case and punctuation kept).

The normaliser is whisper-normalizer's ``EnglishTextNormalizer`` (the
OpenAI Whisper paper's), from the ``bench`` extra: it spells numbers,
British and American spellings, contractions and punctuation the same way
on both sides, so only real word errors count.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

from ..core.errors import InputError


@functools.lru_cache(maxsize=1)
def normalizer() -> Callable[[str], str]:
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError:
        raise InputError("scoring needs whisper-normalizer: pip install 'sayso[bench]'") from None
    return EnglishTextNormalizer()


def normalized_words(text: str) -> list:
    return normalizer()(text).split()


def edit_distance(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Word-level Levenshtein distance (substitutions, deletions, insertions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_errors(reference: str, hypothesis: str) -> tuple:
    """(errors, reference words) after normalisation, for pooled WER."""
    ref, hyp = normalized_words(reference), normalized_words(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def format_errors(reference: str, hypothesis: str) -> tuple:
    """(errors, reference tokens) over whitespace tokens with their case and
    punctuation: "considered. as" against "considered as" is one error."""
    ref, hyp = reference.split(), hypothesis.split()
    return edit_distance(ref, hyp), len(ref)


def rate(pairs: Sequence[tuple]) -> float:
    """Pooled rate of (errors, total) pairs; 0 when there is nothing to count."""
    errors, total = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
    return errors / total if total else 0.0
