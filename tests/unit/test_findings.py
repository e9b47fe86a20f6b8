"""Harper's findings as data (harper-py, no model): what offline ``explain`` lists."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sayso.core.config_types import Config, RewriteConfig
from sayso.desktop.notify import Notifier
from sayso.rewrite.findings import Finding, apply_suggestions, harper_findings
from sayso.rewrite.rewriter import Rewriter, RewriteSettings


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
    assert line.startswith('"teh": ') and line.endswith('Suggestion: "the"') and "\n" not in line


# --- explain without a model -----------------------------------------------------
NO_MODEL = RewriteConfig(model="/nonexistent.gguf", base_url="http://127.0.0.1:9/v1")


def test_explain_without_a_model_lists_harpers_findings():
    notifier = Notifier(enabled=False)
    cfg = Config(rewrite=NO_MODEL)
    rw = Rewriter(RewriteSettings.of(cfg), None, notifier)
    result = rw.run("explain", "I has a apple and and teh car.")
    assert result.ok and result.engine == "harper" and not result.changed
    lines = result.text.splitlines()
    assert lines[0] == "Harper found 4 problems (offline check; no rewrite model):"
    assert lines[1] == '1. "has": ' + harper_findings("I has")[0].message + ' Suggestion: "have"'
    assert any('"teh"' in line and 'Suggestion: "the"' in line for line in lines)


def test_explained_findings_are_notified_or_spoken():
    spoken = []
    cfg = Config(rewrite=RewriteConfig(model="/nonexistent.gguf", base_url="http://127.0.0.1:9/v1", explain_via="both"))
    notifier = Notifier(enabled=False)
    rw = Rewriter(RewriteSettings.of(cfg), None, notifier, speak=spoken.append)
    text = "This sentence is already correct."
    result = rw.run("explain", text)
    assert result.ok and result.text.startswith("Harper found no spelling or grammar problems")
    rw.deliver_explanation(result)
    assert spoken == [result.text] and notifier.sent[-1][0] == "Explanation"


def test_cli_explain_prints_the_findings(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[rewrite]\nmodel = "/nonexistent.gguf"\nbase_url = "http://127.0.0.1:9/v1"\n')
    env = {"PYTHONPATH": str(Path(__file__).parents[2] / "daemon"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "sayso", "--config", str(config), "rewrite", "explain", "--text", "teh car is red"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith("Harper found 1 problem")
    assert '"teh"' in out.stdout and 'Suggestion: "the"' in out.stdout
