"""``dictate.cleanup = "rules"``: a deterministic clean-up of a transcript, both texts kept.

:func:`clean_rules` removes what Whisper writes down from spoken language but a
reader does not want, and returns a :class:`Cleaned` with the raw transcript
beside the cleaned text (the "raw" key puts the raw one back):

* repeated words: "the the" -> "the" (not "had had", "that that", "very very"...);
* false starts as Whisper writes them: "I want- I need" -> "I need", "we sh- we should" -> "we should";
* spoken punctuation: "comma", "full stop" / "period", "question mark", "exclamation mark" / "point",
  "colon", "semicolon" -> the mark, unless the word is a noun there ("the period", "a comma");
* fillers (``dictate.fillers``: "um", "uh", ...);
* the user's vocabulary (``stt.vocabulary``) spelled as the user spells it: "kubernetes" -> "Kubernetes".

* self-corrections of a number, time, weekday or month, and only those: "at three, no, at four"
  -> "at four", "12, sorry, 15 copies" -> "15 copies", "on Monday. No, on Tuesday" -> "on Tuesday"
  (the marker "no", "sorry", "I mean", "no wait" between two of the same kind, after a comma or
  a full stop; "Is it three? No, four." and "two, no more" stay).  Other self-corrections are
  left to the ``model`` clean-up (a rewrite with the meaning check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Optional

from ..core.edit import Edit
from .postprocess import remove_fillers

#: the ``model`` clean-up: text in, the guarded and meaning-checked rewrite out, or None if refused
ModelCleaner = Callable[[str], Optional[str]]
#: the rules' last step: Harper's confident spelling and grammar fixes (the app passes
#: ``app.pipelines.harper_fixer``; ``dictate`` may not import ``rewrite``)
Fixer = Callable[[str], str]


@dataclass(frozen=True)
class Cleaned:
    raw: str  # the transcript as Whisper wrote it
    text: str  # what is typed

    @property
    def changed(self) -> bool:
        return self.raw != self.text


# Doubles that are English, not stutters.
_REAL_DOUBLES = {
    "had", "that", "very", "no", "bye", "ha", "really", "so", "yeah", "yes", "well", "knock", "far", "more",
    "many", "long", "little", "over", "again", "now", "go", "oh", "ho", "hey", "there", "is", "do", "blah",
    "bla", "tut", "chop", "pooh", "night", "here", "round", "on", "by", "and", "through", "too", "much",
}  # fmt: skip
_WORD_PAIR = re.compile(r"\b(\w+)(?:[,]?\s+)\1\b", re.I)

_MARKS = [  # (spoken words, mark)
    (r"full stop|period", "."),
    (r"question mark", "?"),
    (r"exclamation (?:mark|point)", "!"),
    (r"semicolon|semi-colon", ";"),
    (r"colon", ":"),
    (r"comma", ","),
]
# A noun use: "the period", "a comma", "trial period", "this full stop", "an exclamation mark".
_NOUN_BEFORE = (
    r"(?<!\bthe )(?<!\ba )(?<!\ban )(?<!\bthis )(?<!\bthat )(?<!\beach )(?<!\bany )(?<!\bone )(?<!\bno )"
    r"(?<!\btrial )(?<!\bgrace )(?<!\bwaiting )(?<!\bnotice )(?<!\btime )(?<!\bcooling )(?<!\bserial )"
    r"(?<!\boxford )(?<!\bfirst )(?<!\bsecond )(?<!\blast )(?<!\bsame )(?<!\bthat )(?<!\bwhat )(?<!\bof )"
    r"(?<!\bmy )(?<!\byour )(?<!\bher )(?<!\bhis )(?<!\bour )(?<!\btheir )(?<!\bits )"
)
_SPOKEN = re.compile(
    r"[ \t]*[,.;:]?[ \t]*" + _NOUN_BEFORE + r"\b(" + "|".join(f"(?:{w})" for w, _ in _MARKS) + r")\b[,.;:!?]*", re.I
)
_SPOKEN_ANY = re.compile(r"comma|stop|period|mark|point|colon", re.I)
_FALSE_START = re.compile(r"(?<=\w)(?:-|--|—|–)(?=\s)")


def clean(text: str, mode: str, vocabulary: tuple = (), fillers: tuple = (),
          model: Optional[ModelCleaner] = None, fixer: Optional[Fixer] = None) -> Cleaned:  # fmt: skip
    """``dictate.cleanup``: "off" (as is), "rules" (:func:`clean_rules`, then *fixer*: Harper's
    confident fixes) or "model" (the rules' text if the model refuses or is missing; the app passes
    the rewrite engine's ``clean`` action as *model*)."""
    if mode == "off" or not text.strip():
        return Cleaned(text, text)
    ruled = clean_rules(text, vocabulary, fillers)
    if fixer is not None:
        ruled = Cleaned(text, _vocabulary(_fixed(ruled.text, fixer), vocabulary))
    if mode == "model" and model is not None:
        rewritten = model(text)
        if rewritten is not None and rewritten.strip():
            return Cleaned(text, _vocabulary(rewritten.strip(), vocabulary))
    return ruled


def _fixed(text: str, fixer: Fixer) -> str:
    """*fixer*'s text, or *text* when it fails or empties it (the clean-up never loses a dictation)."""
    try:
        out = fixer(text)
    except Exception:  # no harper-py, a Harper fault: the rules' text
        return text
    return out if out.strip() else text


def raw_edit(typed: str, cleaned: Cleaned) -> Optional[Edit]:
    """The edit that puts the raw transcript back over the last dictation, as "scratch that" erases
    it: *typed* is what that dictation inserted (its leading space kept); None if nothing to do."""
    if not typed or not cleaned.changed:
        return None
    lead = typed[: len(typed) - len(typed.lstrip(" "))]
    return Edit(len(typed), lead + cleaned.raw.strip())


def clean_rules(text: str, vocabulary: tuple = (), fillers: tuple = ()) -> Cleaned:
    """The cleaned text for *text* (a pure function: the same input gives the same output)."""
    raw = text
    out = remove_fillers(text, list(fillers)) if _has_filler(text, fillers) else text
    out = _false_starts(out)
    out = _repeats(out)
    out = _spoken_punctuation(out)
    out = _self_corrections(out)
    out = _vocabulary(out, vocabulary)
    return Cleaned(raw, out)


def _has_filler(text: str, fillers: tuple) -> bool:
    words = {w.lower() for w in re.findall(r"[\w']+", text)}
    return any(f.lower() in words for f in fillers)


def _repeats(text: str) -> str:
    def one(m: re.Match) -> str:
        word = m.group(1)
        return m.group(0) if word.lower() in _REAL_DOUBLES or word.isdigit() else word

    previous = None
    while previous != text:  # "I I I think" -> "I think"
        previous, text = text, _WORD_PAIR.sub(one, text)
    return text


def _false_starts(text: str) -> str:
    """ "I want- I need" -> "I need"; "we sh- we should" -> "we should"; "He said- no." stays.

    A word cut off with a dash is a false start when the next word restarts the phrase (the same
    word up to four words back) or completes the cut-off word ("sh-" -> "should").
    """
    pos = 0
    while (m := _FALSE_START.search(text, pos)) is not None:
        before, after = text[: m.start()], text[m.end() :].lstrip()
        words = before.split(" ")
        following = re.match(r"[\w']+", after)
        restart = following.group(0).lower() if following else ""
        fragment = re.sub(r"[^\w']", "", words[-1]).lower()
        cut = None
        for back in range(len(words) - 1, max(len(words) - 6, -1), -1):
            if re.sub(r"[^\w']", "", words[back]).lower() == restart:
                cut = back
                break
        if cut is None and restart and fragment and restart.startswith(fragment) and restart != fragment:
            cut = len(words) - 1
        if cut is None:
            pos = m.end()
            continue
        kept = " ".join(words[:cut]).rstrip()
        if not kept or kept[-1] in ".!?":
            after = after[:1].upper() + after[1:]
        text = (kept + " " if kept else "") + after
        pos = len(kept)
    return text


def _mark(spoken: str) -> str:
    for words, mark in _MARKS:
        if re.fullmatch(words, spoken, re.I):
            return mark
    return spoken


def _spoken_punctuation(text: str) -> str:
    if not _SPOKEN_ANY.search(text):
        return text
    text = _SPOKEN.sub(lambda m: _mark(m.group(1)), text)
    text = re.sub(r"([,;:])(?=\w)", r"\1 ", text)
    text = re.sub(r"([.!?])(?=[^\W\d_])", r"\1 ", text)
    text = re.sub(r"([,;:.!?])[,;:.]+", r"\1", text)  # "hello,." -> "hello,"
    text = re.sub(r"^[,;:]\s*", "", text)
    # a sentence the user ended starts with a capital
    return re.sub(r"([.!?]\s+)([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|half"
)
_KINDS = {
    "number": rf"(?:\d+(?:[.:,]\d+)?|(?:{_NUMBER_WORDS})(?:[- ](?:{_NUMBER_WORDS}))?)"
    r"(?:\s?(?:a\.m\.|p\.m\.|am|pm|o'clock|percent|%))?",
    "day": r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|tonight)",
    "month": r"(?:january|february|march|april|may|june|july|august|september|october|november|december)",
}
_PREPOSITION = r"(?:at|on|in|by|from|to|until|before|after|for|around|about)"
_MARKER = r"(?:no wait|wait no|no|sorry|I mean)"
_SELF_CORRECTION = re.compile(
    r"\b(?:(?P<prep>"
    + _PREPOSITION
    + r")\s+)?(?P<first>"
    + "|".join(f"(?P<a_{k}>{v})" for k, v in _KINDS.items())
    + r")(?![\w'])[,.]\s+"
    + _MARKER
    + r"[,.]?\s+(?:(?P<prep2>"
    + _PREPOSITION
    + r")\s+)?(?P<second>"
    + "|".join(f"(?P<b_{k}>{v})" for k, v in _KINDS.items())
    + r")(?![\w'])",
    re.I,
)


def _self_corrections(text: str) -> str:
    """ "at three, no, at four" -> "at four": the marker between two of the same kind (number, day,
    month), with the same preposition or none after it; anything else stays as said."""

    def one(m: re.Match) -> str:
        kinds = [k for k in _KINDS if m.group(f"a_{k}")], [k for k in _KINDS if m.group(f"b_{k}")]
        prep, prep2 = m.group("prep"), m.group("prep2")
        if kinds[0] != kinds[1] or (prep2 and (not prep or prep2.lower() != prep.lower())):
            return m.group(0)
        return (prep + " " if prep else "") + m.group("second")

    return _SELF_CORRECTION.sub(one, text) if re.search(r"\b(no|sorry|mean)\b", text, re.I) else text


def _vocabulary(text: str, vocabulary: tuple) -> str:
    for term in sorted((t for t in vocabulary if t.strip()), key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(term)}(?![\w-])", term, text, flags=re.I)
    return text
