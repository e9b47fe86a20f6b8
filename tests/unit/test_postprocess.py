import pytest

from sayso.core.config_types import DictateConfig
from sayso.dictate.postprocess import Composer, Edit, apply_commands, remove_fillers


def composer(**kw):
    return Composer(DictateConfig(**kw))


def test_first_dictation_has_no_leading_space_then_one_space():
    c = composer()
    e1 = c.compose(" Hello there.")
    assert e1 == Edit(0, "Hello there.")
    c.committed(e1)
    e2 = c.compose("How are you?")
    assert e2 == Edit(0, " How are you?")


def test_no_space_after_a_new_line():
    c = composer()
    e1 = c.compose("Dear Sam, new line")
    assert e1.text == "Dear Sam,\n"
    c.committed(e1)
    assert c.compose("Thanks.").text == "Thanks."


@pytest.mark.parametrize(
    "said,typed",
    [
        ("Hello world. New line. How are you?", "Hello world.\nHow are you?"),
        ("First point, new paragraph, second point.", "First point,\n\nsecond point."),
        ("Line one new line line two", "Line one\nline two"),
        ("Newline is one word here", "Newline is one word here"),
    ],
)
def test_voice_commands(said, typed):
    assert apply_commands(said) == typed


def test_scratch_that_removes_the_previous_dictation():
    c = composer()
    for said in ("One.", "Two."):
        c.committed(c.compose(said))
    edit = c.compose("Scratch that.")
    assert edit == Edit(len(" Two."), "")
    c.committed(edit)
    edit = c.compose("Three.")
    assert edit.text == " Three."


def test_scratch_that_inside_an_utterance_keeps_what_follows():
    c = composer()
    c.committed(c.compose("Keep."))
    assert c.compose("wrong words scratch that right words").text == " right words"


def test_scratch_that_with_nothing_before_is_harmless():
    assert composer().compose("Scratch that.") == Edit(0, "")


def test_commands_can_be_disabled():
    assert composer(voice_commands=False).compose("a new line b").text == "a new line b"


@pytest.mark.parametrize(
    "said,clean",
    [
        ("Um, I think so.", "I think so."),
        ("So, uh, we go now.", "So, we go now."),
        ("Uh um hello", "Hello"),
        ("The umbrella is here", "The umbrella is here"),
        ("Humm, um.", "Humm."),
    ],
)
def test_filler_removal(said, clean):
    assert remove_fillers(said, ["um", "uh", "erm", "er", "hmm"]) == clean


def test_fillers_only_on_when_configured():
    assert composer().compose("Um, yes.").text == "Um, yes."
    assert composer(remove_fillers=True).compose("Um, yes.").text == "Yes."


def test_context_change_resets_spacing():
    c = composer()
    c.committed(c.compose("One.", context=1))
    assert c.compose("Two.", context=2).text == "Two."
