"""Harper's findings for a text as plain data: what ``explain`` lists offline and a settings preview shows.

:func:`harper_findings` lints a text with the :class:`~.engines.harper.HarperEngine`
and returns :class:`Finding` records (``str`` indices, every suggestion as the
text that replaces ``text[start:end]``); :func:`apply_suggestions` applies the
first suggestion of each, right to left (of two that overlap, the later one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
        """One line: ``"teh": Did you mean the definite article? → the``."""
        line = f'"{text[self.start : self.end]}": {self.message}'
        if self.suggestions:
            shown = [s if s.strip() else "(remove)" for s in self.suggestions[:3]]
            line += " → " + " / ".join(shown)
        return line


_ENGINES: dict[str, HarperEngine] = {}


def harper_findings(text: str, engine: HarperEngine | None = None, dialect: str = "american") -> list[Finding]:
    """Harper's findings for *text*, in text order (raises EngineError without harper-py)."""
    if engine is None:
        engine = _ENGINES.setdefault(dialect, HarperEngine(dialect))
    found = [_finding(text, lint, confident) for lint, confident in engine.lints(text)]
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
