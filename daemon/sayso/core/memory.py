"""Give memory that native libraries freed back to the system.

CTranslate2, onnxruntime and numpy allocate large transient buffers while
models load and warm up; glibc keeps the freed pages in its heaps, so an
idle daemon looked ~80 MB bigger than it is (measured: 378 MB -> 302 MB
after ``malloc_trim``).  glibc also gives each thread that allocates its
own heap ("arena"), and the fragments left in each add up: the streaming
worker and the dictation worker both run Whisper (measured in one process,
two threads: +27 MB over 30 dictations; with two arenas, flat).  A no-op
where glibc is not the allocator.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import sys
from typing import Callable, Optional

_LOGGER = logging.getLogger(__name__)


_M_ARENA_MAX = -8  # glibc's mallopt() parameter


@functools.lru_cache(maxsize=1)
def _libc() -> Optional[ctypes.CDLL]:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018  (glibc only: AttributeError elsewhere)
        return libc
    except (OSError, AttributeError):  # musl and others
        return None


def _malloc_trim() -> Optional[Callable[[int], int]]:
    libc = _libc()
    return libc.malloc_trim if libc is not None else None


def limit_heaps(arenas: int = 2) -> None:
    """At most *arenas* glibc heaps for the whole process (call it before
    threads start allocating: the daemon does, first thing)."""
    libc = _libc()
    if libc is not None and not libc.mallopt(_M_ARENA_MAX, arenas):
        _LOGGER.debug("mallopt(M_ARENA_MAX) failed")


def release_freed_memory() -> None:
    """``malloc_trim(0)`` on glibc; nothing elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        try:
            trim(0)
        except Exception as err:  # never let housekeeping break the daemon
            _LOGGER.debug("malloc_trim failed: %s", err)
