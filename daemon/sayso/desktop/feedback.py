"""Desktop feedback: notifications over D-Bus and short sound cues.

:func:`make_notifier` gives the daemon a :class:`DesktopNotifier`: it sends
``org.freedesktop.Notifications.Notify`` on the session bus (jeepney, no
GLib) from a worker thread, so a slow or absent notification server never
blocks a pipeline.  A notice with the same summary as an earlier one
replaces it on screen instead of stacking ("Nothing heard" twice is one
bubble).  :meth:`DesktopNotifier.cue` plays a generated tone (``start``,
``stop``, ``error``) without blocking, at ``notify.volume``; ``notify.sounds
= false`` turns cues off.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from typing import Mapping, Optional

import numpy as np

from ..core.config_types import NotifyConfig
from .notify import Notifier

_LOGGER = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
URGENCY = {"low": 0, "normal": 1, "critical": 2}
APP_NAME = "sayso"
ICON = "audio-input-microphone"
MAX_BODY = 400
#: after a Notify fails (no server, or one that never answers: a desktop's
#: notification service activated on a session where it cannot start),
#: notices go to the log only for this long instead of each waiting 3 s
BACKOFF_S = 30.0
CUE_RATE = 48000
#: cue name -> (frequency Hz or 0 for a pause, seconds) steps
CUES = {
    "start": ((660.0, 0.07), (880.0, 0.09)),
    "stop": ((880.0, 0.07), (660.0, 0.09)),
    "error": ((330.0, 0.12), (0.0, 0.06), (330.0, 0.12)),
}


def make_notifier(notify_cfg: NotifyConfig, env: Mapping[str, str] = os.environ) -> Notifier:
    return DesktopNotifier(notify_cfg, env)


def escape_markup(text: str) -> str:
    """Notification bodies may be parsed as markup: show the text as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class DesktopNotifier(Notifier):
    """Notices on the desktop (D-Bus) plus sound cues."""

    def __init__(self, cfg: NotifyConfig, env: Mapping[str, str] = os.environ) -> None:
        self.address = env.get("DBUS_SESSION_BUS_ADDRESS", "")
        super().__init__(enabled=bool(cfg.desktop and self.address))
        self.backend = "dbus" if self.enabled else "log"
        self.sounds: Optional[SoundCues] = SoundCues(cfg.volume) if cfg.sounds and cfg.volume > 0 else None
        self._queue: queue.Queue = queue.Queue(maxsize=32)
        self._ids: dict = {}  # summary -> notification id on screen
        self._conn = None
        self._quiet_until = 0.0  # monotonic time until which the server is not asked
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        if cfg.desktop and not self.address:
            _LOGGER.info("No session D-Bus (DBUS_SESSION_BUS_ADDRESS unset): notices go to the log only")

    # --- notifications -------------------------------------------------------
    def _show(self, summary: str, body: str, urgency: str) -> None:
        self._ensure_worker()
        try:
            self._queue.put_nowait((summary, body, urgency))
        except queue.Full:
            _LOGGER.debug("Notification queue full: dropped %r", summary)

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, daemon=True, name="notify")
                self._thread.start()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if time.monotonic() < self._quiet_until:
                    _LOGGER.debug("Desktop notifications paused after a failure: %r in the log only", item[0])
                    continue
                self._send(*item)
            except Exception as err:  # the server went away, the bus is gone, it never answers...
                _LOGGER.debug("Desktop notification failed (the log only for %.0f s): %s", BACKOFF_S, err)
                self._quiet_until = time.monotonic() + BACKOFF_S
                self._disconnect()
            finally:
                self._queue.task_done()

    def _send(self, summary: str, body: str, urgency: str) -> int:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import unwrap_msg

        if self._conn is None:
            self._conn = open_dbus_connection(bus=self.address)
        addr = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        body = escape_markup(body if len(body) <= MAX_BODY else body[: MAX_BODY - 1] + "…")
        hints = {"urgency": ("y", URGENCY.get(urgency, 1)), "desktop-entry": ("s", APP_NAME)}
        replaces = self._ids.get(summary, 0)
        msg = new_method_call(addr, "Notify", "susssasa{sv}i", (APP_NAME, replaces, ICON, summary, body, [], hints, -1))
        note_id = int(unwrap_msg(self._conn.send_and_get_reply(msg, timeout=3.0))[0])
        self._ids[summary] = note_id
        return note_id

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until queued notices were sent (tests, shutdown)."""
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                pass
        self._disconnect()

    # --- sound cues ----------------------------------------------------------
    def cue(self, name: str) -> None:
        """Play the *name* cue ("start", "stop", "error") without blocking."""
        if self.sounds is None:
            return
        try:
            self.sounds.play(name)
        except Exception as err:  # feedback must never break a pipeline
            _LOGGER.debug("Cue %s failed: %s", name, err)


def tone(name: str, volume: float, rate: int = CUE_RATE) -> np.ndarray:
    """The samples of cue *name*: sine steps with 5 ms fades (no clicks)."""
    if name not in CUES:
        raise ValueError(f"unknown cue {name!r} (one of: {', '.join(CUES)})")
    parts = []
    fade = int(rate * 0.005)
    for freq, seconds in CUES[name]:
        n = int(rate * seconds)
        t = np.arange(n, dtype=np.float32) / rate
        part = np.sin(2 * np.pi * freq * t).astype(np.float32) if freq else np.zeros(n, np.float32)
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        part[:fade] *= ramp
        part[-fade:] *= ramp[::-1]
        parts.append(part)
    return (np.concatenate(parts) * float(min(max(volume, 0.0), 1.0))).astype(np.float32)


class SoundCues:
    """Plays cues on a worker thread, one at a time; a busy device skips cues."""

    def __init__(self, volume: float, device=None) -> None:
        self.volume = volume
        self.device = device
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self.played = 0

    def play(self, name: str) -> None:
        samples = tone(name, self.volume)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, daemon=True, name="cues")
                self._thread.start()
        try:
            self._queue.put_nowait(samples)
        except queue.Full:
            _LOGGER.debug("Cue %s skipped: cues are queued up", name)

    def _work(self) -> None:
        while True:
            samples = self._queue.get()
            try:
                self._play(samples)
                self.played += 1
            except Exception as err:  # no output device: cues are optional
                _LOGGER.debug("Sound cue failed: %s", err)
            finally:
                self._queue.task_done()

    def _play(self, samples: np.ndarray) -> None:
        import sounddevice as sd

        from ..audio.capture import resolve_device

        device = resolve_device(self.device or "", "output")
        pad = np.zeros(int(CUE_RATE * 0.05), np.float32)  # let the device drain before closing
        with sd.OutputStream(samplerate=CUE_RATE, channels=1, dtype="float32", device=device) as stream:
            stream.write(np.concatenate([samples, pad]).reshape(-1, 1))

    def wait(self, timeout: float = 5.0) -> bool:
        done = threading.Event()
        threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True).start()
        return done.wait(timeout)
