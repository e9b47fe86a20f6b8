"""Test harness: a real X server (Xvfb), a real sound server (PulseAudio with a
null sink whose monitor is the default source), a session D-Bus, a Tk target
window and the daemon as a subprocess.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent
TRANSCRIPTS = json.loads((DATA / "transcripts.json").read_text())


def normalize_words(text: str) -> str:
    text = text.lower().replace("-", " ")
    return " ".join(re.sub(r"[^\w\s']", " ", text).split())


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    if not hyp:
        return 1.0
    return jiwer.wer(ref, hyp)


def deleted_words(reference: str, hypothesis: str) -> int:
    """Reference words missing from *hypothesis* (an alignment's deletions, normalised as by :func:`wer`)."""
    import jiwer

    return jiwer.process_words(normalize_words(reference) or "-", normalize_words(hypothesis) or "-").deletions


def wait_for(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _free_display() -> int:
    for n in range(70, 200):
        if not os.path.exists(f"/tmp/.X{n}-lock") and not os.path.exists(f"/tmp/.X11-unix/X{n}"):
            return n
    raise RuntimeError("no free X display number")


@dataclass
class Desktop:
    env: dict
    root: Path
    procs: list = field(default_factory=list)
    dbus_pid: int = 0

    def run(self, *cmd, check=True, input=None, timeout=30) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), env=self.env, check=check, input=input, capture_output=True, timeout=timeout)

    def xdotool(self, *args) -> None:
        self.run("xdotool", *args)

    def play(self, path: Path) -> None:
        """Play a file into the null sink: the default source hears it."""
        self.run("paplay", str(path), timeout=120)

    def set_clipboard(self, data: bytes, target: Optional[str] = None, selection: str = "clipboard") -> None:
        """Set a selection with xclip and wait until it really owns it
        (``xclip -i`` exits before its forked child has taken the selection)."""
        cmd = ["xclip", "-selection", selection, "-i"] + (["-t", target] if target else [])
        subprocess.run(
            cmd, input=data, env=self.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10
        )
        wait_for(
            lambda: self.get_clipboard(target or "UTF8_STRING", selection) == data,
            10,
            0.02,
            "xclip to own the selection",
        )

    def get_clipboard(self, target: str = "UTF8_STRING", selection: str = "clipboard") -> bytes:
        proc = self.run("xclip", "-selection", selection, "-o", "-t", target, check=False)
        return proc.stdout if proc.returncode == 0 else b""

    def clipboard_targets(self, selection: str = "clipboard") -> list:
        proc = self.run("xclip", "-selection", selection, "-o", "-t", "TARGETS", check=False)
        return proc.stdout.decode().split() if proc.returncode == 0 else []

    def sayso(self, *args, input=None, timeout=300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "sayso", *args],
            env=self.env,
            input=input,
            capture_output=True,
            timeout=timeout,
            text=True,
        )


def _start(cmd, env, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, **kw
    )


def _start_pulse(env: dict, runtime: Path) -> subprocess.Popen:
    sock = runtime / "pulse.sock"
    proc = _start(
        [
            "pulseaudio",
            "-n",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disable-shm=yes",
            "--load=module-null-sink sink_name=sayso_test",
            f"--load=module-native-protocol-unix socket={sock} auth-anonymous=1",
        ],
        env,
    )
    env["PULSE_SERVER"] = f"unix:{sock}"
    wait_for(
        lambda: subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode == 0, 20, 0.1, "PulseAudio"
    )
    subprocess.run(["pactl", "set-default-sink", "sayso_test"], env=env, check=True)
    subprocess.run(["pactl", "set-default-source", "sayso_test.monitor"], env=env, check=True)
    return proc


def start_desktop(root: Path) -> Desktop:
    """Xvfb, PulseAudio (a null sink whose monitor is the default source) and a
    session D-Bus, with HOME and the XDG directories under *root*; end it with
    :func:`stop_desktop`.  The ``desktop`` fixture is this, once per session;
    scripts (scripts/soak.py) call it directly."""
    for tool in ("Xvfb", "pulseaudio", "pactl", "paplay", "parecord", "xdotool", "xclip", "dbus-daemon"):
        assert shutil.which(tool), f"{tool} is missing: run scripts/setup.sh test"
    runtime = root / "run"
    runtime.mkdir(mode=0o700)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "DBUS_SESSION_BUS_ADDRESS", "SAYSO_CONFIG")
    }
    n = _free_display()
    env.update(
        DISPLAY=f":{n}",
        XDG_RUNTIME_DIR=str(runtime),
        HOME=str(root),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        XDG_STATE_HOME=str(root / "state"),
        PYTHONUNBUFFERED="1",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(REPO / "daemon"),
    )
    desk = Desktop(env, root)
    try:
        desk.procs.append(_start(["Xvfb", f":{n}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], env))
        wait_for(lambda: os.path.exists(f"/tmp/.X11-unix/X{n}"), 20, 0.1, "Xvfb")
        wait_for(
            lambda: subprocess.run(["xdotool", "getmouselocation"], env=env, capture_output=True).returncode == 0,
            20,
            0.1,
            "X",
        )
        desk.procs.append(_start_pulse(env, runtime))
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
    except BaseException:
        stop_desktop(desk)
        raise
    env["DBUS_SESSION_BUS_ADDRESS"] = bus[0]
    desk.dbus_pid = int(bus[1])
    return desk


def stop_desktop(desk: Desktop) -> None:
    """End what :func:`start_desktop` started (D-Bus, PulseAudio, Xvfb)."""
    if desk.dbus_pid:
        try:
            os.kill(desk.dbus_pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        desk.dbus_pid = 0
    for proc in reversed(desk.procs):
        _kill(proc)


@pytest.fixture(scope="session")
def desktop(tmp_path_factory) -> Desktop:
    desk = start_desktop(tmp_path_factory.mktemp("desktop"))
    yield desk
    stop_desktop(desk)


def _kill(proc: subprocess.Popen, timeout: float = 5) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class TextBox:
    """The Tk window that has focus; ``text()`` is what reached it."""

    def __init__(self, desk: Desktop, path: Path, title: str, events: Optional[Path] = None) -> None:
        """*events*: a file where the window appends ``<monotonic time> <length>``
        at each change (see tk_target.py), for latencies; off by default."""
        self.desk, self.path, self.title, self.events = desk, path, title, events
        self.proc = _start(
            [sys.executable, str(TESTS / "tk_target.py"), str(path), title] + ([str(events)] if events else []),
            desk.env,
        )
        wait_for(path.exists, 20, 0.05, "the Tk window")
        self.focus()

    def focus(self) -> None:
        wid = self.desk.run("xdotool", "search", "--sync", "--name", self.title).stdout.split()[0]
        self.desk.run("xdotool", "windowfocus", "--sync", wid.decode() if isinstance(wid, bytes) else wid, check=False)

    def text(self) -> str:
        return self.path.read_text(encoding="utf-8") if self.path.exists() else ""

    def wait_stable(self, timeout: float = 60, settle: float = 1.0, previous: str = "") -> str:
        """Wait for text (other than *previous*) to appear and stop changing."""
        wait_for(lambda: self.text().strip() and self.text() != previous, timeout, 0.05, "new text in the window")
        last, since = self.text(), time.monotonic()
        while time.monotonic() - since < settle:
            time.sleep(0.05)
            now = self.text()
            if now != last:
                last, since = now, time.monotonic()
        return last


@pytest.fixture
def textbox(desktop, tmp_path) -> TextBox:
    box = TextBox(desktop, tmp_path / "textbox.txt", f"sayso-target-{tmp_path.name}")
    yield box
    _kill(box.proc)


class DaemonProc:
    """``sayso run`` as a subprocess, with its log lines collected."""

    def __init__(self, desk: Desktop, config_path: Optional[Path], args=()) -> None:
        """*config_path* None: no --config, the user's config.toml (XDG_CONFIG_HOME) as a new user has it."""
        self.lines: list = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sayso", *(["--config", str(config_path)] if config_path else []), *args, "run"],
            env=desk.env,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def log(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_log(self, pattern: str, timeout: float = 120, start: int = 0) -> str:
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        with self._cond:
            while True:
                for line in self.lines[start:]:
                    if rx.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not left):
                    raise AssertionError(
                        f"no log line matching {pattern!r} in {timeout} s; log:\n" + "\n".join(self.lines)
                    )
                if self.proc.poll() is not None:
                    raise AssertionError(f"daemon exited ({self.proc.returncode}); log:\n" + "\n".join(self.lines))
                self._cond.wait(min(left, 0.5))

    def mark(self) -> int:
        with self._cond:
            return len(self.lines)

    def stop(self, timeout: float = 10) -> float:
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return time.monotonic() - t0


# The daemon's read-aloud voice is ready: the last line of its warm-up
# (ReadAloud.load).  Not "Voice joe loaded": in one CI run (AMD EPYC,
# 2026-12-04) that line was missing from the log while the lines after it
# were there.
VOICE_READY = r"First chunk up to \d+ characters"

BASE_CONFIG = """
[hotkeys]
dictate = "<ctrl>+<alt>+space"
dictate_mode = "hold"
[notify]
sounds = false
"""


@pytest.fixture
def daemon_factory(desktop, tmp_path):
    started = []

    def start(config_text: str = BASE_CONFIG, wait_model: bool = True, args=()) -> DaemonProc:
        path = tmp_path / f"config{len(started)}.toml"
        path.write_text(config_text)
        proc = DaemonProc(desktop, path, args)
        started.append(proc)
        proc.wait_log(r"Ready: hotkeys live", 120)
        if wait_model:
            proc.wait_log(r"Speech model (loaded|warm)", 120)
        return proc

    yield start
    for proc in started:
        proc.stop()


def dictate(desk: Desktop, daemon: DaemonProc, textbox: TextBox, audio: Path, keys: str = "ctrl+alt+space") -> str:
    """One push-to-talk dictation; returns the window's text once it was inserted."""
    previous, mark = textbox.text(), daemon.mark()
    hold_and_play(desk, keys, audio)
    daemon.wait_log(r"Inserted \d+ characters", 90, start=mark)
    return textbox.wait_stable(30, previous=previous)


def hold_and_play(desk: Desktop, keys: str, audio: Path, tail: float = 0.5) -> None:
    """Hold a hotkey with xdotool, play speech into the virtual microphone, release."""
    desk.xdotool("keydown", keys)
    try:
        time.sleep(0.3)
        desk.play(audio)
        time.sleep(tail)
    finally:
        desk.xdotool("keyup", keys)
