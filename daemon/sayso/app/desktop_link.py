"""The daemon's visible state: the state publisher, the tray icon and the
recording indicator, and the actions only they need (stop, pause, quit).

:class:`StateTracker` works the state out of the pipelines themselves
(recording, transcribing, reading, rewriting, the last failure) each time
one of them says something changed, and publishes it
(:class:`sayso.desktop.portal.state.StatePublisher`) to ``sayso ctl status
--watch``, the tray and the indicator. :class:`DesktopLink` owns those and
is the one object the daemon talks to.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, Optional

from ..core.errors import run_logged
from ..desktop.portal.state import State, StatePublisher

_LOGGER = logging.getLogger(__name__)

ERROR_HOLD_S = 8.0  # how long a failure shows before the state falls back to idle
#: rewrite actions that are not a rewrite running (nothing to show)
_NOT_REWRITES = ("rewrite.undo", "rewrite.cancel", "rewrite.force-last")


class StateTracker:
    """Derives the daemon's state from its pipelines; :meth:`changed` is their hook."""

    def __init__(self, daemon, publisher: StatePublisher, error_hold_s: float = ERROR_HOLD_S) -> None:
        self.daemon = daemon
        self.publisher = publisher
        self.error_hold_s = error_hold_s
        self.paused = False
        self._rewrites = 0
        self._error = ""
        self._lock = threading.RLock()
        self._timer: Optional[threading.Timer] = None

    def attach(self) -> None:
        """Hook the pipelines the daemon has just built (again after a reload)."""
        d = self.daemon
        d.dictation.on_change = self.changed
        if d.speak is not None:
            d.speak.on_change = self.changed
        for name in [n for n in d.actions if n.startswith("rewrite.") and n not in _NOT_REWRITES]:
            d.actions[name] = self._rewriting(d.actions[name])
        self.changed()

    def _rewriting(self, fn: Callable) -> Callable:
        def run():
            with self._lock:
                self._rewrites += 1
            self.changed()
            result = None
            try:
                result = fn()
                return result
            finally:
                with self._lock:
                    self._rewrites -= 1
                ok = getattr(result, "ok", True)
                self.changed("" if ok else str(getattr(result, "message", "") or "rewrite failed"))

        return run

    def derive(self) -> State:
        d = self.daemon
        if d.dictation.recording:
            return State.RECORDING
        if d.dictation.busy:
            return State.TRANSCRIBING
        if self._rewrites:
            return State.REWRITING
        if d.speak is not None and d.speak.speaking:
            return State.READING
        if self._error:
            return State.ERROR
        return State.PAUSED if self.paused else State.IDLE

    def changed(self, error: str = "") -> None:
        """Something may have changed; *error*: a pipeline just failed with this message."""
        with self._lock:
            if error:
                self._error = error.splitlines()[0][:200]
                self._hold_error()
            state = self.derive()
            if state not in (State.ERROR, State.IDLE, State.PAUSED):
                self._error = ""  # a new activity replaces the old failure
            self.publisher.set(state, self._error if state == State.ERROR else "")

    def _hold_error(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = threading.Timer(self.error_hold_s, self._clear_error)
        self._timer.daemon = True
        self._timer.start()

    def _clear_error(self) -> None:
        with self._lock:
            self._error = ""
        self.changed()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


class DesktopLink:
    """The state publisher (for the daemon's lifetime), the tray and the indicator."""

    def __init__(self, daemon) -> None:
        self.daemon = daemon
        self.publisher = StatePublisher()
        self.tracker = StateTracker(daemon, self.publisher)
        self.tray = None
        self.indicator = None
        self._subs: list = []

    @property
    def paused(self) -> bool:
        return self.tracker.paused

    def attach(self) -> None:
        """Register stop / pause / quit and hook the pipelines (after each build)."""
        d = self.daemon
        d.actions.update(self.actions())
        self.tracker.attach()

    def actions(self) -> dict:
        """The app's own actions (the tray menu's; ``sayso ctl`` and hotkeys may run them too)."""
        return {
            "stop": self.stop_all,
            "pause": self.toggle_pause,
            "quit": self.daemon.request_stop,
            "settings": self.open_settings,
        }

    def open_settings(self) -> None:
        """Open the settings window (``sayso settings``) as a process of its own; the daemon does not wait."""
        import subprocess
        import sys

        subprocess.Popen(
            [sys.executable, "-m", "sayso", "settings"],
            env=dict(self.daemon.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    # --- the actions only the menu has ---------------------------------------
    def stop_all(self) -> None:
        """Stop whatever runs: a recording is finished and typed, reading and rewrite stop."""
        d = self.daemon
        if d.dictation.recording:
            d.run_action("dictate.stop")
        for name in ("speak.stop", "rewrite.cancel"):
            if name in d.actions:
                run_logged(d.actions[name], name)

    def toggle_pause(self) -> bool:
        """Pause or resume the hotkeys (the tray and ``sayso ctl`` still work)."""
        self.tracker.paused = not self.tracker.paused
        _LOGGER.info("Hotkeys %s", "paused" if self.tracker.paused else "resumed")
        self.tracker.changed()
        return self.tracker.paused

    # --- tray and indicator ---------------------------------------------------
    def start(self, config) -> None:
        """Show the tray icon and the indicator as *config* says; a failure is one log line."""
        if config.notify.tray and self.tray is None:
            self.tray = self._show("tray icon", self._make_tray)
        if config.notify.indicator and self.indicator is None:
            self.indicator = self._show("recording indicator", self._make_indicator)

    def _show(self, what: str, make: Callable):
        try:
            part = make()
        except Exception as err:  # no bus, no display: sayso works without them
            _LOGGER.warning("No %s: %s", what, str(err).splitlines()[0] if str(err) else type(err).__name__)
            return None
        self._subs.append(self.publisher.subscribe(part.set_status))
        return part

    def _make_tray(self):
        from ..desktop.portal.tray import Tray, default_menu

        d = self.daemon
        rewrites = sorted(n for n in d.actions if n.startswith("rewrite.") and n not in _NOT_REWRITES)
        items = [
            i
            for i in default_menu([(f"Rewrite: {n.split('.', 1)[1]}", n) for n in rewrites])
            if i.separator or i.action in d.actions
        ]
        tray = Tray(lambda name: d.run_action(name), env=d.env, menu=_tidy(items))
        tray.start()
        return tray

    def _make_indicator(self):
        from ..desktop.portal.indicator import RecordingIndicator

        why = RecordingIndicator.is_available(self.daemon.env)
        if why:
            raise RuntimeError(why)
        indicator = RecordingIndicator(self.daemon.env.get("DISPLAY"))
        indicator.start()
        return indicator

    def stop(self) -> None:
        """Take the tray icon and the indicator down (reload, shutdown)."""
        for sub in self._subs:
            self.publisher.unsubscribe(sub)
        self._subs = []
        for part in (self.tray, self.indicator):
            if part is not None:
                run_logged(part.stop, "desktop shutdown")
        self.tray = self.indicator = None

    def close(self) -> None:
        self.stop()
        self.tracker.close()
        self.publisher.close()


def _tidy(items: list) -> list:
    """No separator first, last or twice in a row (after items were left out)."""
    out: list = []
    for item in items:
        if item.separator and (not out or out[-1].separator):
            continue
        out.append(item)
    while out and out[-1].separator:
        out.pop()
    return out
