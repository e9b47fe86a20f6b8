"""Rewriting the clipboard as a transaction.

:class:`Rewriter` reads the clipboard as text, runs the action's engine in a
worker thread (timeout, cancel), guards the output, then writes it and keeps
the clipboard it replaced, byte-exact, in an undo history.  Any failure
(bad input, engine down, a chatty model, cancel, timeout) is a one-line
notice and leaves the clipboard as it was.  The user's text is never logged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..core.config_types import Config, RewriteConfig
from ..core.errors import CancelledError, ClipboardError, EngineError, ExitStatus, InputError, SaysoError, first_line
from ..core.rewrite_actions import Action, get_action
from .engines.base import EngineResult
from .engines.choose import EngineSet
from .guards import guard, word_diff
from .selection import replace_selection

_LOGGER = logging.getLogger(__name__)


@dataclass
class RewriteResult:
    action: str
    ok: bool
    text: str = ""  # the rewrite (or the explanation)
    original: str = ""
    engine: str = ""
    changed: bool = False
    wrote_clipboard: bool = False
    message: str = ""  # one line: what happened, or why not
    diff: str = ""
    elapsed: float = 0.0
    status: int = ExitStatus.SUCCESS


@dataclass
class UndoEntry:
    snapshot: object  # ClipboardSnapshot of what the rewrite replaced
    action: str
    written: str
    at: float = field(default_factory=time.time)


class UndoHistory:
    """The clipboards replaced by the last rewrites, newest last."""

    def __init__(self, size: int = 10) -> None:
        self._items: deque = deque(maxlen=max(1, size))
        self._lock = threading.Lock()

    def push(self, entry: UndoEntry) -> None:
        with self._lock:
            self._items.append(entry)

    def pop(self) -> Optional[UndoEntry]:
        with self._lock:
            return self._items.pop() if self._items else None

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class RewriteSettings:
    """The config the rewrite pipeline reads: its section and the paste's settle time."""

    rewrite: RewriteConfig
    restore_delay_ms: int = 0  # output.restore_delay_ms: how long a paste takes to be read

    @classmethod
    def of(cls, config: Config) -> RewriteSettings:
        return cls(config.rewrite, config.output.restore_delay_ms)


class Rewriter:
    """Runs rewrite actions on the clipboard (or on a given text)."""

    def __init__(self, settings: RewriteSettings, clipboard, notifier, speak: Optional[Callable[[str], None]] = None, *,
                 copy_selection: Optional[Callable[[], None]] = None, paste: Optional[Callable[[], None]] = None,
                 engines: Optional[EngineSet] = None) -> None:  # fmt: skip
        self.cfg = settings.rewrite
        self.restore_delay_ms = settings.restore_delay_ms
        self.clipboard = clipboard
        self.notifier = notifier
        self.speak = speak
        self.copy_selection = copy_selection
        self.paste = paste
        self.engines = engines or EngineSet(self.cfg)
        self.history = UndoHistory(max(10, self.cfg.undo_size))
        self._busy = threading.Lock()
        self._cancel: Optional[threading.Event] = None

    # --- public API ------------------------------------------------------------
    def run(self, action: str, text: Optional[str] = None, *, engine: Optional[str] = None,
            language: Optional[str] = None) -> RewriteResult:  # fmt: skip
        """Rewrite *text*, or the clipboard when *text* is None; never raises SaysoError."""
        started = time.monotonic()
        if not self._busy.acquire(blocking=False):
            return self._fail(action, InputError("a rewrite is already running"), started)
        self._cancel = threading.Event()
        try:
            act = get_action(self.cfg, action).for_language(language or self.cfg.target_language)
            if text is not None:
                result = self._run_text(act, text, engine)
            elif self.clipboard is None:
                raise ClipboardError("no clipboard is available (install xclip or wl-clipboard)")
            elif self.cfg.replace_selection and self.copy_selection and self.paste:
                result = replace_selection(self, act, engine)
            else:
                result = self._run_clipboard(act, engine)
        except SaysoError as err:
            return self._fail(action, err, started)
        except Exception as err:  # a bug must not take the daemon down; the message may hold text: type only
            _LOGGER.debug("Rewrite %s crashed", action, exc_info=True)
            return self._fail(action, SaysoError(f"internal error ({type(err).__name__}); see the debug log"), started)
        finally:
            self._cancel = None
            self._busy.release()
        result.elapsed = time.monotonic() - started
        state = "changed" if result.changed else "unchanged"
        _LOGGER.info("Rewrite %s by %s: %s (%d -> %d chars, %.2f s)", action, result.engine or "-", state,
                     len(result.original), len(result.text), result.elapsed)  # fmt: skip
        return result

    def cancel(self) -> bool:
        """Cancel the running rewrite (the clipboard stays as it was)."""
        event = self._cancel
        if event is None:
            return False
        event.set()
        return True

    def undo(self) -> RewriteResult:
        """Put back the clipboard the last rewrite replaced, byte-exact."""
        entry = self.history.pop() if self.clipboard is not None else None
        if entry is None:
            self.notifier.notify("Nothing to undo")
            return RewriteResult("undo", False, message="nothing to undo", status=ExitStatus.INPUT)
        try:
            self.clipboard.restore(entry.snapshot)
        except SaysoError as err:
            self.history.push(entry)
            return self._fail("undo", err, time.monotonic())
        self.notifier.notify(f"Clipboard restored (undid '{entry.action}')")
        return RewriteResult("undo", True, message=f"undid '{entry.action}'", wrote_clipboard=True)

    def status(self) -> dict:
        """For ``sayso ctl status``: no user text."""
        llama = self.engines._engines.get("llama")
        return {
            "state": "rewriting" if self._cancel is not None else "idle",
            "undo": len(self.history),
            "engine": self.cfg.engine,
            "model_loaded": bool(getattr(llama, "loaded", False)),
        }

    def close(self) -> None:
        self.engines.close()

    # --- the transaction ---------------------------------------------------------
    def _run_text(self, act: Action, text: str, engine: Optional[str]) -> RewriteResult:
        self.check_input(text, "text")
        return self.transform(act, text, engine)

    def _run_clipboard(self, act: Action, engine: Optional[str]) -> RewriteResult:
        source = self.clipboard.read_text()
        self.check_input(source, "clipboard")
        result = self.transform(act, source, engine)
        if self.settled(act, result):
            return result
        self._write(act, source, result)
        return result

    def settled(self, act: Action, result: RewriteResult) -> bool:
        """An explanation is delivered, an unchanged text noted: nothing to write."""
        if act.explains:
            self.deliver_explanation(result)
            return True
        if not result.changed:
            result.message = "no changes needed"
            self.notifier.notify(f"No changes needed ({act.name})")
            return True
        return False

    def check_input(self, text: str, what: str) -> None:
        if not text:
            raise InputError(f"the {what} is empty")
        if not text.strip():
            raise InputError(f"the {what} holds only whitespace")
        if len(text) > self.cfg.max_chars:
            raise InputError(
                f"the {what} holds {len(text):,} characters, more than rewrite.max_chars ({self.cfg.max_chars:,})"
            )

    def transform(self, act: Action, text: str, engine: Optional[str]) -> RewriteResult:
        """Engine (in a worker, with timeout and cancel) then guards."""
        chosen = self.engines.choose(act, text, engine)
        raw = self._call_engine(chosen, act, text)
        checked = guard(act, text, raw.text, trusted=raw.trusted)
        if checked.cleaned:
            _LOGGER.debug("Guards cleaned: %s", ", ".join(checked.cleaned))
        diff = "" if act.explains else word_diff(text, checked.text)
        changed = checked.changed and not act.explains
        return RewriteResult(act.name, True, checked.text, text, raw.engine, changed, diff=diff)

    def _call_engine(self, engine, act: Action, text: str) -> EngineResult:
        cancel = self._cancel or threading.Event()
        box: dict = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["result"] = engine.rewrite(act, text, cancel, act.timeout_s)
            except BaseException as err:  # handed to the caller
                box["error"] = err
            finally:
                done.set()

        threading.Thread(target=work, name=f"rewrite-{act.name}", daemon=True).start()
        deadline = time.monotonic() + act.timeout_s
        while not done.wait(0.05):
            if cancel.is_set():
                raise CancelledError("rewrite cancelled; the clipboard was not changed")
            if time.monotonic() > deadline:
                cancel.set()
                raise EngineError(f"'{act.name}' took longer than {act.timeout_s:g} s; the clipboard was not changed")
        if cancel.is_set():
            raise CancelledError("rewrite cancelled; the clipboard was not changed")
        if "error" in box:
            err = box["error"]
            if isinstance(err, SaysoError):
                raise err
            _LOGGER.debug("Engine %s failed", engine.name, exc_info=err)
            raise EngineError(f"the {engine.name} engine failed: {type(err).__name__}: {first_line(err)[:120]}")
        return box["result"]

    def _write(self, act: Action, source: str, result: RewriteResult) -> None:
        snap = self.clipboard.snapshot()
        if not _snapshot_is(snap, source):
            raise ClipboardError("the clipboard changed during the rewrite; the result was discarded")
        self.clipboard.write_text(result.text)
        self.history.push(UndoEntry(snap, act.name, result.text))
        result.wrote_clipboard = True
        result.message = f"rewrote the clipboard ({act.name}, {result.engine})"
        self.notifier.notify(f"Clipboard rewritten: {act.name}", result.diff)

    def deliver_explanation(self, result: RewriteResult) -> None:
        via = self.cfg.explain_via
        if via in ("speak", "both") and self.speak is not None:
            try:
                self.speak(result.text)
            except SaysoError as err:
                _LOGGER.warning("Could not speak the explanation: %s", err)
                via = "notify"
        if via in ("notify", "both") or self.speak is None:
            self.notifier.notify("Explanation", result.text)
        result.message = "explained (the clipboard was not changed)"

    def _fail(self, action: str, err: SaysoError, started: float) -> RewriteResult:
        message = first_line(err)
        urgency = "low" if isinstance(err, CancelledError) else "normal"
        self.notifier.notify(f"Rewrite {action}: {message}", urgency=urgency)
        _LOGGER.debug("Rewrite %s failed: %s", action, message)
        return RewriteResult(action, False, message=message, elapsed=time.monotonic() - started,
                             status=int(getattr(err, "exit_status", ExitStatus.ERROR)))  # fmt: skip


def _snapshot_is(snap, text: str) -> bool:
    """Does the snapshot still hold *text* (i.e. nobody copied meanwhile)?"""
    data = getattr(snap, "data", b"")
    try:
        return data.decode("utf-8") == text
    except UnicodeDecodeError:
        return False
