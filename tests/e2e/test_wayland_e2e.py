"""Wayland end to end: headless sway, an XWayland Tk window, `sayso ctl` dictation.

sway refuses to run as root, so sway, the window, the daemon and every
`sayso ctl` / `wl-copy` run as an unprivileged user this test creates if
needed.  They keep one capability, CAP_DAC_READ_SEARCH, only so they can
read the Python install and the repo under root-only directories (/root's
pyenv, pytest's 0700 temp dirs); their files, sockets and the control
socket's SO_PEERCRED check all see the plain user.
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from sayso.core.config_types import OutputConfig
from sayso.desktop.output import Output
from sayso.dictate.postprocess import Edit

from conftest import DATA, REPO, TRANSCRIPTS, wait_for, wer

USER = "sayso-test"
LAMP = TRANSCRIPTS["lamp.wav"]["text"]
JFK = TRANSCRIPTS["jfk.flac"]["text"]
CAPS = ["--inh-caps", "+dac_read_search", "--ambient-caps", "+dac_read_search"]
CONFIG = """
[hotkeys]
backend = "external"
[notify]
desktop = false
sounds = false
[output]
method = "{method}"
"""


def ensure_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                USER,
            ],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(USER)


class Sway:
    """A headless sway session owned by the test user."""

    def __init__(self, desktop) -> None:
        for tool in ("sway", "Xwayland", "wtype", "wl-copy", "wl-paste", "setpriv", "swaymsg"):
            assert shutil.which(tool), f"{tool} is missing: run scripts/setup.sh test"
        self.user = ensure_user()
        self.root = Path(tempfile.mkdtemp(prefix="sayso-sway-"))
        os.chmod(self.root, 0o755)
        self.runtime, self.home = self.root / "run", self.root / "home"
        for folder in (self.runtime, self.home):
            folder.mkdir(mode=0o700)
            os.chown(folder, self.user.pw_uid, self.user.pw_gid)
        conf = self.root / "sway.conf"
        conf.write_text(f"xwayland enable\nexec sh -c 'echo \"$DISPLAY\" > {self.runtime}/xdisplay'\n")
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_STATE_HOME": str(self.home / "state"),
            "PULSE_SERVER": desktop.env["PULSE_SERVER"],
            "PYTHONPATH": str(REPO / "daemon"),
            "PYTHONUNBUFFERED": "1",
            "HF_HUB_OFFLINE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        sway_env = dict(self.env, WLR_BACKENDS="headless", WLR_LIBINPUT_NO_DEVICES="1", WLR_RENDERER="pixman")
        self.procs = [self.spawn(["sway", "-c", str(conf)], sway_env, caps=False)]
        wait_for(lambda: self._wayland_socket(), 30, 0.1, "the sway Wayland socket")
        self.env["WAYLAND_DISPLAY"] = self._wayland_socket()
        self.env["SWAYSOCK"] = str(next(self.runtime.glob("sway-ipc.*.sock")))
        display = wait_for(
            lambda: (self.runtime / "xdisplay").exists() and (self.runtime / "xdisplay").read_text().strip(),
            30,
            0.1,
            "the XWayland display",
        )
        self.env["DISPLAY"] = display

    def _wayland_socket(self):
        names = [p.name for p in self.runtime.glob("wayland-*") if not p.name.endswith(".lock")]
        return names[0] if names else None

    def _prefix(self, caps: bool = True) -> list:
        u = self.user
        return [
            "setpriv",
            "--reuid",
            str(u.pw_uid),
            "--regid",
            str(u.pw_gid),
            "--clear-groups",
            *(CAPS if caps else []),
        ]

    def spawn(self, cmd: list, env=None, caps: bool = True, **kw) -> subprocess.Popen:
        return subprocess.Popen(
            self._prefix(caps) + cmd, env=env or self.env, cwd=str(self.root), start_new_session=True, **kw
        )

    def run(self, *cmd, input=None, timeout=120) -> subprocess.CompletedProcess:
        return subprocess.run(
            self._prefix() + list(cmd),
            env=self.env,
            cwd=str(self.root),
            input=input,
            capture_output=True,
            timeout=timeout,
        )

    def copy(self, data: bytes) -> None:
        """wl-copy as the user (its forked server keeps pipes open: no capture)."""
        subprocess.run(
            self._prefix() + ["wl-copy", "--type", "text/plain;charset=utf-8"],
            env=self.env,
            input=data,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=30,
        )

    def ctl(self, *args, timeout=180) -> dict:
        proc = self.run(sys.executable, "-m", "sayso", "ctl", "--json", *args, timeout=timeout)
        assert proc.stdout, proc.stderr.decode()
        return json.loads(proc.stdout)

    def focused_title(self) -> str:
        tree = json.loads(self.run("swaymsg", "-t", "get_tree").stdout)
        stack = [tree]
        while stack:
            node = stack.pop()
            if node.get("focused"):
                return node.get("name") or ""
            stack += node.get("nodes", []) + node.get("floating_nodes", [])
        return ""

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, 15)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, 9)
                    proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class UserDaemon:
    """`sayso run` as the test user, its log lines collected."""

    def __init__(self, sway: Sway, method: str) -> None:
        self.config = sway.home / "config.toml"
        self.config.write_text(CONFIG.format(method=method))
        self.lines: list = []
        self.proc = sway.spawn(
            [sys.executable, "-m", "sayso", "--config", str(self.config), "run"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        sway.procs.append(self.proc)
        threading.Thread(
            target=lambda: [self.lines.append(line.rstrip()) for line in self.proc.stderr], daemon=True
        ).start()

    def wait_log(self, pattern: str, timeout: float = 120) -> str:
        rx = re.compile(pattern)
        return wait_for(
            lambda: next((line for line in self.lines if rx.search(line)), None) or self._alive(),
            timeout,
            0.1,
            f"log line {pattern!r}: " + "\n".join(self.lines),
        )

    def _alive(self):
        assert self.proc.poll() is None, "daemon exited:\n" + "\n".join(self.lines)
        return None


@pytest.fixture(scope="module")
def sway(desktop):
    session = Sway(desktop)
    yield session
    session.close()


@pytest.fixture(scope="module")
def window(sway):
    out = sway.home / "box.txt"
    sway.procs.append(
        sway.spawn(
            [sys.executable, str(REPO / "tests" / "tk_target.py"), str(out), "sayso-wayland-target"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    wait_for(lambda: sway.focused_title() == "sayso-wayland-target", 30, 0.2, "the Tk window to have focus")
    wait_for(out.exists, 10, 0.1, "the Tk mirror file")
    return out


def wait_text(path: Path, previous: str, timeout: float = 60) -> str:
    wait_for(lambda: path.read_text(encoding="utf-8") != previous, timeout, 0.1, "new text in the window")
    last, since = path.read_text(encoding="utf-8"), time.monotonic()
    while time.monotonic() - since < 1.0:
        time.sleep(0.1)
        now = path.read_text(encoding="utf-8")
        if now != last:
            last, since = now, time.monotonic()
    return last


def dictate(desktop, sway: Sway, audio: Path) -> dict:
    started = sway.ctl("dictate", "start")
    assert started["ok"], started
    desktop.play(audio)
    time.sleep(0.3)
    return sway.ctl("--wait", "dictate", "stop")


@pytest.mark.e2e
def test_wayland_tools_work_in_headless_sway(sway, window):
    data = "précieux ✓\n".encode()
    sway.copy(data)
    assert sway.run("wl-paste", "--no-newline").stdout == data
    assert sway.run("wtype", "-s", "1").returncode == 0  # the virtual keyboard protocol is there


@pytest.mark.e2e
def test_dictation_via_ctl_types_with_wtype_and_restores_clipboard_with_paste(desktop, sway, window):
    daemon = UserDaemon(sway, "auto")
    daemon.wait_log(r"Ready: hotkeys live")
    daemon.wait_log(r"Speech model warm")
    status = sway.ctl("status")
    assert status["session"] == "wayland" and status["backends"]["hotkeys"] == "external"
    assert status["backends"]["output"] == ["wtype", "portal", "ydotool", "paste"]
    assert status["backends"]["clipboard"] == "wl-clipboard"

    result = dictate(desktop, sway, DATA / "lamp.wav")
    assert result["ok"] and result["result"]["method"] == "wtype", result
    typed = wait_text(window, "")
    assert wer(LAMP, typed) <= 0.25, typed

    original = "précieux\tclipboard  ✓\n\n".encode()
    sway.copy(original)
    daemon.config.write_text(CONFIG.format(method="paste"))
    assert sway.ctl("reload")["ok"]
    assert sway.ctl("status")["backends"]["output"] == ["paste"]
    result = dictate(desktop, sway, DATA / "jfk.wav")
    assert result["ok"] and result["result"]["method"] == "paste", result
    both = wait_text(window, typed)
    assert both.startswith(typed)
    assert wer(JFK, both[len(typed) :]) <= 0.25, both
    time.sleep(0.5)
    assert sway.run("wl-paste", "--no-newline", "--type", "text/plain;charset=utf-8").stdout == original
    assert "fellow Americans" not in "\n".join(daemon.lines)  # no transcript in the log
    assert sway.ctl("quit")["ok"]
    assert daemon.proc.wait(15) == 0


@pytest.mark.e2e
def test_doctor_on_wayland(sway, window):
    proc = sway.run(sys.executable, "-m", "sayso", "doctor", "--skip-models", timeout=120)
    lines = {line.split()[1]: line for line in proc.stdout.decode().splitlines()}
    assert lines["session"].startswith(
        f"OK    session      wayland ({sway.env['WAYLAND_DISPLAY']}, unknown desktop, XWayland :"
    )
    assert lines["hotkeys"].startswith(
        "WARN  hotkeys      auto on Wayland: evdev not usable (no input devices in /dev/input"
    )
    assert "input' group" in lines["hotkeys"]
    assert lines["clipboard"] == "OK    clipboard    wl-clipboard"
    assert lines["selection"] == "OK    selection    primary selection via wl-paste --primary"
    assert lines["typing"] == "OK    typing       wtype (virtual keyboard protocol)"
    assert lines["daemon"].startswith("WARN  daemon       not running")


# --------------------------------------------------------------------------
# Falling back loudly when the compositor lacks the virtual keyboard protocol
# --------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.notices = []

    def notify(self, summary, body="", *, urgency="normal", log_as=""):
        self.notices.append((summary, body, urgency))


def no_session_bus(monkeypatch, tmp_path) -> None:
    """No D-Bus session bus, so no portal: the Output under test must not find one on this machine."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))


def test_gnome_without_virtual_keyboard_falls_back_loudly(tmp_path, monkeypatch, caplog):
    """A `wtype` that fails like it does on GNOME, and a `ydotool` that logs what it is asked."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.log"
    (bindir / "wtype").write_text(
        f'#!/bin/sh\necho wtype "$@" >> {log}\n'
        "echo 'Compositor does not support the virtual keyboard protocol' >&2\nexit 1\n"
    )
    (bindir / "ydotool").write_text(f'#!/bin/sh\necho ydotool "$@" >> {log}\n')
    for tool in ("wtype", "ydotool"):
        (bindir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    no_session_bus(monkeypatch, tmp_path)  # nor a RemoteDesktop portal (GNOME 42 and older)
    notifier = Recorder()
    out = Output(OutputConfig(), "wayland", clipboard=None, notifier=notifier)
    with caplog.at_level("WARNING", logger="sayso.desktop.output"):
        assert out.insert(Edit(0, "hello")) == "ydotool"
        assert out.insert(Edit(0, "again")) == "ydotool"
    calls = log.read_text().splitlines()
    assert calls == ["wtype -s 30 -- hello", "ydotool type -- hello", "ydotool type -- again"]  # wtype tried once
    warnings = [r.getMessage() for r in caplog.records]
    assert sum("Text inserted with ydotool after: wtype:" in w for w in warnings) == 2  # logged every time
    assert len(notifier.notices) == 1  # notified once
    assert notifier.notices[0][0] == "sayso typed with ydotool instead"
    assert "virtual keyboard protocol" in notifier.notices[0][1]


def test_wayland_paste_chord_uses_ydotool_when_wtype_cannot(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "calls.log"
    (bindir / "wtype").write_text(
        "#!/bin/sh\necho 'Compositor does not support the virtual keyboard protocol' >&2\nexit 1\n"
    )
    (bindir / "ydotool").write_text(f'#!/bin/sh\necho ydotool "$@" >> {log}\n')
    for tool in ("wtype", "ydotool"):
        (bindir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    no_session_bus(monkeypatch, tmp_path)
    out = Output(OutputConfig(), "wayland")
    out.press_keys("<ctrl>+v")
    out.press_keys("<shift>+<insert>")
    assert log.read_text().splitlines() == ["ydotool key 29:1 47:1 47:0 29:0", "ydotool key 42:1 110:1 110:0 42:0"]
