"""Clipboard snapshot/restore byte-exact on a real X server with xclip."""

import pytest

from sayso.core.errors import InputError
from sayso.desktop.clipboard import Clipboard, XclipClipboard

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def clip(desktop, monkeypatch):
    monkeypatch.setenv("DISPLAY", desktop.env["DISPLAY"])
    c = Clipboard.detect("x11")
    assert isinstance(c, XclipClipboard)
    return c


@pytest.mark.parametrize(
    "data",
    [
        b"plain",
        "Ünïcödé Straße — ✓ 日本語\n\n  trailing spaces  \n".encode(),
        b"\r\nwindows\r\nlines\r\n",
        ("x" * 300_000).encode(),  # larger than one X request (INCR)
    ],
)
def test_text_roundtrip_byte_exact(desktop, clip, data):
    desktop.set_clipboard(data)
    snap = clip.snapshot()
    clip.write_text("borrowed")
    assert desktop.get_clipboard() == b"borrowed"
    clip.restore(snap)
    assert desktop.get_clipboard() == data


def test_image_is_refused_as_text_and_restored(desktop, clip):
    desktop.set_clipboard(PNG, "image/png")
    with pytest.raises(InputError, match="clipboard holds image/png, not text"):
        clip.read_text()
    snap = clip.snapshot()
    clip.write_text("borrowed")
    clip.restore(snap)
    assert "image/png" in desktop.clipboard_targets()
    assert desktop.get_clipboard("image/png") == PNG


def test_binary_text_is_refused(desktop, clip):
    desktop.set_clipboard(b"abc\x00def")
    with pytest.raises(InputError, match="binary data"):
        clip.read_text()


def test_primary_selection(desktop, clip):
    desktop.set_clipboard(b"selected words", selection="primary")
    desktop.set_clipboard(b"clipboard words")
    assert clip.read_text("primary") == "selected words"
    assert clip.read_text("clipboard") == "clipboard words"


def test_empty_clipboard(desktop, clip):
    clip.clear()
    assert clip.read_text() == ""


def test_paste_owner_reports_the_read(desktop, clip):
    owner = clip.serve(b"pasted", None, "clipboard")
    assert desktop.get_clipboard() == b"pasted"
    assert owner.wait_read(timeout=2)
