"""Which desktop session this is (x11, wayland, macos, windows): worked out once, by the app."""

from __future__ import annotations

import os
from typing import Mapping


def detect_session(env: Mapping[str, str] = os.environ) -> str:
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    if os.name == "nt":
        return "windows"
    if hasattr(os, "uname") and os.uname().sysname == "Darwin":
        return "macos"
    return "x11"


def resolve_session(configured: str, env: Mapping[str, str] = os.environ) -> str:
    """``general.session`` unless it is ``auto``; then what the environment says."""
    return configured if configured != "auto" else detect_session(env)
