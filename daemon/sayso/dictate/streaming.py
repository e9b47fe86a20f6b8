"""Streaming dictation: transcribe the recording while the key is held.

Whisper is not a streaming model: one call over the whole recording gives
its best text, and cutting the audio into stretches costs accuracy and
leaves seams (a full stop and a capital in mid-sentence, lost commas).  So
every pass here transcribes the *whole* recording so far, exactly as the
final call would (:meth:`sayso.dictate.engines.faster_whisper.Transcriber.transcribe`: full 30 s
windows, same search, same vocabulary):

* a pass runs when the speaker pauses (Silero VAD sees ``pause_s`` of
  silence after new speech) and, while the speech goes on, every
  ``step_s`` of new audio;
* at the release, if the latest pass heard all the speech, its text is the
  final text at once; otherwise one more pass runs over the recording;
* the words two consecutive passes agree on, from the start, with their
  case and punctuation, and that end at least ``margin_s`` before the end
  of the later pass's audio, are *stable* (LocalAgreement, as in Macháček
  et al., "Turning Whisper into a Real-Time Transcription System", 2023).
  Nothing is forced on the passes: stable words are only a forecast of the
  final text, which :class:`sayso.dictate.dictation.Dictation` types at once at
  the release (and while recording in live mode) and corrects if the
  final text differs;
* a long recording is cut behind a stable segment once it passes
  ``trim_s``: the passes then transcribe only the audio after the cut, with
  the text before it as the prompt, as faster-whisper does from one 30 s
  window to the next.  Those passes only forecast the text: at the release
  a trimmed recording is transcribed whole once (``how = "whole"``), since
  Whisper's segment times are rough and a cut may fall after a phrase the
  passes then never hear (seen: a 28 s dictation lost "Turn on the living
  room lamp." between two sentences).

The streamer's copy of the recording is checked sample by sample against
the recorder's at the release: if they differ, the recording is
transcribed whole, as batch.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import numpy as np

from ..audio.vad import WINDOW, IncrementalVad
from .engines.faster_whisper import SAMPLE_RATE, Segment, Transcript
from .words import _bare, _common_prefix, _shift, _timed_words

_LOGGER = logging.getLogger(__name__)


@dataclass
class Hypothesis:
    """One pass's words for the buffer."""

    words: List[str]  # with their case and punctuation
    ends: List[float]  # when each word ends, seconds from the buffer start
    end: int  # the recording's sample where the pass's audio ended
    segments: List[Segment]  # times from the buffer start


@dataclass
class _Session:
    """The state of one recording (touched by one thread at a time)."""

    vad: IncrementalVad
    buffer: np.ndarray = field(default_factory=lambda: np.zeros(SAMPLE_RATE * 8, np.float32))
    length: int = 0
    base: int = 0  # where the Whisper buffer starts (after a trim)
    context: List[str] = field(default_factory=list)  # the words before `base`
    stable: List[str] = field(default_factory=list)  # the buffer's stable words
    hyp: Optional[Hypothesis] = None  # the latest pass
    passes: int = 0
    last_pass: tuple = ()  # (started, ended) perf_counter of the latest pass, and its audio seconds

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

    def stable_text(self) -> str:
        return " ".join(self.context + self.stable)

    def prompt(self, chars: int) -> Optional[str]:
        text = " ".join(self.context)
        return text[-chars:].lstrip() if text else None


class StreamingTranscriber:
    """Works ahead while the key is held; see the module docstring.

    *model* is the daemon's ``ModelSlot`` (``.get()`` returns the warm
    :class:`~sayso.dictate.engines.faster_whisper.Transcriber`) or a Transcriber itself.  Used by
    :class:`sayso.dictate.dictation.Dictation`: :meth:`begin`, :meth:`feed` (audio
    thread: only queues), :meth:`stable_text`, :meth:`finish`,
    :meth:`abort`.  *on_stable_text* (live mode) is called on the worker
    thread with the recording's stable text whenever it grows.
    """

    pause_s = 0.032  # silence after speech that starts a pass (one VAD window)
    step_s = 1.5  # while the speech goes on: a pass per this much new audio...
    step_per_pass = 3.0  # ...or per this many times the last pass took (a busy machine: fewer passes)
    first_s = 1.0  # no pass before this much audio, except at a pause
    margin_s = 1.5  # stable words end this long before the end of the pass's audio
    trim_s = 20.0  # a longer buffer is cut at a pause behind text two passes agree on...
    keep_s = 3.0  # ...that ends at least this long before the buffer's end
    prompt_chars = 200  # text before the buffer given as the prompt

    def __init__(self, model, on_stable_text: Optional[Callable[[str], None]] = None) -> None:
        self._model = model
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
            session: Optional[_Session] = _Session(IncrementalVad(neg_threshold=0.5))
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

    def stable_text(self, token: Optional[object] = None) -> str:
        """The recording's stable words so far ("" if *token* is not the current recording)."""
        with self._cond:
            session = self._session
            if session is None or (token is not None and token is not session):
                return ""
            return session.stable_text()

    def finish(self, full_audio: np.ndarray, token: Optional[object] = None) -> Transcript:
        """The final transcript of the whole recording (dictation worker thread).

        *token* (from :meth:`begin`) names the recording: if a newer one has
        begun since, this one is transcribed whole, as batch."""
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
            transcript, how = self._final(session, blocks, full_audio)
        finally:
            with self._cond:
                if self._session is session:
                    self._session, self._finishing = None, False
        self._note(session, how, t0, waited)
        return transcript

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
            IncrementalVad().extend(np.zeros(4 * WINDOW, np.float32))  # load and warm Silero
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
            except Exception:  # finish() transcribes what is left
                _LOGGER.warning("Streaming transcription failed; continuing at release")
                _LOGGER.debug("Traceback", exc_info=True)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _step(self, session: _Session, blocks: list) -> None:
        session.append(blocks)
        if not self._due(session):
            return
        model = self._transcriber(wait=False)
        if model is None:
            return
        hyp = self._pass(model, session, session.length)
        with self._cond:
            if session is not self._session:
                return  # aborted while transcribing
            prev = session.hyp
            grew = self._agree(session, hyp)
            self._trim(session, prev)
            text = session.stable_text() if grew and not self._finishing else ""
        if text and self.on_stable_text is not None:
            try:
                self.on_stable_text(text)
            except Exception:
                _LOGGER.debug("on_stable_text callback failed", exc_info=True)

    def _due(self, session: _Session) -> bool:
        """Is there new speech to transcribe now (a pause, or enough of it)?"""
        speech_end = session.vad.last_speech_end()
        covered = session.hyp.end if session.hyp is not None else session.base
        if speech_end is None or speech_end <= covered:
            return False  # nothing heard since the last pass
        if session.length - speech_end >= self.pause_s * SAMPLE_RATE:
            return True  # the speaker paused: cover what was said
        last = session.last_pass[1] - session.last_pass[0] if session.last_pass else 0.0
        step = max(self.step_s, self.step_per_pass * last) * SAMPLE_RATE
        return session.length - covered >= step and session.length - session.base >= self.first_s * SAMPLE_RATE

    def _pass(self, model, session: _Session, end: int) -> Hypothesis:
        """Transcribe the buffer up to *end*, as the final call would."""
        started = time.perf_counter()
        transcript = model.transcribe(
            session.audio[session.base : end], context=session.prompt(self.prompt_chars), check_speech=False
        )
        session.passes += 1
        session.last_pass = (started, time.perf_counter(), (end - session.base) / SAMPLE_RATE)
        _LOGGER.debug(
            "Streaming pass %.1f-%.1f s: %.3f s",
            session.base / SAMPLE_RATE,
            end / SAMPLE_RATE,
            session.last_pass[1] - started,
        )
        words, ends = _timed_words(transcript.segments)
        return Hypothesis(words, ends, end, transcript.segments)

    def _agree(self, session: _Session, hyp: Hypothesis) -> bool:
        """The words this pass and the previous one agree on become stable,
        but for each pass's last word and the words near its end.  True if
        the stable text grew."""
        prev, session.hyp = session.hyp, hyp
        if prev is None:
            return False
        n = min(_common_prefix(prev.words, hyp.words), len(prev.words) - 1, len(hyp.words) - 1)
        horizon = (hyp.end - session.base) / SAMPLE_RATE - self.margin_s
        while n > 0 and hyp.ends[n - 1] > horizon:
            n -= 1
        if n <= len(session.stable) or hyp.words[: len(session.stable)] != session.stable:
            return False
        session.stable = hyp.words[:n]
        return True

    def _trim(self, session: _Session, prev: Optional[Hypothesis]) -> None:
        """Cut a long buffer at a pause behind text the last two passes agree
        on (words, whatever their case and punctuation); that text becomes
        final, in the form already shown where it was (the stable words)."""
        hyp = session.hyp
        if hyp is None or prev is None or session.length - session.base < self.trim_s * SAMPLE_RATE:
            return
        agreed = _common_prefix([_bare(w) for w in prev.words], [_bare(w) for w in hyp.words])
        horizon = (hyp.end - session.base) / SAMPLE_RATE - self.keep_s
        cut, count, words = None, 0, 0
        for seg in hyp.segments:
            words += len(seg.text.split())
            if words > agreed or seg.end > horizon:
                break
            end = session.base + int(seg.end * SAMPLE_RATE)
            if not session.vad.has_speech(end, end + WINDOW):
                cut, count = end, words
        if cut is None:
            return
        kept = min(count, _common_prefix([_bare(w) for w in session.stable], [_bare(w) for w in hyp.words]))
        frozen = session.stable[:kept] + hyp.words[kept:count]
        offset = (cut - session.base) / SAMPLE_RATE
        session.context += frozen
        session.stable = session.stable[count:] if len(session.stable) > count else []
        session.hyp = Hypothesis(hyp.words[count:], [e - offset for e in hyp.ends[count:]], hyp.end, [])
        session.base = cut
        _LOGGER.debug("Streaming buffer now starts at %.1f s", cut / SAMPLE_RATE)

    # --- release ----------------------------------------------------------------
    def _final(self, session: Optional[_Session], blocks: list, full: np.ndarray) -> tuple:
        model = self._transcriber(wait=True)
        if session is None or not _sync(session, blocks, full):
            return model.transcribe(full), "batch"  # nothing usable worked ahead: exactly the batch call
        if session.base:  # trimmed: Whisper's segment times are rough, so a cut may have lost a phrase
            return model.transcribe(full), "whole"  # the whole recording once, as `dictate --file` does
        speech_end = session.vad.last_speech_end()
        if speech_end is None:
            return Transcript("", duration=len(full) / SAMPLE_RATE), "silence"
        hyp = session.hyp
        how = "ready"  # the latest pass heard all the speech
        if hyp is None or speech_end > hyp.end:
            hyp, how = self._pass(model, session, session.length), "tail" if session.hyp is not None else "batch"
        text = " ".join(session.context + hyp.words)
        return Transcript(text, _shift(hyp.segments, session.base / SAMPLE_RATE), duration=len(full) / SAMPLE_RATE), how

    def _note(self, session: Optional[_Session], how: str, t0: float, waited: float) -> None:
        self.last_stats = {
            "how": how,
            "waited_s": round(waited, 4),
            "total_s": round(time.perf_counter() - t0, 4),
            "passes": session.passes if session else 0,
            "stable_words": len(session.context + session.stable) if session else 0,
            "trimmed_s": round(session.base / SAMPLE_RATE, 2) if session else 0.0,
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
