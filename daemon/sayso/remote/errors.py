"""Errors of the remote engines: one type, one line, never the text or the key.

Every fault of a remote engine is a :class:`RemoteError` (an
:class:`sayso.errors.EngineError`, exit status 8) whose message is one line
naming the engine's address and what went wrong.  The subclasses tell the
caller what happened, so it can choose its notice; all of them mean the same
thing for the audio or text it sent: nothing was lost, the caller still has
it and may hand it to the local engine.
"""

from __future__ import annotations

from ..errors import EngineError


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
