"""Small built-in tray pixmaps, for hosts whose icon theme lacks the named icon.

StatusNotifierItem hosts look up ``IconName`` in the icon theme and fall
back to ``IconPixmap``: ``a(iiay)``, each an image as width, height and
ARGB32 bytes in network order.  These are drawn here (a disc in the
state's colour, a ring for idle), so no image files or imaging library
are needed.
"""

from __future__ import annotations

from functools import cache

from .state import State

SIZES = (16, 22, 32, 48)
#: state -> (RGB, filled)
STYLE = {
    State.IDLE: (0x8A8A8A, False),
    State.RECORDING: (0xE0322D, True),
    State.TRANSCRIBING: (0x3C8CE7, True),
    State.READING: (0x3FA34D, True),
    State.REWRITING: (0x9A5CD0, True),
    State.ERROR: (0xE8A317, True),
    State.PAUSED: (0x8A8A8A, True),
}


def _pixel(x: float, y: float, size: int, filled: bool) -> float:
    """Coverage (0..1) of the pixel centred at (x, y) by the disc or ring."""
    r = size / 2 - 1
    d = ((x - size / 2) ** 2 + (y - size / 2) ** 2) ** 0.5
    outer = max(0.0, min(1.0, r - d + 0.5))
    if filled:
        return outer
    inner = max(0.0, min(1.0, (r - max(2.0, size / 8)) - d + 0.5))
    return max(0.0, outer - inner)


@cache
def pixmap(state: State, size: int) -> tuple:
    rgb, filled = STYLE.get(state, STYLE[State.IDLE])
    data = bytearray()
    for row in range(size):
        for col in range(size):
            alpha = int(round(255 * _pixel(col + 0.5, row + 0.5, size, filled)))
            data += bytes((alpha, rgb >> 16 & 0xFF, rgb >> 8 & 0xFF, rgb & 0xFF))
    return (size, size, bytes(data))


def pixmaps(state: State) -> list:
    """The ``IconPixmap`` value for *state*."""
    return [pixmap(state, size) for size in SIZES]
