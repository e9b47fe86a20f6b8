"""Streaming dictation: have the final text ready when the speaker stops.

The transcript of a recording is one function of its audio
(:mod:`sayso.dictate.chunks`): chunks cut at real pauses, the last one
ending at the end of speech, each transcribed once with the text before it
as the prompt.  While the key is held, the worker thread transcribes, in
order:

* each chunk as soon as its cut is known (a pause of ``pause_s`` after
  ``min_s`` of audio): its text is final;
* the last chunk as soon as the speaker stops (``pause_after_s`` of
  silence after the end of speech has been heard): if nothing more is
  said, this pass *is* the final text, and the release only joins what is
  there.

A pass whose chunk, audio and prompt were transcribed before is not run
again (the passes are cached by what their text depends on), and no pass
runs while the speech goes on: the CPU works at pauses, once per pause.

At the release :meth:`StreamingTranscriber.finish` plans the whole
recording and transcribes only what no pass has covered: nothing when the
key went up after a pause, the last chunk when it went up mid-word.  Each
recording has its own session, so a press while the previous dictation is
finishing does not disturb it.

The streamer's copy of the recording is checked sample by sample against
the recorder's at the release: if they differ, the recording is
transcribed from scratch (the same function, without the passes made).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

import numpy as np

from ..audio.vad import WINDOW, IncrementalVad
from .chunks import Chunker, ChunkRules, Key, plan, transcribe_dictation
from .engines.faster_whisper import SAMPLE_RATE, Transcript

_LOGGER = logging.getLogger(__name__)


@dataclass
class _Session:
    """The state of one recording."""

    vad: IncrementalVad
    chunker: Chunker
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(SAMPLE_RATE * 8, np.float32))
    length: int = 0
    shown: str = ""  # the text last given to on_stable_text
    last_pass: tuple = ()  # (started, ended) perf_counter of the latest pass, and its audio seconds
    finishing: Optional[tuple] = None  # (blocks, recording) once finish() has begun
    synced: Optional[bool] = None  # _sync()'s answer, once made (by finish() or a pass's check)

    def append(self, blocks: list) -> None:
        add = sum(len(b) for b in blocks)
        if self.length + add > len(self.buffer):
            grown = np.zeros(max(2 * len(self.buffer), self.length + add), np.float32)
            grown[: self.length] = self.buffer[: self.length]
            self.buffer = grown
        for b in blocks:
            self.buffer[self.length : self.length + len(b)] = b
            self.length += len(b)
        self.vad.extend(self.audio)

    @property
    def audio(self) -> np.ndarray:
        return self.buffer[: self.length]

    def spans(self, final: bool) -> List[Tuple[int, int]]:
        """The chunks to transcribe now.  While recording (not *final*) the
        last chunk only once the speaker has stopped: its end of speech and
        tail have been heard."""
        rules = self.chunker.rules
        p = plan(self.vad.flags, self.length, rules)
        spans = p.chunks()
        if final or p.end is None:
            return spans
        heard = self.vad.windows * WINDOW  # audio the VAD has judged
        if rules.pause_after_s == float("inf"):
            return spans[:-1]
        stopped = p.end + max(0, int((rules.pause_after_s - rules.tail_s) * SAMPLE_RATE))
        return spans if p.end < self.length and stopped <= heard else spans[:-1]


@dataclass(frozen=True)
class StreamingRules(ChunkRules):
    """:class:`~sayso.dictate.chunks.ChunkRules` and when a pass may start."""

    pause_after_s: float = 0.032  # silence after speech before the last chunk is transcribed


def rules_for(dictate) -> StreamingRules:
    """The streaming rules of a ``[dictate]`` config: ``work_ahead = "chunks"``
    transcribes only the chunks cut at long pauses while recording."""
    if getattr(dictate, "work_ahead", "pauses") == "chunks":
        return StreamingRules(pause_after_s=float("inf"))
    return StreamingRules()


class StreamingTranscriber:
    """Works ahead while the key is held; see the module docstring.

    *model* is the daemon's ``ModelSlot`` (``.get()`` returns the warm
    :class:`~sayso.dictate.engines.faster_whisper.Transcriber`) or a
    Transcriber itself.  Used by :class:`sayso.dictate.dictation.Dictation`:
    :meth:`begin`, :meth:`feed` (audio thread: only queues),
    :meth:`stable_text`, :meth:`finish`, :meth:`abort`.
    *on_stable_text* (live mode) is called on the worker thread with the
    recording's text whenever a pass changes it: final chunks, then the
    last chunk as heard at the latest pause (the only text that may change).
    """

    def __init__(
        self,
        model,
        on_stable_text: Optional[Callable[[str], None]] = None,
        rules: StreamingRules = StreamingRules(),
    ) -> None:
        self._model = model
        self.on_stable_text = on_stable_text
        self.rules = rules
        self._cond = threading.Condition()
        self._pending: list = []
        self._session: Optional[_Session] = None
        self._busy: Optional[_Session] = None  # the session of the pass in flight
        self._closed = False
        self._thread: Optional[threading.Thread] = None
        self.last_stats: dict = {}
        self._start_worker()  # also loads the VAD model, off the hotkey thread

    def _start_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._closed = False
            self._thread = threading.Thread(target=self._run, daemon=True, name="sayso-stream")
            self._thread.start()

    # --- model --------------------------------------------------------------
    def _transcriber(self, wait: bool):
        get = getattr(self._model, "get", None)
        if get is None:
            return self._model
        if not wait and not getattr(self._model, "ready", True):
            return None
        return get()

    def _transcribe(
        self, audio: np.ndarray, context: Optional[str] = None, check_speech: bool = False, cancel=None
    ) -> Transcript:
        if cancel is None:
            return self._transcriber(wait=True).transcribe(audio, context=context, check_speech=check_speech)
        return self._transcriber(wait=True).transcribe(audio, context=context, check_speech=check_speech, cancel=cancel)

    # --- interface used by Dictation ----------------------------------------
    def begin(self) -> Optional[object]:
        """A recording starts; returns its token for :meth:`finish`."""
        try:
            session: Optional[_Session] = _Session(IncrementalVad(), Chunker(self._transcribe, self.rules))
        except Exception as err:  # no VAD: this recording is transcribed at release
            _LOGGER.warning("Streaming dictation unavailable: %s", err)
            session = None
        with self._cond:
            self._session, self._pending = session, []
            self._start_worker()
        return session

    def feed(self, block: np.ndarray) -> None:
        """New audio (called on the audio thread: only queues it)."""
        with self._cond:
            if self._session is not None:
                self._pending.append(block)
                self._cond.notify_all()

    def abort(self) -> None:
        """Drop the recording; a pass in flight is discarded when it ends."""
        with self._cond:
            self._session, self._pending = None, []
            self._cond.notify_all()

    def stable_text(self, token: Optional[object] = None) -> str:
        """The recording's final text so far: its chunks cut at pauses
        ("" if *token* is not the current recording)."""
        with self._cond:
            session = self._session if token is None else token
            if not isinstance(session, _Session):
                return ""
            p = plan(session.vad.flags, session.length, session.chunker.rules)
            spans = p.chunks()[: len(p.cuts)]
            return session.chunker.known_text(spans)

    def finish(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        """The final transcript of the whole recording (dictation worker thread).

        *token* (from :meth:`begin`) names the recording; a newer recording
        may have begun since."""
        t0 = time.perf_counter()
        with self._cond:
            session = self._session if token is None else token
            if not isinstance(session, _Session):
                session = None
            blocks: list = []
            if session is not None and session is self._session:  # the worker starts nothing more on it
                blocks, self._pending, self._session = self._pending, [], None
            if session is not None:
                session.finishing = (blocks, full_audio)
            while session is not None and self._busy is session:
                self._cond.wait()  # its pass in flight: wanted, unless the whole recording says otherwise
        waited = time.perf_counter() - t0
        before = session.chunker.passes if session is not None else 0
        if session is not None and session.synced is None:
            session.synced = _sync(session, blocks, full_audio)
        if session is None or not session.synced:
            transcript = transcribe_dictation(self._transcriber(wait=True), full_audio, self.rules)
            how = "batch"
        else:
            transcript = session.chunker.transcript(session.audio, session.spans(final=True))
            how = "ready" if session.chunker.passes == before else "tail"
        self._note(session, how, t0, waited, session.chunker.passes - before if session else 0)
        return transcript

    def drain(self, timeout: Optional[float] = None) -> bool:
        """Wait until the worker has processed everything fed (tests, bench)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy is not None:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker thread (daemon shutdown; waits for a pass in flight)."""
        with self._cond:
            self._closed, self._session, self._pending = True, None, []
            self._cond.notify_all()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # --- worker thread --------------------------------------------------------
    def _run(self) -> None:
        try:
            IncrementalVad().extend(np.zeros(4 * WINDOW, np.float32))  # load and warm Silero
        except Exception as err:
            _LOGGER.warning("Streaming dictation: cannot load the VAD model (%s)", err)
        while True:
            with self._cond:
                while not self._closed and not (self._pending and self._session is not None):
                    self._cond.wait()
                if self._closed:
                    return
                session, blocks, self._pending = self._session, self._pending, []
                self._busy = session
            try:
                self._step(session, blocks)
            except Exception:  # finish() transcribes what is left
                _LOGGER.warning("Streaming transcription failed; continuing at release")
                _LOGGER.debug("Traceback", exc_info=True)
            finally:
                with self._cond:
                    self._busy = None
                    self._cond.notify_all()

    def _step(self, session: _Session, blocks: list) -> None:
        """Take the new audio; run the passes due, one at a time, while no
        newer audio waits (the audio that arrives meanwhile may change what
        is due; the checks between a pass's model calls may have taken it)."""
        session.append(blocks)
        while True:
            spans = session.spans(final=False)
            key = session.chunker.next_pass(session.audio, spans)
            if key is None or self._transcriber(wait=False) is None:
                return
            done = self._pass(session, key)
            with self._cond:
                if session is not self._session:
                    return  # finished or aborted meanwhile
                newer = bool(self._pending)
            if done:
                self._show(session, spans)
            if newer:
                return  # the worker loop takes it at once

    def _show(self, session: _Session, spans: List[Tuple[int, int]]) -> None:
        text = session.chunker.known_text(spans)
        if text != session.shown and self.on_stable_text is not None:
            session.shown = text
            try:
                self.on_stable_text(text)
            except Exception:
                _LOGGER.debug("on_stable_text callback failed", exc_info=True)

    def _pass(self, session: _Session, key: Key) -> bool:
        """Transcribe chunk *key*; False if it was given up half-way."""
        started = time.perf_counter()
        if session.chunker.run(session.audio, key, cancel=lambda: self._outdated(session, key)) is None:
            _LOGGER.debug(
                "Streaming pass %.1f-%.1f s given up: the speech went on", key[0] / SAMPLE_RATE, key[1] / SAMPLE_RATE
            )
            return False
        session.last_pass = (started, time.perf_counter(), (key[1] - key[0]) / SAMPLE_RATE)
        _LOGGER.debug(
            "Streaming pass %.1f-%.1f s: %.3f s",
            key[0] / SAMPLE_RATE,
            key[1] / SAMPLE_RATE,
            session.last_pass[1] - started,
        )
        return True

    def _outdated(self, session: _Session, key: Key) -> bool:
        """Whether the pass for *key* can no longer be part of the text (the
        worker thread, between the model's calls): while recording, the
        audio that came meanwhile, through the VAD, moved the chunk's end;
        once :meth:`finish` has begun, the chunk is not one of the whole
        recording's (the key went up after more speech)."""
        with self._cond:
            current = session is self._session
            blocks: list = []
            if current:
                blocks, self._pending = self._pending, []
            finishing = None if current else session.finishing
        if current:
            if blocks:
                session.append(blocks)
            spans = plan(session.vad.flags, session.length, session.chunker.rules).chunks()
        elif finishing is not None:  # finish() waits for this pass: the worker owns the session
            if session.synced is None:
                session.synced = _sync(session, *finishing)
            if not session.synced:
                return True
            spans = session.spans(final=True)
        else:
            return False  # aborted, or replaced by a newer recording and not yet finished
        return (key[0], key[1]) not in spans

    def _note(self, session: Optional[_Session], how: str, t0: float, waited: float, at_release: int) -> None:
        self.last_stats = {
            "how": how,
            "waited_s": round(waited, 4),
            "total_s": round(time.perf_counter() - t0, 4),
            "passes": session.chunker.passes if session else 0,
            "given_up": session.chunker.cancelled if session else 0,
            "passes_at_release": at_release,
        }
        if session is not None and session.last_pass:  # the last pass relative to the release
            started, ended, seconds = session.last_pass
            self.last_stats.update(
                last_pass_start_s=round(started - t0, 4),
                last_pass_s=round(ended - started, 4),
                last_pass_audio_s=round(seconds, 2),
            )
        _LOGGER.debug("Streaming finish: %s", self.last_stats)


def _sync(session: _Session, blocks: list, full: np.ndarray) -> bool:
    """Bring the session's audio to the recorder's; False if they differ
    (then nothing the worker did may be used)."""
    if blocks:
        session.append(blocks)
    if session.length > len(full) or not np.array_equal(session.audio, full[: session.length]):
        _LOGGER.warning("The streamed audio differs from the recording; transcribing it whole")
        return False
    if session.length < len(full):
        session.append([np.asarray(full[session.length :], dtype=np.float32)])
    return True
