"""The harper rewrite engine: offline grammar and spelling fixes (``harper-py``), imported when used."""

from __future__ import annotations

import logging
import re
import threading

from ...core.errors import EngineError
from ...core.rewrite_actions import Action
from .base import Engine, EngineResult

_LOGGER = logging.getLogger(__name__)


class HarperEngine(Engine):
    """Applies Harper's suggestions: spelling, agreement, articles, repeats."""

    name = "harper"
    SKIP_KINDS = {"Style", "Readability", "Enhancement"}
    MAX_PASSES = 3

    def __init__(self, dialect: str = "american") -> None:
        self.dialect = dialect
        self._linter = None
        self._config: dict | None = None  # the linter's lint config, once read
        self._lock = threading.Lock()

    def _get_linter(self):
        if self._linter is None:
            try:
                from harper import Dialect, Linter
            except ImportError:
                raise EngineError("the harper engine needs the PyPI package harper-py") from None
            self._linter = Linter(getattr(Dialect, self.dialect.upper(), Dialect.AMERICAN))
        return self._linter

    def is_english(self, text: str) -> bool:
        """Harper's guess, or few words it cannot spell (its guess fails on typos)."""
        from harper import Language

        with self._lock:
            linter = self._get_linter()
            if linter.is_likely_english(text):
                return True
            words = re.findall(r"[^\W\d_]+", text)
            if not words:
                return True
            lints = linter.lint(text, language=Language.PLAINTEXT)
        unknown = sum(len(lint.problem_text.split()) for lint in lints if lint.lint_kind == "Spelling")
        return unknown / len(words) < 0.34

    def lints(self, text: str, without: tuple = ()) -> list:
        """Harper's raw lints for *text* (spans are str indices), with the fixes :meth:`fix` would apply marked;
        *without*: Harper rules to leave out of this call (e.g. "SpellCheck"), the linter's config kept."""
        from harper import Language

        with self._lock:
            linter = self._get_linter()
            if not without:
                lints = linter.lint(text, language=Language.PLAINTEXT)
                return [(lint, self._choose(text, lint) is not None) for lint in lints]
            if self._config is None:  # the linter's own, read once (the rules it has on)
                self._config = linter.get_lint_config()
            config = self._config
            linter.set_lint_config({**config, **{rule: False for rule in without if rule in config}})
            try:
                lints = linter.lint(text, language=Language.PLAINTEXT)
            finally:
                linter.set_lint_config(config)
            return [(lint, self._choose(text, lint) is not None) for lint in lints]

    def rewrite(self, action: Action, text: str, cancel: threading.Event, timeout: float) -> EngineResult:
        if action.name != "fix":
            raise EngineError(f"harper can only 'fix' English text, not '{action.name}'")
        with self._lock:
            return EngineResult(self.fix(text), self.name, trusted=True)

    def fix(self, text: str) -> str:
        from harper import Language

        linter = self._get_linter()
        for _ in range(self.MAX_PASSES):
            lints = linter.lint(text, language=Language.PLAINTEXT)
            edits = [(lint, sugg) for lint in lints if (sugg := self._choose(text, lint)) is not None]
            fixed = apply_edits(text, edits)
            if fixed == text:
                break
            text = fixed
        return text

    def _choose(self, text: str, lint):
        """The suggestion to apply, or None: only confident, minimal fixes."""
        if not lint.suggestions or lint.lint_kind in self.SKIP_KINDS:
            return None
        word, best = lint.problem_text, lint.suggestions[0]
        if lint.lint_kind == "Capitalization":
            # "i" -> "I", a sentence start; never "Sam" -> "SAM"
            fixed = best.replacement_text
            return best if fixed.lower() == word.lower() and fixed[1:] == word[1:] else None
        if lint.lint_kind != "Spelling":
            return best
        if any(c.isdigit() for c in word) or any(c.isupper() for c in word[1:]):
            return None
        if word[:1].isupper() and not _sentence_start(text, lint.span.start):
            return None  # probably a name
        for sugg in lint.suggestions:  # "monday" -> "Monday" before any look-alike
            if sugg.replacement_text.lower() == word.lower():
                return sugg
        limit = 1 if len(word) <= 6 else 2
        return best if edit_distance(word.lower(), best.replacement_text.lower()) <= limit else None


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip()
    return not before or before[-1] in ".!?\n"


def apply_edits(text: str, edits: list) -> str:
    """Apply (lint, suggestion) pairs right to left, skipping overlaps."""
    from harper import SuggestionKind

    out = text
    limit = len(text) + 1
    for lint, sugg in sorted(edits, key=lambda edit: edit[0].span.start, reverse=True):
        start, end = lint.span.start, lint.span.end
        if end > limit:
            continue
        if sugg.kind == SuggestionKind.REMOVE:
            out = out[:start] + out[end:]
        elif sugg.kind == SuggestionKind.INSERT_AFTER:
            out = out[:end] + sugg.replacement_text + out[end:]
        else:
            out = out[:start] + sugg.replacement_text + out[end:]
        limit = start
    return out


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    prev2: list = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]
