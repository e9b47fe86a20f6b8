"""Copy the selection and wait for it: the one way sayso reads a selection through the clipboard.

Read-aloud (``speak.selection_method = "copy"``) and rewrite's
``replace_selection`` both press the copy keys and wait for the clipboard to
change; the caller keeps the snapshot and restores the user's clipboard.
"""

from __future__ import annotations

import time
from typing import Callable, Optional


def copy_and_wait(
    clipboard,
    press_copy: Callable[[], None],
    timeout_s: float,
    *,
    sentinel: Optional[str] = None,
    poll_s: float = 0.05,
    cancelled: Callable[[], bool] = lambda: False,
) -> Optional[str]:
    """Mark the clipboard (write *sentinel*, or clear it), press copy, and return the
    clipboard's text once it differs from the mark; None after *timeout_s*.
    *cancelled* is asked on every poll; when it says yes, the caller's
    ``CancelledError`` is raised by the caller (this returns None at once)."""
    if sentinel is None:
        clipboard.clear()
    else:
        clipboard.write_text(sentinel, "clipboard")
    press_copy()
    mark = sentinel if sentinel is not None else ""
    deadline = time.monotonic() + timeout_s
    while True:
        text = clipboard.read_text("clipboard")
        if text != mark:
            return text
        if cancelled() or time.monotonic() > deadline:
            return None
        time.sleep(poll_s)
