"""The evdev hotkey backend: raw `struct input_event` records through a pipe
(read exactly like /dev/input/event*), key names, availability reasons."""

import os
import struct
import subprocess
import sys
import tempfile
import time

import pytest
from evdev import ecodes

from sayso.core.chords import ABORT, PRESS, RELEASE, ChordMatcher, parse_binding
from sayso.desktop.keys.evdev import EvdevListener, Keyboard, key_names
from sayso.desktop.keys.listener import choose_listener

from conftest import REPO, wait_for

EVENT = struct.Struct("llHHi")


def ev(code: int, value: int, etype: int = ecodes.EV_KEY) -> bytes:
    return EVENT.pack(int(time.time()), 0, etype, code, value)


def syn(code: int = ecodes.SYN_REPORT) -> bytes:
    return EVENT.pack(0, 0, ecodes.EV_SYN, code, 0)


class Rig:
    """An EvdevListener reading a pipe, with a matcher that records binding events."""

    def __init__(self, bindings: dict) -> None:
        self.events: list = []
        matcher = ChordMatcher(
            {k: parse_binding(v) for k, v in bindings.items()},
            lambda name, event: self.events.append((name, event)),
            loose=("cancel",),
        )
        self.read_fd, self.write_fd = os.pipe()
        os.set_blocking(self.read_fd, False)
        self.listener = EvdevListener(
            matcher, keyboards=[Keyboard(self.read_fd, "test keyboard", "/dev/input/event99")]
        )
        self.listener.start()

    def send(self, *records: bytes) -> None:
        os.write(self.write_fd, b"".join(records))

    def wait(self, n: int) -> list:
        wait_for(lambda: len(self.events) >= n, 5, 0.01, f"{n} binding events")
        return self.events

    def close(self) -> None:
        os.close(self.write_fd)
        self.listener.stop()


@pytest.fixture
def rig():
    r = Rig({"dictate": "<ctrl>+<alt>+space", "cancel": "<esc>", "speak.toggle": "<ctrl_r>", "rewrite.fix": "<f9>"})
    yield r
    r.close()


def test_key_names_match_the_pynput_names():
    names = key_names()
    expected = {
        "KEY_LEFTCTRL": "ctrl_l",
        "KEY_RIGHTCTRL": "ctrl_r",
        "KEY_LEFTALT": "alt_l",
        "KEY_RIGHTALT": "alt_r",
        "KEY_LEFTSHIFT": "shift_l",
        "KEY_LEFTMETA": "cmd_l",
        "KEY_SPACE": "space",
        "KEY_A": "a",
        "KEY_F9": "f9",
        "KEY_ESC": "esc",
        "KEY_ENTER": "enter",
        "KEY_1": "1",
        "KEY_SLASH": "/",
        "KEY_PAGEUP": "page_up",
    }
    for code_name, key in expected.items():
        assert names[ecodes.ecodes[code_name]] == key, code_name
    for key in set(names.values()):
        parse_binding(f"<ctrl>+{key}" if len(key) == 1 else f"<{key}>")  # every name is a valid binding key


def test_chord_press_and_release(rig):
    ctrl, alt, space = ecodes.KEY_LEFTCTRL, ecodes.KEY_LEFTALT, ecodes.KEY_SPACE
    rig.send(ev(ctrl, 1), syn(), ev(alt, 1), syn(), ev(space, 1), syn())
    assert rig.wait(1) == [("dictate", PRESS)]
    rig.send(ev(space, 2), syn(), ev(space, 2), syn())  # auto-repeat: nothing new
    rig.send(ev(space, 0), syn())
    assert rig.wait(2) == [("dictate", PRESS), ("dictate", RELEASE)]
    rig.send(ev(alt, 0), ev(ctrl, 0), syn())


def test_events_split_across_reads_and_other_keys(rig):
    data = ev(ecodes.KEY_F9, 1) + syn() + ev(ecodes.KEY_F9, 0) + syn()
    rig.send(data[:7])
    time.sleep(0.3)
    rig.send(data[7:30])
    time.sleep(0.3)
    rig.send(data[30:])
    assert rig.wait(1)[0] == ("rewrite.fix", PRESS)
    rig.send(ev(ecodes.KEY_ESC, 1), syn(), ev(ecodes.KEY_ESC, 0), syn())
    assert ("cancel", PRESS) in rig.wait(3)


def test_lone_modifier_aborts_when_part_of_a_shortcut(rig):
    rig.send(ev(ecodes.KEY_RIGHTCTRL, 1), syn())
    assert rig.wait(1) == [("speak.toggle", PRESS)]
    rig.send(ev(ecodes.KEY_C, 1), syn())
    assert rig.wait(2)[1] == ("speak.toggle", ABORT)


def test_dropped_events_reset_the_held_keys(rig):
    rig.send(ev(ecodes.KEY_LEFTCTRL, 1), ev(ecodes.KEY_LEFTALT, 1), syn())
    rig.send(syn(ecodes.SYN_DROPPED))  # the kernel lost events: the releases may be gone
    rig.send(ev(ecodes.KEY_SPACE, 1), syn(), ev(ecodes.KEY_SPACE, 0), syn())
    rig.send(ev(ecodes.KEY_F9, 1), syn())  # proves the listener went on reading
    assert rig.wait(1) == [("rewrite.fix", PRESS)]  # no stale Ctrl+Alt: space alone is not the chord


def test_unplugged_keyboard_is_dropped_and_the_listener_survives(rig):
    os.close(rig.write_fd)
    wait_for(lambda: not rig.listener._keyboards, 5, 0.05, "the keyboard to be dropped")
    rig.write_fd = os.open(os.devnull, os.O_WRONLY)  # for close()


def test_availability_here_says_why():
    reason = EvdevListener.is_available()
    if not os.path.isdir("/dev/input") or not any(n.startswith("event") for n in os.listdir("/dev/input")):
        assert reason == "no input devices in /dev/input (a container or a remote session?)"
        with pytest.raises(Exception, match="hotkey backend evdev: no input devices"):
            choose_listener("evdev", "wayland")
        assert choose_listener("auto", "wayland", {}).name == "external"  # no display either
    else:
        assert reason is None or "input" in reason


def test_no_permission_explains_the_input_group():
    folder = tempfile.mkdtemp(prefix="sayso-input-")
    try:
        os.chmod(folder, 0o755)
        node = os.path.join(folder, "event0")
        open(node, "w").close()
        os.chmod(node, 0o600)  # like crw-rw---- root:input, seen by a user outside the group
        code = (
            "from sayso.desktop.keys.evdev import EvdevListener; import sys\n"
            "print(EvdevListener.is_available(input_dir=sys.argv[1]))"
        )
        proc = subprocess.run(
            [
                "setpriv",
                "--reuid",
                "nobody",
                "--regid",
                "nogroup",
                "--clear-groups",
                "--inh-caps",
                "+dac_read_search",
                "--ambient-caps",
                "+dac_read_search",
                sys.executable,
                "-c",
                code,
                folder,
            ],
            env=dict(os.environ, PYTHONPATH=str(REPO / "daemon")),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.stdout.strip() == f"no permission to read {folder}/event* (you are not in the 'input' group)", (
            proc.stderr
        )
    finally:
        import shutil

        shutil.rmtree(folder)
