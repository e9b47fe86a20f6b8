"""Pulling a rewrite model from the window: the real widget (Qt offscreen) and the real download
code against a loopback HTTP server serving a small file with a known sha256."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from sayso.core.config import load_config  # noqa: E402
from sayso.core.downloads import RemoteFile  # noqa: E402
from sayso.rewrite.models import CatalogModel  # noqa: E402
from sayso.window.app import SettingsWindow  # noqa: E402
from sayso.window.pull import ModelPuller  # noqa: E402
from sayso.window.store import ConfigStore  # noqa: E402

PAYLOAD = os.urandom(2_000_000) + b"GGUF-ish"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Files(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        for i in range(0, len(PAYLOAD), 100_000):  # in pieces, so the bar moves
            self.wfile.write(PAYLOAD[i : i + 100_000])
            self.wfile.flush()
            time.sleep(0.01)


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}/model.gguf"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def window(tmp_path, monkeypatch):
    for var in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    app = QApplication.instance() or QApplication(["sayso-settings-test"])
    config = tmp_path / "config.toml"
    config.write_text("# mine\n[speak]\nrate = 1.1\n")
    env = {"XDG_RUNTIME_DIR": str(tmp_path / "run"), "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    (tmp_path / "run").mkdir(mode=0o700)
    win = SettingsWindow(ConfigStore.open(config), env)
    yield app, win, config
    win.close()


def _pull(app, window, url, sha, dest):
    model = CatalogModel("test-model", "Test model (2 MB)", "MIT", RemoteFile(name="model.gguf", url=url, sha256=sha))
    puller = ModelPuller(window, catalog=[model], dest=dest)
    seen: list = []
    puller.bar.valueChanged.connect(seen.append)
    puller.pull.click()
    deadline = time.monotonic() + 60
    while not puller.pull.isEnabled() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    assert puller.pull.isEnabled(), "the download did not finish"
    return puller, seen


def test_the_bar_moves_and_rewrite_uses_the_model(window, server, tmp_path):
    app, win, config = window
    puller, seen = _pull(app, win, server, SHA, tmp_path / "models")
    assert (tmp_path / "models" / "model.gguf").read_bytes() == PAYLOAD
    assert puller.bar.value() == 100 and any(0 < v < 100 for v in seen), seen  # it moved on the way
    assert puller.status.text() == "Downloaded test-model: rewrite uses it."
    cfg = load_config(config)
    assert (cfg.rewrite.engine, cfg.rewrite.model) == ("llama", str(tmp_path / "models" / "model.gguf"))
    assert config.read_text().startswith("# mine\n[speak]\nrate = 1.1\n")


def test_a_failed_checksum_says_one_line_and_leaves_nothing(window, server, tmp_path):
    app, win, config = window
    before = config.read_text()
    puller, _ = _pull(app, win, server, "0" * 64, tmp_path / "models")
    text = puller.status.text()
    assert text.startswith("Problem: checksum mismatch for model.gguf") and "\n" not in text, text
    assert text.endswith("the download was discarded")
    assert os.listdir(tmp_path / "models") == [] and puller.bar.value() == 0
    assert config.read_text() == before
