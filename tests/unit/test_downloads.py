"""Model downloads against local HTTP servers: a plain URL, and huggingface_hub
pointed at a local endpoint that speaks the hub's resolve protocol."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import socket
import threading

import pytest

from sayso.core.downloads import RemoteFile, fetch, sha256_file
from sayso.core.errors import ModelError
from sayso.rewrite.models import BY_NAME, CATALOG, pull, resolve_model

PAYLOAD = os.urandom(300_000) + b"GGUF-ish tail"
SHA = hashlib.sha256(PAYLOAD).hexdigest()
COMMIT = "0123456789abcdef0123456789abcdef01234567"


class Hub(http.server.BaseHTTPRequestHandler):
    files: dict = {}  # path -> bytes
    log: list = []
    cut_after: dict = {}  # path -> bytes sent before dropping the connection (once)

    def log_message(self, *args):
        pass

    def _serve(self, head: bool) -> None:
        self.log.append((self.command, self.path, self.headers.get("Range")))
        path = self.path.split("?")[0]
        data = self.files.get(path)
        if data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = 0
        m = re.match(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if m:
            start = int(m.group(1))
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("X-Repo-Commit", COMMIT)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        if head:
            return
        cut = self.cut_after.pop(path, None)
        if cut is not None:
            self.wfile.write(data[start:cut])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data[start:])

    def do_HEAD(self):
        self._serve(True)

    def do_GET(self):
        self._serve(False)


@pytest.fixture(autouse=True)
def _online(monkeypatch):
    """No offline switch or proxy from the caller's environment."""
    for var in ("HF_HUB_OFFLINE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def hub():
    Hub.files, Hub.log, Hub.cut_after = {}, [], {}
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def _url_file(hub, sha=SHA, size=None) -> RemoteFile:
    Hub.files["/files/model.gguf"] = PAYLOAD
    return RemoteFile(name="model.gguf", url=f"{hub}/files/model.gguf", sha256=sha, size=size or len(PAYLOAD))


# --- plain URLs -----------------------------------------------------------------
def test_url_download_is_verified_and_atomic(hub, tmp_path):
    path = fetch(_url_file(hub), tmp_path / "models", progress=False)
    assert path == tmp_path / "models" / "model.gguf" and path.read_bytes() == PAYLOAD
    assert sorted(os.listdir(tmp_path / "models")) == ["model.gguf"]  # no partials left


def test_bad_checksum_is_discarded(hub, tmp_path):
    with pytest.raises(
        ModelError, match=r"^checksum mismatch for model\.gguf \(sha256 .+\); the download was discarded$"
    ):
        fetch(_url_file(hub, sha="0" * 64), tmp_path, progress=False)
    assert os.listdir(tmp_path) == []  # nothing kept, not even a partial


def test_existing_good_file_is_not_downloaded_again(hub, tmp_path):
    remote = _url_file(hub)
    fetch(remote, tmp_path, progress=False)
    Hub.log.clear()
    assert fetch(remote, tmp_path, progress=False).read_bytes() == PAYLOAD
    assert Hub.log == []


def test_corrupt_existing_file_is_replaced(hub, tmp_path):
    (tmp_path / "model.gguf").write_bytes(b"garbage")
    assert fetch(_url_file(hub), tmp_path, progress=False).read_bytes() == PAYLOAD


def test_interrupted_download_resumes(hub, tmp_path):
    remote = _url_file(hub)
    Hub.cut_after["/files/model.gguf"] = 100_000
    expected = r"^download of model\.gguf interrupted \(100000 of 300013 bytes\); run it again to resume$"
    with pytest.raises(ModelError, match=expected):
        fetch(remote, tmp_path, progress=False)
    part = tmp_path / ".partial" / "model.gguf.part"
    assert part.stat().st_size == 100_000 and not (tmp_path / "model.gguf").exists()
    Hub.log.clear()
    assert fetch(remote, tmp_path, progress=False).read_bytes() == PAYLOAD
    assert Hub.log == [("GET", "/files/model.gguf", "bytes=100000-")]
    assert not part.exists()


def test_http_404(hub, tmp_path):
    remote = RemoteFile(name="x.gguf", url=f"{hub}/missing.gguf", sha256=SHA)
    with pytest.raises(ModelError, match=r"answered HTTP 404"):
        fetch(remote, tmp_path, progress=False)


def test_network_down(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    remote = RemoteFile(name="x.gguf", url=f"http://127.0.0.1:{port}/x.gguf", sha256=SHA)
    with pytest.raises(ModelError, match=r"^cannot download x\.gguf from .*: .*\(network down\?\)$") as err:
        fetch(remote, tmp_path, progress=False)
    assert "\n" not in str(err.value)


def test_not_enough_disk(hub, tmp_path):
    with pytest.raises(ModelError, match=r"^not enough disk space in .* for model\.gguf: need .* free$"):
        fetch(_url_file(hub, size=10**15), tmp_path, progress=False)


def test_unusable_directory(hub, tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ModelError, match=r"^cannot save model\.gguf in .*a-file/models: Not a directory$"):
        fetch(_url_file(hub), tmp_path / "a-file" / "models", progress=False)


@pytest.mark.parametrize(
    "remote, message",
    [
        (RemoteFile(name="x", url="http://h/x", sha256="abc"), "no valid sha256"),
        (RemoteFile(name="../x", url="http://h/x", sha256=SHA), "invalid file name"),
        (RemoteFile(name="x", sha256=SHA), "either a Hugging Face repo or a URL"),
    ],
)
def test_invalid_remote(remote, message, tmp_path):
    with pytest.raises(ModelError, match=message):
        fetch(remote, tmp_path, progress=False)


# --- Hugging Face (huggingface_hub against a local endpoint) -------------------------
def _hf_file(sha=SHA) -> RemoteFile:
    Hub.files[f"/org/repo/resolve/{COMMIT}/model-q4.gguf"] = PAYLOAD
    return RemoteFile(name="model-q4.gguf", repo_id="org/repo", filename="model-q4.gguf", revision=COMMIT,
                      sha256=sha, size=len(PAYLOAD))  # fmt: skip


def test_hf_download(hub, tmp_path):
    path = fetch(_hf_file(), tmp_path, progress=True, endpoint=hub)
    assert path.read_bytes() == PAYLOAD and sha256_file(path) == SHA
    assert sorted(os.listdir(tmp_path)) == ["model-q4.gguf"]
    assert any(p == f"/org/repo/resolve/{COMMIT}/model-q4.gguf" for _, p, _ in Hub.log)


def test_hf_bad_checksum(hub, tmp_path):
    with pytest.raises(ModelError, match="checksum mismatch for model-q4.gguf"):
        fetch(_hf_file(sha="f" * 64), tmp_path, progress=False, endpoint=hub)
    assert os.listdir(tmp_path) == []


def test_hf_missing_file(hub, tmp_path):
    remote = RemoteFile(name="nope.gguf", repo_id="org/repo", filename="nope.gguf", revision=COMMIT, sha256=SHA)
    with pytest.raises(ModelError, match=r"^cannot download nope\.gguf") as err:
        fetch(remote, tmp_path, progress=False, endpoint=hub)
    assert "\n" not in str(err.value)


def test_hf_unreachable(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    expected = r"^cannot download model-q4\.gguf from org/repo.*: cannot connect to 127\.0\.0\.1: .*\(network down\?\)$"
    with pytest.raises(ModelError, match=expected):
        fetch(_hf_file(), tmp_path, progress=False, endpoint=f"http://127.0.0.1:{port}")
    assert os.listdir(tmp_path) == []  # nothing to resume, nothing left


def test_hf_offline_switch(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        fetch(_hf_file(), tmp_path, progress=False, endpoint="http://127.0.0.1:9")


# --- the catalog ---------------------------------------------------------------------
def test_catalog_entries_are_pinned_and_checkable():
    assert {"qwen2.5-1.5b", "qwen2.5-3b", "gemma-3-1b", "gemma-3-4b", "llama-3.2-3b"} <= set(BY_NAME)
    for model in CATALOG:
        r = model.remote
        assert re.fullmatch(r"[0-9a-f]{64}", r.sha256) and re.fullmatch(r"[0-9a-f]{40}", r.revision)
        assert r.repo_id and r.filename.endswith(".gguf") and r.size > 100_000_000


def test_pull_into_the_data_dir_and_resolve(hub, tmp_path, monkeypatch):
    """`models pull` of a catalog entry, with the hub replaced by the local endpoint."""
    remote = _hf_file()
    monkeypatch.setitem(BY_NAME, "tiny-test", type(CATALOG[0])("tiny-test", "test", "none", remote))
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    assert resolve_model("tiny-test", env) is None
    path = pull("tiny-test", progress=False, env=env, endpoint=hub)
    assert path == tmp_path / "data" / "sayso" / "models" / "model-q4.gguf"
    assert resolve_model("tiny-test", env) == path
    with pytest.raises(ModelError, match="unknown model 'nope'"):
        pull("nope", env=env)


# --- vision models: a GGUF and its projector, pulled together --------------------------
VISION_PAYLOADS = {"vlm-q8.gguf": b"GGUF" + os.urandom(200_000), "mmproj-vlm-q8.gguf": b"GGUF" + os.urandom(90_000)}


def _vision_entry(projector_sha=None):
    from sayso.see.describe.models import VisionModel

    remotes = []
    for name, data in VISION_PAYLOADS.items():
        Hub.files[f"/org/vlm/resolve/{COMMIT}/{name}"] = data
        sha = projector_sha if projector_sha and name.startswith("mmproj") else hashlib.sha256(data).hexdigest()
        remotes.append(RemoteFile(name=name, repo_id="org/vlm", filename=name, revision=COMMIT, sha256=sha,
                                  size=len(data)))  # fmt: skip
    return VisionModel("tiny-vision", "test", "none", "mtmd", remotes[0], remotes[1])


def test_vision_catalog_entries_are_pinned_and_checkable():
    from sayso.see.describe.llama_vision import HANDLERS
    from sayso.see.describe.models import VISION_CATALOG

    assert {"smolvlm-256m", "qwen2.5-vl-3b"} <= {m.name for m in VISION_CATALOG}
    for model in VISION_CATALOG:
        assert model.chat_format in HANDLERS and not set(BY_NAME) & {model.name}
        for r in (model.model, model.projector):
            assert re.fullmatch(r"[0-9a-f]{64}", r.sha256) and re.fullmatch(r"[0-9a-f]{40}", r.revision)
            assert r.repo_id and r.filename.endswith(".gguf") and r.size > 50_000_000
        assert model.projector.name.startswith("mmproj-") and model.model.repo_id == model.projector.repo_id


def test_models_pull_of_a_vision_model_fetches_both_files_and_the_engine_finds_them(hub, tmp_path, monkeypatch):
    """`sayso models pull NAME` of a two-file entry (pull_vision), the hub a loopback server; the llama
    describe engine then resolves see.model = NAME to both files and tries to load them."""
    from sayso.core.config_see import SeeConfig
    from sayso.see.describe import models as vision
    from sayso.see.describe.llama_vision import LlamaVision

    monkeypatch.setitem(vision.VISION_BY_NAME, "tiny-vision", _vision_entry())
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    engine = LlamaVision(SeeConfig(describe_engine="llama", model="tiny-vision"))
    assert not engine.available()
    pulled = vision.pull_vision("tiny-vision", progress=True, endpoint=hub)  # what `sayso models pull` calls
    folder = tmp_path / "data" / "sayso" / "models"
    assert pulled.model == folder / "vlm-q8.gguf"
    assert sorted(os.listdir(folder)) == sorted(VISION_PAYLOADS)  # no partials left
    for name, data in VISION_PAYLOADS.items():
        assert (folder / name).read_bytes() == data
    files = vision.resolve_vision("tiny-vision", "", "llava-1-5")
    assert files == vision.VisionFiles(folder / "vlm-q8.gguf", folder / "mmproj-vlm-q8.gguf", "mtmd")
    assert vision.resolve_vision("", "", "llava-1-5") == files  # the first one pulled
    assert engine.available()
    with pytest.raises(ModelError, match=r"^cannot load the vision model vlm-q8\.gguf with mmproj-vlm-q8\.gguf"):
        engine._ensure()  # random bytes after the magic: llama.cpp refuses them, in one line


def test_a_bad_projector_checksum_leaves_nothing_of_the_model(hub, tmp_path, monkeypatch):
    from sayso.see.describe import models as vision

    monkeypatch.setitem(vision.VISION_BY_NAME, "tiny-vision", _vision_entry(projector_sha="e" * 64))
    env = {"XDG_DATA_HOME": str(tmp_path / "data")}
    with pytest.raises(ModelError, match=r"^checksum mismatch for mmproj-vlm-q8\.gguf .*the download was discarded$"):
        vision.pull_vision("tiny-vision", progress=False, env=env, endpoint=hub)
    assert os.listdir(tmp_path / "data" / "sayso" / "models") == []  # the model file went too
    assert vision.pulled("tiny-vision", env) is None


def test_a_missing_vision_model_is_one_line():
    from sayso.core.config_see import SeeConfig
    from sayso.see.describe.llama_vision import LlamaVision

    engine = LlamaVision(SeeConfig(describe_engine="llama", model="smolvlm-256m"))
    with pytest.raises(ModelError, match=r"^vision model 'smolvlm-256m' is not downloaded: run 'sayso models pull"):
        engine._ensure()


def test_models_list_and_pull_name_the_vision_models(tmp_path, monkeypatch, capsys):
    import argparse

    from sayso.cli.rewrite import models_list_command, models_pull_command
    from sayso.core.config import parse_config_text

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    config = parse_config_text("")
    assert models_list_command(argparse.Namespace(), config) == 0
    listed = capsys.readouterr().out
    assert "smolvlm-256m" in listed and "0.28 GB" in listed and "qwen2.5-vl-3b" in listed
    assert models_pull_command(argparse.Namespace(name="nope", no_progress=True), config) != 0
    assert "vision models: smolvlm-256m, qwen2.5-vl-3b" in capsys.readouterr().err
