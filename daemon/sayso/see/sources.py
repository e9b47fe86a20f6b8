"""Where an image comes from: the screen (:mod:`.capture`), the clipboard or a file."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ClipboardError, InputError
from .image import IMAGE_TARGETS, MAX_BYTES, Shot, decode, read_file

SOURCES = ("region", "window", "screen", "clipboard")


def clipboard_image(clipboard, selection: str = "clipboard") -> Shot:
    """The picture on the clipboard (its best image target); InputError when it holds none."""
    offered = clipboard.targets(selection)
    target = next((t for t in IMAGE_TARGETS if t in offered), None)
    if target is None:
        target = next((t for t in offered if t.startswith("image/")), None)
    if target is None:
        raise InputError("the clipboard holds no image (copy a picture first)")
    try:
        data = clipboard.read_target(target, selection)
    except ClipboardError as err:
        raise InputError(f"cannot read the clipboard's {target}: {err}") from None
    if len(data) > MAX_BYTES:
        raise InputError(f"the clipboard image is too large (at most {MAX_BYTES // 1048576} MiB)")
    return Shot(decode(data, f"clipboard's {target}"), "clipboard")


def take(source: str, clipboard=None, display=None, session: str = "x11", on_ready=None) -> Shot:
    """A shot from *source*: ``region``, ``window``, ``screen`` or ``clipboard`` (*session*: x11 or wayland)."""
    if source == "clipboard":
        if clipboard is None:
            raise InputError("no clipboard to read an image from")
        return clipboard_image(clipboard)
    from .capture import capture

    return capture(source, display, session=session, on_ready=on_ready)


def from_file(path: str) -> Shot:
    return read_file(Path(path).expanduser())
