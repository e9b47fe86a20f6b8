"""The pure parts of sayso.see: reading order, image checks, the engine choice, the [see] config."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from sayso.core.config import parse_config_text
from sayso.core.errors import ConfigError, EngineError, InputError
from sayso.see import image as see_image
from sayso.see.capture import Box
from sayso.see.layout import TextBox, reading_order, text_of
from sayso.see.ocr.choose import choose_ocr, installed
from sayso.see.sources import clipboard_image


def _line(x, y, text, width=200, height=12):
    return TextBox(x, y, x + width, y + height, text)


def test_two_columns_read_left_then_right_and_a_heading_first():
    boxes = [
        _line(600, 60, "right one"), _line(40, 60, "left one"), _line(40, 76, "left two"),
        _line(600, 76, "right two"), _line(40, 10, "Heading across both", width=760),
    ]  # fmt: skip
    assert reading_order(boxes) == [["Heading across both"], ["left one", "left two"], ["right one", "right two"]]


def test_words_of_a_line_join_left_to_right_and_paragraphs_split():
    boxes = [_line(90, 10, "world", 40), _line(40, 11, "hello", 40), _line(40, 60, "next", 40)]
    assert text_of(reading_order(boxes)) == "hello world\n\nnext"
    assert reading_order([_line(0, 0, "  ")]) == []


def test_box_spanning_and_clipping():
    assert Box.spanning(50, 40, 10, 20) == Box(10, 20, 40, 20)
    assert Box(-5, 790, 100, 100).clipped(1280, 800) == Box(0, 790, 95, 10)


def _png(size=(8, 8)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, format="PNG")
    return buf.getvalue()


def test_decode_checks_bytes_pixels_and_format(monkeypatch):
    assert see_image.decode(_png(), "x").size == (8, 8)
    with pytest.raises(InputError, match="is empty"):
        see_image.decode(b"", "clipboard image")
    with pytest.raises(InputError, match="not an image"):
        see_image.decode(b"plain text", "clipboard image")
    noisy = io.BytesIO()
    Image.frombytes("L", (64, 64), bytes(range(256)) * 16).save(noisy, format="PNG")
    with pytest.raises(InputError, match="corrupt"):
        see_image.decode(noisy.getvalue()[: len(noisy.getvalue()) // 2], "clipboard image")
    monkeypatch.setattr(see_image, "MAX_PIXELS", 50)
    with pytest.raises(InputError, match="too many pixels"):
        see_image.decode(_png(), "clipboard image")
    monkeypatch.setattr(see_image, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="too large"):
        see_image.decode(_png(), "clipboard image")


def test_fit_scales_down_only():
    img = Image.new("RGB", (2000, 1000))
    assert see_image.fit(img, 1000).size == (1000, 500)
    assert see_image.fit(img, 4000) is img


class _Board:
    def __init__(self, offered, data=b""):
        self.offered, self.data, self.read = offered, data, []

    def targets(self, selection):
        return self.offered

    def read_target(self, target, selection):
        self.read.append(target)
        return self.data


def test_the_clipboard_image_target_is_the_best_offered():
    board = _Board(["TARGETS", "image/bmp", "image/png", "text/plain"], _png())
    assert clipboard_image(board).size == (8, 8) and board.read == ["image/png"]
    board = _Board(["image/x-portable-anymap"], _png())  # any other image/ target, decoded by content
    assert clipboard_image(board).source == "clipboard"
    with pytest.raises(InputError, match="holds no image"):
        clipboard_image(_Board(["UTF8_STRING"]))


def test_the_ocr_choice_is_a_pure_function():
    assert choose_ocr("auto", ("tesseract",)) == "tesseract"
    with pytest.raises(EngineError, match="no OCR engine installed"):
        choose_ocr("auto", ())
    with pytest.raises(EngineError, match="needs the PyPI package tesserocr"):
        choose_ocr("tesseract", ())
    with pytest.raises(EngineError, match="unknown OCR engine"):
        choose_ocr("easyocr", ("tesseract",))
    assert installed(lambda name: None) == ()
    assert installed(lambda name: object()) == ("tesseract",)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[see]\nlanguage = "English"\n', "<t>:2: see.language: 'English' is not auto or Tesseract language"),
        ("[see]\nmax_side = 10\n", "<t>:2: see.max_side: must be between 64 and 4096"),
        ('[see]\nread_to = "printer"\n', "<t>:2: see.read_to: must be one of"),
        ("[see]\nallow_remote = 1\n", "<t>:2: see.allow_remote: expected true or false"),
        ('[see]\nocr = "x"\n', "<t>:2: see.ocr: unknown key"),
        ('[see]\ndescribe_engine = "llama"\nmodel = "m.gguf"\n', "see.projector: the llama describe engine needs"),
    ],
)
def test_see_config_errors_name_file_line_and_key(text, message):
    with pytest.raises(ConfigError) as err:
        parse_config_text(text, "<t>")
    assert message in str(err.value)


def test_see_config_defaults_keep_everything_on_this_machine():
    cfg = parse_config_text("", "<t>").see
    assert cfg.ocr_engine == "auto" and cfg.read_to == "speak" and cfg.describe_to == "both"
    assert cfg.base_url.startswith("http://127.0.0.1") and cfg.allow_remote is False
    assert parse_config_text('[see]\nlanguage = "eng+deu"\n', "<t>").see.language == "eng+deu"


def test_auto_language_is_the_locale_and_english_where_installed():
    from sayso.see.ocr.tesseract import resolve_languages

    assert resolve_languages("auto", {"LANG": "de_DE.UTF-8"}, ["deu", "eng"]) == "deu+eng"
    assert resolve_languages("auto", {"LANG": "de_DE.UTF-8"}, ["eng"]) == "eng"  # no German data: English
    assert resolve_languages("auto", {"LC_ALL": "fr_FR.UTF-8", "LANG": "de_DE"}, ["fra", "eng"]) == "fra+eng"
    assert resolve_languages("auto", {}, []) == "eng"
    assert resolve_languages("eng+fra", {"LANG": "de_DE"}, ["deu"]) == "eng+fra"
