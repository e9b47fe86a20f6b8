"""Shared by the rewrite tests: a real X clipboard on the test desktop."""

from __future__ import annotations

from sayso.desktop.clipboard import Clipboard


def x_clipboard(desktop, monkeypatch) -> Clipboard:
    """sayso's own Clipboard (xclip) on the test X server."""
    monkeypatch.setenv("DISPLAY", desktop.env["DISPLAY"])
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return Clipboard.detect("x11")
