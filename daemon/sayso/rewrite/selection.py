"""``rewrite.replace_selection``: rewrite the selected text in place.

Copy the selection (simulated copy keys), rewrite it, paste the result over
it (simulated paste keys), then put the user's clipboard back byte-exact,
whatever happened.  The key simulation is passed in by the daemon.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Optional

from ..core.errors import CancelledError, InputError, SaysoError
from ..core.rewrite_actions import Action
from ..desktop.selection import copy_and_wait

if TYPE_CHECKING:  # pragma: no cover
    from ..rewrite.rewriter import RefusedRewrite, Rewriter, RewriteResult

_LOGGER = logging.getLogger(__name__)
COPY_WAIT_S = 1.0
PASTE_WAIT_S = 2.0


def replace_selection(rw: Rewriter, act: Action, engine: Optional[str]) -> RewriteResult:
    clipboard = rw.clipboard
    saved = clipboard.snapshot()
    try:
        source = _copy_selection(rw)
        rw.check_input(source, "selection")
        result = rw.transform(act, source, engine)
        if rw.settled(act, result):
            return result
        _paste(rw, result.text)
        result.message = f"replaced the selection ({act.name}, {result.engine}); undo in the app"
        rw.notifier.notify(f"Selection rewritten: {act.name}", result.diff)
        return result
    finally:
        _restore(clipboard, saved)


def force_selection(rw: Rewriter, refused: RefusedRewrite, result: RewriteResult) -> None:
    """Paste a refused rewrite over the selection, if the selection is still its source."""
    clipboard = rw.clipboard
    saved = clipboard.snapshot()
    try:
        if _copy_selection(rw) != refused.source:
            raise InputError("the selection is no longer the text that was rewritten; nothing was changed")
        _paste(rw, refused.text)
        result.message = f"replaced the selection ({refused.action.name}, {refused.engine}); undo in the app"
        rw.notifier.notify(f"Selection rewritten: {refused.action.name}", refused.diff)
    finally:
        _restore(clipboard, saved)


def _copy_selection(rw: Rewriter) -> str:
    """Empty the clipboard, press copy, wait for the selection to arrive."""

    def cancelled() -> bool:
        return rw._cancel is not None and rw._cancel.is_set()

    text = copy_and_wait(rw.clipboard, rw.copy_selection, COPY_WAIT_S, cancelled=cancelled)
    if text:
        return text
    if cancelled():
        raise CancelledError("rewrite cancelled; nothing was changed")
    raise InputError("nothing is selected (copying the selection gave no text)")


def _paste(rw: Rewriter, text: str) -> None:
    """Offer *text* on the clipboard, press paste, wait until it was taken."""
    clipboard = rw.clipboard
    serve = getattr(clipboard, "serve", None)
    if serve is not None:  # xclip: we can see the paste request
        owner = serve(text.encode("utf-8"))
        rw.paste()
        if not owner.wait_read(PASTE_WAIT_S):
            _LOGGER.info("No application read the pasted rewrite within %.0f s", PASTE_WAIT_S)
        return
    clipboard.write_text(text)
    rw.paste()
    time.sleep(rw.restore_delay_ms / 1000.0)


def _restore(clipboard, saved) -> None:
    try:
        clipboard.restore(saved)
    except SaysoError as err:
        _LOGGER.warning("Could not restore the clipboard after replacing the selection: %s", err)
