"""The hotkey step's conflicts: problems stop a chord, warnings say what it takes from others."""

from sayso.core.config import parse_config_text
from sayso.window.hotkeys import conflicts

CONFIG = parse_config_text(
    '[hotkeys.actions]\n"speak.toggle" = "<ctrl>+<alt>+s"\n[rewrite.actions.pirate]\nprompt = "Arr."\n'
    'hotkey = "<ctrl>+<alt>+p"\n'
)


def test_another_sayso_hotkey_is_a_problem():
    assert conflicts("<ctrl>+<alt>+s", CONFIG)[0] == [
        "<ctrl>+<alt>+s already does speak.toggle in sayso: choose other keys, or change that one first."
    ]
    assert "rewrite.pirate" in conflicts("<alt>+<ctrl>+p", CONFIG)[0][0]  # the order of the modifiers does not count
    assert "cancel" in conflicts("<esc>", CONFIG)[0][0]


def test_a_key_that_types_a_character_is_a_problem_a_function_key_is_not():
    assert conflicts("d", CONFIG)[0] == ["d types a character: add Ctrl, Alt or Super, or use a function key."]
    assert conflicts("<f9>", CONFIG) == ([], [])


def test_common_shortcuts_are_warnings_that_say_what_they_do():
    problems, warnings = conflicts("<ctrl>+c", CONFIG)
    assert problems == [] and warnings == [
        "<ctrl>+c is also Copy in most applications: sayso would take it from them while it runs."
    ]
    assert "Switch windows" in conflicts("<alt>+<tab>", CONFIG)[1][0]
    assert conflicts("<ctrl>+<alt>+d", CONFIG) == ([], [])
