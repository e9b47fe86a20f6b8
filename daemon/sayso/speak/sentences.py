"""Sentence and clause splitting for streaming speech.

:func:`chunks` turns raw text (markdown or plain) into the :class:`Chunk`
sequence the read-aloud pipeline synthesises one by one.  It is lazy: only
the first window of the first block is parsed, normalised and split before
the first chunk comes out, so the first audio does not wait for the rest of
a long text.  The first sentence is cut when it is longer than
``first_chunk_chars``: at clause punctuation, else before a conjunction,
preposition or auxiliary (:func:`cut_first`), so the first chunk can be a
phrase of a few words that synthesises in a fraction of the time of the
whole sentence.  The chunk after it is at most ``SECOND_CHUNK_CHARS`` (it is
synthesised while the short first one plays); any other sentence longer
than ``max_chunk_chars`` is cut at a clause boundary, so no single synthesis
call runs long and later chunks stay sentence-sized.

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
ChunkEnd = Literal["phrase", "clause", "sentence", "paragraph"]  # phrase: cut between two words, no punctuation

WINDOW_CHARS = 2000  # a long paragraph is normalised and split this much at a time
SECOND_CHUNK_CHARS = 200  # the chunk after the first is synthesised while the first plays
FIRST_MIN_CHARS = 12  # a first chunk is never cut shorter than this (about two words)
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


# words a phrase can start with: the first chunk is cut before one of these
# when the first clause is too long ("Listening to a text | is a different way")
_PHRASE_WORDS = {
    "en": r"is|are|was|were|will|would|can|could|should|must|has|have|had|does|did|to|of|in|on|at|for|with|"
    r"from|by|about|into|after|before|than|if|whether|who|whose|what|how|why|as|like|since|until|unless",
    "de": r"ist|sind|war|waren|wird|werden|hat|haben|kann|zu|mit|von|für|auf|nach|bei|aus|über|wie|als",
    "fr": r"est|sont|était|sera|a|ont|à|de|pour|avec|dans|sur|par|sans|comme|depuis",
    "es": r"es|son|está|están|fue|era|ha|han|a|de|para|con|en|por|sin|como|desde",
}


def _word_cuts(window: str, lang: str) -> list[int]:
    """Indices in *window* just before a conjunction or phrase word (the space stays left)."""
    code = base_language(lang)
    words = "|".join(table.get(code, table["en"]) for table in (_CONJUNCTIONS, _PHRASE_WORDS))
    return [m.start() for m in re.finditer(rf"\s(?:{words})(?=\s)", window, re.IGNORECASE)]


def cut_first(
    sentence: str, max_chars: int, lang: str = "en", min_chars: int = FIRST_MIN_CHARS
) -> tuple[str, str, ChunkEnd]:
    """(head, rest, end): *sentence* cut so that head is about *max_chars* at most.

    Clause punctuation wins; else the cut goes before a conjunction or a
    phrase word (preposition, auxiliary...), so the head is a phrase, not a
    stray word; else after any word that can end a phrase (not an article or
    a preposition).  The latest boundary within the limit is used; with none,
    the first one past it (up to twice the limit); with none at all, the
    sentence stays whole.  *rest* is empty when the sentence is not cut.
    *end* says what the cut is: "clause" after punctuation, "phrase" between
    two words.
    """
    sentence = sentence.strip()
    if len(sentence) <= max_chars:
        return sentence, "", "sentence"
    min_chars = min(min_chars, max_chars)
    punct = [m.end() for m in _CLAUSE_PUNCT.finditer(sentence[: max_chars + 1]) if min_chars <= m.end() <= max_chars]
    if punct:
        return sentence[: punct[-1]].strip(), sentence[punct[-1] :].strip(), "clause"
    cut = _phrase_cut(sentence, max_chars, min_chars, lang)
    if cut <= 0 or cut >= len(sentence.rstrip()):
        return sentence, "", "sentence"
    return sentence[:cut].strip(), sentence[cut:].strip(), "phrase"


def _phrase_cut(sentence: str, max_chars: int, min_chars: int, lang: str) -> int:
    """Where to cut between two words (see :func:`cut_first`); -1 for nowhere.

    A cut never leaves an article, preposition or conjunction dangling at the
    end of the head ("Listening to | a text"), nor fewer than *min_chars* on
    either side.
    """
    code = base_language(lang)
    window = sentence[: 2 * max_chars + 1]
    starts = set(_word_cuts(window, lang))
    weak = _weak_endings(code)
    good: list[int] = []  # before a phrase word
    fair: list[int] = []  # after any word that can end a phrase
    for m in re.finditer(r"\s+", window):
        i = m.start()
        if i < min_chars or len(sentence) - m.end() < min_chars:
            continue
        if sentence[:i].rsplit(None, 1)[-1].strip(",;:\"'()").lower() in weak:
            continue
        (good if i in starts else fair).append(i)
    for pool in (good, fair):
        within = [i for i in pool if i <= max_chars]
        if within:
            return within[-1]
    beyond = sorted(i for i in good + fair if i > max_chars)
    return beyond[0] if beyond else -1


_DETERMINERS = {
    "en": "a|an|the|my|your|his|her|its|our|their|this|these|those|very|not|no",
    "de": "der|die|das|den|dem|des|ein|eine|einen|einem|einer|nicht|sehr|kein|keine",
    "fr": "le|la|les|l|un|une|des|du|ne|très|mon|ma|mes|ce|cette",
    "es": "el|la|los|las|un|una|unos|unas|no|muy|mi|mis|su|sus|este|esta",
}


@functools.lru_cache(maxsize=8)
def _weak_endings(code: str) -> frozenset:
    """Words a first chunk should not end with: articles, prepositions, conjunctions..."""
    tables = (_CONJUNCTIONS, _PHRASE_WORDS, _DETERMINERS)
    return frozenset(w for table in tables for w in table.get(code, table["en"]).split("|"))


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
    groups: list[list[str]] = []
    length = 0  # of the current group once joined
    for line in (ln.strip() for ln in text.split("\n")):
        if not line:
            continue
        prev = groups[-1][-1] if groups else ""
        if prev and not (length <= SHORT_LINE and prev[-1] not in _TERMINAL and line[:1].isupper()):
            groups[-1].append(line)  # joined once at the end: a long hard-wrapped paragraph stays linear
            length += 1 + len(line)
        else:
            groups.append([line])
            length = len(line)
    return [" ".join(group) for group in groups]


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


def _first_parts(sentence: str, first_chars: int, max_chunk_chars: int, lang: str) -> list[tuple[str, ChunkEnd]]:
    """The first sentence's parts: a short head, then the rest in clause-cut parts."""
    head, rest, cut = cut_first(sentence, first_chars, lang)
    if not rest:
        return [(head, "sentence")]
    parts: list[tuple[str, ChunkEnd]] = [(head, cut)]
    tail = split_clauses(rest, min(SECOND_CHUNK_CHARS, max_chunk_chars), lang=lang)
    return parts + [(p, "clause") for p in tail[:-1]] + [(tail[-1], "sentence")]


def _sentence_parts(sentence: str, index: int, first_chars: int, max_chunk_chars: int, lang: str):
    """(text, end) parts of *sentence*, the *index*-th chunk of the text being next."""
    if index == 0 and first_chars > 0:
        return _first_parts(sentence, first_chars, max_chunk_chars, lang)
    limit = min(SECOND_CHUNK_CHARS, max_chunk_chars) if index == 1 and first_chars > 0 else max_chunk_chars
    parts = split_clauses(sentence, limit, lang=lang)
    return [(p, "clause") for p in parts[:-1]] + [(parts[-1], "sentence")]


def chunks(
    text: str,
    lang: str = "en",
    emoji: str = "skip",
    first_chunk_chars: int = 120,
    max_chunk_chars: int = 400,
) -> Iterator[Chunk]:
    """Lazily yield the chunks to synthesise for *text*, in reading order.

    The first chunk is at most *first_chunk_chars* (0: the first sentence is
    not cut, only at *max_chunk_chars* like any other).
    """
    index = 0
    for block in parse_blocks(text, lang):
        sentences = (s for s in _block_sentences(block, lang, emoji) if has_speakable(s))
        nxt = next(sentences, None)
        while nxt is not None:
            sentence, nxt = nxt, next(sentences, None)
            kind = classify(sentence, block.kind)
            for text_part, end in _sentence_parts(sentence, index, first_chunk_chars, max_chunk_chars, lang):
                if end == "sentence" and nxt is None:
                    end = "paragraph"
                yield Chunk(text_part, kind, end, index)
                index += 1
