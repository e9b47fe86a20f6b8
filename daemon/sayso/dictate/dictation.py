"""The dictation pipeline: trigger -> record -> transcribe -> compose -> insert.

Hotkey callbacks only flip state; the slow work runs on one worker thread so
the key listener never blocks.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Callable, Optional

from ..audio.capture import SAMPLE_RATE, Recorder, Recording
from ..audio.vad import ends_in_speech
from ..core.chords import parse_binding
from ..core.errors import RemoteError, SaysoError, first_line
from ..core.memory import release_freed_memory
from ..core.states import DictationStatus
from ..desktop.notify import Notifier
from ..desktop.output import Output
from .chunks import transcribe_dictation
from .cleanup import Cleaned, Fixer, ModelCleaner, clean
from .history import History
from .postprocess import Composer, Edit
from .slots import DictationResult, DictationSettings, ModelSlot, RemoteStt, _done  # noqa: F401  (re-exported)

_LOGGER = logging.getLogger(__name__)


@dataclass
class _Take:
    """One recording's text in the window.  It may be shown in steps: the
    streamer's stable words (while recording in live mode, at once at the
    release), then the final text; each step types only the difference
    from what is shown, erasing what the final text corrects."""

    shown: Optional[str] = None  # the composed text typed so far (None: nothing yet)
    delete: int = 0  # characters of the previous dictation it erased ("scratch that")
    context: Optional[object] = None  # the window it is typed into
    place: Optional[object] = None  # the window focused at the key release, where it belongs
    cleaned: Optional[Cleaned] = None  # dictate.cleanup's texts (raw and typed)
    cleanup: str = ""  # this dictation's cleanup mode, from its key ("" = dictate.cleanup)
    method: str = ""
    error: str = ""  # once set, nothing more is typed; the final text is kept instead
    corrected: int = 0  # characters erased to correct what was shown early
    watch: Optional[object] = None  # notices the user's key presses between steps (x11.KeyWatch)
    lock: threading.Lock = field(default_factory=threading.Lock)  # steps come from two threads


class Dictation:
    def __init__(
        self,
        settings: DictationSettings,
        recorder: Recorder,
        model: ModelSlot,
        output: Output,
        notifier: Notifier,
        history: History,
        streamer=None,
        remote: Optional[RemoteStt] = None,
    ) -> None:
        self.dictate, self.audio = settings.dictate, settings.audio
        self.recorder = recorder
        self.model = model
        self.output = output
        self.notifier = notifier
        self.history = history
        self.streamer = streamer
        self.remote = remote
        self.composer = Composer(settings.dictate)
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dictate")
        self._state_lock = threading.Lock()
        self._pending = 0  # recordings handed to the worker, not finished yet
        self._take = _Take()  # the recording's text on its way out
        self._token: Optional[object] = None  # the streamer's name for the recording
        if streamer is not None and settings.dictate.live:
            streamer.on_stable_text = self._on_stable_text
        self.on_result: Optional[Callable[[DictationResult], None]] = None
        self.on_change: Optional[Callable[[str], None]] = None  # state may have changed (arg: an error)
        self.last_error = ""
        self.last_recording: Optional[Recording] = None  # in RAM only, replaced by the next
        self._hotkey_keys = _binding_keys(settings.hotkey)  # pressing them is not typing
        self.vocabulary = settings.vocabulary
        self.cleaner: Optional[ModelCleaner] = None  # dictate.cleanup = "model": set by the app
        self.fixer: Optional[Fixer] = None  # dictate.cleanup's Harper step: set by the app
        self._last_cleaned: Optional[tuple] = None  # (typed, raw as typed, window) of the last cleaned dictation

    @property
    def recording(self) -> bool:
        return self.recorder.recording

    def start(self, cleanup: str = "") -> None:
        """Start recording; *cleanup* ("off", "rules", "model") overrides dictate.cleanup for this one."""
        with self._state_lock:
            if self.recorder.recording:
                return
            try:
                self._take = _Take(cleanup=cleanup)
                if self.streamer is not None:
                    self._token = self.streamer.begin()
                self.notifier.cue("start")
                self.recorder.start()
            except SaysoError as err:
                self._changed(self._fail(str(err)).error)
                return
        _LOGGER.info("Recording")
        self._changed()

    def stop(self) -> concurrent.futures.Future:
        with self._state_lock:
            if not self.recorder.recording:
                return _done(DictationResult("", DictationStatus.IDLE))
            rec = self.recorder.stop()
            self._pending += 1
            token, take = self._token, self._take
            take.place = self.output.context()
        self.notifier.cue("stop")
        _LOGGER.info("Recording stopped (%.1f s)", rec.seconds)
        future = self._worker.submit(self._finish, rec, token, take)
        self._changed()
        return future

    def cancel(self) -> None:
        with self._state_lock:
            if not self.recorder.recording:
                return
            self.recorder.cancel()
            if self.streamer is not None:
                self.streamer.abort()
            self._take = _Take()
        _LOGGER.info("Dictation cancelled")
        self._report(DictationResult("", DictationStatus.CANCELLED))
        self._changed()

    @property
    def busy(self) -> bool:
        """A recording is being transcribed or typed."""
        return self._pending > 0

    def _finish(self, rec: Recording, token: Optional[object], take: _Take) -> DictationResult:
        try:
            return self._guarded(self._process, rec, token, take)
        finally:
            self.recorder.drop_tail(rec)  # (a no-op once taken)

    def _guarded(self, work: Callable[..., DictationResult], *args) -> DictationResult:
        """Run *work* on the worker: errors become a failed result, the end is reported."""
        try:
            result = work(*args)
        except SaysoError as err:
            result = self._fail(str(err))
        except Exception as err:  # keep the daemon alive; details with --debug
            _LOGGER.debug("Dictation failed", exc_info=True)
            result = self._fail(f"internal error: {err}")
        finally:
            with self._state_lock:
                self._pending -= 1
        release_freed_memory()  # the transcription's buffers, before the dictation is reported done
        if result.status == "typed":
            _LOGGER.info("Inserted %d characters (%s)", len(result.text), result.method)
        self._report(result)
        self._changed(result.error if result.status == "failed" else "")
        return result

    def _process(self, rec: Recording, token: Optional[object], take: _Take) -> DictationResult:
        if rec.truncated:
            self.notifier.notify(f"Recording stopped at the {self.audio.max_seconds:.0f} s limit")
        if rec.held_seconds < self.audio.min_seconds:
            self.recorder.drop_tail(rec)
            if self.streamer is not None:
                self.streamer.abort()
            _LOGGER.info("Recording too short (%.2f s): ignored", rec.held_seconds)
            return DictationResult("", DictationStatus.TOO_SHORT)
        mode = take.cleanup or self.dictate.cleanup
        cleanup = mode != "off"
        if self.streamer is not None and self.dictate.instant and self.output.can_watch_keys and not cleanup:
            self._show(take, self.streamer.stable_text(token), final=False)  # the chunks already final, at once
        rec = self._with_tail(rec)
        self.last_recording = rec
        if self.streamer is not None:
            text = self._finish_stream(rec, token)
            if text is None:
                return self._kept(take)
        else:
            text = transcribe_dictation(self.model.get(), rec.audio).text
        if not text.strip() and take.shown is None:
            _LOGGER.info("No speech heard")
            self.notifier.notify("Nothing heard", urgency="low")
            return DictationResult("", DictationStatus.EMPTY)
        _LOGGER.debug("Transcript: %s", text)
        if cleanup:
            take.cleaned = clean(text, mode, self.vocabulary, tuple(self.dictate.fillers), self.cleaner, self.fixer)
            text = take.cleaned.text
        before = take.shown
        self._show(take, text, final=True)
        if take.shown == before and before:
            _LOGGER.info("All of it was typed while recording")
        return self._conclude(take, text)

    # --- a remote engine's faults; retries ----------------------------------------
    def _finish_stream(self, rec: Recording, token: Optional[object]) -> Optional[str]:
        """The streamer's text at the release.  When a remote engine fails: the
        local engine's text (``stt.fallback = "local"``), or None once the
        recording is kept for ``sayso ctl dictate retry``."""
        if self.remote is None:
            return self.streamer.finish(rec.audio, token).text
        try:
            return self.streamer.finish(rec.audio, token).text
        except Exception as err:  # whatever went wrong over there, the recording is still here
            _LOGGER.debug("The remote speech engine failed", exc_info=True)
            return self._remote_failed(rec.audio, first_line(err))

    def _remote_failed(self, audio, message: str) -> Optional[str]:
        if self.remote.fallback == "local":
            _LOGGER.warning("%s: transcribing here instead", message)
            self.notifier.notify("Speech server unavailable: transcribed here", message, urgency="normal")
            return transcribe_dictation(self.model.get(), audio).text
        _LOGGER.warning("%s: the recording is kept ('sayso ctl dictate retry' sends it again)", message)
        try:
            self.history.keep_recording(audio, message)
        except OSError as err:  # no file: it stays in memory (last_recording) for the retry
            _LOGGER.error("Cannot save the recording: %s", err.strerror or err)
            self.history.add("", delivered=False, error=message)
        self.notifier.cue("error")
        self.notifier.notify(
            "Speech server unavailable: recording kept",
            "Run 'sayso ctl dictate retry' to send it again.",
            urgency="critical",
        )
        self.last_error = message
        return None

    def _kept(self, take: _Take) -> DictationResult:
        if take.watch is not None:
            take.watch.stop()
        return DictationResult(
            take.shown or "",
            DictationStatus.FAILED,
            take.method,
            error=f"{self.last_error}; the recording is kept: sayso ctl dictate retry",
        )

    def retry(self, when: Optional[float] = None) -> concurrent.futures.Future:
        """Transcribe the newest kept recording again (``sayso ctl dictate retry``), or the one kept
        at *when* (``retry TIME``: the History page's selected entry), and type it."""
        entry = self.history.pending_recording(when)
        if entry is None:
            which = "no kept recording" if when is None else "no kept recording at that time"
            raise SaysoError(f"{which} to retry (see 'sayso history')")
        with self._state_lock:
            self._pending += 1
        return self._worker.submit(self._guarded, self._retry, entry)

    def _retry(self, entry: dict) -> DictationResult:
        from .engines.faster_whisper import load_audio_file

        audio = load_audio_file(entry["audio"])
        try:
            if self.remote is not None:
                text = self.remote.engine.transcribe(audio).text
            else:
                text = transcribe_dictation(self.model.get(), audio).text
        except RemoteError as err:
            message = first_line(err)
            _LOGGER.warning("%s: the recording is still kept", message)
            self.notifier.notify("Speech server unavailable: recording still kept", message, urgency="critical")
            return DictationResult("", DictationStatus.FAILED, error=f"{message}; the recording is still kept")
        self.history.resolve_recording(entry)
        if not text.strip():
            self.notifier.notify("Nothing heard in the kept recording", urgency="low")
            return DictationResult("", DictationStatus.EMPTY)
        take = _Take()
        self._show(take, text, final=True)
        return self._conclude(take, text)

    # --- the text in the window, step by step ------------------------------------
    def _on_stable_text(self, text: str) -> None:
        """The recording's stable words grew (the streamer's thread; live mode)."""
        with self._state_lock:
            take, recording = self._take, self.recorder.recording
        if recording:
            self._worker.submit(self._type_live, take, text)

    def _type_live(self, take: _Take, text: str) -> None:
        """Show the stable words now, unless a key is down (a held
        push-to-talk chord would turn them into shortcuts): they wait for
        the release.  Only where key state is known (X11)."""
        if self.output.keys_held() is not False:
            return
        with self._state_lock:
            if not self.recorder.recording or take is not self._take:
                return
        self._show(take, text, final=False)

    def _show(self, take: _Take, text: str, final: bool) -> None:
        """Make the window show *text* as this dictation: type what differs
        from what is shown, after erasing what no longer matches.  Until
        the *final* step a key watch runs: once the user has pressed a key,
        nothing more is typed (the final text is kept instead)."""
        if not text.strip() and take.shown is None:
            return
        with take.lock:
            if take.error:
                return
            context = self.output.context()
            edit = self.composer.draft(text, context)
            before = self.composer.last(context)  # the previous dictation, which "scratch that" erases
            now = (before if not take.delete else "") + (take.shown or "")
            wanted = (before if not edit.delete else "") + edit.text
            same = len(os.path.commonprefix([now, wanted]))
            step = Edit(len(now) - same, wanted[same:])
            if take.shown is not None and not step.empty:
                take.error = self._interrupted(take, context)
            elif take.shown is None and take.place is not None and context != take.place:
                take.error = "the focus moved to another window before the text was typed"
            if take.error or step.empty:
                return
            if take.watch is not None:
                take.watch.stop()
            try:
                take.method = self.output.insert(step)
            except SaysoError as err:
                take.error = str(err)
                return
            if take.shown is None:
                take.context = context
            take.corrected += step.delete if take.shown is not None else 0
            take.delete, take.shown = edit.delete, edit.text
            take.watch = None if final else self.output.watch_keys(self._hotkey_keys)
        _LOGGER.debug("Typed %d characters after erasing %d (%s)", len(step.text), step.delete, take.method)

    def _interrupted(self, take: _Take, context: Optional[object]) -> str:
        """Why the window can no longer be trusted to hold what was typed ("" if it can)."""
        if context != take.context:
            return "the focus moved to another window during the dictation"
        if take.watch is None:
            return "cannot tell whether a key was pressed during the dictation"
        if take.watch.stop():
            return "a key was pressed while the dictation was finishing"
        return ""

    def _conclude(self, take: _Take, final: str) -> DictationResult:
        """Remember the dictation; if it could not be typed, keep its text."""
        if take.watch is not None:
            take.watch.stop()
        if take.corrected:
            _LOGGER.info("Corrected %d characters of the early text", take.corrected)
        if not take.error:
            if take.shown is None:
                return DictationResult("", DictationStatus.EMPTY)
            self._remember_cleaned(take)
            self.composer.committed(Edit(take.delete, take.shown), take.context)
            raw = take.cleaned.raw.strip() if take.cleaned is not None else ""
            self.history.add(take.shown.strip(), delivered=True, method=take.method, raw=raw)
            return DictationResult(take.shown, DictationStatus.TYPED, take.method)
        raw = take.cleaned.raw.strip() if take.cleaned is not None else ""
        self.history.add(final.strip(), delivered=False, error=take.error, raw=raw)
        if take.shown:  # part of it reached the window: later dictations space after it
            self.composer.committed(Edit(take.delete, take.shown), take.context)
        _LOGGER.error("%s", take.error)
        _LOGGER.info("The dictated text (%d characters) is kept: see 'sayso history'", len(final))
        self.notifier.cue("error")
        self.notifier.notify(
            "Dictation could not be typed", "The text is kept: run 'sayso history'.", urgency="critical"
        )
        self.last_error = take.error
        return DictationResult(take.shown or "", DictationStatus.FAILED, take.method, error=take.error)

    # --- dictate.cleanup: the raw transcript back ("sayso ctl dictate raw") --------
    def _remember_cleaned(self, take: _Take) -> None:
        """Before the dictation is committed: how its raw transcript would have been typed."""
        self._last_cleaned = None
        if take.cleaned is not None and take.cleaned.changed and take.shown:
            raw = self.composer.draft(take.cleaned.raw, take.context).text
            self._last_cleaned = (take.shown, raw, take.context)

    def raw(self) -> concurrent.futures.Future:
        """Replace the last cleaned dictation with its raw transcript, in place."""
        with self._state_lock:
            self._pending += 1
        return self._worker.submit(self._guarded, self._put_raw)

    def _put_raw(self) -> DictationResult:
        last, self._last_cleaned = self._last_cleaned, None
        if last is None:
            raise SaysoError("no cleaned dictation to put back (dictate.cleanup changed nothing)")
        typed, raw, context = last
        if self.output.context() != context or self.composer.last(context) != typed:
            raise SaysoError("the cleaned dictation is no longer the last text here; nothing changed")
        edit = Edit(len(typed), raw)
        method = self.output.insert(edit)
        self.composer.committed(edit, context)
        _LOGGER.info("Put back the raw transcript (%d characters)", len(raw))
        return DictationResult(raw, DictationStatus.TYPED, method)

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

    def _fail(self, message: str) -> DictationResult:
        _LOGGER.error("%s", message)
        self.last_error = message
        self.notifier.cue("error")
        self.notifier.notify("Dictation failed", message, urgency="critical")
        return DictationResult("", DictationStatus.FAILED, error=message)

    def _report(self, result: DictationResult) -> None:
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                _LOGGER.debug("on_result callback failed", exc_info=True)

    def _changed(self, error: str = "") -> None:
        if self.on_change is not None:
            try:
                self.on_change(error)
            except Exception:
                _LOGGER.debug("on_change callback failed", exc_info=True)

    def shutdown(self) -> None:
        self.cancel()
        self._worker.shutdown(wait=False, cancel_futures=True)
        if self.remote is not None:
            self.remote.engine.close()  # its session (the streamer) too: the engine owns the connections


def _binding_keys(text: str) -> list:
    try:
        binding = parse_binding(text)
    except ValueError:
        return []
    return [binding.key, *binding.modifiers]
