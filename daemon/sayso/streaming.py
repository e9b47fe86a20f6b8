"""Streaming dictation: transcribe while the key is held, so release is instant.

Cost model (faster-whisper, CPU): every call pads the audio to a 30 s window,
so one call costs about the same for 2 s as for 11 s.  Cutting the tail alone
does not help; avoiding work at release does.  So a background worker
watches the audio with Silero VAD (incremental, < 1 ms per block) and:

* when the speaker pauses (``spec_silence_s`` of silence after speech), it
  transcribes the uncommitted stretch, from the commit point up to now: a
  *speculative* result;
* when speech resumes after a pause of at least ``commit_silence_s`` and the
  stretch is at least ``min_commit_s`` long (or longer than
  ``force_commit_s``), that result becomes *committed*: final, never redone,
  given to ``on_stable_text`` (live mode); the commit point moves to the pause.

At release (:meth:`StreamingTranscriber.finish`) the worker's pass in flight
is awaited; if VAD finds no speech after the last transcribed point the text
is ready at once, else only the uncommitted tail is transcribed.  With no
pause during the recording the final call is exactly the batch call.  Every
call goes through :meth:`sayso.stt.Transcriber.transcribe` (same model,
vocabulary and hallucination gate as batch; its lock serialises calls).

Choices measured with tiny.en (see docs/latency.md): stretches shorter than
~6 s lose accuracy (no context); the committed text as ``initial_prompt``
made tiny.en drop repeated phrases and flip words, so stretches are not
prompted (``use_prompt``), like batch (``condition_on_previous_text=False``);
a quick pass ends just after the speech, so before a stretch is committed it
is redone with its pause (the worker is idle while the speaker goes on);
speech ends where Silero's probability drops below 0.5 (no hysteresis),
which starts the last pass ~50 ms sooner.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np

from .stt import SAMPLE_RATE, Segment, Transcript
from .vad import IncrementalVad

_LOGGER = logging.getLogger(__name__)


@dataclass
class Stretch:
    """One transcribed piece of the recording: samples [start, end)."""

    start: int
    end: int
    speech_end: int  # last speech sample it covers
    transcript: Transcript

    @property
    def text(self) -> str:
        return self.transcript.text.strip()


@dataclass
class _Session:
    """The state of one recording (touched by one thread at a time)."""

    vad: IncrementalVad
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(SAMPLE_RATE * 8, np.float32))
    length: int = 0
    commit: int = 0  # samples before this are committed
    committed: List[Stretch] = field(default_factory=list)
    spec: Optional[Stretch] = None  # speculative result for [commit, spec.end)
    emitted: int = 0  # committed stretches given to on_stable_text
    passes: int = 0
    last_pass: tuple = ()  # (started, ended) perf_counter of the latest pass, (audio s)

    def append(self, blocks: list) -> None:
        add = sum(len(b) for b in blocks)
        if self.length + add > len(self.buffer):
            grown = np.zeros(max(2 * len(self.buffer), self.length + add), np.float32)
            grown[:self.length] = self.buffer[:self.length]
            self.buffer = grown
        for b in blocks:
            self.buffer[self.length:self.length + len(b)] = b
            self.length += len(b)
        self.vad.extend(self.audio)

    @property
    def audio(self) -> np.ndarray:
        return self.buffer[:self.length]

    def prompt(self) -> Optional[str]:
        text = " ".join(s.text for s in self.committed if s.text)
        return text[-600:] if text else None

    def do_commit(self, stretch: Stretch) -> None:
        self.committed.append(stretch)
        self.commit = stretch.end
        self.spec = None


class StreamingTranscriber:
    """Works ahead while the key is held; see the module docstring.

    *model* is the daemon's ``ModelSlot`` (``.get()`` returns the warm
    :class:`~sayso.stt.Transcriber`) or a Transcriber itself.  The interface
    used by :class:`sayso.dictation.Dictation`: :meth:`begin`, :meth:`feed`
    (audio thread: only queues), :meth:`finish`, :meth:`abort`.
    *on_stable_text* (live mode) is called on the worker thread with the text
    of each committed stretch, in order; :meth:`finish_live` then returns
    only the text not given to it yet.
    """

    spec_silence_s = 0.032  # pause after speech that starts a speculative pass
    commit_silence_s = 0.3  # pause that can make a speculative result final...
    min_commit_s = 6.0  # ...if its stretch is this long (shorter ones lack context)
    force_commit_s = 12.0  # a stretch this long commits at any pause
    use_prompt = False  # committed text as the prompt of the next stretch (hurt tiny.en)
    pad_s = 0.4  # silence kept before the speech of a stretch (as faster-whisper's VAD pad)
    vad_neg_threshold: Optional[float] = 0.5  # no hysteresis: the end of speech is seen ~50 ms sooner

    def __init__(self, model, config=None, on_stable_text: Optional[Callable[[str], None]] = None) -> None:
        self._model = model
        self.config = config
        self.on_stable_text = on_stable_text
        self._cond = threading.Condition()
        self._pending: list = []
        self._session: Optional[_Session] = None
        self._finishing = False
        self._busy = False
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

    # --- interface used by Dictation ----------------------------------------
    def begin(self) -> Optional[object]:
        """A recording starts; returns its token for :meth:`finish`."""
        try:
            session: Optional[_Session] = _Session(IncrementalVad(neg_threshold=self.vad_neg_threshold))
        except Exception as err:  # no VAD: this recording is transcribed at release
            _LOGGER.warning("Streaming dictation unavailable: %s", err)
            session = None
        with self._cond:
            self._session, self._pending, self._finishing = session, [], False
            self._start_worker()
        return session

    def feed(self, block: np.ndarray) -> None:
        """New audio (called on the audio thread: only queues it)."""
        with self._cond:
            if self._session is not None and not self._finishing:
                self._pending.append(block)
                self._cond.notify_all()

    def abort(self) -> None:
        """Drop the recording; a pass in flight is discarded when it ends."""
        with self._cond:
            self._session, self._pending, self._finishing = None, [], False
            self._cond.notify_all()

    def finish(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        """The final transcript of the whole recording (dictation worker thread).

        *token* (from :meth:`begin`) names the recording: if a newer one has
        begun since, this one is transcribed whole, as batch."""
        return self._finish(full_audio, live=False, token=token)

    def finish_live(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        """Like :meth:`finish`, without the text already given to ``on_stable_text``."""
        return self._finish(full_audio, live=True, token=token)

    def drain(self, timeout: Optional[float] = None) -> bool:
        """Wait until the worker has processed everything fed (tests, bench)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending or self._busy:
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
            IncrementalVad().extend(np.zeros(4 * 512, np.float32))  # load and warm Silero
        except Exception as err:
            _LOGGER.warning("Streaming dictation: cannot load the VAD model (%s)", err)
        while True:
            with self._cond:
                while not self._closed and not (self._pending and self._session is not None and not self._finishing):
                    self._cond.wait()
                if self._closed:
                    return
                session, blocks, self._pending = self._session, self._pending, []
                self._busy = True
            try:
                self._step(session, blocks)
            except Exception:  # finish() falls back to transcribing what is left
                _LOGGER.warning("Streaming transcription failed; continuing at release")
                _LOGGER.debug("Traceback", exc_info=True)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _step(self, session: _Session, blocks: list) -> None:
        session.append(blocks)
        self._maybe_commit(session)
        end = self._pass_end(session)
        if end is None:
            return
        model = self._transcriber(wait=False)
        if model is None:
            return
        stretch = self._transcribe(model, session, session.commit, end)
        with self._cond:
            if session is not self._session:
                return  # aborted while transcribing
            session.spec = stretch
        self._maybe_commit(session)

    def _maybe_commit(self, session: _Session) -> None:
        """Commit the speculative result if speech resumed after a long enough pause.

        A quick pass ends just after the speech; before its text becomes final
        it is redone with the pause behind it (up to ``pad_s``), as batch
        would see it, while the speaker goes on (the worker is idle then).
        """
        spec = session.spec
        if spec is None or not self._committable(session, spec):
            return
        resumed = session.vad.first_speech(spec.end)
        end = min(spec.speech_end + int(self.pad_s * SAMPLE_RATE), resumed - int(0.1 * SAMPLE_RATE))
        model = self._transcriber(wait=False)
        if end - spec.end >= 0.1 * SAMPLE_RATE and model is not None:
            refreshed = self._transcribe(model, session, session.commit, end)
            with self._cond:
                if session is not self._session:
                    return
            spec = refreshed
        session.do_commit(spec)
        self._emit(session)

    def _pass_end(self, session: _Session) -> Optional[int]:
        """Where a speculative pass should end now, or None (no pause, or done)."""
        speech_end = session.vad.last_speech_end()
        if speech_end is None or speech_end <= session.commit:
            return None
        if session.spec is not None and speech_end <= session.spec.speech_end:
            return None  # nothing new since the last pass
        if session.length - speech_end < self.spec_silence_s * SAMPLE_RATE:
            return None  # still speaking
        return session.length

    def _committable(self, session: _Session, spec: Stretch) -> bool:
        """Speech resumed after *spec*: is its pause long enough to make it final?"""
        resumed = session.vad.first_speech(spec.end)
        if resumed is None:
            return False
        gap, span = resumed - spec.speech_end, spec.end - session.commit
        return (gap >= self.commit_silence_s * SAMPLE_RATE and span >= self.min_commit_s * SAMPLE_RATE) \
            or span >= self.force_commit_s * SAMPLE_RATE

    def _emit(self, session: _Session) -> None:
        with self._cond:
            if session is not self._session:
                return  # a newer recording has begun: this one's text comes from finish()
        callback = self.on_stable_text
        while session.emitted < len(session.committed):
            text = session.committed[session.emitted].text
            session.emitted += 1
            if callback is not None and text:
                try:
                    callback(text)
                except Exception:
                    _LOGGER.debug("on_stable_text callback failed", exc_info=True)

    def _transcribe(self, model, session: _Session, start: int, end: int) -> Stretch:
        """Transcribe [start, end) of the recording, leading silence trimmed."""
        vad = session.vad
        first = vad.first_speech(start, end)
        begin = start if first is None else max(start, first - int(self.pad_s * SAMPLE_RATE))
        speech_end = vad.last_speech_end(end) or end
        prompt = session.prompt() if self.use_prompt else None
        started = time.perf_counter()
        transcript = model.transcribe(session.audio[begin:end], prompt=prompt, vad=False)
        session.passes += 1
        session.last_pass = (started, time.perf_counter(), (end - begin) / SAMPLE_RATE)
        _LOGGER.debug("Streaming pass %.1f-%.1f s: %.3f s", begin / SAMPLE_RATE, end / SAMPLE_RATE, session.last_pass[1] - started)
        return Stretch(start, end, min(speech_end, end), _shift(transcript, begin / SAMPLE_RATE))

    # --- release ----------------------------------------------------------------
    def _finish(self, full_audio: np.ndarray, live: bool, token: Optional[object] = None) -> Transcript:
        t0 = time.perf_counter()
        with self._cond:
            mine = self._session if token is None else token
            if mine is self._session:
                self._finishing = True
                while self._busy:
                    self._cond.wait()
            session, blocks = (self._session, self._pending) if mine is self._session else (None, [])
            if session is not None:
                self._pending = []
        waited = time.perf_counter() - t0
        try:
            transcript, how = self._final(session, blocks, full_audio, live)
        finally:
            with self._cond:
                if self._session is session:
                    self._session, self._finishing = None, False
        self.last_stats = {"how": how, "waited_s": round(waited, 4), "total_s": round(time.perf_counter() - t0, 4),
                           "passes": session.passes if session else 0,
                           "stretches": len(session.committed) if session else 0}
        if session is not None and session.last_pass:  # the last pass relative to the release
            started, ended, seconds = session.last_pass
            self.last_stats.update(last_pass_start_s=round(started - t0, 4), last_pass_s=round(ended - started, 4),
                                   last_pass_audio_s=round(seconds, 2))
        _LOGGER.debug("Streaming finish: %s", self.last_stats)
        return transcript

    def _final(self, session: Optional[_Session], blocks: list, full: np.ndarray, live: bool):
        model = self._transcriber(wait=True)
        if session is None or not self._sync(session, blocks, full) or (not session.committed and session.spec is None):
            return model.transcribe(full), "batch"  # nothing worked ahead: exactly the batch call
        if session.spec is not None and not session.vad.has_speech(session.spec.end):
            session.do_commit(session.spec)
            how = "ready"
        elif not session.vad.has_speech(session.commit):
            how = "ready"
        else:
            if session.spec is not None and self._committable(session, session.spec):
                session.do_commit(session.spec)  # the worker fell behind: keep the tail short
            session.do_commit(self._transcribe(model, session, session.commit, session.length))
            how = "tail"
        if not live:
            session.emitted = len(session.committed)
            return _join(session.committed, full), how
        fresh = session.committed[session.emitted:]
        session.emitted = len(session.committed)
        return _join(fresh, full), how

    @staticmethod
    def _sync(session: _Session, blocks: list, full: np.ndarray) -> bool:
        """Bring the session's audio to the recorder's; False if they disagree."""
        if blocks:
            session.append(blocks)
        if session.length > len(full):
            return False
        if session.length < len(full):
            session.append([np.asarray(full[session.length:], dtype=np.float32)])
        return True


def _shift(transcript: Transcript, offset: float) -> Transcript:
    segs = [Segment(s.start + offset, s.end + offset, s.text, s.no_speech_prob, s.avg_logprob) for s in transcript.segments]
    return Transcript(transcript.text, segs, transcript.duration, transcript.dropped)


def _join(stretches: List[Stretch], full: np.ndarray) -> Transcript:
    text = " ".join(s.text for s in stretches if s.text).strip()
    segments = [seg for s in stretches for seg in s.transcript.segments]
    dropped = sum(s.transcript.dropped for s in stretches)
    return Transcript(text, segments, duration=len(full) / SAMPLE_RATE, dropped=dropped)
