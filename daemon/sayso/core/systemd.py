"""systemd's notify protocol (``Type=notify`` units: ``sayso run`` and ``sayso serve``)."""

from __future__ import annotations

import logging
import os
from typing import Mapping

_LOGGER = logging.getLogger(__name__)


def sd_notify(state: str, env: Mapping[str, str] = os.environ) -> None:
    """Tell systemd (Type=notify) about our state, when run under it."""
    address = env.get("NOTIFY_SOCKET")
    if not address:
        return
    import socket

    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(state.encode())
    except OSError as err:
        _LOGGER.debug("sd_notify failed: %s", err)
