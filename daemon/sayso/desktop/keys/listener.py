"""Global key listeners: feed native key events into a :class:`ChordMatcher`.

Backends: ``portal`` (the desktop's GlobalShortcuts portal; Wayland),
``pynput`` (X11, XWayland, macOS, Windows), ``evdev`` (reads /dev/input;
Wayland) and ``external`` (no listener: the compositor binds keys to
``sayso ctl``).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from typing import Optional

from ...core.chords import ChordMatcher
from ...core.errors import HotkeyError  # noqa: F401  (re-exported for the listeners' callers)

_LOGGER = logging.getLogger(__name__)


def pynput_key_name(key) -> Optional[str]:
    """Name a pynput ``Key``/``KeyCode`` the way bindings spell it."""
    name = getattr(key, "name", None)
    if name:  # pynput.keyboard.Key member
        return {"alt_gr": "alt_gr", "cmd": "cmd_l"}.get(name, name)
    char = getattr(key, "char", None)
    if char:
        if len(char) == 1 and ord(char) < 32:  # ctrl+letter delivered as a control char
            return chr(ord(char) + 96)
        return char.lower()
    vk = getattr(key, "vk", None)
    return f"vk{vk}" if vk is not None else None


class PynputListener:
    """Runs pynput's keyboard listener in its own thread."""

    name = "pynput"

    @classmethod
    def create(cls, matcher: ChordMatcher, *, evdev_device: str = "", env=os.environ):
        return cls(matcher)

    def __init__(self, matcher: ChordMatcher, grab: bool = True) -> None:
        self.matcher = matcher
        self.grab = grab
        self._listener = None
        self._grabber = None

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        """None when usable, else why not."""
        if importlib.util.find_spec("pynput") is None:
            return "pynput is not installed"
        if os.name == "posix" and not os.uname().sysname == "Darwin" and not env.get("DISPLAY"):
            return "no X display (DISPLAY is not set)"
        return None

    def start(self) -> None:
        try:
            from pynput import keyboard
        except Exception as err:  # pynput raises ImportError subclasses with X errors inside
            raise HotkeyError(f"cannot start the pynput hotkey listener: {err}") from err

        def on_press(key):
            name = pynput_key_name(key)
            if name:
                self._safe(self.matcher.key_down, name)

        def on_release(key):
            name = pynput_key_name(key)
            if name:
                self._safe(self.matcher.key_up, name)

        self._listener = keyboard.Listener(on_press=on_press, on_release=on_release)
        self._listener.daemon = True
        self._listener.start()
        self._listener.wait()
        if not self._listener.running:
            raise HotkeyError("the pynput hotkey listener stopped at once (is the X RECORD extension available?)")
        if self.grab and os.environ.get("DISPLAY") and sys.platform.startswith("linux"):
            self._start_grabs()
        _LOGGER.info("Hotkey listener: pynput")

    def _start_grabs(self) -> None:
        from ..x11 import KeyGrabber

        try:
            self._grabber = KeyGrabber()
        except Exception as err:
            _LOGGER.warning("Cannot grab hotkeys (apps will also see them): %s", err)
            return
        grabbed = [
            str(b)
            for name, b in self.matcher.bindings.items()
            if name not in self.matcher.loose and self._grabber.grab(b)
        ]  # never grab Escape
        self._grabber.start()
        _LOGGER.debug("Grabbed hotkeys: %s", ", ".join(grabbed))

    @staticmethod
    def _safe(fn, name: str) -> None:
        try:
            fn(name)
        except Exception as err:  # a bug in a handler must not kill the listener thread
            _LOGGER.error("Error in hotkey handler: %s", err)
            _LOGGER.debug("Traceback", exc_info=True)

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._grabber is not None:
            self._grabber.close()
            self._grabber = None


class ExternalListener:
    """No key listener: the desktop binds keys to ``sayso ctl`` commands."""

    name = "external"

    @classmethod
    def create(cls, matcher: ChordMatcher, *, evdev_device: str = "", env=os.environ):
        return cls(matcher)

    def __init__(self, matcher: ChordMatcher) -> None:
        self.matcher = matcher

    @staticmethod
    def is_available(env=os.environ) -> Optional[str]:
        return None

    def start(self) -> None:
        _LOGGER.info("Hotkey listener: external (bind keys to 'sayso ctl' in your desktop)")

    def stop(self) -> None:
        pass


def _classes() -> dict:
    classes = {"pynput": PynputListener, "external": ExternalListener}
    if importlib.util.find_spec("sayso.desktop.keys.evdev") is not None:
        from .evdev import EvdevListener

        classes["evdev"] = EvdevListener
    if importlib.util.find_spec("jeepney") is not None:
        from ..portal.listener import PortalListener

        classes["portal"] = PortalListener
    return classes


def choose_listener(backend: str, session: str, env=os.environ, skip=()):
    """Pick the listener class for *backend* ("auto" looks at the session; *skip*: names not to pick)."""
    classes = _classes()
    if backend != "auto":
        cls = classes.get(backend)
        if cls is None:
            raise HotkeyError(f"hotkey backend {backend!r} is not available")
        why = cls.is_available(env)
        if why:
            raise HotkeyError(f"hotkey backend {backend}: {why}")
        return cls
    order = ["portal", "evdev", "pynput", "external"] if session == "wayland" else ["pynput", "evdev", "external"]
    for name in order:
        cls = classes.get(name)
        if cls is None or name in skip:
            continue
        why = cls.is_available(env)
        if why is None:
            _LOGGER.info("Hotkey backend auto: using %s (session %s)", name, session)
            return cls
        _LOGGER.info("Hotkey backend %s not usable: %s", name, why)
    return ExternalListener


def start_listener(backend: str, session: str, matcher: ChordMatcher, evdev_device: str = "", env=os.environ):
    """Build and start the listener; under "auto", one that fails to start gives way to the next."""
    tried: list = []
    while True:
        cls = choose_listener(backend, session, env, skip=tried)
        listener = _build(cls, matcher, evdev_device, env)
        try:
            listener.start()
            why = getattr(listener, "keyless", lambda: None)() if backend == "auto" else None
            if why is None:
                return listener
            listener.stop()
            raise HotkeyError(why)
        except HotkeyError as err:
            if backend != "auto" or cls.name == "external":
                raise
            _LOGGER.warning("Hotkey backend %s did not start: %s", cls.name, err)
            tried.append(cls.name)


def _build(cls, matcher: ChordMatcher, evdev_device: str, env):
    """Each listener class builds itself from the options it needs (``create``)."""
    return cls.create(matcher, evdev_device=evdev_device, env=env)
