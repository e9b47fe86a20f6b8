"""A small "recording" window for X11 and XWayland that never takes the focus.

The window is override-redirect (no window manager manages, decorates or
focuses it), says ``WM_HINTS input=False`` and
``_NET_WM_WINDOW_TYPE_NOTIFICATION`` for the few that look anyway, and has
an empty input shape, so clicks go through it and keystrokes stay with
the app being dictated into.  It shows while recording (with the elapsed
time) and hides after.  One thread owns its X connection; the public
methods only queue commands for it, so they are safe from any thread.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import threading
import time
from typing import Optional

from .state import State, Status

_LOGGER = logging.getLogger(__name__)

WIDTH, HEIGHT, MARGIN = 132, 30, 16
BACKGROUND, FOREGROUND = 0xC0392B, 0xFFFFFF


class IndicatorError(Exception):
    pass


class RecordingIndicator:
    """``show()`` / ``hide()`` / ``set_status()``; ``start()`` opens the display, ``stop()`` closes it."""

    def __init__(self, display: Optional[str] = None, corner: str = "top-right") -> None:
        self.display_name = display
        self.corner = corner
        self.window_id: Optional[int] = None
        self.shown = threading.Event()
        self._commands: queue.Queue = queue.Queue()
        self._wake_r, self._wake_w = os.pipe()
        self._thread: Optional[threading.Thread] = None
        self._started = threading.Event()
        self._error: Optional[BaseException] = None
        self._status = Status()

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        """None when an X display (X11 or XWayland) can show the window, else why not."""
        if not env.get("DISPLAY"):
            return "no X display (DISPLAY is not set): the indicator needs X11 or XWayland"
        try:
            from Xlib import display as xdisplay  # noqa: F401
        except ImportError:
            return "python-xlib is not installed"
        return None

    # --- public, any thread --------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="sayso-indicator")
        self._thread.start()
        self._started.wait(10)
        if self._error is not None:
            raise IndicatorError(f"cannot open the recording indicator: {self._error}")

    def show(self, text: str = "REC") -> None:
        self._send(("show", text))

    def hide(self) -> None:
        self._send(("hide", None))

    def set_status(self, status: Status) -> None:
        """Show while recording (with the elapsed time), hide otherwise: a publisher subscriber."""
        self._send(("status", status))

    def stop(self) -> None:
        if self._thread is not None:
            self._send(("quit", None))
            self._thread.join(5)
            self._thread = None
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _send(self, command: tuple) -> None:
        self._commands.put(command)
        try:
            os.write(self._wake_w, b"x")
        except OSError:
            pass

    # --- the X thread --------------------------------------------------------
    def _run(self) -> None:
        try:
            from Xlib import display as xdisplay

            self._d = xdisplay.Display(self.display_name)
            self._create()
        except Exception as err:  # no display, no permission...
            self._error = err
            self._started.set()
            return
        self._started.set()
        try:
            self._loop()
        finally:
            self._d.close()

    def _create(self) -> None:
        from Xlib import X, Xatom

        d = self._d
        screen = d.screen()
        x, y = self._position(screen.width_in_pixels, screen.height_in_pixels)
        win = screen.root.create_window(
            x,
            y,
            WIDTH,
            HEIGHT,
            0,
            screen.root_depth,
            X.InputOutput,
            X.CopyFromParent,
            background_pixel=BACKGROUND,
            override_redirect=True,
            event_mask=X.ExposureMask,
        )
        win.set_wm_name("sayso recording")
        win.set_wm_class("sayso-indicator", "sayso")
        win.set_wm_hints(flags=1, input=0)  # InputHint: never give us the keyboard
        atom = d.intern_atom
        win.change_property(atom("_NET_WM_WINDOW_TYPE"), Xatom.ATOM, 32, [atom("_NET_WM_WINDOW_TYPE_NOTIFICATION")])
        win.change_property(
            atom("_NET_WM_STATE"),
            Xatom.ATOM,
            32,
            [atom("_NET_WM_STATE_ABOVE"), atom("_NET_WM_STATE_SKIP_TASKBAR"), atom("_NET_WM_STATE_SKIP_PAGER")],
        )
        self._click_through(win)
        self._font = d.open_font("fixed")
        self._gc = win.create_gc(foreground=FOREGROUND, background=BACKGROUND, font=self._font)
        self._win, self.window_id, self._text = win, win.id, "REC"
        d.flush()

    def _position(self, width: int, height: int) -> tuple:
        right = self.corner.endswith("right")
        bottom = self.corner.startswith("bottom")
        return (width - WIDTH - MARGIN if right else MARGIN, height - HEIGHT - MARGIN if bottom else MARGIN)

    def _click_through(self, win) -> None:
        """An empty input region (XShape): the pointer goes through too."""
        try:
            from Xlib.ext import shape

            if self._d.has_extension("SHAPE"):
                win.shape_rectangles(shape.SO.Set, shape.SK.Input, 0, 0, 0, [])
        except Exception as err:
            _LOGGER.debug("No click-through for the indicator: %s", err)

    def _loop(self) -> None:
        fd = self._d.fileno()
        while True:
            timeout = 0.25 if self.shown.is_set() else None
            ready, _, _ = select.select([fd, self._wake_r], [], [], timeout)
            if self._wake_r in ready:
                os.read(self._wake_r, 4096)
            while self._d.pending_events():
                event = self._d.next_event()
                if event.type == 12:  # Expose
                    self._draw()
            if not self._drain():
                return
            if self.shown.is_set() and self._status.state == State.RECORDING:
                self._set_text(_recording_text(self._status))

    def _drain(self) -> bool:
        while True:
            try:
                kind, arg = self._commands.get_nowait()
            except queue.Empty:
                return True
            if kind == "quit":
                return False
            if kind == "show":
                self._map(arg)
            elif kind == "hide":
                self._unmap()
            elif kind == "status":
                self._status = arg
                if arg.state == State.RECORDING:
                    self._map(_recording_text(arg))
                else:
                    self._unmap()

    def _map(self, text: str) -> None:
        self._text = text
        if not self.shown.is_set():
            self._win.map()
            self._win.configure(stack_mode=0)  # Above
            self.shown.set()
        self._draw()

    def _unmap(self) -> None:
        if self.shown.is_set():
            self._win.unmap()
            self._d.flush()
            self.shown.clear()

    def _set_text(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self._draw()

    def _draw(self) -> None:
        self._win.clear_area(0, 0, WIDTH, HEIGHT)
        self._win.fill_arc(self._gc, 10, HEIGHT // 2 - 6, 12, 12, 0, 360 * 64)
        self._win.draw_text(self._gc, 30, HEIGHT // 2 + 4, self._text.encode("latin-1", "replace"))
        self._d.flush()


def _recording_text(status: Status) -> str:
    seconds = int(status.elapsed())
    return f"REC {seconds // 60}:{seconds % 60:02d}"


def wait_shown(indicator: RecordingIndicator, shown: bool, timeout: float = 5.0) -> bool:
    """Wait until the indicator is (or is not) mapped; for tests and callers that must know."""
    deadline = time.monotonic() + timeout
    while indicator.shown.is_set() != shown:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
