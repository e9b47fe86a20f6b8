"""An asyncio event loop on a thread of its own, for sayso's threaded code.

sayso is threaded; the Wyoming package is asyncio.  Each remote engine owns
one :class:`LoopThread`: coroutines are handed to it with :meth:`submit`
(a :class:`concurrent.futures.Future` comes back) and plain callbacks with
:meth:`call_soon` (what the audio thread uses: it only queues).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from typing import Any, Awaitable, Callable, Optional

_LOGGER = logging.getLogger(__name__)


class LoopThread:
    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop (started on first use)."""
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                ready = threading.Event()
                loop = asyncio.new_event_loop()
                self._loop = loop
                self._thread = threading.Thread(target=self._run, args=(loop, ready), daemon=True, name=self.name)
                self._thread.start()
                ready.wait()
            return self._loop

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    def submit(self, coro: Awaitable[Any]) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop())  # type: ignore[arg-type]

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # closed meanwhile
                pass

    def close(self, timeout: float = 5.0) -> None:
        """Cancel what runs and stop the thread."""
        with self._lock:
            loop, thread, self._loop, self._thread = self._loop, self._thread, None, None
        if loop is None or thread is None:
            return
        try:
            loop.call_soon_threadsafe(loop.stop)
        except RuntimeError:
            return
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                _LOGGER.debug("%s did not stop within %.0f s", self.name, timeout)
