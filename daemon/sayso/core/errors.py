"""Error types and exit codes shared by every sayso stage.

Every error a user can cause (bad config, no microphone, missing model,
backend down...) is a :class:`SaysoError`: the CLI prints ``str(err)`` as one
line and exits with ``err.exit_status``; the daemon logs it and keeps running.
"""

from __future__ import annotations

import enum
import logging
from typing import Callable, Optional

_LOGGER = logging.getLogger(__name__)


class ExitStatus(enum.IntEnum):
    SUCCESS = 0
    ERROR = 1
    USAGE = 2
    CONFIG = 3
    MODEL = 4
    AUDIO = 5
    OUTPUT = 6
    CLIPBOARD = 7
    ENGINE = 8
    INPUT = 9
    NO_DAEMON = 10
    CANCELLED = 11
    INTERRUPTED = 130


class SaysoError(Exception):
    """An expected failure with a one-line, user-facing message."""

    exit_status = ExitStatus.ERROR


class ConfigError(SaysoError):
    exit_status = ExitStatus.CONFIG


class ModelError(SaysoError):
    exit_status = ExitStatus.MODEL


class AudioError(SaysoError):
    exit_status = ExitStatus.AUDIO


class OutputError(SaysoError):
    exit_status = ExitStatus.OUTPUT


class ClipboardError(SaysoError):
    exit_status = ExitStatus.CLIPBOARD


class EngineError(SaysoError):
    exit_status = ExitStatus.ENGINE


class InputError(SaysoError):
    """The text/audio given to a pipeline is unusable (empty, binary, too big)."""

    exit_status = ExitStatus.INPUT


class NoDaemonError(SaysoError):
    exit_status = ExitStatus.NO_DAEMON


class CancelledError(SaysoError):
    exit_status = ExitStatus.CANCELLED


def first_line(err: BaseException, limit: Optional[int] = None) -> str:
    """The first line of an error's message, or its type's name; at most *limit* characters."""
    lines = str(err).strip().splitlines()
    text = lines[0] if lines else type(err).__name__
    return text if limit is None else text[:limit]


def run_logged(fn: Callable[[], object], what: str) -> None:
    """Run *fn* on a daemon thread: errors become one log line.

    A SaysoError is logged as its message; anything else as "<what> failed"
    with the traceback at debug level only (``--debug``).
    """
    try:
        fn()
    except SaysoError as err:
        _LOGGER.error("%s", err)
    except Exception as err:
        _LOGGER.error("%s failed: %s", what, err)
        _LOGGER.debug("Traceback", exc_info=True)


# Errors of the remote engines: one type, one line, never the text or the key.
# Every fault of a remote engine is a RemoteError (an EngineError, exit status 8);
# the subclasses tell the caller what happened. Nothing sent is lost: the caller
# still has the audio or text and may hand it to the local engine.


class RemoteError(EngineError):
    """A remote speech engine could not do the work (the caller keeps the input)."""


class RemoteNotAllowed(RemoteError):
    """The address is not on this machine and ``allow_remote`` is off: nothing was sent."""


class RemoteUnavailable(RemoteError):
    """The server could not be reached (not running, refused, no such socket or host)."""


class RemoteLost(RemoteError):
    """The connection broke before the answer was complete (server killed, network gone)."""


class RemoteTimeout(RemoteError):
    """The server did not answer within the configured timeout."""


class RemoteProtocolError(RemoteError):
    """The server answered with an error, or with something that is not the protocol."""


# Errors of the control socket (sayso.control).


class ControlError(SaysoError):
    pass


class AlreadyRunningError(SaysoError):
    pass


class ProtocolError(SaysoError):
    exit_status = ExitStatus.USAGE


class HotkeyError(SaysoError):
    """A hotkey listener could not start (sayso.desktop.keys, sayso.desktop.portal.listener)."""


class CaptureError(SaysoError):
    """The screen could not be captured (no X display, a grab refused, no capture tool) (sayso.see.capture)."""

    exit_status = ExitStatus.INPUT
