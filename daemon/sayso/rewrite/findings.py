"""Harper's findings for a text as plain data: what ``explain`` lists offline and a settings preview shows.

:func:`harper_findings` lints a text with the :class:`~.engines.harper.HarperEngine`
and returns :class:`Finding` records (``str`` indices, every suggestion as the
text that replaces ``text[start:end]``); :func:`apply_suggestions` applies the
first suggestion of each, right to left (of two that overlap, the later one).
:class:`HarperExplainer` is the ``explain`` engine when there is no model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ..core.rewrite_actions import Action
from .engines.base import Engine, EngineResult
from .engines.harper import HarperEngine


@dataclass(frozen=True)
class Finding:
    """One problem Harper found: ``text[start:end]`` and what could replace it."""

    start: int
    end: int
    kind: str  # Harper's lint kind: "Spelling", "Agreement", "Repetition", "Style", ...
    message: str
    suggestions: list[str] = field(default_factory=list)  # replacements for text[start:end], best first
    confident: bool = False  # the harper engine's 'fix' applies it (a minimal, safe edit)

    def describe(self, text: str) -> str:
        """One line to show or read aloud: ``"teh": Did you mean the definite article? Suggestion: "the"``."""
        line = f'"{text[self.start : self.end]}": {self.message}'
        if self.suggestions:
            shown = [f'"{s}"' if s.strip() else "remove it" for s in self.suggestions[:3]]
            line += (" Suggestion: " if len(shown) == 1 else " Suggestions: ") + ", ".join(shown)
        return line


_ENGINES: dict[str, HarperEngine] = {}


def shared_engine(dialect: str = "american") -> HarperEngine:
    """The process's one HarperEngine per dialect (a Harper linter holds ~140 MB: one is enough)."""
    if dialect not in _ENGINES:
        _ENGINES[dialect] = HarperEngine(dialect)
    return _ENGINES[dialect]


def harper_findings(
    text: str, engine: HarperEngine | None = None, dialect: str = "american", without: tuple = ()
) -> list[Finding]:
    """Harper's findings for *text*, in text order (raises EngineError without harper-py);
    *without*: Harper rules left out (see HarperEngine.lints)."""
    if engine is None:
        engine = shared_engine(dialect)
    found = [_finding(text, lint, confident) for lint, confident in engine.lints(text, without)]
    return sorted(found, key=lambda f: (f.start, f.end))


def _finding(text: str, lint, confident: bool) -> Finding:
    from harper import SuggestionKind

    start, end = lint.span.start, lint.span.end
    problem = text[start:end]
    replacements = []
    for sugg in lint.suggestions:
        if sugg.kind == SuggestionKind.REMOVE:
            replacements.append("")
        elif sugg.kind == SuggestionKind.INSERT_AFTER:
            replacements.append(problem + sugg.replacement_text)
        else:
            replacements.append(sugg.replacement_text)
    return Finding(start, end, str(lint.lint_kind), str(lint.message), replacements, confident)


def apply_suggestions(text: str, findings: list[Finding]) -> str:
    """*text* with the first suggestion of each finding applied, right to left; of two that overlap, the later wins."""
    out = text
    limit = len(text) + 1
    for f in sorted((f for f in findings if f.suggestions), key=lambda f: (f.start, f.end), reverse=True):
        if f.end > limit or f.end > len(text) or f.start < 0:
            continue
        out = out[: f.start] + f.suggestions[0] + out[f.end :]
        limit = f.start
    return out


def explain_findings(text: str, found: list[Finding], limit: int = 12) -> str:
    """Harper's findings as an explanation: a count, then one line each (message and suggestion)."""
    if not found:
        return "Harper found no spelling or grammar problems (offline check; no rewrite model for more)."
    lines = [f"{i}. {f.describe(text)}" for i, f in enumerate(found[:limit], 1)]
    if len(found) > limit:
        lines.append(f"... and {len(found) - limit} more")
    noun = "problem" if len(found) == 1 else "problems"
    return f"Harper found {len(found)} {noun} (offline check; no rewrite model):\n" + "\n".join(lines)


class HarperExplainer(Engine):
    """``explain`` without a model: Harper's findings for the text, delivered as an explanation."""

    name = "harper"

    def __init__(self, harper: HarperEngine) -> None:
        self.harper = harper

    def rewrite(self, action: Action, text: str, cancel: threading.Event, timeout: float) -> EngineResult:
        return EngineResult(explain_findings(text, harper_findings(text, self.harper)), self.name, trusted=True)
