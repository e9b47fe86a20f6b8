"""The harper engine on real text (harper-py, no model)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from sayso.core.config_types import Config, RewriteConfig
from sayso.core.errors import EngineError
from sayso.core.rewrite_actions import get_action
from sayso.desktop.notify import Notifier
from sayso.rewrite.engines.choose import EngineSet
from sayso.rewrite.engines.harper import HarperEngine, edit_distance
from sayso.rewrite.rewriter import Rewriter, RewriteSettings

FIX = get_action(RewriteConfig(), "fix")


@pytest.fixture(scope="module")
def harper():
    return HarperEngine()


@pytest.mark.parametrize(
    "text, fixed",
    [
        ("This is an test of the the linter.", "This is a test of the linter."),
        ("He go to school every day.", "He goes to school every day."),  # subject-verb agreement
        ("I have alot of work.", "I have a lot of work."),
        ("Their going to announce the results tomorow.", "They're going to announce the results tomorrow."),
        ("I could of done it. Its a nice day, isnt it?", "I could have done it. It's a nice day, isn't it?"),
        ("teh cat sat on teh mat", "The cat sat on the mat"),
        ("My freind is here.", "My friend is here."),
        ("i think we meet on monday in paris.", "I think we meet on Monday in Paris."),
    ],
)
def test_fixes(harper, text, fixed):
    result = harper.rewrite(FIX, text, threading.Event(), 5)
    assert result.text == fixed and result.trusted and result.engine == "harper"


@pytest.mark.parametrize(
    "text",
    [
        "Ask Siobhan about the Kubernetes cluster and the nginx config.",  # names and jargon kept
        "Hi Sam, see you at NASA.",  # no "SAM"
        "Meeting at 5pm tmrw w/ Bob re: Q3 numbers",  # no style rewrites, no guessing at abbreviations
        "This sentence is already correct.",
        "see https://example.com/foo_bar and `some_code()`",
    ],
)
def test_minimal_edits_leave_these_alone(harper, text):
    assert harper.rewrite(FIX, text, threading.Event(), 5).text == text


def test_only_fix(harper):
    with pytest.raises(EngineError, match="harper can only 'fix' English"):
        harper.rewrite(get_action(RewriteConfig(), "formal"), "hey", threading.Event(), 5)


@pytest.mark.parametrize(
    "text, english",
    [
        ("I have alot of work.", True),
        ("Their going to announce the results tomorow.", True),
        ("Je suis allé au magasin hier.", False),
        ("Das ist ein Test.", False),
        ("Ciao, come stai oggi?", False),
    ],
)
def test_auto_uses_harper_for_english_fix_only(text, english):
    cfg = RewriteConfig(base_url="http://127.0.0.1:9/v1", model="/nonexistent.gguf")
    engines = EngineSet(cfg)
    if english:
        assert engines.choose(FIX, text).name == "harper"
    else:
        with pytest.raises(EngineError, match="no rewrite model"):
            engines.choose(FIX, text)  # not English: needs a model, and none is there


def test_multiline_text_keeps_its_layout(harper):
    text = "Hi Sam,\n\nThis is an test.\nI has two cats.\n\nBest,\nAlex\n"
    assert (
        harper.rewrite(FIX, text, threading.Event(), 5).text
        == "Hi Sam,\n\nThis is a test.\nI have two cats.\n\nBest,\nAlex\n"
    )


def test_rewriter_text_mode_with_harper():
    rw = Rewriter(RewriteSettings.of(Config()), None, Notifier(enabled=False))
    result = rw.run("fix", "This is an test of the the linter.")
    assert result.ok and result.engine == "harper" and result.text == "This is a test of the linter."
    assert result.diff == "an→a · −the" and result.elapsed < 5


def test_cli_rewrite_fix(tmp_path):
    env = {
        "PYTHONPATH": str(__import__("pathlib").Path(__file__).parents[2] / "daemon"),
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
    }

    def run(*args, **kw):
        return subprocess.run(
            [sys.executable, "-m", "sayso", *args], env=env, capture_output=True, text=True, timeout=60, **kw
        )

    ok = run("rewrite", "fix", "--text", "This is an test of the the linter.")
    assert ok.returncode == 0 and ok.stdout == "This is a test of the linter.\n"
    piped = run("rewrite", "fix", "-", input="I have alot of work.\n")
    assert piped.returncode == 0 and piped.stdout == "I have a lot of work.\n"
    empty = run("rewrite", "fix", "--text", "   ")
    assert empty.returncode == 9 and empty.stderr.strip().splitlines()[-1] == "sayso: the text holds only whitespace"
    both = run("rewrite", "fix", "-", "--text", "x")
    assert both.returncode == 2


def test_edit_distance():
    assert edit_distance("freind", "friend") == 1  # transposition
    assert edit_distance("nginx", "nine") == 2
    assert edit_distance("", "abc") == 3
