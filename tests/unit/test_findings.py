"""Harper's findings as data (harper-py, no model): what offline ``explain`` lists."""

from __future__ import annotations

import pytest

from sayso.rewrite.findings import Finding, apply_suggestions, harper_findings


def test_findings_have_spans_messages_and_suggestions():
    text = "I has a apple and and teh car."
    found = harper_findings(text)
    by_problem = {text[f.start : f.end]: f for f in found}
    assert set(by_problem) >= {"has", "a", "and and", "teh"}
    assert by_problem["has"].suggestions[0] == "have" and by_problem["has"].kind == "Agreement"
    assert by_problem["and and"].suggestions[0] == "and" and by_problem["and and"].kind == "Repetition"
    assert all(f.message for f in found)
    assert [f.start for f in found] == sorted(f.start for f in found)


def test_spans_are_str_indices_after_non_ascii():
    text = "Café “naïve” 🙂 — I has a apple."
    found = harper_findings(text)
    assert [text[f.start : f.end] for f in found] == ["has", "a"]


def test_apply_suggestions_fixes_the_text():
    text = "I has a apple and and teh car."
    assert apply_suggestions(text, harper_findings(text)) == "I have an apple and the car."


def test_apply_suggestions_skips_overlaps_and_empty():
    text = "abc def"
    findings = [
        Finding(0, 3, "Spelling", "m", ["xyz"]),
        Finding(1, 2, "Spelling", "m", ["Q"]),  # inside the first: skipped
        Finding(4, 7, "Style", "m", []),  # nothing to apply
        Finding(3, 4, "Formatting", "m", [""]),  # a removal
    ]
    assert apply_suggestions(text, findings) == "aQcdef"  # right to left: the later start wins an overlap


def test_confident_marks_what_fix_would_apply():
    text = "Ask Siobhan about teh cluster."
    found = {text[f.start : f.end]: f for f in harper_findings(text)}
    assert found["teh"].confident
    assert "Siobhan" not in found or not found["Siobhan"].confident


@pytest.mark.parametrize("text", ["", "This sentence is already correct."])
def test_clean_text_has_no_findings(text):
    assert harper_findings(text) == []


def test_describe_is_one_line():
    text = "teh car"
    line = harper_findings(text)[0].describe(text)
    assert line.startswith('"teh": ') and "→ " in line and "\n" not in line
