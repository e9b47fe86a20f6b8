"""Read aloud: selected text spoken at once, sentence by sentence.

:class:`ReadAloud` is the pipeline behind the read-aloud hotkey and
``sayso speak``.  A synthesis thread turns the text's chunks
(:mod:`sayso.speak.sentences`) into audio with the warm piper voice
(:mod:`sayso.speak.engines.piper`) while the :class:`~sayso.audio.playback.Player` plays the
previous one, so speech starts after the first short chunk.  Every control
(stop, pause, resume, skip, faster, slower) is a plain method, safe to call
from the hotkey thread or ``sayso ctl``.  User errors are
:class:`~sayso.core.errors.SaysoError` with one-line messages; the hotkey entry
point :meth:`ReadAloud.toggle_selection` never raises.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

import numpy as np

from ..audio.playback import Player, Segment, warm_output
from ..core.errors import ClipboardError, InputError, SaysoError
from ..core.memory import release_freed_memory
from ..core.states import ReadingState
from ..desktop.selection import copy_and_wait
from ..remote.attach import remote_tts
from .engines.piper import MAX_RATE, MIN_RATE, Voice
from .first_audio import first_chunk_limit, pause_after, warm_pipeline
from .readable import cap_text, check_text
from .sentences import Chunk, chunks
from .settings import ReadAloudSettings, state_path  # noqa: F401  (re-exported)
from .voices import LanguagePicker, VoiceRegistry

log = logging.getLogger(__name__)

COPY_TIMEOUT_S = 0.6


@dataclass
class _Session:
    player: Player
    voice: Voice
    chars: int
    thread: Optional[threading.Thread] = None
    started: float = field(default_factory=time.monotonic)
    error: Optional[str] = None


class ReadAloud:
    """The read-aloud pipeline and its controls."""

    def __init__(
        self,
        settings: ReadAloudSettings,
        clipboard=None,
        notifier=None,
        *,
        copy_selection: Optional[Callable[[], None]] = None,
        registry: Optional[VoiceRegistry] = None,
        stream_factory=None,
        state_file: Optional[Path] = None,
        session: Optional[str] = None,
    ) -> None:
        self.cfg = settings.speak
        self.settings = settings
        self.session = session  # worked out once by the app; None: from the config and the environment
        self.clipboard = clipboard
        self.notifier = notifier
        self.copy_selection = copy_selection  # simulates the copy shortcut (wired by the daemon)
        self.registry = registry or VoiceRegistry()
        self.stream_factory = stream_factory
        self.state_file = Path(state_file) if state_file else state_path()
        self.rate = self._load_rate()
        self._voices: dict[str, Voice] = {}
        self._picker = LanguagePicker(self.registry, self.cfg.voice, self.cfg.language_voices)
        self._lock = threading.RLock()
        self._session: Optional[_Session] = None
        self.on_change: Optional[Callable[[str], None]] = None  # reading started or ended (arg: an error)
        self.remote = remote_tts(self.cfg)  # speak.engine's server (None: the local voice)

    # --- setup -----------------------------------------------------------
    def load(self) -> None:
        """Warm the default voice, the text pipeline, the audio output (and the language detector when used)."""
        warm_pipeline(self.voice(self.cfg.voice), self.cfg)
        if self.stream_factory is None:
            warm_output()
        self._picker.warm()

    def voice(self, name: str) -> Voice:
        """The loaded voice *name* (loaded once, then kept)."""
        with self._lock:
            if name not in self._voices:
                profile = self.registry.get(name)
                self._voices[name] = self._remote_voice(Voice.load(profile, self.registry.user_dir))
            return self._voices[name]

    def _remote_voice(self, local: Voice):
        """*local*, or the remote engine speaking with its profile (and falling back to it)."""
        if self.remote is None:
            return local
        from .engines.remote_voice import RemoteVoice

        return RemoteVoice(
            self.remote,
            local,
            self.cfg.engine_fallback,
            notice=lambda text: self._notice(text, urgency="normal"),
        )

    def _choose_voice(self, text: str, voice: Optional[str]) -> Voice:
        return self.voice(voice or self._picker.pick(text))

    # --- rate --------------------------------------------------------------
    def _load_rate(self) -> float:
        try:
            rate = float(json.loads(self.state_file.read_text(encoding="utf-8"))["rate"])
            return min(MAX_RATE, max(MIN_RATE, rate))
        except (OSError, ValueError, KeyError, TypeError):
            return self.cfg.rate

    def _save_rate(self) -> None:
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_file.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(json.dumps({"rate": round(self.rate, 3)}), encoding="utf-8")
            os.replace(tmp, self.state_file)
        except OSError as err:
            log.warning("Cannot remember the speaking rate in %s: %s", self.state_file, err.strerror or err)

    def set_rate(self, rate: float) -> float:
        self.rate = round(min(MAX_RATE, max(MIN_RATE, rate)), 3)
        self._save_rate()
        return self.rate

    def faster(self) -> float:
        return self.set_rate(self.rate + self.cfg.rate_step)

    def slower(self) -> float:
        return self.set_rate(self.rate - self.cfg.rate_step)

    # --- text to chunks ---------------------------------------------------
    def _prepare(self, text: str) -> str:
        text, cut = cap_text(check_text(text), self.cfg.max_chars)
        if cut:
            self._notice(f"Text is long: reading the first {len(text):,} characters")
        return text

    def _chunks(self, text: str, voice: Voice, first_chars: int) -> Iterator[Chunk]:
        cfg = self.cfg
        gen = chunks(text, voice.profile.language, cfg.emoji, first_chars)
        first = next(gen, None)
        if first is None:
            raise InputError("nothing to read: no words in the text (only emoji, symbols or markup)")
        log.debug("First chunk: %d characters (limit %d)", len(first.text), first_chars)
        return itertools.chain([first], gen)

    def _segment(self, voice: Voice, chunk: Chunk, rate: float, last: bool) -> Segment:
        return self._pad(voice, chunk, voice.synthesize(chunk.text, rate, voice.profile.prosody_for(chunk.kind)), last)

    def _pad(self, voice: Voice, chunk: Chunk, audio: np.ndarray, last: bool) -> Segment:
        """*chunk*'s audio with the pause after it (none after the last chunk)."""
        pause_ms = 0 if last else pause_after(voice.profile, chunk)
        pause = np.zeros(voice.sample_rate * pause_ms // 1000, dtype=np.float32)
        return Segment(np.concatenate([audio, pause]), chunk.index, len(audio))

    # --- speaking ------------------------------------------------------------
    def speak_text(self, text: str, voice: Optional[str] = None, rate: Optional[float] = None) -> None:
        """Start reading *text* (returns at once; see :meth:`wait`).

        The synthesis thread starts before the audio output is opened, so the
        first chunk is synthesised while the device opens; the stream starts
        with the first chunk's audio (see :meth:`Player.start`).
        """
        text = self._prepare(text)
        chosen = self._choose_voice(text, voice)
        first_chars = first_chunk_limit(self.cfg.first_chunk_chars, chosen.speed, rate or self.rate)
        parts = self._chunks(text, chosen, first_chars)
        self.stop(join_s=2.0)
        latency = max(0.02, self.cfg.output_latency_ms / 1000)
        player = Player(chosen.sample_rate, None, self.stream_factory, latency=latency)
        session = _Session(player, chosen, len(text))
        session.thread = threading.Thread(
            target=self._produce, args=(session, parts, rate), name="sayso-speak", daemon=True
        )
        session.thread.start()
        try:
            if self.stream_factory is None:
                from ..audio.capture import resolve_device

                player.device = resolve_device(self.settings.output_device, "output")
            player.start(at_first_segment=True)
        except BaseException:
            player.stop()  # the synthesis thread ends at its next chunk
            raise
        with self._lock:
            self._session = session
        log.info("Reading %d characters with voice %s", len(text), chosen.name)
        self._changed()
        log.debug("Text: %r", text[:200])

    def _produce(self, session: _Session, parts: Iterator[Chunk], rate: Optional[float]) -> None:
        try:
            voice, chunk = session.voice, next(parts, None)
            while chunk is not None and not session.player.stopped:
                audio = voice.synthesize(chunk.text, rate or self.rate, voice.profile.prosody_for(chunk.kind))
                nxt = next(parts, None)  # after the synthesis: the first audio never waits for the next text
                if not session.player.put(self._pad(voice, chunk, audio, last=nxt is None)):
                    return
                chunk = nxt
            session.player.finish()
            session.player.wait(None)
            natural = not session.player.stopped
            session.player.stop()  # release the output device
            if natural:
                log.info("Reading finished (%.1f s)", time.monotonic() - session.started)
        except SaysoError as err:
            session.error = str(err)
            self._notice(str(err), urgency="critical")
            session.player.stop()
        except Exception as err:  # keep the daemon alive whatever happens
            log.error("Read aloud failed: %s", err)
            log.debug("Traceback", exc_info=True)
            session.error = f"read aloud failed: {err}"
            self._notice(session.error, urgency="critical")
            session.player.stop()
        finally:
            release_freed_memory()  # the reading's audio buffers
            self._changed(session.error or "")

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the current reading ends; True if it did."""
        session = self._session
        if session is None:
            return True
        ended = session.player.wait(timeout)
        if ended and session.thread is not None:
            session.thread.join(timeout=1.0)
        return ended

    def stop(self, join_s: float = 0.0) -> bool:
        """Silence now; True if something was playing.

        The audio stops at once.  With *join_s*, also wait that long for the
        synthesis thread to finish the chunk it is on (a new reading does, so
        two syntheses never compete for the CPU; so does :meth:`close`).
        """
        with self._lock:
            session, self._session = self._session, None
        if session is None:
            return False
        was_active = session.player.active
        session.player.stop()
        thread = session.thread
        if join_s > 0 and thread is not None and thread is not threading.current_thread():
            thread.join(join_s)
        if was_active:
            log.info("Reading stopped")
        self._changed()
        return was_active

    def _changed(self, error: str = "") -> None:
        """Tell the daemon's state tracker (``on_change``) that reading started or ended."""
        if self.on_change is not None:
            try:
                self.on_change(error)
            except Exception:
                log.debug("on_change callback failed", exc_info=True)

    def close(self) -> None:
        """Stop and wait for the synthesis thread (daemon shutdown)."""
        self.stop(join_s=10.0)
        if self.remote is not None:
            self.remote.close()

    # the daemon's pipeline hooks
    def on_escape(self) -> None:
        self.stop()

    def shutdown(self) -> None:
        self.close()

    def pause(self) -> None:
        if self._session:
            self._session.player.pause()

    def resume(self) -> None:
        if self._session:
            self._session.player.resume()

    def skip(self) -> None:
        """Jump to the next sentence."""
        if self._session:
            self._session.player.skip()

    @property
    def speaking(self) -> bool:
        session = self._session
        return session is not None and session.player.active

    def status(self) -> dict:
        session = self._session
        state = ReadingState.IDLE
        if session is not None and session.player.active:
            state = ReadingState.PAUSED if session.player.paused else ReadingState.SPEAKING
        return {
            "state": state,
            "voice": session.voice.name if session else self.cfg.voice,
            "rate": self.rate,
            "chunk": session.player.index if session else -1,
            "chars": session.chars if session else 0,
            "seconds": round(time.monotonic() - session.started, 2) if session and state != "idle" else 0.0,
            "error": session.error if session else None,
        }

    # --- selection ------------------------------------------------------------
    def _selection_method(self) -> str:
        method = self.cfg.selection_method
        if method != "auto":
            return method
        session = self.session
        if session is None:  # built without the app (tests, ``sayso speak``)
            from ..desktop.session import resolve_session

            session = resolve_session(self.settings.session)
        return "copy" if session in ("macos", "windows") else "primary"

    def _read_by_copy(self) -> str:
        if self.copy_selection is None:
            raise ClipboardError("copying the selection is not available in this session")
        snap = self.clipboard.snapshot("clipboard")
        sentinel = f"sayso-{uuid.uuid4()}"
        try:
            text = copy_and_wait(self.clipboard, self.copy_selection, COPY_TIMEOUT_S, sentinel=sentinel, poll_s=0.03)
            return text if text is not None else ""
        finally:
            self.clipboard.restore(snap)

    def read_selection(self) -> str:
        """The selected text, or the clipboard per ``speak.fallback``."""
        if self.clipboard is None:
            raise ClipboardError("no clipboard access")
        if self._selection_method() == "primary":
            text = self.clipboard.read_text("primary")
        else:
            text = self._read_by_copy()
        if text.strip():
            return text
        if self.cfg.fallback == "clipboard":
            text = self.clipboard.read_text("clipboard")
            if text.strip():
                self._notice("Nothing selected: reading the clipboard")
                return text
            raise InputError("nothing selected and the clipboard is empty")
        raise InputError("nothing selected")

    def toggle_selection(self) -> bool:
        """Hotkey: stop if speaking, else read the selection. Never raises."""
        try:
            if self.stop():
                return False
            self.speak_text(self.read_selection())
            return True
        except SaysoError as err:
            self._notice(str(err), urgency="critical")
        except Exception as err:  # the hotkey thread must survive anything
            log.error("Read aloud failed: %s", err)
            log.debug("Traceback", exc_info=True)
            self._notice(f"read aloud failed: {err}", urgency="critical")
        return False

    # --- files ---------------------------------------------------------------
    def synthesize_to_wav(self, text: str, path, voice: Optional[str] = None, rate: Optional[float] = None) -> float:
        """Write the spoken *text* to a 16-bit mono WAV; returns its duration in seconds."""
        from .wav import synthesize_to_wav

        return synthesize_to_wav(self, text, path, voice, rate)

    # --- feedback --------------------------------------------------------------
    def _notice(self, summary: str, urgency: str = "normal") -> None:
        if self.notifier is not None:
            self.notifier.notify(summary, urgency=urgency)
        else:
            log.warning("%s", summary)
