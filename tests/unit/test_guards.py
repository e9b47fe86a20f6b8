"""Output guards on real SmolLM2-135M outputs and on hand-made edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sayso.core.config_types import RewriteConfig
from sayso.core.errors import EngineError
from sayso.core.rewrite_actions import resolve_actions
from sayso.rewrite.engines.llama import parse_structured
from sayso.rewrite.guards import GuardRejected, guard, word_diff

DATA = Path(__file__).parent.parent / "data" / "smollm2_outputs.json"
CASES = json.loads(DATA.read_text(encoding="utf-8"))["cases"]
ACTIONS = resolve_actions(RewriteConfig())


def _run(action: str, source: str, output: str, mode: str = "plain"):
    """What the llama engine + guards make of a raw model output."""
    act = ACTIONS[action].for_language("English")
    text = parse_structured(output) if mode == "json" else output
    return guard(act, source, text)


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c['action']}-{c['mode']}" for i, c in enumerate(CASES)])
def test_real_smollm2_output(case):
    if case["expect"] == "reject":
        with pytest.raises(EngineError):
            _run(case["action"], case["input"], case["output"], case["mode"])
    else:
        assert _run(case["action"], case["input"], case["output"], case["mode"]).text == case["expect"]


def test_table_covers_rejections_and_salvage():
    expects = [c["expect"] for c in CASES]
    assert expects.count("reject") >= 10
    cleaned = [c for c in CASES if c["expect"] != "reject" and c["mode"] == "plain" and c["output"] != c["expect"]]
    assert len(cleaned) >= 3  # preambles / notes really stripped from real output


@pytest.mark.parametrize(
    "action, source, output, expected",
    [
        ("fix", "Their going home.", "<think>The user wants...</think>\nThey're going home.", "They're going home."),
        (
            "fix",
            "Their going home.",
            'Sure! Here is the corrected text:\n\n"They\'re going home."',
            "They're going home.",
        ),
        ("fix", "Their going home.", "Certainly. Corrected version: They're going home.", "They're going home."),
        ("fix", "Their going home.", "<text>\nThey're going home.\n</text>", "They're going home."),
        ("fix", "Their going home.", "```\nThey're going home.\n```", "They're going home."),
        ("fix", "Their going home.", "“They're going home.”", "They're going home."),
        ("formal", "hey, send it", "Please send it.\n\nNote: I made the tone more formal.", "Please send it."),
        ("translate", "Je suis là.", "Translation: I am here.", "I am here."),
        ("translate", "Le texte est prêt.", "The text is ready.", "The text is ready."),
    ],
)
def test_cleaning(action, source, output, expected):
    assert guard(ACTIONS[action], source, output).text == expected


@pytest.mark.parametrize(
    "source, output",
    [
        ("Sure, I can come tomorow.", "Sure, I can come tomorrow."),
        ("ok we meet at 5", "OK, we meet at 5."),
        ("here's my idea: lunch", "Here's my idea: lunch."),
        ("Here is the plan: we go at 5.", "Here is the plan: we go at 5."),
        ('"Quote" me on that', '"Quote" me on that.'),
        ("```\ncode here\n```", "```\ncode here\n```"),
        ("Note: the office is closed.\n\nNote: bring a key.", "Note: the office is closed.\n\nNote: bring a key."),
        ("<text> is a tag", "<text> is a tag"),
    ],
)
def test_source_content_is_never_stripped(source, output):
    assert guard(ACTIONS["fix"], source, output).text == output


@pytest.mark.parametrize(
    "action, source, output, why",
    [
        ("fix", "Their going home.", "", "no text"),
        ("fix", "Their going home.", "<think>only thinking, then cut off", "no text"),
        ("fix", "Can you come?", "Yes, I can come tomorrow.", "answered the question"),
        ("fix", "Send it.", "I'm sorry, but as an AI I cannot send files.", "chatted"),
        ("formal", "ok see you", "I'd suggest writing: Goodbye, see you soon.", "chatted"),
        ("fix", "Cats are nice.", "The sentence is grammatically correct.", "described the text"),
        ("fix", "Cats are nice.", "Cats are nice. " * 6, "repeated itself"),
        (
            "fix",
            "tell me a joke",
            "Why did the chicken cross the road? To get to the other side, you see, friend.",
            "longer",
        ),
        ("concise", "x " * 100, "x", "shorter"),
    ],
)
def test_rejections(action, source, output, why):
    with pytest.raises(GuardRejected, match=why):
        guard(ACTIONS[action], source, output)


def test_explain_allows_a_description_but_not_chatter():
    explain = ACTIONS["explain"].for_language("English")
    text = "The text says that you are paid once the work is done."
    assert guard(explain, "Remuneration upon completion.", text).text == text
    with pytest.raises(GuardRejected):
        guard(explain, "Remuneration upon completion.", "I'm sorry, I cannot help with that.")


def test_whitespace_around_the_source_is_kept():
    result = guard(ACTIONS["fix"], "  teh cat\n", "The cat")
    assert result.text == "  The cat\n" and result.changed


def test_unchanged_is_reported():
    assert guard(ACTIONS["fix"], "All good.", "All good.").changed is False


def test_trusted_output_is_only_checked_for_emptiness():
    assert guard(ACTIONS["fix"], "Sure, ok", "Sure, ok.", trusted=True).text == "Sure, ok."
    with pytest.raises(GuardRejected):
        guard(ACTIONS["fix"], "x", "  ", trusted=True)


def test_user_ratio_applies():
    cfg = RewriteConfig()
    from sayso.core.config_types import RewriteActionConfig

    cfg.actions["fix"] = RewriteActionConfig(ratio=[0.9, 1.1])
    fix = resolve_actions(cfg)["fix"]
    with pytest.raises(GuardRejected, match="longer"):
        guard(fix, "a" * 100, "a" * 125)
    assert guard(ACTIONS["fix"], "a" * 100, "a" * 125).text == "a" * 125


def test_word_diff():
    assert word_diff("This is an test of the the linter.", "This is a test of the linter.") == "an→a · −the"
    assert word_diff("a b", "a b c") == "+c"
    assert word_diff("same", "same") == "no changes"
    assert len(word_diff("x " * 200, "y " * 200, limit=40)) <= 40
