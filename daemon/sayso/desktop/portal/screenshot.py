"""The Screenshot portal (``org.freedesktop.portal.Screenshot``): screen capture on Wayland.

``Screenshot(parent_window, {handle_token, interactive})`` answers with the
``uri`` of a PNG the portal wrote (often into the user's Pictures folder).
:func:`take_screenshot` reads it into memory and deletes the file in a
``finally``: a screenshot sayso took is not left behind. ``interactive``
lets the desktop ask the user what to capture (a region, a window), where
it can; a refusal in its dialog is :class:`~.xdp.PortalCancelled`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Mapping, Optional
from urllib.parse import unquote, urlparse

from .xdp import Portal, PortalError

_LOGGER = logging.getLogger(__name__)

IFACE = "org.freedesktop.portal.Screenshot"
MAX_BYTES = 64 * 1024 * 1024


def take_screenshot(
    interactive: bool, env: Mapping[str, str] = os.environ, timeout: float = 120.0, portal: Optional[Portal] = None
) -> bytes:
    """The PNG bytes of a portal screenshot; PortalError (one line) when there is none."""
    own = portal is None
    portal = portal or Portal(env)
    try:
        results = portal.request(
            IFACE,
            "Screenshot",
            "sa{sv}",
            lambda token: ("", {"handle_token": ("s", token), "interactive": ("b", interactive)}),
            timeout,
        )
    finally:
        if own:
            portal.close()
    return _read_and_delete(str(results.get("uri") or ""))


def _read_and_delete(uri: str) -> bytes:
    url = urlparse(uri)
    if url.scheme != "file" or not url.path:
        raise PortalError(f"Screenshot: the portal answered without a file ({uri[:60] or 'no uri'})")
    path = Path(unquote(url.path))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise PortalError(f"Screenshot: the portal's image is too large ({size >> 20} MiB)")
        return path.read_bytes()
    except OSError as err:
        raise PortalError(f"Screenshot: cannot read the portal's image: {err.strerror or err}") from None
    finally:
        try:
            path.unlink()
        except OSError as err:
            _LOGGER.warning("Screenshot: could not delete the portal's file %s: %s", path, err.strerror or err)
