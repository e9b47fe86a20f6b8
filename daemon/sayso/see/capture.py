"""Screen capture on X11: the whole screen, the active window, or a region the user drags.

Everything stays in memory: the X server's pixels become a Pillow image and
nothing is written to disk. The region is chosen on a frozen shot of the
screen: a full-screen input-only window takes the pointer and the keyboard,
a rubber band follows the drag, the release ends it and Esc cancels
(:class:`~sayso.core.errors.CancelledError`); a click without a drag is an
empty selection (:class:`~sayso.core.errors.InputError`). On Wayland a region
is dragged with slurp and captured by grim where the compositor is wlroots
(:mod:`.wlroots`); everything else goes through the Screenshot portal
(:func:`portal_capture`).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from ..core.errors import CancelledError, CaptureError, InputError
from .image import Shot, check_pixels

if TYPE_CHECKING:  # pragma: no cover
    from PIL.Image import Image

_LOGGER = logging.getLogger(__name__)

#: a drag smaller than this (either side, in pixels) is a click, not a region
MIN_REGION = 4
#: the drag gives up after this long without a release
REGION_TIMEOUT_S = 60.0
KINDS = ("region", "window", "screen")


@dataclass(frozen=True)
class Box:
    """A rectangle on the screen, in root-window pixels."""

    x: int
    y: int
    width: int
    height: int

    @staticmethod
    def spanning(x0: int, y0: int, x1: int, y1: int) -> Box:
        """The box between two corners, in any order."""
        return Box(min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0))

    def clipped(self, width: int, height: int) -> Box:
        """This box inside a *width* x *height* screen."""
        x0, y0 = max(0, self.x), max(0, self.y)
        x1, y1 = min(width, self.x + self.width), min(height, self.y + self.height)
        return Box(x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def open_display(name: Optional[str] = None):
    """An Xlib display; CaptureError (one line) where there is none."""
    try:
        from Xlib import display as xdisplay
        from Xlib.error import DisplayError
    except ImportError:
        raise CaptureError("screen capture on X11 needs the PyPI package python-xlib") from None
    if not (name or os.environ.get("DISPLAY")):
        raise CaptureError("no X display to capture (DISPLAY is not set)")
    try:
        return xdisplay.Display(name)
    except (DisplayError, OSError) as err:
        raise CaptureError(f"cannot open the X display {name or os.environ.get('DISPLAY')}: {err}") from None


def grab(d, box: Box) -> Image:
    """The pixels of *box* on the root window as an RGB image."""
    from PIL import Image
    from Xlib import X

    root = d.screen().root
    geometry = root.get_geometry()
    box = box.clipped(geometry.width, geometry.height)
    if box.width < 1 or box.height < 1:
        raise InputError("the area to capture is empty (0 pixels)")
    check_pixels((box.width, box.height), "screen area")
    reply = root.get_image(box.x, box.y, box.width, box.height, X.ZPixmap, 0xFFFFFFFF)
    data = reply.data if isinstance(reply.data, bytes) else bytes(reply.data)
    bpp = len(data) // (box.width * box.height)
    if bpp == 4:
        return Image.frombytes("RGB", (box.width, box.height), data, "raw", "BGRX")
    if bpp == 3:
        return Image.frombytes("RGB", (box.width, box.height), data, "raw", "BGR")
    raise CaptureError(f"the X server's pixel format is not supported ({reply.depth}-bit, {bpp} bytes a pixel)")


def screen_box(d) -> Box:
    geometry = d.screen().root.get_geometry()
    return Box(0, 0, geometry.width, geometry.height)


def active_window_box(d) -> Box:
    """Where the active window is: ``_NET_ACTIVE_WINDOW``, else the input focus, as a top-level window."""
    from Xlib import X

    root = d.screen().root
    window = None
    prop = root.get_full_property(d.intern_atom("_NET_ACTIVE_WINDOW"), X.AnyPropertyType)
    if prop is not None and prop.value and prop.value[0]:
        window = d.create_resource_object("window", int(prop.value[0]))
    if window is None:
        focus = d.get_input_focus().focus
        if isinstance(focus, int) or focus in (X.NONE, X.PointerRoot) or focus == root:
            raise InputError("no window is active")
        window = _top_level(focus, root)
    geometry = window.get_geometry()
    origin = window.translate_coords(root, 0, 0)
    return Box(-origin.x, -origin.y, geometry.width, geometry.height)


def _top_level(window, root):
    """The child of the root that holds *window* (its frame where a window manager reparents)."""
    while True:
        parent = window.query_tree().parent
        if parent == root or parent is None or int(getattr(parent, "id", 0)) == 0:
            return window
        window = parent


def select_region(d, *, timeout_s: float = REGION_TIMEOUT_S, on_ready: Optional[Callable[[], None]] = None) -> Box:
    """The box the user drags with the mouse (button 1); Esc or another button cancels.

    A full-screen InputOnly override-redirect window with a crosshair takes
    the pointer and keyboard; the rubber band is drawn XOR on the root window.
    *on_ready* is called once the grabs are held (tests drive the mouse then)."""
    from Xlib import X, Xcursorfont

    screen = d.screen()
    root = screen.root
    full = screen_box(d)
    overlay = root.create_window(
        0, 0, full.width, full.height, 0, 0, X.InputOnly, X.CopyFromParent,
        override_redirect=True,
        event_mask=X.ButtonPressMask | X.ButtonReleaseMask | X.PointerMotionMask | X.KeyPressMask,
    )  # fmt: skip
    font = d.open_font("cursor")
    cursor = font.create_glyph_cursor(font, Xcursorfont.crosshair, Xcursorfont.crosshair + 1,
                                      (65535, 65535, 65535), (0, 0, 0))  # fmt: skip
    gc = root.create_gc(function=X.GXxor, foreground=0xFFFFFF ^ screen.black_pixel, line_width=2,
                        subwindow_mode=X.IncludeInferiors)  # fmt: skip
    overlay.map()
    d.sync()
    band: list = []
    try:
        _grab_input(d, overlay, cursor)
        if on_ready is not None:
            on_ready()
        return _drag(d, root, gc, band, timeout_s)
    finally:
        if band:
            _draw_band(root, gc, band)  # XOR again: the band goes away
        d.ungrab_pointer(X.CurrentTime)
        d.ungrab_keyboard(X.CurrentTime)
        overlay.destroy()
        gc.free()
        cursor.free()
        font.close()
        d.sync()


def _grab_input(d, overlay, cursor) -> None:
    from Xlib import X

    mask = X.ButtonPressMask | X.ButtonReleaseMask | X.PointerMotionMask
    deadline = time.monotonic() + 1.0
    while True:  # another client may hold a grab for a moment (the hotkey's own key release)
        pointer = overlay.grab_pointer(False, mask, X.GrabModeAsync, X.GrabModeAsync, X.NONE, cursor, X.CurrentTime)
        keyboard = overlay.grab_keyboard(False, X.GrabModeAsync, X.GrabModeAsync, X.CurrentTime)
        if pointer == X.GrabSuccess and keyboard == X.GrabSuccess:
            return
        d.ungrab_pointer(X.CurrentTime)
        d.ungrab_keyboard(X.CurrentTime)
        if time.monotonic() > deadline:
            raise CaptureError("another program holds the mouse or the keyboard: cannot select a region")
        time.sleep(0.05)


def _drag(d, root, gc, band: list, timeout_s: float) -> Box:
    from Xlib import XK, X

    escape = d.keysym_to_keycode(XK.string_to_keysym("Escape"))
    start: Optional[tuple[int, int]] = None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not d.pending_events():
            time.sleep(0.01)
            continue
        event = d.next_event()
        if event.type == X.KeyPress and event.detail == escape:
            raise CancelledError("region capture cancelled")
        if event.type == X.ButtonPress:
            if event.detail != 1:
                raise CancelledError("region capture cancelled")
            start = (event.root_x, event.root_y)
        elif event.type == X.MotionNotify and start is not None:
            _move_band(root, gc, band, Box.spanning(start[0], start[1], event.root_x, event.root_y))
        elif event.type == X.ButtonRelease and start is not None and event.detail == 1:
            box = Box.spanning(start[0], start[1], event.root_x, event.root_y)
            if box.width < MIN_REGION or box.height < MIN_REGION:
                raise InputError("the selected region is empty: drag over the text to read")
            return box
    raise CancelledError(f"region capture cancelled: no selection within {timeout_s:.0f} s")


def _move_band(root, gc, band: list, box: Box) -> None:
    if band:
        _draw_band(root, gc, band)
    band[:] = [box]
    _draw_band(root, gc, band)


def _draw_band(root, gc, band: list) -> None:
    box = band[0]
    root.rectangle(gc, box.x, box.y, max(1, box.width), max(1, box.height))


def portal_capture(kind: str) -> Shot:
    """The Screenshot portal's shot: the whole screen, or (region, window) what the user picks
    in the desktop's own dialog (``interactive``), where the desktop offers one."""
    from ..desktop.portal.screenshot import take_screenshot
    from ..desktop.portal.xdp import PortalCancelled, PortalError
    from .image import decode

    try:
        data = take_screenshot(interactive=kind != "screen")
    except PortalCancelled:
        raise CancelledError("screen capture cancelled") from None
    except PortalError as err:
        raise CaptureError(str(err)) from None
    return Shot(decode(data, "portal screenshot"), kind)


def wayland_capture(kind: str, on_ready: Optional[Callable[[], None]] = None) -> Shot:
    """A region dragged with slurp and captured by grim on wlroots (:mod:`.wlroots`); else the portal."""
    from . import wlroots

    tools = wlroots.region_tools() if kind == "region" else None
    if tools is not None:
        try:
            return wlroots.capture_region(tools, MIN_REGION, REGION_TIMEOUT_S, on_ready)
        except wlroots.Unsupported as why:
            _LOGGER.info("No slurp/grim region here (%s): asking the Screenshot portal", why)
    return portal_capture(kind)


def capture(
    kind: str,
    display: Optional[str] = None,
    *,
    on_ready: Optional[Callable[[], None]] = None,
    session: str = "x11",
) -> Shot:
    """A shot of *kind* (``region``, ``window`` or ``screen``): X11 directly, Wayland through the portal."""
    if kind not in KINDS:
        raise CaptureError(f"unknown capture {kind!r} (region, window or screen)")
    if session == "wayland":
        return wayland_capture(kind, on_ready)
    d = open_display(display)
    try:
        if kind == "screen":
            return Shot(grab(d, screen_box(d)), "screen")
        if kind == "window":
            return Shot(grab(d, active_window_box(d)), "window")
        frozen = grab(d, screen_box(d))  # what the user saw when they pressed the key
        box = select_region(d, on_ready=on_ready)
        image = frozen.crop((box.x, box.y, box.x + box.width, box.y + box.height))
        _LOGGER.debug("Captured a %dx%d region", box.width, box.height)
        return Shot(image, "region")
    finally:
        d.close()
