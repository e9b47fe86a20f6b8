"""Wyoming connections for sayso: open, write, read with limits, describe.

Events are the ``wyoming`` package's (:class:`wyoming.event.Event` and its
``Eventable`` classes, written by ``async_write_event``).  Reading is done
here rather than with ``async_read_event``: that one trusts the lengths in
an event's header, so a peer could make us allocate any amount; this reader
refuses an event larger than ``max_event_bytes`` and tells a clean end of
the stream from a broken one.  Every failure becomes a
:class:`~sayso.core.errors.RemoteError` naming the address.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Optional

import numpy as np
from wyoming.event import Event, async_write_event
from wyoming.info import Describe, Info

from ..core.endpoints import Endpoint
from ..core.errors import RemoteError, RemoteLost, RemoteProtocolError, RemoteTimeout, RemoteUnavailable

LINE_LIMIT = 1 << 16  # one header line (asyncio's default stream limit)
MAX_EVENT_BYTES = 1 << 20  # one event's additional data + payload, from a server
CHUNK_SAMPLES = 1600  # 100 ms of 16 kHz audio per audio-chunk


class MalformedEvent(ValueError):
    """The bytes are not a Wyoming event (bad JSON, missing type, too large)."""


async def read_event(reader: asyncio.StreamReader, max_bytes: int = MAX_EVENT_BYTES) -> Optional[Event]:
    """The next event; None at a clean end of the stream.

    MalformedEvent for bytes that are not an event; asyncio.IncompleteReadError
    when the stream ends inside one; ConnectionError from the socket."""
    try:
        line = await reader.readline()
    except ValueError as err:  # asyncio.LimitOverrunError is wrapped in ValueError
        raise MalformedEvent(f"header line longer than {LINE_LIMIT} bytes") from err
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise asyncio.IncompleteReadError(line, None)
    try:
        header = json.loads(line)
    except (UnicodeDecodeError, ValueError):
        raise MalformedEvent("header is not JSON") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise MalformedEvent("header has no event type")
    data = header.get("data") or {}
    data_length, payload_length = header.get("data_length") or 0, header.get("payload_length") or 0
    if not isinstance(data, dict) or not all(isinstance(n, int) and n >= 0 for n in (data_length, payload_length)):
        raise MalformedEvent("header fields have the wrong types")
    if data_length + payload_length > max_bytes:
        raise MalformedEvent(f"event of {data_length + payload_length} bytes (at most {max_bytes})")
    if data_length:
        try:
            extra = json.loads(await reader.readexactly(data_length))
        except (UnicodeDecodeError, ValueError):
            raise MalformedEvent("additional data is not JSON") from None
        if not isinstance(extra, dict):
            raise MalformedEvent("additional data is not an object")
        data = {**data, **extra}
    payload = await reader.readexactly(payload_length) if payload_length else None
    return Event(type=header["type"], data=data, payload=payload)


def _reason(err: BaseException) -> str:
    if isinstance(err, ConnectionRefusedError):
        return "connection refused (is the server running?)"
    if isinstance(err, FileNotFoundError):
        return "no such socket (is the server running?)"
    if isinstance(err, socket.gaierror):
        return "unknown host"
    text = getattr(err, "strerror", None) or str(err)
    return text.strip().splitlines()[0] if text and text.strip() else type(err).__name__


class Connection:
    """One Wyoming connection to *endpoint*; ``what`` names the server in messages."""

    def __init__(self, endpoint: Endpoint, what: str = "Wyoming server") -> None:
        self.endpoint = endpoint
        self.what = what
        self._reader: Optional[asyncio.StreamReader] = None
        self._writer: Optional[asyncio.StreamWriter] = None

    @property
    def where(self) -> str:
        return f"the {self.what} at {self.endpoint.display}"

    async def open(self, timeout: float) -> Connection:
        ep = self.endpoint
        if ep.scheme == "unix":
            opening = asyncio.open_unix_connection(ep.path, limit=LINE_LIMIT)
        else:
            opening = asyncio.open_connection(ep.host, ep.port, limit=LINE_LIMIT)
        try:
            self._reader, self._writer = await asyncio.wait_for(opening, timeout)
        except asyncio.TimeoutError:
            raise RemoteTimeout(f"cannot reach {self.where}: no answer within {timeout:g} s") from None
        except OSError as err:
            raise RemoteUnavailable(f"cannot reach {self.where}: {_reason(err)}") from None
        return self

    async def write(self, event: Event) -> None:
        if self._writer is None:
            raise RemoteLost(f"the connection to {self.where} is closed")
        try:
            await async_write_event(event, self._writer)
        except (ConnectionError, OSError) as err:
            raise RemoteLost(f"lost the connection to {self.where}: {_reason(err)}") from None

    async def read(self, max_bytes: int = MAX_EVENT_BYTES) -> Event:
        """The next event; RemoteLost if the server closes or resets the connection."""
        if self._reader is None:
            raise RemoteLost(f"the connection to {self.where} is closed")
        try:
            event = await read_event(self._reader, max_bytes)
        except MalformedEvent as err:
            raise RemoteProtocolError(f"{self.where} sent something that is not a Wyoming event ({err})") from None
        except asyncio.IncompleteReadError:
            event = None
        except (ConnectionError, OSError) as err:
            raise RemoteLost(f"lost the connection to {self.where}: {_reason(err)}") from None
        if event is None:
            raise RemoteLost(f"{self.where} closed the connection before answering")
        if event.type == "error":
            text = str(event.data.get("text") or "error").strip().splitlines()
            raise RemoteProtocolError(f"{self.where} answered with an error: {(text or ['error'])[0][:200]}")
        return event

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is None:
            return
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1.0)
        except (asyncio.TimeoutError, ConnectionError, OSError):
            pass


async def describe(endpoint: Endpoint, timeout: float, what: str = "Wyoming server") -> tuple:
    """(Info, round-trip seconds of describe -> info) from *endpoint*."""
    conn = Connection(endpoint, what)
    await conn.open(timeout)
    try:
        start = time.perf_counter()
        await conn.write(Describe().event())
        while True:
            event = await asyncio.wait_for(conn.read(), timeout)
            if Info.is_type(event.type):
                rtt = time.perf_counter() - start
                try:
                    return Info.from_event(event), rtt
                except (KeyError, TypeError, ValueError) as err:
                    raise RemoteProtocolError(f"{conn.where} sent an info event sayso cannot read ({err})") from None
    except asyncio.TimeoutError:
        raise RemoteTimeout(f"{conn.where} did not describe itself within {timeout:g} s") from None
    finally:
        await conn.close()


def from_pcm(payload: bytes, width: int, channels: int) -> np.ndarray:
    """Raw PCM (8/16/32-bit, interleaved) -> mono float32."""
    kinds = {1: ("u1", 128.0, 128.0), 2: ("<i2", 0.0, 32768.0), 4: ("<i4", 0.0, 2147483648.0)}
    if width not in kinds or channels < 1:
        raise RemoteError(f"unsupported audio format: {width * 8}-bit, {channels} channels")
    dtype, offset, scale = kinds[width]
    frame = width * channels
    samples = np.frombuffer(payload[: len(payload) - len(payload) % frame], dtype=dtype).astype(np.float32)
    samples = (samples - offset) / scale
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples.astype(np.float32, copy=False)


def split_chunks(audio: np.ndarray, size: int = CHUNK_SAMPLES) -> list:
    return [audio[i : i + size] for i in range(0, len(audio), size)]
