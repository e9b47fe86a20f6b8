"""The remote speech-to-text engine put behind the dictation pipeline (``stt.engine = "wyoming" | "openai"``)."""

from __future__ import annotations

import logging
from typing import Optional

from ..core.errors import SaysoError, first_line
from ..dictate.dictation import RemoteStt
from ..remote.factory import build_stt

_LOGGER = logging.getLogger(__name__)


def remote_dictation(config) -> Optional[tuple]:
    """(streamer, RemoteStt) for ``stt.engine = "wyoming" | "openai"``; None for local."""
    if config.stt.engine == "local":
        return None
    try:
        engine = build_stt(config.stt, config.stt)
    except SaysoError as err:
        _LOGGER.error("%s: using the local speech engine", first_line(err))
        return None
    if engine is None:
        return None
    _LOGGER.info("Speech to text: %s", getattr(engine, "where", engine.name))
    return engine.streaming(), RemoteStt(engine, config.stt.fallback)
