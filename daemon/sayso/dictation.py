"""The dictation pipeline: trigger -> record -> transcribe -> compose -> insert.

Hotkey callbacks only flip state; the slow work runs on one worker thread so
the key listener never blocks.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from .audio import SAMPLE_RATE, Recorder, Recording
from .config import Config
from .errors import ModelError, SaysoError
from .history import History
from .memory import release_freed_memory
from .notify import Notifier
from .output import Output
from .postprocess import Composer, Edit
from .vad import ends_in_speech

_LOGGER = logging.getLogger(__name__)


@dataclass
class DictationResult:
    text: str  # what was inserted ("" when nothing)
    status: str  # typed | empty | too_short | cancelled | failed
    method: str = ""
    error: str = ""


@dataclass
class _Live:
    """dictate.live: one recording's finished phrases."""

    pending: list = field(default_factory=list)  # not typed yet
    typed: int = 0  # phrases typed while recording


class ModelSlot:
    """A model loaded in the background; ``get()`` waits for it."""

    def __init__(self, loader: Callable[[], object], name: str) -> None:
        self.name = name
        self._future: concurrent.futures.Future = concurrent.futures.Future()
        threading.Thread(target=self._load, args=(loader,), daemon=True, name=f"load-{name}").start()

    def _load(self, loader) -> None:
        try:
            self._future.set_result(loader())
            release_freed_memory()  # loading and warming left freed buffers behind
        except BaseException as err:  # reported by get()
            self._future.set_exception(err)
            _LOGGER.error("%s", err if isinstance(err, SaysoError) else f"cannot load the {self.name}: {err}")

    @property
    def ready(self) -> bool:
        return self._future.done() and self._future.exception() is None

    def get(self, timeout: Optional[float] = None):
        try:
            return self._future.result(timeout)
        except SaysoError:
            raise
        except concurrent.futures.TimeoutError:
            raise ModelError(f"the {self.name} is still loading") from None
        except Exception as err:
            raise ModelError(f"cannot load the {self.name}: {err}") from None


class Dictation:
    def __init__(self, config: Config, recorder: Recorder, model: ModelSlot, output: Output,
                 notifier: Notifier, history: History, streamer=None) -> None:
        self.config = config
        self.recorder = recorder
        self.model = model
        self.output = output
        self.notifier = notifier
        self.history = history
        self.streamer = streamer
        self.composer = Composer(config.dictate)
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dictate")
        self._state_lock = threading.Lock()
        self._pending = 0  # recordings handed to the worker, not finished yet
        self._live = _Live()  # dictate.live: the recording's finished phrases
        self._token: Optional[object] = None  # the streamer's name for the recording
        if streamer is not None and config.dictate.live:
            streamer.on_stable_text = self._on_stable_text
        self.on_result: Optional[Callable[[DictationResult], None]] = None
        self.last_error = ""

    @property
    def recording(self) -> bool:
        return self.recorder.recording

    def start(self) -> None:
        with self._state_lock:
            if self.recorder.recording:
                return
            try:
                self._live = _Live()
                if self.streamer is not None:
                    self._token = self.streamer.begin()
                self.notifier.cue("start")
                self.recorder.start()
            except SaysoError as err:
                self._fail(str(err))
                return
        _LOGGER.info("Recording")

    def stop(self) -> concurrent.futures.Future:
        with self._state_lock:
            if not self.recorder.recording:
                return _done(DictationResult("", "idle"))
            rec = self.recorder.stop()
            self._pending += 1
            token, live = self._token, self._live
        self.notifier.cue("stop")
        _LOGGER.info("Recording stopped (%.1f s)", rec.seconds)
        return self._worker.submit(self._finish, rec, token, live)

    def cancel(self) -> None:
        with self._state_lock:
            if not self.recorder.recording:
                return
            self.recorder.cancel()
            if self.streamer is not None:
                self.streamer.abort()
            self._live = _Live()
        _LOGGER.info("Dictation cancelled")
        self._report(DictationResult("", "cancelled"))

    @property
    def busy(self) -> bool:
        """A recording is being transcribed or typed."""
        return self._pending > 0

    def _finish(self, rec: Recording, token: Optional[object], live: "_Live") -> DictationResult:
        try:
            result = self._process(rec, token, live)
        except SaysoError as err:
            result = self._fail(str(err))
        except Exception as err:  # keep the daemon alive; details with --debug
            _LOGGER.debug("Dictation failed", exc_info=True)
            result = self._fail(f"internal error: {err}")
        finally:
            self.recorder.drop_tail(rec)  # (a no-op once taken)
            with self._state_lock:
                self._pending -= 1
        self._report(result)
        release_freed_memory()  # after the text is out: the transcription's buffers
        return result

    def _process(self, rec: Recording, token: Optional[object], live: "_Live") -> DictationResult:
        if rec.truncated:
            self.notifier.notify(f"Recording stopped at the {self.config.audio.max_seconds:.0f} s limit")
        if rec.held_seconds < self.config.audio.min_seconds:
            self.recorder.drop_tail(rec)
            if self.streamer is not None:
                self.streamer.abort()
            _LOGGER.info("Recording too short (%.2f s): ignored", rec.held_seconds)
            return DictationResult("", "too_short")
        rec = self._with_tail(rec)
        if self.streamer is not None and self.config.dictate.live:
            text = self._live_rest(live, self.streamer.finish_live(rec.audio, token).text)
        elif self.streamer is not None:
            text = self.streamer.finish(rec.audio, token).text
        else:
            text = self.model.get().transcribe(rec.audio).text
        if not text.strip() and live.typed:
            _LOGGER.info("All of it was typed while recording")
            return DictationResult("", "typed", "live")
        if not text.strip():
            _LOGGER.info("No speech heard")
            self.notifier.notify("Nothing heard", urgency="low")
            return DictationResult("", "empty")
        _LOGGER.debug("Transcript: %s", text)
        return self.deliver(text)

    # --- live mode: finished phrases typed while the recording goes on -------
    def _on_stable_text(self, text: str) -> None:
        """A phrase the streamer will not change (its worker thread)."""
        with self._state_lock:
            self._live.pending.append(text)
            recording = self.recorder.recording
        if recording:
            self._worker.submit(self._type_live)

    def _type_live(self) -> None:
        """Type the finished phrases now, unless a key is down (a held
        push-to-talk chord would turn them into shortcuts): those wait for
        the release.  Only where key state is known (X11)."""
        if self.output.keys_held() is not False:
            return
        with self._state_lock:
            if not self.recorder.recording:
                return
            live = self._live
            text = " ".join(live.pending)
            live.pending.clear()
        if text.strip():
            _LOGGER.debug("Live: %s", text)
            if self.deliver(text).status == "typed":
                live.typed += 1

    def _live_rest(self, live: "_Live", fresh: str) -> str:
        """At the release: the recording's phrases not typed yet, then the rest."""
        with self._state_lock:
            held = list(live.pending)
            live.pending.clear()
        return " ".join(t for t in held + [fresh] if t.strip())

    def _with_tail(self, rec: Recording) -> Recording:
        """Add the audio between the last block and the key release, which
        comes with the next block, when it may hold the end of a word; after
        a pause it is not waited for."""
        try:
            speaking = ends_in_speech(rec.audio)
        except Exception as err:  # no VAD model: wait, to lose nothing
            _LOGGER.debug("End-of-speech check failed: %s", err)
            speaking = True
        if not speaking:
            self.recorder.drop_tail(rec)
            return rec
        tail = self.recorder.take_tail(rec)
        _LOGGER.debug("Speech at the release: %d ms more from the block in flight", len(tail) * 1000 // SAMPLE_RATE)
        return rec.extended(tail)

    def deliver(self, text: str) -> DictationResult:
        """Compose *text* and insert it; keep it if it cannot be inserted."""
        edit: Edit = self.composer.compose(text, self.output.context())
        if edit.empty:
            return DictationResult("", "empty")
        try:
            method = self.output.insert(edit)
        except SaysoError as err:
            self.history.add(edit.text.strip(), delivered=False, error=str(err))
            _LOGGER.error("%s", err)
            _LOGGER.info("The dictated text (%d characters) is kept: see 'sayso history'", len(edit.text))
            self.notifier.cue("error")
            self.notifier.notify("Dictation could not be typed", "The text is kept: run 'sayso history'.", urgency="critical")
            self.last_error = str(err)
            return DictationResult("", "failed", error=str(err))
        self.composer.committed(edit)
        self.history.add(edit.text.strip(), delivered=True, method=method)
        _LOGGER.info("Inserted %d characters (%s)", len(edit.text), method)
        return DictationResult(edit.text, "typed", method)

    def _fail(self, message: str) -> DictationResult:
        _LOGGER.error("%s", message)
        self.last_error = message
        self.notifier.cue("error")
        self.notifier.notify("Dictation failed", message, urgency="critical")
        return DictationResult("", "failed", error=message)

    def _report(self, result: DictationResult) -> None:
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                _LOGGER.debug("on_result callback failed", exc_info=True)

    def shutdown(self) -> None:
        self.cancel()
        self._worker.shutdown(wait=False, cancel_futures=True)


def _done(value) -> concurrent.futures.Future:
    fut: concurrent.futures.Future = concurrent.futures.Future()
    fut.set_result(value)
    return fut
