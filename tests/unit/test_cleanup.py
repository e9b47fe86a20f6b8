"""``dictate.cleanup``: the deterministic rules on Whisper-style transcripts, the raw text kept
byte for byte, and the edit that puts it back.  The disfluent transcripts below are written
in the form tiny.en/base.en write them (dash-cut words, "comma" spelled out); the real-speech
check is tests/model/test_cleanup_corpus.py."""

from __future__ import annotations

import pytest

from sayso.core.config import parse_config_text
from sayso.core.errors import ConfigError
from sayso.dictate.cleanup import Cleaned, clean, clean_rules, raw_edit
from sayso.dictate.history import History

FILLERS = ("um", "uh", "erm", "er", "hmm")


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("I want- I need a coffee.", "I need a coffee."),
        ("We sh- we should leave at five.", "We should leave at five."),
        ("So the- the plan is to ship on Monday.", "So the plan is to ship on Monday."),
        ("I think we can- I think we should go.", "I think we should go."),
        ("the the report is is ready", "the report is is ready"),  # "is is" can be English
        ("I I I don't know.", "I don't know."),
        ("Hello comma how are you question mark", "Hello, how are you?"),
        ("Dear Sam, comma, thanks for the update full stop", "Dear Sam, thanks for the update."),
        ("Send it today period then call me exclamation mark", "Send it today. Then call me!"),
        ("Note colon bring water semicolon and food", "Note: bring water; and food"),
        ("Um, so the uh kubernetes cluster is down.", "So the Kubernetes cluster is down."),
        ("we use sayso and comfyui every day", "we use sayso and ComfyUI every day"),
    ],
)
def test_rules(raw, cleaned):
    result = clean_rules(raw, ("ComfyUI", "sayso", "Kubernetes"), FILLERS)
    assert result.text == cleaned and result.raw == raw


@pytest.mark.parametrize(
    "text",
    [
        "The trial period ends in May.",
        "Use a comma here, not a period.",
        "Put an exclamation mark at the end.",
        "That was the first period of the game.",
        "He said- no.",  # a dash, not a false start
        "It is a well-known fact - really.",
        "I had had enough, and that that was it.",
        "It was very very good, bye bye.",
        "In being comparatively modern.",  # no capital forced onto a continued sentence
        "Error 404 404 again",  # numbers may repeat
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert clean_rules(text, (), FILLERS).text == text


def test_deterministic_and_off():
    text = "I want- I need a a coffee comma please"
    assert clean_rules(text).text == clean_rules(text).text == "I need a coffee, please"
    assert clean(text, "off") == Cleaned(text, text)
    assert clean(text, "rules").text == "I need a coffee, please"


def test_model_mode_falls_back_to_the_rules_when_refused():
    text = "I want- I need a coffee comma please"
    assert clean(text, "model", model=lambda t: None).text == "I need a coffee, please"
    assert clean(text, "model", ("Coffee",), model=lambda t: "I need a coffee, please.").text == (
        "I need a Coffee, please."
    )
    assert clean(text, "model", model=lambda t: None).raw == text


@pytest.mark.parametrize("typed", [" I need a coffee, please", "I need a coffee, please"])
def test_raw_edit_restores_the_transcript_byte_for_byte(typed):
    raw = "I want- I need a coffee comma please"
    window = "Earlier text." + typed
    edit = raw_edit(typed, Cleaned(raw, typed.strip()))
    after = window[: len(window) - edit.delete] + edit.text
    assert after == "Earlier text." + typed[: len(typed) - len(typed.lstrip())] + raw
    assert raw_edit(typed, Cleaned(typed.strip(), typed.strip())) is None  # nothing was cleaned


def test_history_keeps_both_texts():
    history = History()
    entry = history.add("I need a coffee.", True, raw="I want- I need a coffee.")
    assert entry.raw == "I want- I need a coffee." and history.as_list()[-1]["raw"] == entry.raw
    assert history.add("same", True, raw="same").raw == ""


def test_cleanup_config_is_validated():
    assert parse_config_text("").dictate.cleanup == "off"
    assert parse_config_text('[dictate]\ncleanup = "rules"\n').dictate.cleanup == "rules"
    with pytest.raises(ConfigError, match="cleanup"):
        parse_config_text('[dictate]\ncleanup = "always"\n')


def test_a_dictation_key_per_cleanup_is_validated_with_file_line_and_key():
    cfg = parse_config_text('[hotkeys.dictate_cleanup]\nrules = "<ctrl>+<alt>+c"\nmodel = ""\n', "my.toml")
    assert cfg.hotkeys.dictate_cleanup == {"rules": "<ctrl>+<alt>+c", "model": ""}
    with pytest.raises(ConfigError) as err:
        parse_config_text('[dictate]\ncleanup = "off"\n\n[hotkeys.dictate_cleanup]\nrulez = "<f8>"\n', "my.toml")
    assert str(err.value) == (
        'my.toml:5: hotkeys.dictate_cleanup.rulez: not a dictate.cleanup mode (choose from "off", "rules", "model")'
    )
    with pytest.raises(ConfigError, match=r"^my\.toml:2: hotkeys\.dictate_cleanup\.rules: "):
        parse_config_text('[hotkeys.dictate_cleanup]\nrules = "<ctrl>+<bogus>"\n', "my.toml")


def test_the_fixer_runs_after_the_rules_and_a_failing_fixer_changes_nothing():
    from sayso.dictate.cleanup import clean

    def broken(text):
        raise RuntimeError("no harper")

    assert clean("the the cat", "rules", fixer=lambda t: t.replace("cat", "dog")).text == "the dog"
    assert clean("the the cat", "rules", fixer=broken).text == "the cat"
    assert clean("Use kubectl now", "rules", ("kubectl",), fixer=lambda t: t.replace("kubectl", "Kubectl")).text == (
        "Use kubectl now"
    )
    assert clean("the the cat", "off", fixer=lambda t: "x").text == "the the cat"


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("Let's meet at three, no, at four.", "Let's meet at four."),
        ("The meeting is at 3 pm, no, at 4 pm.", "The meeting is at 4 pm."),
        ("I need 12, sorry, 15 copies.", "I need 15 copies."),
        ("See you on Monday. No, on Tuesday.", "See you on Tuesday."),
        ("It starts in March, I mean, in April.", "It starts in April."),
        ("Book two, no wait, three rooms.", "Book three rooms."),
        ("Let's meet at three comma no, at four full stop", "Let's meet at four."),
    ],
)
def test_self_corrections_of_a_number_day_or_month(raw, cleaned):
    assert clean_rules(raw, (), FILLERS).text == cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Is it three? No, four.",  # a question and its answer
        "We have two, no more.",
        "I said three, no, I said four.",  # not two of a kind side by side: left to the model clean-up
        "Meet at three, no, on Monday.",  # a time, then a day: not the same kind
        "No, no, three is fine.",
        "There were five, no doubt about it.",
    ],
)
def test_what_is_not_a_self_correction_stays(text):
    assert clean_rules(text, (), FILLERS).text == text
