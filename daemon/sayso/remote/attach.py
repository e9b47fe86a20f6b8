"""The configured remote engines, built for the daemon and the read-aloud pipeline.

:func:`remote_dictation` gives the dictation pipeline its streamer (the
remote engine's streaming session: a Wyoming connection fed while the key
is held, or the whole recording in one OpenAI request at the release) and
the :class:`~sayso.dictate.dictation.RemoteStt` that says what to do on a fault.
:func:`remote_tts` gives read-aloud its remote engine.  An engine that
cannot be built (a missing key file, say) is reported in one line and the
local engine is used: the daemon keeps running and nothing is lost.
"""

from __future__ import annotations

import logging
from typing import Optional

from ..core.errors import SaysoError, first_line
from .factory import build_stt, build_tts

_LOGGER = logging.getLogger(__name__)


def remote_dictation(config) -> Optional[tuple]:
    """(streamer, RemoteStt) for ``stt.engine = "wyoming" | "openai"``; None for local."""
    from ..dictate.dictation import RemoteStt

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


def remote_tts(config):
    """The remote text-to-speech engine of ``speak.engine``; None for the local voice."""
    if config.speak.engine == "local":
        return None
    try:
        engine = build_tts(config.speak)
    except SaysoError as err:
        _LOGGER.error("%s: reading with the local voice", first_line(err))
        return None
    if engine is not None:
        _LOGGER.info("Text to speech: %s", getattr(engine, "where", engine.name))
    return engine
