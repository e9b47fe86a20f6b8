"""What sayso is doing, as one value that the status line, the tray and the
indicator window all follow.

The daemon calls :meth:`StatePublisher.set` at each change (recording
started, transcribing, reading, rewriting, error, back to idle);
subscribers get a :class:`Status` (state, message, when it started) on the
publisher's own thread, in order, never on the caller's thread, so a slow
subscriber cannot stall a dictation.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

_LOGGER = logging.getLogger(__name__)


class State(str, enum.Enum):
    IDLE = "idle"
    RECORDING = "recording"
    TRANSCRIBING = "transcribing"
    READING = "reading"
    REWRITING = "rewriting"
    ERROR = "error"
    PAUSED = "paused"  # hotkeys paused from the tray


@dataclass(frozen=True)
class Status:
    """One state with its start times (wall clock for display, monotonic for elapsed)."""

    state: State = State.IDLE
    message: str = ""
    since: float = field(default_factory=time.time)
    since_mono: float = field(default_factory=time.monotonic)
    seq: int = 0

    def elapsed(self, now_mono: Optional[float] = None) -> float:
        return max(0.0, (time.monotonic() if now_mono is None else now_mono) - self.since_mono)

    def to_dict(self, now_mono: Optional[float] = None) -> dict:
        out = {"state": self.state.value, "since": round(self.since, 3), "seq": self.seq}
        if self.state == State.RECORDING:
            out["elapsed"] = int(self.elapsed(now_mono))
        if self.message:
            out["message"] = self.message
        return out


Subscriber = Callable[[Status], None]


class StatePublisher:
    """Holds the current :class:`Status` and fans changes out to subscribers.

    Thread-safe: ``set`` may be called from any thread; each subscriber is
    called on one delivery thread in the order of the changes.  Setting the
    state it already has (same message) is not a change.
    """

    def __init__(self, clock: Callable[[], float] = time.time, mono: Callable[[], float] = time.monotonic) -> None:
        self._clock, self._mono = clock, mono
        self._lock = threading.Lock()
        self._status = Status(State.IDLE, "", clock(), mono(), 0)
        self._subs: dict = {}
        self._ids = iter(range(1, 1 << 62))
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._deliver, daemon=True, name="sayso-state")
        self._thread.start()

    @property
    def status(self) -> Status:
        with self._lock:
            return self._status

    def set(self, state: State, message: str = "") -> Status:
        """Make *state* current; returns the (possibly unchanged) status."""
        state = State(state)
        with self._lock:
            old = self._status
            if old.state == state and old.message == message:
                return old
            new = Status(state, message, self._clock(), self._mono(), old.seq + 1)
            self._status = new
            targets = list(self._subs.values())
        _LOGGER.debug("State: %s -> %s", old.state.value, state.value)
        for sub in targets:
            self._queue.put((sub, new))
        return new

    def error(self, message: str) -> Status:
        return self.set(State.ERROR, message)

    def subscribe(self, callback: Subscriber, replay: bool = True) -> int:
        """Call *callback(status)* at each change (and now with the current one if *replay*)."""
        with self._lock:
            sub_id = next(self._ids)
            self._subs[sub_id] = callback
            current = self._status
        if replay:
            self._queue.put((callback, current))
        return sub_id

    def unsubscribe(self, sub_id: int) -> None:
        with self._lock:
            self._subs.pop(sub_id, None)

    def _deliver(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            callback, status = item
            try:
                callback(status)
            except Exception as err:  # one broken subscriber must not silence the others
                _LOGGER.error("State subscriber failed: %s", err)
                _LOGGER.debug("Traceback", exc_info=True)

    def close(self) -> None:
        self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join(2.0)
