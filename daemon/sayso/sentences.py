"""Sentence and clause splitting for streaming speech.

:func:`chunks` turns raw text (markdown or plain) into the :class:`Chunk`
sequence the read-aloud pipeline synthesises one by one.  It is lazy: only
the first window of the first block is parsed, normalised and split before
the first chunk comes out, so the first audio does not wait for the rest of
a long text.  The first sentence is cut at a clause boundary when it is
longer than ``first_chunk_chars``; any sentence longer than
``max_chunk_chars`` is cut too, so no single synthesis call runs long.

Each chunk carries a kind (question, exclamation, heading, list item...) and
what follows it (a clause, sentence or paragraph break) so the voice profile
can choose prosody and pauses.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Iterator, Literal

import pysbd
from pysbd.languages import LANGUAGE_CODES

from .markup import Block, parse_blocks
from .textnorm import base_language, has_speakable, normalize

ChunkKind = Literal["sentence", "question", "exclamation", "heading", "list_item", "code", "quote", "table_row"]
ChunkEnd = Literal["clause", "sentence", "paragraph"]

WINDOW_CHARS = 2000  # a long paragraph is normalised and split this much at a time
SHORT_LINE = 60  # a line break after a short unpunctuated line is a sentence break
_TERMINAL = ".!?…:;\"')]”’»"


@dataclass
class Chunk:
    text: str
    kind: ChunkKind = "sentence"
    end: ChunkEnd = "sentence"
    index: int = 0


@functools.lru_cache(maxsize=8)
def _segmenter(lang: str) -> pysbd.Segmenter:
    code = base_language(lang)
    return pysbd.Segmenter(language=code if code in LANGUAGE_CODES else "en", clean=False)


def split_sentences(text: str, lang: str = "en") -> list[str]:
    """Sentences of *text* (pysbd), stripped, empty ones dropped."""
    if not text.strip():
        return []
    return [s.strip() for s in _segmenter(lang).segment(text) if s.strip()]


_CLAUSE_PUNCT = re.compile(r"[,;:\u2014\u2013)](?=\s)|\s[\u2014\u2013-]\s")
_CONJUNCTIONS = {
    "en": r"and|but|or|because|which|while|although|so|when|where|that",
    "de": r"und|aber|oder|weil|denn|während|obwohl|wenn|dass",
    "fr": r"et|mais|ou|parce|car|quand|lorsque|qui|que",
    "es": r"y|pero|o|porque|cuando|que|aunque",
}


def _best_cut(text: str, max_chars: int, min_chars: int, lang: str) -> int:
    """Index to cut *text* at: clause punctuation, else a conjunction, else a space."""
    window = text[: max_chars + 1]
    cuts = [m.end() for m in _CLAUSE_PUNCT.finditer(window) if min_chars <= m.end() <= max_chars]
    if cuts:
        return cuts[-1]
    conj = _CONJUNCTIONS.get(base_language(lang), _CONJUNCTIONS["en"])
    cuts = [m.start() for m in re.finditer(rf"\s(?:{conj})\s", window, re.IGNORECASE) if min_chars <= m.start()]
    if cuts:
        return cuts[-1]
    space = window.rfind(" ", min_chars)
    return space if space > 0 else max_chars


def split_clauses(
    sentence: str, max_chars: int, min_chars: int = 20, first_only: bool = False, lang: str = "en"
) -> list[str]:
    """Cut *sentence* into parts of at most *max_chars* at clause boundaries.

    With *first_only*, only the first part is cut off and the rest is left
    whole (used for the first sentence, to start speaking sooner).
    """
    parts: list[str] = []
    rest = sentence.strip()
    while len(rest) > max_chars:
        cut = _best_cut(rest, max_chars, min(min_chars, max_chars // 2), lang)
        head, rest = rest[:cut].strip(), rest[cut:].strip()
        if head:
            parts.append(head)
        if first_only:
            break
    if rest:
        parts.append(rest)
    return parts


def classify(sentence: str, block_kind: str = "paragraph") -> ChunkKind:
    if block_kind in ("heading", "list_item", "code", "quote", "table_row"):
        return block_kind  # type: ignore[return-value]
    stripped = sentence.rstrip(" \"')]”’»")
    if stripped.endswith(("?", "¿")):
        return "question"
    if stripped.endswith("!"):
        return "exclamation"
    return "sentence"


def _lines(text: str) -> list[str]:
    """Join soft-wrapped lines; keep a break after a short line without punctuation."""
    out: list[str] = []
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        prev = out[-1] if out else ""
        if prev and not (len(prev) <= SHORT_LINE and prev[-1] not in _TERMINAL and line[:1].isupper()):
            out[-1] = f"{prev} {line}"
        else:
            out.append(line)
    return out


def windows(text: str, size: int = WINDOW_CHARS) -> Iterator[str]:
    """Cut *text* into pieces of about *size* characters at sentence-like ends."""
    while len(text) > size:
        cut = max(text.rfind(p, 0, size - len(p) + 1) + len(p) for p in (". ", "? ", "! ", "\n"))
        if cut <= size // 4:
            cut = text.rfind(" ", 0, size) + 1
        if cut <= 0:
            cut = size
        yield text[:cut]
        text = text[cut:]
    if text.strip():
        yield text


def _block_sentences(block: Block, lang: str, emoji: str) -> Iterator[str]:
    for line in _lines(block.text):
        for piece in windows(line):
            spoken = normalize(piece, lang, emoji)
            if has_speakable(spoken):
                yield from split_sentences(spoken, lang)


def chunks(
    text: str,
    lang: str = "en",
    emoji: str = "skip",
    first_chunk_chars: int = 120,
    max_chunk_chars: int = 400,
) -> Iterator[Chunk]:
    """Lazily yield the chunks to synthesise for *text*, in reading order."""
    index = 0
    for block in parse_blocks(text, lang):
        sentences = (s for s in _block_sentences(block, lang, emoji) if has_speakable(s))
        nxt = next(sentences, None)
        while nxt is not None:
            sentence, nxt = nxt, next(sentences, None)
            limit = first_chunk_chars if index == 0 and first_chunk_chars > 0 else max_chunk_chars
            parts = split_clauses(sentence, limit, first_only=index == 0, lang=lang)
            if len(parts) > 1 and index == 0:
                parts = parts[:1] + split_clauses(parts[1], max_chunk_chars, lang=lang)
            last_sentence = nxt is None
            for p_no, part in enumerate(parts):
                last_part = p_no == len(parts) - 1
                end: ChunkEnd = "clause" if not last_part else ("paragraph" if last_sentence else "sentence")
                yield Chunk(part, classify(sentence, block.kind), end, index)
                index += 1
