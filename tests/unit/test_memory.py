"""release_freed_memory(): pages freed into glibc's heaps go back to the system."""

from __future__ import annotations

import ctypes
import re
import sys

import pytest

from sayso.core.memory import release_freed_memory


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim is Linux-only")
def test_freed_heap_pages_are_returned():
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    blocks = [libc.malloc(64 * 1024) for _ in range(1600)]  # 100 MB below the mmap threshold: heap pages
    for b in blocks:
        ctypes.memset(b, 1, 64 * 1024)
    keep = libc.malloc(64)  # the heap top stays in use, so free() alone cannot shrink it
    for b in blocks[:-1]:
        libc.free(b)
    before = rss_mb()
    release_freed_memory()
    after = rss_mb()
    libc.free(blocks[-1])
    libc.free(keep)
    assert before - after > 50, (before, after)
