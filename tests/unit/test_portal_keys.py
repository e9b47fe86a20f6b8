"""Pure key-name conversions of the portal layer (no D-Bus)."""

import pytest

from sayso.desktop.portal.keys import char_keysym, chord_keysyms, key_keysym, text_keysyms, to_portal_trigger


@pytest.mark.parametrize(
    "binding, trigger",
    [
        ("<ctrl>+<alt>+space", "CTRL+ALT+space"),
        ("<alt>+<ctrl>+space", "CTRL+ALT+space"),  # one canonical modifier order
        ("<ctrl>+<alt>+d", "CTRL+ALT+d"),
        ("<ctrl>+<shift>+D", "CTRL+SHIFT+d"),
        ("<cmd>+<f9>", "LOGO+F9"),
        ("<super>+a", "LOGO+a"),
        ("<f9>", "F9"),
        ("<ctrl_l>+<alt_r>+enter", "CTRL+ALT+Return"),
        ("<ctrl>+esc", "CTRL+Escape"),
        ("<ctrl>+<alt>+page_up", "CTRL+ALT+Page_Up"),
        ("<ctrl>+<alt>+/", "CTRL+ALT+slash"),
        ("<ctrl>++", "CTRL+plus"),
        ("<ctrl>+<alt>+comma", "CTRL+ALT+comma"),
        ("<ctrl>+<alt>+5", "CTRL+ALT+5"),
        ("<ctrl>+<alt>+print_screen", "CTRL+ALT+Print"),
        ("<ctrl>+é", "CTRL+U00E9"),
    ],
)
def test_binding_to_portal_trigger(binding, trigger):
    assert to_portal_trigger(binding) == trigger


@pytest.mark.parametrize("binding", ["<ctrl_r>", "<alt_gr>+a", "<ctrl>+vk65"])
def test_bindings_the_shortcuts_spec_cannot_say_give_none(binding):
    assert to_portal_trigger(binding) is None  # the desktop's dialog asks the user instead


@pytest.mark.parametrize("binding", ["", "  ", "<ctrl>+<alt>", "a+b"])
def test_malformed_bindings_raise(binding):
    with pytest.raises(ValueError):
        to_portal_trigger(binding)


def test_every_default_binding_converts():
    from sayso.core.config import load_config

    config = load_config(None, {})
    hotkeys = [config.hotkeys.dictate] + [k for k in config.hotkeys.actions.values() if k]
    hotkeys += [a.hotkey for a in config.rewrite.actions.values() if a.hotkey]
    for binding in hotkeys:
        trigger = to_portal_trigger(binding)
        assert trigger is None or "+" in trigger or trigger.startswith("F"), (binding, trigger)


def test_char_keysyms_latin1_is_the_code_point_and_the_rest_is_unicode():
    assert char_keysym("a") == 0x61
    assert char_keysym("A") == 0x41
    assert char_keysym(" ") == 0x20
    assert char_keysym("é") == 0xE9
    assert char_keysym("ß") == 0xDF
    assert char_keysym("\u00a0") == 0xA0
    assert char_keysym("—") == 0x01002014
    assert char_keysym("✓") == 0x01002713
    assert char_keysym("日") == 0x010065E5
    assert char_keysym("😀") == 0x0101F600
    assert char_keysym("\n") == 0xFF0D
    assert char_keysym("\t") == 0xFF09


def test_text_keysyms_one_per_character_crlf_is_one_return():
    assert text_keysyms("a\r\nb\rc") == [0x61, 0xFF0D, 0x62, 0xFF0D, 0x63]
    text = "Ünïcödé Straße — naïve café ✓ 日本語"
    assert len(text_keysyms(text)) == len(text)


def test_chords_press_in_order():
    assert chord_keysyms("<ctrl>+v") == [0xFFE3, 0x76]
    assert chord_keysyms("<shift>+<insert>") == [0xFFE1, 0xFF63]
    assert chord_keysyms("<ctrl>+<shift>+v") == [0xFFE3, 0xFFE1, 0x76]
    assert key_keysym("backspace") == 0xFF08
    assert key_keysym("f12") == 0xFFC9
    with pytest.raises(ValueError):
        key_keysym("vk12")
