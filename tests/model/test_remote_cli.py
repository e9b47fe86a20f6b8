"""The remote engines through sayso's commands, against the real peers on
loopback: ``sayso dictate --file`` with ``stt.engine = "wyoming"``
(wyoming-faster-whisper, the same tiny.en) gives the local engine's text,
``sayso speak --out`` with ``speak.engine = "wyoming"`` (wyoming-piper, the
same joe voice) reads back through sayso's own transcription, and
``sayso doctor`` shows both servers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import DATA, TRANSCRIPTS, wer
from remote_support import refused_port, server_env, start_faster_whisper, start_piper

pytestmark = pytest.mark.model
SENTENCE = "The quick brown fox jumps over the lazy dog. Then it runs into the forest."


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def whisper_server(root):
    server = start_faster_whisper(root)
    yield server
    server.kill()


@pytest.fixture(scope="module")
def piper_server(root):
    server = start_piper(root)
    yield server
    server.kill()


def sayso(root: Path, config: str, *args: str) -> subprocess.CompletedProcess:
    path = root / f"config-{abs(hash(config))}.toml"
    path.write_text(config)
    return subprocess.run(
        [sys.executable, "-m", "sayso", "--config", str(path), *args],
        env=server_env(root),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("name", ["jfk.flac", "lamp.wav"])
def test_dictate_file_through_wyoming_gives_the_local_text(root, whisper_server, name):
    """wyoming-faster-whisper makes one plain faster-whisper call over the
    recording: its text equals the local engine's one call over the same
    audio (`dictate --file` itself cuts the audio at the end of speech,
    sayso.dictate.chunks, so it may differ in a comma)."""
    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber, load_audio_file

    one_call = Transcriber.load(SttConfig()).transcribe(load_audio_file(str(DATA / name))).text
    remote = sayso(
        root,
        f'[stt]\nengine = "wyoming"\nuri = "{whisper_server.uri}"\nfallback = "none"\n',
        "dictate",
        "--file",
        str(DATA / name),
    )
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout == one_call + "\n"
    assert wer(TRANSCRIPTS[name]["text"], remote.stdout) <= 0.1, remote.stdout


def test_dictate_file_with_the_server_down(root):
    down = f'[stt]\nengine = "wyoming"\nuri = "tcp://127.0.0.1:{refused_port()}"\n'
    fallen_back = sayso(root, down, "dictate", "--file", str(DATA / "lamp.wav"))
    assert fallen_back.returncode == 0 and wer(TRANSCRIPTS["lamp.wav"]["text"], fallen_back.stdout) <= 0.1
    warnings = [line for line in fallen_back.stderr.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "connection refused" in warnings[0] and "transcribing here instead" in warnings[0]
    assert "Traceback" not in fallen_back.stderr
    refused = sayso(root, down + 'fallback = "none"\n', "dictate", "--file", str(DATA / "lamp.wav"))
    assert refused.returncode == 8 and refused.stdout == ""
    assert refused.stderr.startswith("sayso: error: cannot reach the Wyoming speech server")


def test_speak_out_through_wyoming_piper_reads_back(root, piper_server):
    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber, load_audio_file

    out = root / "speech.wav"
    proc = sayso(
        root,
        f'[speak]\nengine = "wyoming"\nuri = "{piper_server.uri}"\nengine_fallback = "none"\n',
        "speak",
        SENTENCE,
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    heard = Transcriber.load(SttConfig()).transcribe(load_audio_file(str(out))).text
    assert wer(SENTENCE, heard) <= 0.15, heard


def test_doctor_shows_the_remote_engines(root, whisper_server, piper_server):
    proc = sayso(
        root,
        f'[stt]\nengine = "wyoming"\nuri = "{whisper_server.uri}"\n'
        f'[speak]\nengine = "wyoming"\nuri = "{piper_server.uri}"\nremote_voice = "en_US-joe-medium"\n',
        "doctor",
        "--skip-models",
    )
    lines = {line.split()[1] + " " + line.split()[2]: line for line in proc.stdout.splitlines() if " remote " in line}
    assert lines["stt remote"].startswith("OK") and "reachable" in lines["stt remote"], proc.stdout
    assert "round trip; models: " in lines["stt remote"]
    assert lines["speak remote"].startswith("OK") and "en_US-joe-medium among them" in lines["speak remote"], (
        proc.stdout
    )
    down = sayso(
        root,
        f'[stt]\nengine = "wyoming"\nuri = "tcp://127.0.0.1:{refused_port()}"\ntimeout_s = 2\n',
        "doctor",
        "--skip-models",
    )
    assert down.returncode == 1
    assert [
        line
        for line in down.stdout.splitlines()
        if line.startswith("FAIL  stt remote") and "connection refused" in line
    ]


def test_bench_remote_rows_beside_the_local_ones(root, whisper_server, piper_server):
    """The rows are there and the text is right; the numbers are reported, never asserted."""
    out = root / "bench.json"
    proc = sayso(
        root,
        f'[stt]\nengine = "wyoming"\nuri = "{whisper_server.uri}"\n'
        f'[speak]\nengine = "wyoming"\nuri = "{piper_server.uri}"\n',
        "bench",
        "remote",
        "--runs",
        "1",
        "--utterances",
        "3",
        "--json",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())["remote"]
    assert [row["engine"] for row in report["dictation"]] == ["local", "wyoming (configured)"]
    for row in report["dictation"]:
        assert row["results"][0]["statuses"] == ["typed"] and row["results"][0]["wer"] <= 0.1, row
    assert [row["engine"] for row in report["speak"]] == ["local", "wyoming (configured)"]
    assert all(row["available"] and row["first_audio_p50_ms"] > 0 for row in report["speak"])
    assert "key release -> text" in proc.stdout and "time to first audio" in proc.stdout
