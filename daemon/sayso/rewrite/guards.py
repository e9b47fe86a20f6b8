"""Output guards: what a model returns is checked before it reaches the clipboard.

:func:`guard` cleans what is safe to clean (``<think>`` blocks, echoed
``<text>`` tags, preambles such as "Here is the corrected text:", notes
after the text, code fences and quotes the model added) and rejects, with a
one-line :class:`GuardRejected`, what is not a rewrite: nothing, an answer
or a chat reply, a question answered instead of rewritten, a repetition
loop, or a length far outside the action's ratio.  Nothing the source text
itself contains is stripped or held against the output.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ..core.errors import EngineError
from ..core.rewrite_actions import Action

SLACK_CHARS = 12

_THINK = re.compile(r"<think>.*?(</think>|$)", re.S | re.I)
_ECHO_TAGS = re.compile(r"</?text>", re.I)
_FENCE = re.compile(r"^```[\w+-]*[ \t]*\n(.*?)\n?```$", re.S)
_PREAMBLES = [
    re.compile(
        r"^(sure|certainly|of course|okay|ok|absolutely|alright|great|no problem)\b[^\n.:]{0,40}[!.,:]+\s*", re.I
    ),
    re.compile(r"^(here(?:'s| is| are)|below is)\b[^:\n]{0,80}:\s*", re.I),
    re.compile(
        r"^((the|your|my) )?(corrected|revised|rewritten|improved|edited|updated|translated|simplified|formal|"
        r"friendly|concise|shorter|polished|final|new|fixed)\b[^:\n]{0,60}:\s*",
        re.I,
    ),
    re.compile(r"^(translation|rewrite|rewritten|correction|output|result|answer|text)( in [\w ]{2,20})?\s*:\s*", re.I),
]
_NOTE_START = re.compile(
    r"^(\(?note|notes|explanation|changes|(the )?changes (made|i made)|corrections|i (have |'ve )?"
    r"(changed|corrected|made|fixed|replaced|removed|added|kept|rewrote|used)|this (version|revision|rewrite|change)|"
    r"in this (version|revision)|the (original |revised |corrected |rewritten |above )?(text|version|sentence) "
    r"(is|was|has|uses|now|reads)|let me know|i hope|feel free|(the )?tone is|translated:)",
    re.I,
)
_ASSISTANT = [
    r"\bas an ai\b",
    r"\b(language model|text transformation tool|chatbot|ai assistant)\b",
    r"\bi('m| am) (sorry|unable|not able|here to|glad|happy to|designed to)\b",
    r"\bi (can ?not|can't|cannot) (help|assist|do|provide|perform|rewrite|translate)\b",
    r"\bi('d| would) (suggest|recommend)\b",
    r"\b(let me know|feel free to|hope this helps|how can i (help|assist))\b",
    r"\bprovide the text\b",
    r"\bsorry for (the|any) (confusion|misunderstanding)\b",
]
_ASSISTANT_RE = [re.compile(p, re.I) for p in _ASSISTANT]
_META_START = re.compile(
    r"^(the|this) (original |given |provided |input |above |following )?(text|sentence|passage|paragraph) "
    r"(is|was|has|contains|means|describes|seems|appears|uses|talks|says)\b",
    re.I,
)
_QUOTES = {'"': '"', "“": "”", "'": "'", "‘": "’", "«": "»", "„": "“", "`": "`"}
_QUESTION = re.compile(r"[?？]$|^¿")


class GuardRejected(EngineError):
    """The model's output is not a usable rewrite; the clipboard stays as it was."""


@dataclass
class GuardResult:
    text: str
    changed: bool  # differs from the source
    cleaned: list = field(default_factory=list)  # what was stripped, for the debug log


def guard(action: Action, source: str, output: str, trusted: bool = False) -> GuardResult:
    """Clean *output* of the model for *action* on *source*, or raise GuardRejected."""
    cleaned: list = []
    text = output if trusted else _clean(source, output, cleaned)
    core = text.strip()
    if not core:
        raise GuardRejected("the model returned no text")
    if not trusted:
        if _repeats(source, _THINK.sub("", output)):
            raise GuardRejected("the model repeated itself instead of rewriting")
        _reject_bad(action, source.strip(), core)
    final = _keep_outer_whitespace(source, core)
    return GuardResult(final, final != source, cleaned)


def _clean(source: str, output: str, cleaned: list) -> str:
    text = output.replace("\r\n", "\n") if "\r\n" not in source else output
    steps = [
        ("think", lambda t: _THINK.sub("", t)),
        ("echo tags", lambda t: t if _ECHO_TAGS.search(source) else _ECHO_TAGS.sub("", t)),
        ("fence", lambda t: _unfence(source, t)),
        ("preamble", lambda t: _strip_preambles(source, t)),
        ("notes", lambda t: _strip_notes(source, t)),
        ("fence", lambda t: _unfence(source, t)),
        ("quotes", lambda t: _unquote(source, t)),
    ]
    for name, step in steps:
        new = step(text).strip()
        if new != text.strip():
            cleaned.append(name)
        text = new
    return text


def _unfence(source: str, text: str) -> str:
    m = _FENCE.match(text.strip())
    if m and not source.lstrip().startswith("```"):
        return m.group(1)
    return text


def _strip_preambles(source: str, text: str) -> str:
    src = _norm(source)
    for _ in range(3):
        for pattern in _PREAMBLES:
            m = pattern.match(text)
            if m and not src.startswith(_norm(m.group(0))) and text[m.end() :].strip():
                text = text[m.end() :].lstrip()
                break
        else:
            break
    return text


def _strip_notes(source: str, text: str) -> str:
    """Drop a notes paragraph (and all after it) that the source does not have."""
    paras = re.split(r"\n[ \t]*\n", text)
    src = _norm(source)
    for i, para in enumerate(paras[1:], 1):
        if _NOTE_START.match(para.strip()) and _norm(para) not in src:
            return "\n\n".join(paras[:i])
    return text


def _unquote(source: str, text: str) -> str:
    if len(text) < 2 or text[0] not in _QUOTES or text[-1] != _QUOTES[text[0]]:
        return text
    src = source.strip()
    if src[:1] == text[0] and src[-1:] == text[-1]:
        return text
    inner = text[1:-1]
    if text[0] in inner or text[-1] in inner:
        return text  # several quoted parts, not one wrapper
    return inner.strip()


def _reject_bad(action: Action, source: str, text: str) -> None:
    src_low, low = source.lower(), text.lower()
    for pattern in _ASSISTANT_RE:
        m = pattern.search(low)
        if m and not pattern.search(src_low):
            raise GuardRejected("the model chatted instead of rewriting the text")
    if action.explains:
        return
    if not action.translates and _META_START.match(text) and not _META_START.match(source):
        raise GuardRejected("the model described the text instead of rewriting it")
    if _QUESTION.search(source) and not re.search(r"[?？]", text):
        raise GuardRejected("the model answered the question instead of rewriting it")
    low_ratio, high_ratio = action.ratio
    n, m = len(source), len(text)
    if m > high_ratio * n + SLACK_CHARS:
        raise GuardRejected(f"the model's text is far longer than expected for '{action.name}' ({m} vs {n} characters)")
    if m < low_ratio * n - SLACK_CHARS:
        raise GuardRejected(
            f"the model's text is far shorter than expected for '{action.name}' ({m} vs {n} characters)"
        )


def _repeats(source: str, text: str) -> bool:
    """A sentence or line said three times or more (more than the source does)."""
    units = Counter(_units(text))
    if not units:
        return False
    unit, count = units.most_common(1)[0]
    return count >= 3 and count > Counter(_units(source)).get(unit, 0) + 1


def _units(text: str) -> list:
    parts = re.split(r"(?<=[.!?])\s+|\n+", text)
    return [p for p in (re.sub(r"\W+", " ", part).strip().lower() for part in parts) if p]


def _norm(text: str) -> str:
    """Lowercase words only: "OK," and "ok" compare equal."""
    return re.sub(r"\W+", " ", text).strip().lower()


def _keep_outer_whitespace(source: str, core: str) -> str:
    lead = source[: len(source) - len(source.lstrip())]
    trail = source[len(source.rstrip()) :]
    return lead + core + trail


def word_diff(before: str, after: str, limit: int = 120) -> str:
    """A short word diff for a notification: ``an→a · −the · +very``."""
    import difflib

    a, b = before.split(), after.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        old, new = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        if op == "replace":
            parts.append(f"{old}→{new}")
        elif op == "delete":
            parts.append(f"−{old}")
        elif op == "insert":
            parts.append(f"+{new}")
    if not parts:
        return "no changes"
    out = " · ".join(parts)
    return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"
