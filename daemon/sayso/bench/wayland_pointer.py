"""A virtual pointer on a wlroots compositor, for the bench and the tests: the Wayland wire protocol by hand.

Headless sway has no input devices (``WLR_LIBINPUT_NO_DEVICES=1``), so its
seat offers no pointer and a client such as slurp never sees the mouse. A
``zwlr_virtual_pointer_v1`` (the protocol wayvnc uses) gives the seat a
pointer; this module moves it and presses its buttons like a person's mouse.
Each call ends with a round trip, so the compositor has handled the event
when it returns.
"""

from __future__ import annotations

import os
import socket
import struct
import time

BTN_LEFT = 0x110
MANAGER = "zwlr_virtual_pointer_manager_v1"


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<I", len(raw)) + raw + b"\0" * (-len(raw) % 4)


class VirtualPointer:
    """A pointer of the compositor's seat; coordinates are in the layout's pixels."""

    def __init__(self, width: int, height: int, wayland_display: str = "", runtime_dir: str = "") -> None:
        name = wayland_display or os.environ["WAYLAND_DISPLAY"]
        path = name if name.startswith("/") else os.path.join(runtime_dir or os.environ["XDG_RUNTIME_DIR"], name)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.width, self.height = width, height
        self._next_id = 2
        self._buffer = b""
        registry = self._new_id()
        self._send(1, 1, struct.pack("<I", registry))  # wl_display.get_registry
        globals_ = self._roundtrip(registry)
        found = [(n, v) for n, (iface, v) in globals_.items() if iface == MANAGER]
        if not found:
            raise RuntimeError(f"the compositor offers no {MANAGER}")
        manager = self._new_id()
        gname, version = found[0]
        self._send(registry, 0, struct.pack("<I", gname) + _string(MANAGER) + struct.pack("<II", 1, manager))
        self.pointer = self._new_id()
        self._send(manager, 0, struct.pack("<II", 0, self.pointer))  # create_virtual_pointer(seat=null)
        self._roundtrip(registry)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _send(self, obj: int, opcode: int, payload: bytes = b"") -> None:
        self.sock.sendall(struct.pack("<II", obj, (8 + len(payload)) << 16 | opcode) + payload)

    def _roundtrip(self, registry: int) -> dict:
        """wl_display.sync and wait for its done; the registry's globals seen meanwhile."""
        callback = self._new_id()
        self._send(1, 0, struct.pack("<I", callback))
        found: dict = {}
        while True:
            while len(self._buffer) < 8:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise RuntimeError("the compositor closed the connection")
                self._buffer += chunk
            obj, word = struct.unpack("<II", self._buffer[:8])
            size, opcode = word >> 16, word & 0xFFFF
            while len(self._buffer) < size:
                self._buffer += self.sock.recv(65536)
            body, self._buffer = self._buffer[8:size], self._buffer[size:]
            if obj == 1 and opcode == 0:  # wl_display.error
                message = body[12:].split(b"\0")[0].decode(errors="replace")
                raise RuntimeError(f"Wayland protocol error: {message}")
            if obj == registry and opcode == 0:  # wl_registry.global
                gname, length = struct.unpack("<II", body[:8])
                iface = body[8 : 8 + length - 1].decode()
                (version,) = struct.unpack("<I", body[8 + length + (-length % 4) :][:4])
                found[gname] = (iface, version)
            if obj == callback:  # wl_callback.done
                return found

    def _time(self) -> int:
        return int(time.monotonic() * 1000) & 0xFFFFFFFF

    def _frame(self) -> None:
        self._send(self.pointer, 4)
        self._roundtrip(0)

    def move(self, x: int, y: int) -> None:
        self._send(self.pointer, 1, struct.pack("<IIIII", self._time(), x, y, self.width, self.height))
        self._frame()

    def button(self, pressed: bool, button: int = BTN_LEFT) -> None:
        self._send(self.pointer, 2, struct.pack("<III", self._time(), button, 1 if pressed else 0))
        self._frame()

    def close(self) -> None:
        self._send(self.pointer, 8)
        self.sock.close()
