"""The sayso daemon: binds hotkeys to the pipelines and keeps models warm.

Data flow: key listener -> ChordMatcher -> action -> pipeline -> output.
Every action is also reachable by name (``dictate.toggle``, ``speak.stop``,
``rewrite.fix``...) for the control socket.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import Optional

from ..audio.capture import Recorder
from ..core.chords import ABORT, PRESS, RELEASE, ChordMatcher, PressMode, parse_binding
from ..core.config import load_config
from ..core.config_types import Config
from ..core.errors import SaysoError, run_logged
from ..core.live_options import restart_needed
from ..core.paths import runtime_dir
from ..core.systemd import sd_notify
from ..desktop.clipboard import Clipboard
from ..desktop.keys.listener import start_listener
from ..desktop.notify import Notifier
from ..desktop.output import Output
from ..desktop.session import resolve_session
from ..dictate.dictation import Dictation, DictationSettings, ModelSlot
from ..dictate.engines.faster_whisper import Transcriber
from ..dictate.history import History
from .actions import ActionRegistry
from .desktop_link import DesktopLink
from .pipelines import attach_rewrite, attach_see, attach_speak, harper_fixer, model_cleaner

_LOGGER = logging.getLogger(__name__)
DICTATE_WITH = "dictate-"  # binding names of the extra dictation keys: "dictate-rules" ([hotkeys.dictate_cleanup])


class Daemon:
    def __init__(self, config: Config, config_path: Optional[str] = None, env=os.environ) -> None:
        self.config = config
        self.config_path = config_path
        self.env = env
        self.session = resolve_session(config.general.session, env)
        self.stop_event = threading.Event()
        self.history = History(config.general.history_size, runtime_dir(env) / "undelivered.jsonl")
        self.notifier = self._make_notifier()
        self.clipboard = self._make_clipboard()
        self.stt = ModelSlot(lambda: self._load_stt(config), "speech model")
        self.listener = None
        self.control = None  # the control server, from start() on
        self.started_with = config  # what the options made only at start (core.live_options) still hold
        self.needs_restart: list[str] = []  # options changed since the start that a reload cannot apply
        self.actions = ActionRegistry()
        self.desktop = DesktopLink(self)  # the state for status --watch, the tray, the indicator
        self._build(config)

    # --- construction -------------------------------------------------------
    def _make_notifier(self) -> Notifier:
        try:
            from ..desktop.feedback import make_notifier

            return make_notifier(self.config.notify, self.env)
        except ImportError:
            return Notifier(enabled=False)

    def _make_clipboard(self) -> Optional[Clipboard]:
        try:
            return Clipboard.detect(self.session, self.env)
        except SaysoError as err:
            _LOGGER.warning("%s", err)
            return None

    @staticmethod
    def _load_stt(config: Config) -> Transcriber:
        model = Transcriber.load(config.stt)
        model.warm_up()
        _LOGGER.info("Speech model warm")
        return model

    def _build(self, config: Config) -> None:
        self.output = Output(config.output, self.session, self.clipboard, notifier=self.notifier)
        self.recorder = Recorder(config.audio, on_limit=self._on_limit)
        streamer, remote = self._make_streamer(config)
        if streamer is not None:
            self.recorder.on_audio = streamer.feed
        self.dictation = Dictation(
            DictationSettings.of(config),
            self.recorder,
            self.stt,
            self.output,
            self.notifier,
            self.history,
            streamer,
            remote,
        )
        self._key_cleanup = ""  # the cleanup of the dictation key pressed last ("" = dictate.cleanup)
        self.press_mode = PressMode(
            config.hotkeys.dictate_mode, config.hotkeys.tap_ms, self._start_dictation, self._stop_dictation
        )
        self.actions = ActionRegistry(
            {
                "dictate.start": self.dictation.start,
                "dictate.stop": self._stop_dictation,
                "dictate.toggle": self.press_mode.toggle,
                "dictate.cancel": self._cancel,
                "dictate.retry": self.dictation.retry,
                "dictate.raw": self.dictation.raw,
            }
        )
        self.speak = self._attach(attach_speak, config)
        self.rewrite = self._attach(attach_rewrite, config, self.speak)
        modes = {config.dictate.cleanup} | {m for m, keys in config.hotkeys.dictate_cleanup.items() if keys}
        if "model" in modes and self.rewrite is not None:
            self.dictation.cleaner = model_cleaner(self.rewrite)
        if modes - {"off"}:  # without harper-py the fixer fails and the rules stand
            self.dictation.fixer = harper_fixer(config.stt.vocabulary)
        self.see = self._attach(attach_see, config, self.speak)
        self.desktop.attach()

    def _make_streamer(self, config: Config) -> tuple:
        """(streamer, RemoteStt or None): a remote engine's session, else the local streamer."""
        from .remote_link import remote_dictation

        remote = remote_dictation(config)
        if remote is not None:
            return remote
        if not config.dictate.streaming:
            return None, None
        try:
            from ..dictate.streaming import StreamingTranscriber, rules_for
        except ImportError:
            return None, None
        return StreamingTranscriber(self.stt, rules=rules_for(config.dictate)), None

    def _attach(self, attach, config: Config, *args):
        """Build an optional pipeline and add its actions; without it, dictation still works."""
        try:
            pipeline, actions = attach(self, config, *args)
        except (SaysoError, ImportError) as err:
            _LOGGER.error("%s", err)
            return None
        self.actions.add(actions)
        return pipeline

    def _bindings(self, config: Config) -> dict:
        hk = config.hotkeys
        bindings = {"dictate": parse_binding(hk.dictate)}
        if hk.cancel:
            bindings["cancel"] = parse_binding(hk.cancel)
        for action, keys in hk.actions.items():
            if keys:
                bindings[action] = parse_binding(keys)
        for mode, keys in hk.dictate_cleanup.items():
            if keys:
                bindings[DICTATE_WITH + mode] = parse_binding(keys)
        for name, action in config.rewrite.actions.items():
            if action.hotkey:
                bindings[f"rewrite.{name}"] = parse_binding(action.hotkey)
        return bindings

    # --- hotkey events ------------------------------------------------------
    def on_binding(self, name: str, event: str) -> None:
        if self.desktop.paused and event == PRESS and name != "pause":  # paused from the tray: releases still pass
            return
        if name == "dictate" or name.startswith(DICTATE_WITH):
            if event == PRESS:
                if not self.dictation.recording:  # a second key stops a dictation; it does not restyle it
                    self._key_cleanup = name[len(DICTATE_WITH) :] if name != "dictate" else ""
                self.press_mode.press()
            elif event == RELEASE:
                self.press_mode.release()
            elif event == ABORT:
                self._cancel()
            return
        if event != PRESS:
            return
        if name == "cancel":
            self._escape()
            return
        self.run_action(name, background=True)

    def run_action(self, name: str, background: bool = False):
        """Every way in (hotkeys, control socket, tray) runs actions here."""
        return self.actions.run(name, background)

    def _escape(self) -> None:
        if self.dictation.recording:
            self._cancel()
        if self.speak is not None:
            run_logged(self.speak.on_escape, "escape")
        if self.rewrite is not None:
            run_logged(self.rewrite.cancel, "escape")

    def _cancel(self) -> None:
        self._key_cleanup = ""
        self.press_mode.abort()
        self.dictation.cancel()

    def _start_dictation(self) -> None:
        self.dictation.start(self._key_cleanup)

    def _stop_dictation(self) -> None:
        self.press_mode.abort()
        self.dictation.stop()

    def _on_limit(self) -> None:
        _LOGGER.info("Maximum recording length reached (%.0f s)", self.config.audio.max_seconds)
        self._stop_dictation()

    # --- lifecycle ----------------------------------------------------------
    def start(self) -> None:
        if self.config.audio.preroll_ms > 0:
            try:
                self.recorder.open()
            except SaysoError as err:  # no microphone yet: retried at the first dictation
                _LOGGER.error("%s", err)
        self._start_listener(self.config)
        from ..control.commands import ensure_server  # the control socket; once (start() runs again on reload)

        self.control = ensure_server(self)
        self.desktop.start(self.config)
        _LOGGER.info(
            "Ready: hotkeys live (dictate %s, %s mode)", self.config.hotkeys.dictate, self.config.hotkeys.dictate_mode
        )
        sd_notify("READY=1", self.env)
        self._offer_settings()

    def _offer_settings(self) -> None:
        """The first start, with no config file: point to the settings window (once per run)."""
        if self.config.source != "<defaults>" or getattr(self, "_offered_settings", False):
            return
        self._offered_settings = True
        _LOGGER.info("No config file yet: 'sayso settings' sets up the microphone, hotkey, voice and rewrite")
        self.notifier.notify(
            "Welcome to sayso",
            "Open 'sayso settings' (your applications menu, the tray's Settings…, or a terminal) to set up "
            "the microphone, the dictation hotkey, the voice and rewriting, from the keyboard.",
            urgency="normal",
        )

    def _start_listener(self, config: Config) -> None:
        if config.hotkeys.backend == "portal" or (config.hotkeys.backend == "auto" and self.session == "wayland"):
            sd_notify("EXTEND_TIMEOUT_USEC=150000000", self.env)  # the portal's dialog may wait for the user
        matcher = ChordMatcher(self._bindings(config), self.on_binding, loose=("cancel",))
        self.listener = start_listener(
            config.hotkeys.backend, self.session, matcher, config.hotkeys.evdev_device, self.env
        )

    def run(self) -> int:
        installed = self._install_signals()
        try:
            self.start()
            while not self.stop_event.wait(0.5):
                pass
        finally:
            self.shutdown()
            for sig, old in installed.items():
                signal.signal(sig, old)
        return 0

    def _install_signals(self) -> dict:
        if threading.current_thread() is not threading.main_thread():
            return {}
        old = {}
        for sig in (signal.SIGTERM, signal.SIGINT):
            old[sig] = signal.signal(sig, lambda *_: self.stop_event.set())
        if hasattr(signal, "SIGHUP"):
            old[signal.SIGHUP] = signal.signal(
                signal.SIGHUP, lambda *_: threading.Thread(target=self.reload, daemon=True).start()
            )
        return old

    def reload(self) -> bool:
        """Re-read the config; a bad new config is reported and the old kept."""
        try:
            new = load_config(self.config_path, self.env)
        except SaysoError as err:
            _LOGGER.error("Reload failed, keeping the old config: %s", err)
            self.notifier.notify("sayso: config not reloaded", str(err), urgency="critical")
            return False
        self.dictation.cancel()
        if self.dictation.remote is not None:
            self.dictation.remote.engine.close()
        if self.speak is not None and self.speak.remote is not None:
            self.speak.remote.close()
        if self.listener is not None:
            self.listener.stop()
        self.recorder.close()
        self.output.close()
        self.desktop.stop()
        if new.stt != self.config.stt:
            self.stt = ModelSlot(lambda: self._load_stt(new), "speech model")
        self.needs_restart = restart_needed(self.started_with, new)
        rate_changed = new.speak.rate != self.config.speak.rate
        self.config = new
        self._build(new)
        if rate_changed and self.speak is not None:  # the new setting wins over the rate kept by faster/slower
            self.speak.set_rate(new.speak.rate)
        self.start()
        if self.needs_restart:
            _LOGGER.info("Config reloaded; these take effect after a restart: %s", ", ".join(self.needs_restart))
        else:
            _LOGGER.info("Config reloaded")
        return True

    def forget_history(self, times: Optional[list]) -> int:
        """Drop the dictations at *times* (all when None) from the history, the kept file and their
        recordings (``sayso ctl history clear | delete TIME``, the History page); how many."""
        import collections
        import dataclasses

        from ..dictate.history import forget, read_undelivered

        history = self.history
        kept = read_undelivered(history.path) if history.path is not None else []
        memory = [dataclasses.asdict(e) for e in list(history.entries)]
        gone = [e for e in memory + kept if times is None or e.get("time") in times]
        keys = {(e.get("time"), e.get("audio", "")) for e in gone}
        history.entries = collections.deque(
            (e for e in list(history.entries) if (e.time, e.audio) not in keys), maxlen=history.entries.maxlen
        )
        if history.path is not None:
            forget(history.path, gone)
        return len(keys)

    def request_stop(self) -> None:
        self.stop_event.set()

    def shutdown(self) -> None:
        sd_notify("STOPPING=1", self.env)
        t0 = time.monotonic()
        if self.control is not None:
            self.control.close()
        if self.listener is not None:
            self.listener.stop()
        self.dictation.shutdown()
        if self.speak is not None:
            run_logged(self.speak.shutdown, "shutdown")
        if self.rewrite is not None:
            run_logged(self.rewrite.close, "shutdown")
        if self.see is not None:
            run_logged(self.see.close, "shutdown")
        self.recorder.close()
        self.output.close()
        self.desktop.close()
        self.notifier.close()
        _LOGGER.info("Stopped (%.2f s)", time.monotonic() - t0)
