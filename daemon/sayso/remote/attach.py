"""The configured remote text-to-speech engine, built for the read-aloud pipeline.

:func:`remote_tts` gives read-aloud its remote engine (the dictation side is
:func:`sayso.app.remote_link.remote_dictation`).  An engine that
cannot be built (a missing key file, say) is reported in one line and the
local engine is used: the daemon keeps running and nothing is lost.
"""

from __future__ import annotations

import logging

from ..core.errors import SaysoError, first_line
from .factory import build_tts

_LOGGER = logging.getLogger(__name__)


def remote_tts(speak):
    """The remote text-to-speech engine of *speak* (the ``[speak]`` section); None for the local voice."""
    if speak.engine == "local":
        return None
    try:
        engine = build_tts(speak)
    except SaysoError as err:
        _LOGGER.error("%s: reading with the local voice", first_line(err))
        return None
    if engine is not None:
        _LOGGER.info("Text to speech: %s", getattr(engine, "where", engine.name))
    return engine
