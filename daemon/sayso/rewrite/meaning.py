"""The meaning check: a model's rewrite must keep the facts and the sense of the text.

After :func:`~.guards.guard` has cleaned the output, :class:`MeaningCheck`
refuses a rewrite (:class:`MeaningRejected`, one line, e.g. "the rewrite
dropped 3:30 pm") that

* drops a fact of the source: a number, time, date, amount, percentage, URL,
  e-mail address, quoted text, code span, name or vocabulary term;
* drops or adds a negation ("not", "n't", "never", "no", ...);
* stops mid-sentence where the source did not;
* says less or something else: the sentence embeddings of source and output
  (:mod:`.similarity`) are compared as whole texts and sentence by sentence
  (every source sentence must have a close sentence in the output), each
  against the action's thresholds (:data:`THRESHOLDS`, ``rewrite.actions.NAME``).

``translate`` keeps the language-independent facts (numbers, URLs, e-mails,
code, names) only: the embedding model is English-only.  ``explain`` is not
checked (its output describes the text).  Harper's fixes are trusted.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Optional

from ..core.rewrite_actions import Action
from .guards import GuardRejected

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Thresholds:
    """Minimum cosine similarities: the whole texts, and each source sentence's best match."""

    text: float
    sentence: float


THRESHOLDS = {
    "fix": Thresholds(0.80, 0.75),
    "formal": Thresholds(0.65, 0.66),
    "friendly": Thresholds(0.65, 0.66),
    "concise": Thresholds(0.75, 0.70),
    "simplify": Thresholds(0.65, 0.62),
    "clean": Thresholds(0.85, 0.80),
    "translate": Thresholds(0.0, 0.0),  # English-only model: facts only
}
DEFAULT_THRESHOLDS = Thresholds(0.70, 0.62)


class MeaningRejected(GuardRejected):
    """The rewrite changed the meaning; ``public`` says what without the user's text (for the log)."""

    def __init__(self, message: str, public: str) -> None:
        super().__init__(message)
        self.public = public


# --- facts -------------------------------------------------------------------
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"'.,;:!?)\]]", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CODE = re.compile(r"`[^`\n]+`")
_QUOTED = re.compile(r"\"([^\"\n]{2,200})\"|“([^”\n]{2,200})”")
_TIME = re.compile(r"\b(\d{1,2})(?:[:.](\d{2}))?\s*(a\.m\.|p\.m\.|am|pm|a\.m|p\.m)(?![\w])|\b(\d{1,2}):(\d{2})\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])[$€£¥]?\s?\d[\d,]*(?:\.\d+)?(?:\s?%|st|nd|rd|th)?(?![\w])")
_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "half": 0.5, "dozen": 12,
}  # fmt: skip
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b", re.I)
_DAYS_MONTHS = re.compile(
    r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|yesterday|tonight|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|noon|midnight|morning|afternoon|evening)\b",
    re.I,
)
_NEGATIONS = re.compile(
    r"\b(not|never|no|none|nobody|nothing|nowhere|neither|nor|cannot|without|unable|nope|dont|doesnt|didnt|isnt|"
    r"arent|wasnt|werent|havent|hasnt|hadnt|cant|wont|couldnt|wouldnt|shouldnt|mustnt|neednt|aint)\b|n't\b|n’t\b",
    re.I,
)
_NOT_NEGATIONS = re.compile(r"\bno (worries|problem|problems|rush|doubt)\b|\bnot only\b", re.I)  # idioms
_DIGITS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?![\d,.])|\d[\d,.]*\d|\d")
_NAME = re.compile(r"\b[A-Z][\w'’-]*[A-Za-z0-9]\b|\b[A-Z]{2,}\b")
_COMMON_CAPS = {
    "i", "i'm", "i've", "i'd", "i'll", "ok", "okay", "hi", "hey", "hello", "dear", "thanks", "thank", "please",
    "sorry", "yes", "no", "mr", "mrs", "ms", "dr", "am", "pm", "re", "fyi", "asap", "tbh", "btw",
}  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)]*\s+|\n+")


def _norm_number(token: str) -> str:
    token = token.replace(",", "").replace(" ", "").lower()
    return re.sub(r"(st|nd|rd|th)$", "", token)


def _times(text: str) -> dict:
    """'3:30 pm' and '3.30pm' -> '3:30pm'; '3 pm' and '3:00 p.m.' -> '3pm'; '15:30' (key -> as written)."""
    out = {}
    for m in _TIME.finditer(text):
        if m.group(3):
            minute, meridiem = m.group(2) or "00", m.group(3).replace(".", "").lower()
            out[f"{int(m.group(1))}{'' if minute == '00' else ':' + minute}{meridiem}"] = m.group(0)
        else:
            out[f"{int(m.group(4))}:{m.group(5)}"] = m.group(0)
    return out


def _numbers(text: str) -> dict:
    """Numbers outside times, with number words as digits ('three' == '3'); key -> as written
    (each number under every key it may be written as: bare digits, with currency or %)."""
    bare = _TIME.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", text)))
    out: dict = {}
    for m in _NUMBER.finditer(bare):
        key = _norm_number(m.group(0).strip())
        digits = re.sub(r"^[$€£¥]", "", key).rstrip("%")
        out.setdefault(key, m.group(0).strip())
        out.setdefault(digits, m.group(0).strip())
    for m in _NUMBER_WORD.finditer(bare):
        value = _WORDS[m.group(1).lower()]
        out.setdefault(f"{value:g}", m.group(0))
    return out


def _names(text: str) -> list:
    """Capitalised words inside sentences and acronyms: probably names, kept as written."""
    names = []
    for sentence in _sentences(text):
        for m in _NAME.finditer(sentence):
            word = m.group(0)
            at_start = not sentence[: m.start()].strip(" \"'“‘(-*")
            if word.lower() in _COMMON_CAPS or _DAYS_MONTHS.fullmatch(word):
                continue
            if at_start and not word.isupper():
                continue
            names.append(word)
    return names


def _sentences(text: str) -> list:
    return [text[start:end] for start, end in sentence_spans(text)]


def sentence_spans(text: str) -> list:
    """(start, end) of each sentence or line with a word in it, stripped."""
    spans, start = [], 0
    for m in list(_SENTENCE.finditer(text)) + [None]:
        end = m.start() if m is not None else len(text)
        piece = text[start:end]
        if re.search(r"\w", piece):
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
        if m is not None:
            start = m.end()
    return spans or [(0, len(text))]


@dataclass
class Problem:
    message: str  # for the user: may quote the text
    public: str  # for the log: no user text


def fact_problems(action: Action, source: str, output: str, vocabulary: tuple = ()) -> Optional[Problem]:
    """The first fact of *source* that *output* lost, or None."""
    translate = action.translates
    low_out = output.lower()
    for pattern, what in ((_URL, "a link"), (_EMAIL, "an e-mail address"), (_CODE, "a code span")):
        for m in pattern.finditer(source):
            if m.group(0).lower() not in low_out:
                return Problem(f"the rewrite dropped {m.group(0)}", f"the rewrite dropped {what}")
    if translate:  # other languages write times and number words their own way: the digits must stay
        problem = _digit_problem(source, output)
        if problem is not None:
            return problem
    out_times = {} if translate else _times(output)
    for key, written in ({} if translate else _times(source)).items():
        if key not in out_times:
            return Problem(f"the rewrite dropped {written}", "the rewrite dropped a time")
    out_numbers, source_numbers = _numbers(output), _numbers(source)
    for key, written in ({} if translate else source_numbers).items():
        if key not in out_numbers:
            return Problem(f"the rewrite dropped {written}", "the rewrite dropped a number")
    extra = [
        w
        for k, w in out_numbers.items()
        if k not in source_numbers and not _is_list_marker(w, output) and w.lower() not in _IDIOM_NUMBERS
    ]
    if extra and not translate:
        return Problem(f"the rewrite added {extra[0]}", "the rewrite added a number")
    for word in _names(source) + [t for t in vocabulary if t and t.lower() in source.lower()]:
        if word.lower() not in low_out:
            return Problem(f"the rewrite dropped {word}", "the rewrite dropped a name or term")
    if translate:
        return None
    for m in _QUOTED.finditer(source):
        quote = m.group(1) or m.group(2)
        if quote.lower() not in low_out:
            return Problem(f'the rewrite changed the quote "{_short(quote)}"', "the rewrite changed a quote")
    src_days = {d.lower() for d in _DAYS_MONTHS.findall(source)}
    out_days = {d.lower() for d in _DAYS_MONTHS.findall(output)}
    for day in sorted(src_days - out_days):
        return Problem(f"the rewrite dropped {day}", "the rewrite dropped a date")
    src_neg = len(_NEGATIONS.findall(_NOT_NEGATIONS.sub(" ", source)))
    out_neg = len(_NEGATIONS.findall(_NOT_NEGATIONS.sub(" ", output)))
    if out_neg < src_neg:
        return Problem("the rewrite dropped a negation (not, never, no...)", "the rewrite dropped a negation")
    if out_neg > src_neg:
        return Problem("the rewrite added a negation (not, never, no...)", "the rewrite added a negation")
    if _truncated(source, output):
        return Problem("the rewrite stops mid-sentence", "the rewrite stops mid-sentence")
    return None


def near_copy(source: str, output: str) -> bool:
    """The output keeps >= 85 % of the source's content words (8 or more), adds <= 15 % new ones,
    and keeps >= 60 % of each sentence's.  On the two case sets such rewrites (26 of 148) score
    >= 0.80 whole and >= 0.78 per sentence, so for thresholds up to 0.80 / 0.75 (every action
    but ``clean``) the embeddings are not run: a ``fix`` or a light ``formal`` is checked in a
    few ms; the fact checks still apply."""
    src, out = _content_stems(source), _content_stems(output)
    if len(src) < 8:
        return False
    kept, known = set(out), set(src)
    if sum(w in kept for w in src) < 0.85 * len(src) or sum(w in known for w in out) < 0.85 * len(out):
        return False
    for sentence in _sentences(source):
        stems = _content_stems(sentence)
        if stems and sum(w in kept for w in stems) < 0.6 * len(stems):
            return False
    return True


#: number words that are usually not numbers ("the one thing", "at first", "a second look")
_IDIOM_NUMBERS = {"one", "first", "second", "half"}
_STOPWORDS = set(
    """a an the and or but so of to in on at by for from with without into onto over under after before about
    than then that this these those it its it's is are was were be been being am do does did have has had having
    i me my we our us you your he him his she her they them their there here what which who whom whose when where
    why how not no nor never can could will would shall should may might must just also very too much more most
    some any all each every other another such only own same as if because while until again further once up down
    out off don't let's i'll i'm we'll get gets got""".split()
)
_CONTENT = re.compile(r"[a-z][a-z'’]+")


def _content_stems(text: str) -> list:
    """The content words of *text* (no stop words, three letters or more), cut to five letters."""
    return [w[:5] for w in _CONTENT.findall(text.lower()) if len(w) >= 3 and w not in _STOPWORDS]


def _lost_sentence(source: str, output: str) -> Optional[str]:
    """A source sentence of four or more content words of which at most a fifth is in the output.

    A rewrite rewords a sentence but keeps some of its nouns and verbs; a dropped one keeps none
    (on the two case sets no good rewrite has such a sentence)."""
    kept = set(_content_stems(output))
    for sentence in _sentences(source):
        stems = _content_stems(sentence)
        if len(stems) >= 4 and sum(s in kept for s in stems) <= 0.2 * len(stems):
            return sentence
    return None


_DANGLING = re.compile(r"([,;:\-–—(]|\b(and|or|but|so|the|a|an|to|of|with|for|in|on|at|by|from|that|than))$", re.I)


def _truncated(source: str, output: str) -> bool:
    """The source ends a sentence; the output ends on a comma, a word that cannot end one, or a
    word with no mark after it that is not the source's last word ("Pick the ripe ones before")."""
    if not re.search(r"[.!?…][\"'”’)\]]*$", source.rstrip()):
        return False
    end = output.rstrip()
    if _DANGLING.search(end):
        return True
    last = re.findall(r"[\w'’]+", source)[-1:]  # the source's own last word without its mark is no loss
    return bool(re.search(r"[^\W\d_]$", end)) and re.findall(r"[\w'’]+", end)[-1:] != last


def _digit_problem(source: str, output: str) -> Optional[Problem]:
    def runs(text: str) -> dict:  # "3,400", "3.400" and "3 400" (French, German) are one number
        return {re.sub(r"[,. \u00a0\u202f]", "", m.group(0)): m.group(0) for m in _DIGITS.finditer(text)}

    src, out = runs(_URL.sub(" ", source)), runs(_URL.sub(" ", output))
    for key, written in src.items():
        if key not in out:
            return Problem(f"the rewrite dropped {written}", "the rewrite dropped a number")
    return None


def _is_list_marker(written: str, text: str) -> bool:
    return bool(re.search(r"(^|\n)\s*" + re.escape(written) + r"[.)]\s", text))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SPOKEN_MARKS = re.compile(
    r"\b(comma|full stop|period|question mark|exclamation (mark|point)|colon|semicolon|new line|new paragraph)\b", re.I
)
_CUT_WORD = re.compile(r"\b[\w']+(?:-|--|—|–)(?=\s)")
_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.I)


def _as_written(dictated: str) -> str:
    """What ``clean`` is asked to write, roughly: a dictation without its spoken marks, cut-off words
    and doubled words, so that the embeddings compare the words that should stay."""
    text = _DOUBLED.sub(r"\1", _CUT_WORD.sub(" ", _SPOKEN_MARKS.sub(" ", dictated)))
    return re.sub(r"\s{2,}", " ", text).strip() or dictated


# --- the check ---------------------------------------------------------------
class MeaningCheck:
    """Facts, then embeddings; ``prepare`` may embed the source while the model runs."""

    def __init__(
        self, overrides: Optional[dict] = None, vocabulary: tuple = (), embedder=None, near_copies: bool = True
    ) -> None:
        self.overrides = overrides or {}  # action name -> Thresholds from the config
        self.vocabulary = tuple(vocabulary)
        self.near_copies = near_copies  # a near copy of the source needs no embeddings (see near_copy)
        self._embedder = embedder
        self._embedder_failed = False
        self._lock = threading.Lock()

    def thresholds(self, action: Action) -> Thresholds:
        return self.overrides.get(action.name) or THRESHOLDS.get(action.name, DEFAULT_THRESHOLDS)

    def applies(self, action: Action) -> bool:
        return not action.explains

    def embedder(self):
        with self._lock:
            if self._embedder is None and not self._embedder_failed:
                from . import similarity

                if similarity.available():
                    self._embedder = similarity.Embedder()
                else:
                    self._embedder_failed = True
                    _LOGGER.warning("No %s: the meaning check uses facts only", similarity.MODEL_PACKAGE)
            return self._embedder

    def uses_embeddings(self, action: Action) -> bool:
        limits = self.thresholds(action)
        return (limits.text > 0 or limits.sentence > 0) and not action.translates

    def prepare(self, action: Action, source: str):
        """The source's sentence vectors (None when not needed or unavailable)."""
        if not self.uses_embeddings(action):
            return None
        embedder = self.embedder()
        if embedder is None:
            return None
        try:
            return self._vectors(embedder, _as_written(source) if action.name == "clean" else source)
        except Exception as err:  # a broken model must not block rewrites: facts still apply
            _LOGGER.warning("The embedding model failed (%s): the meaning check uses facts only", type(err).__name__)
            self._embedder_failed, self._embedder = True, None
            return None

    def check(self, action: Action, source: str, output: str, prepared=None) -> None:
        """Raise MeaningRejected if *output* does not keep the meaning of *source*."""
        if not self.applies(action):
            return
        problem = fact_problems(action, source, output, self.vocabulary)
        if problem is not None:
            raise MeaningRejected(problem.message, problem.public)
        limits = self.thresholds(action)
        lost = _lost_sentence(source, output) if limits.sentence > 0 and not action.translates else None
        if lost is not None:  # no model needed: runs without the embeddings too
            message = f'the rewrite dropped the sentence "{_short(lost)}"'
            raise MeaningRejected(message, "the rewrite dropped a sentence")
        if self.near_copies and limits.text <= 0.80 and limits.sentence <= 0.75 and near_copy(source, output):
            return  # what the vectors of a near copy score (>= 0.80 / 0.78 on the case sets) passes these
        scores = self.scores(action, source, output, prepared)
        if scores is None:
            return
        whole, worst = scores
        if worst < limits.sentence:
            raise MeaningRejected(
                f"the rewrite dropped or changed a sentence (similarity {worst:.2f} < {limits.sentence:.2f})",
                "the rewrite dropped or changed a sentence",
            )
        if whole < limits.text:
            raise MeaningRejected(
                f"the rewrite changed the meaning (similarity {whole:.2f} < {limits.text:.2f})",
                "the rewrite changed the meaning",
            )

    def scores(self, action: Action, source: str, output: str, prepared=None) -> Optional[tuple]:
        """(whole-text similarity, the worst source sentence's best match), or None without a model."""
        if not self.uses_embeddings(action):
            return None
        src = prepared if prepared is not None else self.prepare(action, source)
        embedder = self._embedder
        if src is None or embedder is None:
            return None
        out = self._vectors(embedder, output)
        return float(src.whole @ out.whole), float((src.sentences @ out.sentences.T).max(axis=1).min())

    @staticmethod
    def _vectors(embedder, text: str):
        from .similarity import text_vectors

        return text_vectors(embedder, text, sentence_spans(text))


def judge(check: MeaningCheck, action: Action, source: str, output: str) -> Optional[str]:
    """What the rewriter decides for a model's *output*: None (accepted) or the one-line reason."""
    from .guards import guard

    try:
        cleaned = guard(action, source, output)
        if cleaned.changed:
            check.check(action, source, cleaned.text)
    except GuardRejected as err:
        return str(err)
    return None
