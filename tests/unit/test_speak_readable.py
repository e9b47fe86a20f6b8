"""Readable text: binary data refused, whitespace controls accepted, long text capped (no model needed)."""

import unicodedata

import pytest

from sayso.core.errors import InputError
from sayso.speak.readable import _CONTROLS, cap_text, check_text


def test_control_characters_are_exactly_category_cc_but_whitespace():
    cc = {chr(i) for i in range(0x110000) if unicodedata.category(chr(i)) == "Cc"} - set("\n\r\t\f\v")
    assert {chr(i) for i in range(0x110000) if _CONTROLS.match(chr(i))} == cc


def test_text_with_whitespace_controls_is_readable_binary_is_not():
    text = "Line one\n\tindented\r\nform\ffeed\vtab. " * 100
    assert check_text(text) == text
    with pytest.raises(InputError, match="binary data"):
        check_text("readable words " * 10 + "\x01\x02\x03\x04\x05\x06" * 10)
    with pytest.raises(InputError, match="binary data"):
        check_text("text\x00with a null byte")


def test_long_text_is_capped_at_a_word_boundary():
    text, cut = cap_text("one two three four five", 10)
    assert (text, cut) == ("one two", True)
    assert cap_text("short", 10) == ("short", False)
