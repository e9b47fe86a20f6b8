"""Build the configured engine: backends are imported only in the branch that uses them.

:func:`build_stt` / :func:`build_tts` return None for ``"local"``: the
caller keeps using its own local engine (sayso's Transcriber and
StreamingTranscriber, its piper Voice).  :func:`describe_engines` is what
``sayso doctor`` shows for each configured remote engine.
"""

from __future__ import annotations

import logging
from typing import Collection, Optional

from ..core.config_remote import RemoteSpeakConfig, RemoteSttConfig, choose_stt, choose_tts, installed_modules
from ..core.interfaces import EngineInfo

_LOGGER = logging.getLogger(__name__)


def build_stt(remote: RemoteSttConfig, stt, installed: Optional[Collection[str]] = None):
    """The remote speech-to-text engine of *remote* (sayso's SttConfig *stt*
    gives language and vocabulary); None when the local engine is chosen."""
    choice = choose_stt(remote, installed_modules() if installed is None else installed)
    if choice == "wyoming":
        from .wyoming_stt import WyomingSpeechToText

        return WyomingSpeechToText.from_config(remote, stt)
    if choice == "openai":
        from .openai_stt import OpenAISpeechToText

        return OpenAISpeechToText.from_config(remote, stt)
    if remote.engine != "local":
        _LOGGER.warning("stt.engine = %r is not installed: using the local engine", remote.engine)
    return None


def build_tts(remote: RemoteSpeakConfig, installed: Optional[Collection[str]] = None):
    """The remote text-to-speech engine of *remote*; None for the local voice."""
    choice = choose_tts(remote, installed_modules() if installed is None else installed)
    if choice == "wyoming":
        from .wyoming_tts import WyomingTextToSpeech

        return WyomingTextToSpeech.from_config(remote)
    if choice == "openai":
        from .openai_tts import OpenAITextToSpeech

        return OpenAITextToSpeech.from_config(remote)
    if remote.engine != "local":
        _LOGGER.warning("speak.engine = %r is not installed: using the local voice", remote.engine)
    return None


def describe_engines(remote_stt: RemoteSttConfig, stt, remote_speak: RemoteSpeakConfig) -> list:
    """(section, EngineInfo) for each configured remote engine, for ``sayso doctor``."""
    out = []
    for section, build in (("stt", lambda: build_stt(remote_stt, stt)), ("speak", lambda: build_tts(remote_speak))):
        try:
            engine = build()
        except Exception as err:  # a refused address, a missing key, a missing package: one line
            cfg = remote_stt if section == "stt" else remote_speak
            out.append((section, EngineInfo(cfg.engine, "", False, error=str(err).splitlines()[0] if str(err) else "")))
            continue
        if engine is None:
            continue
        try:
            out.append((section, engine.describe(refresh=True)))
        finally:
            engine.close()
    return out
