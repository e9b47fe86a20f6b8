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
from .meaning import MeaningCheck, MeaningRejected, Thresholds
from .selection import force_selection, replace_selection

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
    log_message: str = ""  # the message without the user's text, for the log ("" = message)


@dataclass
class RefusedRewrite:
    """The last rewrite the meaning check refused: ``force_last`` may still write it, once."""

    action: Action
    source: str
    text: str
    engine: str
    diff: str


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
    vocabulary: tuple = ()  # stt.vocabulary: terms a rewrite must keep

    @classmethod
    def of(cls, config: Config) -> RewriteSettings:
        return cls(config.rewrite, config.output.restore_delay_ms, tuple(config.stt.vocabulary))


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
        self.meaning = MeaningCheck(_thresholds(self.cfg), settings.vocabulary)
        self.refused: Optional[RefusedRewrite] = None
        self._busy = threading.Lock()
        self._cancel: Optional[threading.Event] = None
        self._force = False

    # --- public API ------------------------------------------------------------
    def run(self, action: str, text: Optional[str] = None, *, engine: Optional[str] = None,
            language: Optional[str] = None, force: bool = False) -> RewriteResult:  # fmt: skip
        """Rewrite *text*, or the clipboard when *text* is None; never raises SaysoError.

        *force* writes a rewrite the meaning check refuses (``sayso rewrite --force``).
        """
        started = time.monotonic()
        if not self._busy.acquire(blocking=False):
            return self._fail(action, InputError("a rewrite is already running"), started)
        self._cancel = threading.Event()
        self._force = force
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
            self._force = False
            self._busy.release()
        result.elapsed = time.monotonic() - started
        state = "changed" if result.changed else "unchanged"
        _LOGGER.info("Rewrite %s by %s: %s (%d -> %d chars, %.2f s)", action, result.engine or "-", state,
                     len(result.original), len(result.text), result.elapsed)  # fmt: skip
        return result

    def force_last(self) -> RewriteResult:
        """Write the rewrite the meaning check refused last, once, if its source is still there."""
        started = time.monotonic()
        refused, self.refused = self.refused, None
        if refused is None:
            self.notifier.notify("No refused rewrite to force")
            return RewriteResult("force-last", False, message="no refused rewrite to force", status=ExitStatus.INPUT)
        if not self._busy.acquire(blocking=False):
            self.refused = refused
            return self._fail("force-last", InputError("a rewrite is already running"), started)
        result = RewriteResult(refused.action.name, True, refused.text, refused.source, refused.engine, True,
                               diff=refused.diff)  # fmt: skip
        try:
            if self.clipboard is None:
                raise ClipboardError("no clipboard is available (install xclip or wl-clipboard)")
            if self.cfg.replace_selection and self.copy_selection and self.paste:
                force_selection(self, refused, result)
            else:
                self._write(refused.action, refused.source, result)
        except SaysoError as err:
            return self._fail("force-last", err, started)
        finally:
            self._busy.release()
        result.message += " (forced past the meaning check)"
        result.elapsed = time.monotonic() - started
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

    def accept(self, action: str, original: str, text: str) -> RewriteResult:
        """A rewrite the person previewed and accepted (the settings window's Rewrite with reasons):
        written to the clipboard as :meth:`run` writes one (a snapshot first, an undo entry), so
        :meth:`undo` puts the clipboard back byte-exact."""
        started = time.monotonic()
        if not self._busy.acquire(blocking=False):
            return self._fail(action, InputError("a rewrite is already running"), started)
        try:
            if self.clipboard is None:
                raise ClipboardError("no clipboard is available (install xclip or wl-clipboard)")
            self.check_input(text, "accepted text")
            snap = self.clipboard.snapshot()
            self.clipboard.write_text(text)
            self.history.push(UndoEntry(snap, action, text))
        except SaysoError as err:
            return self._fail(action, err, started)
        finally:
            self._busy.release()
        diff = word_diff(original, text)
        self.notifier.notify(f"Clipboard rewritten: {action}", diff)
        return RewriteResult(
            action, True, text, original, "preview", text != original, True,
            f"wrote the accepted {action} to the clipboard", diff, time.monotonic() - started,
        )  # fmt: skip

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

    def transform(self, act: Action, text: str, engine: Optional[str], force: bool = False) -> RewriteResult:
        """Engine (in a worker, with timeout and cancel), then the guards and the meaning check."""
        chosen = self.engines.choose(act, text, engine)
        prepared = self._prepare_meaning(chosen, act, text)
        raw = self._call_engine(chosen, act, text)
        checked = guard(act, text, raw.text, trusted=raw.trusted)
        if checked.cleaned:
            _LOGGER.debug("Guards cleaned: %s", ", ".join(checked.cleaned))
        diff = "" if act.explains else word_diff(text, checked.text)
        changed = checked.changed and not act.explains
        if changed and not raw.trusted and self.cfg.meaning_check:
            try:
                self.meaning.check(act, text, checked.text, prepared.get("vectors") if prepared else None)
            except MeaningRejected as err:
                if not (force or self._force):
                    self.refused = RefusedRewrite(act, text, checked.text, raw.engine, diff)
                    raise MeaningRejected(
                        f"{err}; nothing was changed ('sayso ctl rewrite --force-last' uses it anyway)", err.public
                    ) from None
                _LOGGER.info("Meaning check overridden (--force): %s", err.public)
        return RewriteResult(act.name, True, checked.text, text, raw.engine, changed, diff=diff)

    def _prepare_meaning(self, engine, act: Action, text: str) -> Optional[dict]:
        """Embed the source in a thread while the model writes (only for model engines)."""
        if not self.cfg.meaning_check or engine.name == "harper" or not self.meaning.applies(act):
            return None
        box: dict = {}

        def work() -> None:
            box["vectors"] = self.meaning.prepare(act, text)

        worker = threading.Thread(target=work, name="rewrite-meaning", daemon=True)
        worker.start()
        box["thread"] = worker
        return _Prepared(box)

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
        public = getattr(err, "public", "")  # the meaning check's reason quotes the text: not in the log
        self.notifier.notify(
            f"Rewrite {action}: {message}", urgency=urgency, log_as=public and f"Rewrite {action}: {public}"
        )
        _LOGGER.debug("Rewrite %s failed: %s", action, message)
        return RewriteResult(action, False, message=message, elapsed=time.monotonic() - started,
                             status=int(getattr(err, "exit_status", ExitStatus.ERROR)),
                             log_message=getattr(err, "public", ""))  # fmt: skip


class _Prepared(dict):
    """The source's vectors, waited for on first read."""

    def get(self, key, default=None):
        thread = super().get("thread")
        if thread is not None:
            thread.join()
        return super().get(key, default)


def _thresholds(cfg: RewriteConfig) -> dict:
    """rewrite.actions.NAME.similarity -> Thresholds per action."""
    return {name: Thresholds(*over.similarity) for name, over in cfg.actions.items() if over.similarity}


def _snapshot_is(snap, text: str) -> bool:
    """Does the snapshot still hold *text* (i.e. nobody copied meanwhile)?"""
    data = getattr(snap, "data", b"")
    try:
        return data.decode("utf-8") == text
    except UnicodeDecodeError:
        return False
