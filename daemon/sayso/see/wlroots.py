"""A dragged region on wlroots compositors (sway, Hyprland, river, labwc, Wayfire): slurp + grim.

The Screenshot portal of wlroots (xdg-desktop-portal-wlr) has no region
picker: it returns the whole output even when asked interactively. On these
compositors sayso lets the user drag with Debian's ``slurp`` (a layer-shell
overlay that dims the live screen and draws the box; Esc or a click without
a drag cancels) and captures the box with ``grim -g`` (wlr-screencopy, at the
output's scale, across outputs). The PNG comes on grim's stdout into memory:
no file is written. Where either tool is missing or the compositor lacks the
protocols (KDE, GNOME), :func:`region_tools` is ``None`` and the caller goes
through the portal's own dialog instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from typing import Callable, Mapping, Optional

from ..core.errors import CancelledError, CaptureError, InputError
from .image import MAX_BYTES, Shot, decode

_LOGGER = logging.getLogger(__name__)

#: what slurp prints: the box in layout coordinates
SLURP_FORMAT = "%x %y %w %h"
#: what slurp or grim say on a compositor without layer-shell or screencopy
UNSUPPORTED = ("doesn't support", "does not support", "not supported")


class Unsupported(Exception):
    """This compositor cannot run slurp or grim: use the portal."""


def region_tools(env: Optional[Mapping[str, str]] = None) -> Optional[tuple[str, str]]:
    """The paths of slurp and grim where both are installed and this is a Wayland session."""
    if not (os.environ if env is None else env).get("WAYLAND_DISPLAY"):
        return None
    slurp, grim = shutil.which("slurp"), shutil.which("grim")
    return (slurp, grim) if slurp and grim else None


def grim_works(grim: str, env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """None when grim can capture here (one pixel, thrown away); else its one-line reason."""
    try:
        proc = subprocess.run([grim, "-g", "0,0 1x1", "-"], capture_output=True, timeout=10,
                              env=None if env is None else dict(env))  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"grim did not run: {err}"
    if proc.returncode == 0:
        return None
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"grim failed (exit {proc.returncode})"


def select_box(slurp: str, timeout_s: float, on_ready: Optional[Callable[[], None]] = None) -> tuple:
    """The box the user drags with slurp: (x, y, width, height) in layout pixels."""
    proc = subprocess.Popen(
        [slurp, "-f", SLURP_FORMAT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )  # fmt: skip
    if on_ready is not None:
        on_ready()
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise CancelledError(f"region capture cancelled: no selection within {timeout_s:.0f} s") from None
    message = (err or "").strip().splitlines()[-1:] or [""]
    if proc.returncode != 0:
        if "cancel" in message[0].lower():
            raise CancelledError("region capture cancelled")
        if any(word in message[0].lower() for word in UNSUPPORTED):
            raise Unsupported(message[0])
        raise CaptureError(f"slurp failed (exit {proc.returncode}): {message[0] or 'no message'}")
    try:
        x, y, width, height = (int(v) for v in out.split())
    except ValueError:
        raise CaptureError(f"slurp printed an unexpected selection ({len(out)} characters)") from None
    return x, y, width, height


def grab_box(grim: str, box: tuple) -> Shot:
    """The pixels of *box* (layout coordinates) as grim's PNG on stdout, decoded in memory."""
    x, y, width, height = box
    try:
        proc = subprocess.run(
            [grim, "-t", "png", "-l", "0", "-g", f"{x},{y} {width}x{height}", "-"], capture_output=True, timeout=30
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise CaptureError("grim took longer than 30 s to capture the region") from None
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        if any(word in message[0].lower() for word in UNSUPPORTED):
            raise Unsupported(message[0])
        raise CaptureError(f"grim failed (exit {proc.returncode}): {message[0] or 'no message'}")
    if len(proc.stdout) > MAX_BYTES:
        raise InputError(f"the region image is too large (at most {MAX_BYTES // 1048576} MiB)")
    return Shot(decode(proc.stdout, "grim's PNG"), "region")


def capture_region(
    tools: tuple[str, str], min_side: int, timeout_s: float, on_ready: Optional[Callable[[], None]] = None
) -> Shot:
    """Drag with slurp, capture with grim; raises :class:`Unsupported` where the compositor cannot."""
    slurp, grim = tools
    box = select_box(slurp, timeout_s, on_ready)
    if box[2] < min_side or box[3] < min_side:
        raise InputError("the selected region is empty: drag over the text to read")
    shot = grab_box(grim, box)
    _LOGGER.debug("Captured a %dx%d region with slurp and grim", *shot.size)
    return shot
