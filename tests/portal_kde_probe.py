"""Runs sayso's portal clients inside the KDE test session (as its user) and
prints what happened as one JSON line.  Used by test_portal_kde_e2e.py.

  portal_kde_probe.py hold SECONDS      bind shortcuts, hold Ctrl+Alt+Space through the
                                        RemoteDesktop keyboard, release, tap Ctrl+Alt+S
  portal_kde_probe.py type EDITS_JSON   type [[delete, text], ...] through RemoteDesktop
  portal_kde_probe.py chord SECONDS     hold Ctrl+Alt+Space that long (the daemon's shortcut), release
  portal_kde_probe.py keys STEPS_JSON   press [[chord, seconds after], ...] (``tab``, ``enter``) through RemoteDesktop
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "daemon"))

from sayso.desktop.portal.keys import chord_keysyms  # noqa: E402
from sayso.desktop.portal.remote import PRESSED, RELEASED, PortalKeyboard  # noqa: E402
from sayso.desktop.portal.shortcuts import PortalShortcuts  # noqa: E402


class Edit:
    def __init__(self, delete: int, text: str) -> None:
        self.delete, self.text = delete, text


def hold(seconds: float) -> dict:
    events = []
    t0 = time.monotonic()
    shortcuts = PortalShortcuts(
        {"dictate": ("Hold to dictate", "CTRL+ALT+space"), "speak.toggle": ("Read the selection aloud", "CTRL+ALT+s")},
        lambda name, pressed: events.append([round(time.monotonic() - t0, 3), name, pressed]),
        timeout=30,
    )
    keyboard = PortalKeyboard(timeout=30)
    shortcuts.start()
    try:
        keyboard.start()
        chord = chord_keysyms("<ctrl>+<alt>+space")
        pressed_at = time.monotonic() - t0
        for keysym in chord:
            keyboard._key(keysym, PRESSED)
        time.sleep(seconds)
        released_at = time.monotonic() - t0
        for keysym in reversed(chord):
            keyboard._key(keysym, RELEASED)
        time.sleep(0.5)
        keyboard.press_keys("<ctrl>+<alt>+s")
        time.sleep(0.5)
        return {
            "bound": shortcuts.bound(),
            "events": events,
            "pressed_at": pressed_at,
            "released_at": released_at,
            "remote_version": keyboard.version,
        }
    finally:
        keyboard.stop()
        shortcuts.stop()


def type_edits(edits: list) -> dict:
    keyboard = PortalKeyboard(timeout=30)
    try:
        for delete, text in edits:
            keyboard.insert(Edit(delete, text))
        return {"ok": True, "remote_version": keyboard.version, "devices": keyboard.devices}
    finally:
        keyboard.stop()


def hold_chord(seconds: float) -> dict:
    keyboard = PortalKeyboard(timeout=30)
    keyboard.start()
    chord = chord_keysyms("<ctrl>+<alt>+space")
    try:
        for keysym in chord:
            keyboard._key(keysym, PRESSED)
        print(json.dumps({"pressed": True}), flush=True)
        time.sleep(seconds)
        for keysym in reversed(chord):
            keyboard._key(keysym, RELEASED)
        return {"released": True}
    finally:
        keyboard.stop()


def press(steps: list) -> dict:
    keyboard = PortalKeyboard(timeout=30)
    try:
        for chord, pause in steps:
            keyboard.press_keys(chord)
            time.sleep(pause)
        return {"pressed": len(steps)}
    finally:
        keyboard.stop()


if __name__ == "__main__":
    if sys.argv[1] == "hold":
        result = hold(float(sys.argv[2]))
    elif sys.argv[1] == "chord":
        result = hold_chord(float(sys.argv[2]))
    elif sys.argv[1] == "keys":
        result = press(json.loads(sys.argv[2]))
    else:
        result = type_edits(json.loads(sys.argv[2]))
    print(json.dumps(result, ensure_ascii=False), flush=True)
