"""The control socket and `sayso ctl` against a real daemon (Xvfb + PulseAudio).

Each daemon here gets its own XDG_RUNTIME_DIR, so its socket never collides
with another test's daemon.
"""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import BASE_CONFIG, DATA, TRANSCRIPTS, DaemonProc, Desktop, wait_for, wer

pytestmark = pytest.mark.e2e
LAMP = TRANSCRIPTS["lamp.wav"]["text"]


class CtlDaemon:
    """A daemon with its own runtime dir; ``ctl()`` runs `sayso ctl` against it."""

    def __init__(self, desktop: Desktop, config_text: str, wait_model: bool = True) -> None:
        self.runtime = Path(tempfile.mkdtemp(prefix="sayso-rt-"))
        os.chmod(self.runtime, 0o700)
        self.desk = Desktop(dict(desktop.env, XDG_RUNTIME_DIR=str(self.runtime)), desktop.root)
        self.config = self.runtime / "config.toml"
        self.config.write_text(config_text)
        self.proc = DaemonProc(self.desk, self.config)
        try:
            self.proc.wait_log(r"Ready: hotkeys live", 120)
            if wait_model:
                self.proc.wait_log(r"Speech model warm", 120)
                wait_for(lambda: self.json("status")["models"]["stt"] == "loaded", 30, 0.2, "the model in status")
        except BaseException:
            self.stop()  # never leave a daemon running when the start fails
            raise

    @property
    def sock(self) -> Path:
        return self.runtime / "sayso" / "control.sock"

    def ctl(self, *args, timeout=120) -> subprocess.CompletedProcess:
        return self.desk.sayso("ctl", *args, timeout=timeout)

    def json(self, *args) -> dict:
        proc = self.ctl("--json", *args)
        return json.loads(proc.stdout)

    def raw(self, payload: bytes, timeout: float = 10) -> list:
        """Send raw bytes on one connection, return the reply objects read back."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(self.sock))
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return [json.loads(line) for line in data.decode().splitlines()]

    def stop(self) -> None:
        self.proc.stop()
        shutil.rmtree(self.runtime, ignore_errors=True)


@pytest.fixture(scope="module")
def ctl_daemon(desktop):
    daemon = CtlDaemon(desktop, BASE_CONFIG)
    yield daemon
    daemon.stop()


def test_socket_and_directory_permissions(ctl_daemon):
    sock = ctl_daemon.sock
    assert stat.S_ISSOCK(os.stat(sock).st_mode)
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(sock.parent).st_mode) == 0o700
    assert os.stat(sock).st_uid == os.getuid()


def test_status_reports_state_models_and_backends(ctl_daemon):
    reply = ctl_daemon.json("status")
    assert reply["ok"] is True
    assert reply["state"] == "idle"
    assert reply["models"]["stt"] == "loaded"
    assert reply["backends"]["hotkeys"] == "pynput"
    assert reply["backends"]["output"] == ["type", "paste"]
    assert reply["backends"]["clipboard"] == "xclip"
    assert reply["backends"]["control"] == str(ctl_daemon.sock)
    assert reply["session"] == "x11"
    assert {"dictate.start", "dictate.stop", "dictate.toggle", "dictate.cancel"} <= set(reply["actions"])
    assert "last_error" in reply
    human = ctl_daemon.ctl("status")
    assert human.returncode == 0, human.stderr
    assert "state: idle" in human.stdout and "stt loaded" in human.stdout


def test_dictate_start_stop_types_the_speech(desktop, ctl_daemon, textbox):
    started = ctl_daemon.ctl("dictate", "start")
    assert started.returncode == 0, started.stderr
    assert ctl_daemon.json("status")["state"] == "recording"
    desktop.play(DATA / "lamp.wav")
    time.sleep(0.3)
    stopped = ctl_daemon.json("--wait", "dictate", "stop")
    assert stopped["ok"] is True, stopped
    assert stopped["result"]["status"] == "typed" and stopped["result"]["method"] == "type"
    assert wer(LAMP, textbox.wait_stable(30)) <= 0.25
    assert "living room" not in json.dumps(stopped)  # replies carry no user text
    history = ctl_daemon.json("history")
    assert history["ok"] and history["entries"][-1]["delivered"] is True
    assert wer(LAMP, history["entries"][-1]["text"]) <= 0.25


def test_dictate_toggle_and_cancel(ctl_daemon, textbox):
    mark = ctl_daemon.proc.mark()
    assert ctl_daemon.ctl("dictate", "toggle").returncode == 0
    assert ctl_daemon.json("status")["state"] == "recording"
    time.sleep(0.5)
    assert ctl_daemon.ctl("dictate", "toggle").returncode == 0
    ctl_daemon.proc.wait_log(r"Recording stopped", 10, start=mark)
    assert ctl_daemon.ctl("dictate", "start").returncode == 0
    assert ctl_daemon.ctl("dictate", "cancel").returncode == 0
    ctl_daemon.proc.wait_log(r"Dictation cancelled", 10, start=mark)
    assert ctl_daemon.json("status")["state"] == "idle"
    bad = ctl_daemon.ctl("dictate", "sideways")
    assert bad.returncode == 2 and "usage: dictate start|stop|toggle|cancel" in bad.stderr


def test_speak_commands(desktop, ctl_daemon):
    desktop.set_clipboard(
        b"Hello there. This is sayso reading the clipboard aloud, sentence by sentence. A third sentence keeps it busy."
    )
    reply = ctl_daemon.json("speak", "clipboard")
    assert reply == {"ok": True, "action": "speak.clipboard"}, reply
    wait_for(lambda: ctl_daemon.json("status")["state"] == "speaking", 60, 0.1, "speaking")
    assert ctl_daemon.json("speak", "pause")["ok"]
    assert ctl_daemon.json("status")["state"] == "paused"
    assert ctl_daemon.json("speak", "pause")["ok"]  # pause again = resume
    rate = ctl_daemon.json("status")["models"]["speak"]["rate"]
    faster = ctl_daemon.json("speak", "faster")
    assert faster["ok"] and faster["result"]["value"] > rate
    slower = ctl_daemon.json("speak", "slower")
    assert slower["ok"] and abs(slower["result"]["value"] - rate) < 1e-6
    assert ctl_daemon.json("speak", "skip")["ok"]
    assert ctl_daemon.json("speak", "stop")["ok"]
    wait_for(lambda: ctl_daemon.json("status")["state"] == "idle", 10, 0.1, "idle")
    desktop.set_clipboard(b"   ")
    empty = ctl_daemon.json("speak", "clipboard")
    assert empty["ok"] is False and empty["error"] == "the clipboard is empty"
    bad = ctl_daemon.json("speak", "louder")
    assert bad["ok"] is False and bad["code"] == 2 and bad["error"].startswith("usage: speak selection|clipboard|")


def test_rewrite_and_undo_commands(desktop, ctl_daemon):
    original = b"Their is a problem with this sentence."
    desktop.set_clipboard(original)
    reply = ctl_daemon.json("rewrite", "fix")
    assert reply["ok"] is True, reply
    assert reply["action"] == "rewrite.fix" and reply["result"]["changed"] is True
    assert reply["result"]["engine"] == "harper"
    assert desktop.get_clipboard() == b"There is a problem with this sentence."
    assert "sentence" not in json.dumps(reply)  # no user text in the reply
    undo = ctl_daemon.json("undo")
    assert undo["ok"] is True and undo["action"] == "rewrite.undo"
    assert desktop.get_clipboard() == original
    nothing = ctl_daemon.json("undo")
    assert nothing["ok"] is False and nothing["error"]
    unknown = ctl_daemon.json("rewrite", "no-such-action")
    assert unknown["ok"] is False and unknown["error"].startswith("unknown rewrite action 'no-such-action' (known: ")
    assert "fix" in unknown["error"] and "concise" in unknown["error"]
    bad = ctl_daemon.json("rewrite", "../etc")
    assert bad["ok"] is False and bad["code"] == 2


def test_malformed_requests_get_error_replies(ctl_daemon):
    replies = ctl_daemon.raw(
        b'{not json\n[1, 2]\n{"cmd": 5}\n{"cmd": "status", "args": "x"}\n\xff\xfe\n'
        b'{"cmd": "launch-missiles"}\n{"cmd": "status"}\n'
    )
    assert [r["ok"] for r in replies] == [False, False, False, False, False, False, True]
    assert replies[0]["error"].startswith("malformed request: not a JSON line")
    assert replies[1]["error"] == replies[2]["error"] == 'malformed request: expected {"cmd": "...", "args": [...]}'
    assert replies[3]["error"] == "malformed request: args must be a list of strings"
    assert replies[5]["error"].startswith("unknown command 'launch-missiles'") and replies[5]["code"] == 2
    assert replies[6]["state"] == "idle"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_ten_megabyte_request_is_refused_without_reading_it(ctl_daemon):
    pid = ctl_daemon.json("status")["pid"]
    before = _rss_kib(pid)
    payload = b'{"cmd": "status", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}\n'
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(20)
        s.connect(str(ctl_daemon.sock))
        sent = []

        def send():
            try:
                s.sendall(payload)
                sent.append(len(payload))
            except OSError:
                sent.append(-1)  # the daemon hung up: expected

        writer = threading.Thread(target=send, daemon=True)
        writer.start()
        line = s.makefile("rb").readline()
        writer.join(20)
    reply = json.loads(line)
    assert reply == {"ok": False, "error": "request too large (over 64 KiB)", "code": 2}
    assert sent == [-1]  # it stopped reading: the 10 MB never went in
    assert _rss_kib(pid) - before < 4 * 1024
    assert ctl_daemon.json("status")["ok"] is True


def test_second_client_is_served_while_the_first_is_busy(ctl_daemon):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as slow:
        slow.connect(str(ctl_daemon.sock))
        slow.sendall(b'{"cmd": "stat')  # half a request, then silence
        replies = []
        threads = [threading.Thread(target=lambda: replies.append(ctl_daemon.json("status"))) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [r["ok"] for r in replies] == [True, True, True]
        slow.sendall(b'us"}\n')  # the first client finishes its request later: still answered
        slow.settimeout(10)
        assert json.loads(slow.makefile("rb").readline())["state"] == "idle"


def test_other_user_is_refused(ctl_daemon):
    script = (
        "import json, socket, sys\n"
        "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        "try:\n    s.connect(sys.argv[1])\nexcept OSError as e:\n    print('connect:', e.strerror); sys.exit(0)\n"
        's.sendall(b\'{"cmd": "status"}\\n\')\nprint(s.makefile().readline().strip())\n'
    )
    base = ["setpriv", "--reuid", "nobody", "--regid", "nogroup", "--clear-groups"]
    caps = ["--inh-caps", "+dac_override", "--ambient-caps", "+dac_override"]
    plain = subprocess.run(
        base + ["/usr/bin/python3", "-c", script, str(ctl_daemon.sock)], capture_output=True, text=True, timeout=30
    )
    assert plain.stdout.strip() == "connect: Permission denied", plain.stderr  # the 0700 directory
    # with the file permissions bypassed, SO_PEERCRED still refuses it
    forced = subprocess.run(
        base + caps + ["/usr/bin/python3", "-c", script, str(ctl_daemon.sock)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert forced.stdout.strip(), forced.stderr
    reply = json.loads(forced.stdout)
    assert reply == {"ok": False, "error": "permission denied: the daemon belongs to another user", "code": 1}
    ctl_daemon.proc.wait_log(r"Refused a control connection from uid 65534", 5)
    assert ctl_daemon.json("status")["ok"] is True


def test_reload_keeps_the_old_config_when_the_new_one_is_bad(ctl_daemon):
    good = ctl_daemon.config.read_text()
    try:
        ctl_daemon.config.write_text(good + '\n[output]\nmethod = "teleport"\n')
        bad = ctl_daemon.ctl("reload")
        assert bad.returncode == 3, bad.stderr
        assert "config not reloaded, the old one is kept" in bad.stderr and "teleport" in bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1
        assert ctl_daemon.json("status")["backends"]["output"] == ["type", "paste"]
        ctl_daemon.config.write_text(good + '\n[output]\nmethod = "paste"\n')
        mark = ctl_daemon.proc.mark()
        ok = ctl_daemon.ctl("reload")
        assert ok.returncode == 0, ok.stderr
        ctl_daemon.proc.wait_log("Config reloaded", 10, start=mark)
        assert ctl_daemon.json("status")["backends"]["output"] == ["paste"]
    finally:
        ctl_daemon.config.write_text(good)
        assert ctl_daemon.ctl("reload").returncode == 0
    assert ctl_daemon.json("status")["backends"]["output"] == ["type", "paste"]


def test_second_daemon_refuses_to_start(ctl_daemon):
    proc = subprocess.run(
        [sys.executable, "-m", "sayso", "--config", str(ctl_daemon.config), "run"],
        env=ctl_daemon.desk.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "another sayso daemon is already running" in proc.stderr
    assert ctl_daemon.json("status")["ok"] is True  # the first one is untouched


def test_no_daemon_gives_a_clear_message_and_exit_code(desktop, tmp_path):
    env = dict(desktop.env, XDG_RUNTIME_DIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "sayso", "ctl", "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 10
    assert proc.stderr.strip() == (
        f"sayso: error: no sayso daemon is running (no control socket at {tmp_path}/sayso/control.sock);"
        " start it with 'sayso run' or 'sayso service install'"
    )


def test_quit_stops_the_daemon_and_removes_the_socket(desktop):
    daemon = CtlDaemon(desktop, BASE_CONFIG, wait_model=False)
    try:
        assert daemon.sock.exists()
        reply = daemon.json("quit")
        assert reply["ok"] is True
        assert daemon.proc.proc.wait(15) == 0
        assert not daemon.sock.exists()
        again = daemon.ctl("status")
        assert again.returncode == 10
    finally:
        daemon.stop()


def test_stale_socket_from_a_killed_daemon_is_replaced(desktop):
    daemon = CtlDaemon(desktop, BASE_CONFIG, wait_model=False)
    try:
        os.killpg(daemon.proc.proc.pid, 9)
        daemon.proc.proc.wait(10)
        assert daemon.sock.exists()  # left behind
        daemon.proc = DaemonProc(daemon.desk, daemon.config)
        daemon.proc.wait_log(r"Ready: hotkeys live", 120)
        assert daemon.json("status")["ok"] is True
    finally:
        daemon.stop()
