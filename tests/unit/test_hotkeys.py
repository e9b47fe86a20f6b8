import pytest

from sayso.core.chords import ABORT, PRESS, RELEASE, ChordMatcher, PressMode, parse_binding
from sayso.desktop.keys.listener import pynput_key_name


@pytest.mark.parametrize(
    "text,key,mods",
    [
        ("<ctrl>+<alt>+space", "space", {"ctrl", "alt"}),
        ("<ctrl_r>", "ctrl_r", set()),
        ("<f9>", "f9", set()),
        ("<ctrl>+<shift>+D", "d", {"ctrl", "shift"}),
        ("<super>+<Escape>", "esc", {"cmd"}),
        ("<ctrl>+++", "+", {"ctrl"}),
        ("a", "a", set()),
    ],
)
def test_parse(text, key, mods):
    b = parse_binding(text)
    assert b.key == key and set(b.modifiers) == mods


@pytest.mark.parametrize(
    "text,message",
    [
        ("", "empty"),
        ("<ctrl>+<alt>+spaec", "unknown key name 'spaec'"),
        ("<ctrl>+<hyper>", "unknown key name"),
        ("d+<ctrl>", "put the normal key last"),
        ("<ctrl>+a+b", "'a' is not a modifier"),
        ("<ctrl>+<ctrl>+a", "repeated"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_binding(text)


def run(bindings, events, loose=()):
    out = []
    m = ChordMatcher({k: parse_binding(v) for k, v in bindings.items()}, lambda n, e: out.append((n, e)), loose)
    for ev in events:
        (m.key_down if ev[0] == "+" else m.key_up)(ev[1:])
    return out


def test_exact_chord_fires_and_releases():
    assert run({"d": "<ctrl>+<alt>+d"}, ["+ctrl_l", "+alt_l", "+d", "-d", "-alt_l", "-ctrl_l"]) == [
        ("d", PRESS),
        ("d", RELEASE),
    ]


def test_extra_modifier_does_not_fire():
    assert run({"d": "<ctrl>+<alt>+d"}, ["+ctrl_l", "+alt_l", "+shift_l", "+d", "-d"]) == []


def test_side_specific_modifier():
    assert run({"d": "<ctrl_r>+d"}, ["+ctrl_l", "+d", "-d", "-ctrl_l"]) == []
    assert run({"d": "<ctrl_r>+d"}, ["+ctrl_r", "+d", "-d", "-ctrl_r"]) == [("d", PRESS), ("d", RELEASE)]


def test_release_of_modifier_ends_chord():
    assert run({"s": "<ctrl>+<alt>+space"}, ["+ctrl_l", "+alt_l", "+space", "-alt_l"]) == [("s", PRESS), ("s", RELEASE)]


def test_lone_modifier_fires_alone_and_aborts_in_shortcut():
    assert run({"r": "<ctrl_r>"}, ["+ctrl_r", "-ctrl_r"]) == [("r", PRESS), ("r", RELEASE)]
    assert run({"r": "<ctrl_r>"}, ["+ctrl_r", "+c", "-c", "-ctrl_r"]) == [("r", PRESS), ("r", ABORT)]
    assert run({"r": "<ctrl_r>"}, ["+shift_l", "+ctrl_r", "-ctrl_r"]) == []


def test_autorepeat_is_ignored():
    assert run({"f": "<f9>"}, ["+f9", "+f9", "+f9", "-f9"]) == [("f", PRESS), ("f", RELEASE)]


def test_loose_binding_fires_while_other_keys_are_held():
    events = ["+ctrl_l", "+alt_l", "+space", "+esc", "-esc"]
    out = run({"dictate": "<ctrl>+<alt>+space", "cancel": "<esc>"}, events, loose=("cancel",))
    assert ("cancel", PRESS) in out
    assert run({"cancel": "<esc>"}, ["+ctrl_l", "+esc"]) == []  # exact when not loose


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def make_mode(mode):
    clock, log = Clock(), []
    pm = PressMode(mode, 300, lambda: log.append("start"), lambda: log.append("stop"), clock)
    return pm, clock, log


def test_hold_mode():
    pm, clock, log = make_mode("hold")
    pm.press()
    clock.t = 0.1
    pm.release()
    assert log == ["start", "stop"]


def test_toggle_mode():
    pm, clock, log = make_mode("toggle")
    pm.press()
    clock.t = 2
    pm.release()
    assert log == ["start"]
    pm.press()
    pm.release()
    assert log == ["start", "stop"]


def test_auto_mode_tap_toggles_and_hold_is_push_to_talk():
    pm, clock, log = make_mode("auto")
    pm.press()
    clock.t = 0.1
    pm.release()
    assert log == ["start"]
    clock.t = 5
    pm.press()
    clock.t = 5.1
    pm.release()
    assert log == ["start", "stop"]
    clock.t = 10
    pm.press()
    clock.t = 12
    pm.release()
    assert log == ["start", "stop", "start", "stop"]


def test_abort_resets():
    pm, clock, log = make_mode("auto")
    pm.press()
    pm.abort()
    pm.release()
    assert log == ["start"] and not pm.recording


def test_pynput_key_names(desktop, monkeypatch):
    monkeypatch.setenv("DISPLAY", desktop.env["DISPLAY"])
    from pynput.keyboard import Key, KeyCode

    assert pynput_key_name(Key.ctrl_r) == "ctrl_r"
    assert pynput_key_name(Key.space) == "space"
    assert pynput_key_name(KeyCode.from_char("D")) == "d"
    assert pynput_key_name(KeyCode.from_char("\x04")) == "d"  # ctrl+d as a control char
    assert pynput_key_name(KeyCode.from_vk(65)) == "vk65"
