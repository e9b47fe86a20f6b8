"""The remote layer's pure parts: addresses, config choice, keys, event framing, audio formats."""

from __future__ import annotations

import asyncio
import struct
import subprocess
import sys

import numpy as np
import pytest

from sayso.core.config_remote import (
    RemoteSpeakConfig,
    RemoteSttConfig,
    ServeConfig,
    ServeLimits,
    choose_stt,
    choose_tts,
    installed_modules,
    validate,
)
from sayso.core.endpoints import HTTP_SCHEMES, check_endpoint, check_listen, is_loopback_host
from sayso.core.errors import ConfigError, EngineError, RemoteError, RemoteNotAllowed
from sayso.core.pcm import to_pcm16
from sayso.remote.openai_http import error_message, load_api_key, multipart, sse_data
from sayso.remote.openai_tts import _WavReader, split_sentences
from sayso.remote.wyoming_io import MalformedEvent, from_pcm, read_event
from sayso.serve.http import resample, streaming_wav_header

from remote_support import free_port, server_env

# --- addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "tcp://127.0.0.1:10300",
        "tcp://127.8.9.10:1",
        "tcp://localhost:10300",
        "tcp://[::1]:10300",
        "tcp://[::ffff:127.0.0.1]:10300",
        "unix:///run/user/1000/s.sock",
        "tcp://LOCALHOST:5",
        "tcp://box.localhost:5",
    ],
)
def test_loopback_wyoming_addresses_are_allowed(uri):
    assert check_endpoint(uri, allow_remote=False, key="stt.uri").local


@pytest.mark.parametrize(
    "uri",
    [
        "tcp://192.168.1.20:10300",
        "tcp://10.0.0.1:10300",
        "tcp://0.0.0.0:10300",
        "tcp://homeserver:10300",
        "tcp://[2001:db8::1]:10300",
        "tcp://localhost.evil.com:1",
        "tcp://127.0.0.1.nip.io:1",
    ],
)
def test_remote_wyoming_addresses_are_refused_in_one_line(uri):
    with pytest.raises(RemoteNotAllowed) as err:
        check_endpoint(uri, allow_remote=False, key="stt.uri")
    assert "stt.allow_remote = true" in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, EngineError)
    assert not check_endpoint(uri, allow_remote=True, key="stt.uri").local


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/v1", "https://localhost/v1", "http://[::1]:9/v1"])
def test_openai_loopback_urls(url):
    ep = check_endpoint(url, allow_remote=False, key="stt.base_url", schemes=HTTP_SCHEMES)
    assert ep.local and ep.path == "/v1" and ep.port


def test_https_is_accepted_for_openai_and_remote_needs_allow_remote():
    with pytest.raises(RemoteNotAllowed):
        check_endpoint("https://api.example.com/v1", allow_remote=False, key="speak.base_url", schemes=HTTP_SCHEMES)
    ep = check_endpoint("https://api.example.com/v1", allow_remote=True, key="speak.base_url", schemes=HTTP_SCHEMES)
    assert ep.encrypted and ep.port == 443 and ep.display == "https://api.example.com:443/v1"


@pytest.mark.parametrize(
    "address,schemes",
    [
        ("http://127.0.0.1:8000", ("tcp", "unix")),
        ("tcp://127.0.0.1", ("tcp", "unix")),
        ("unix://", ("tcp", "unix")),
        ("ftp://127.0.0.1/", HTTP_SCHEMES),
        ("http://user:secret@127.0.0.1/v1", HTTP_SCHEMES),
        ("tcp://127.0.0.1:99999", ("tcp",)),
    ],
)
def test_malformed_addresses_are_config_errors(address, schemes):
    with pytest.raises(ConfigError) as err:
        check_endpoint(address, allow_remote=True, key="stt.uri", schemes=schemes)
    assert "secret" not in str(err.value) and "\n" not in str(err.value)


def test_is_loopback_host_needs_no_dns():
    assert is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost.")
    assert not is_loopback_host("example.com") and not is_loopback_host("") and not is_loopback_host("0.0.0.0")


def test_serve_listens_on_loopback_unless_told():
    assert check_listen(ServeConfig().uri, allow_remote=False).local
    for uri in ("tcp://0.0.0.0:10300", "tcp://[::]:10300", "tcp://192.168.1.5:10300"):
        with pytest.raises(RemoteNotAllowed, match="--allow-remote"):
            check_listen(uri, allow_remote=False)
        assert not check_listen(uri, allow_remote=True).local
    assert check_listen("unix:///tmp/x.sock", allow_remote=False).local
    with pytest.raises(ConfigError):
        check_listen("https://127.0.0.1:1", allow_remote=False)


def test_serve_command_refuses_0000_before_loading_anything(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sayso.serve.server", "--uri", f"tcp://0.0.0.0:{free_port()}"],
        env=server_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 8, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and "--allow-remote" in lines[0]
    assert "loaded" not in proc.stderr  # no model was loaded


def test_serve_command_says_when_the_port_is_taken(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "sayso.serve.server", "--uri", f"tcp://127.0.0.1:{port}"],
            env=server_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1 and "cannot listen on tcp://127.0.0.1" in proc.stderr and "in use" in proc.stderr


# --- config -------------------------------------------------------------------------


def test_choose_backend_from_config_and_what_is_installed():
    everything = {"faster_whisper", "piper", "wyoming"}
    assert choose_stt(RemoteSttConfig(), everything) == "local"
    assert choose_stt(RemoteSttConfig(engine="wyoming"), everything) == "wyoming"
    assert choose_stt(RemoteSttConfig(engine="openai"), set()) == "openai"
    assert choose_stt(RemoteSttConfig(engine="wyoming"), {"faster_whisper"}) == "local"  # fallback = "local"
    with pytest.raises(ConfigError, match="pip install wyoming"):
        choose_stt(RemoteSttConfig(engine="wyoming", fallback="none"), {"faster_whisper"})
    with pytest.raises(ConfigError, match="faster-whisper"):
        choose_stt(RemoteSttConfig(), {"wyoming"})
    assert choose_tts(RemoteSpeakConfig(engine="wyoming"), everything) == "wyoming"
    assert choose_tts(RemoteSpeakConfig(engine="wyoming"), {"piper"}) == "local"
    with pytest.raises(ConfigError, match="piper-tts"):
        choose_tts(RemoteSpeakConfig(), {"faster_whisper"})
    assert {"faster_whisper", "piper", "wyoming"} <= installed_modules()
    assert installed_modules(["surely_not_a_module_here"]) == frozenset()


def test_build_imports_backends_only_when_chosen():
    code = (
        "import sys; from sayso.remote.factory import build_stt, build_tts; "
        "from sayso.core.config_remote import RemoteSttConfig, RemoteSpeakConfig; from sayso.core.config import SttConfig; "  # noqa: E501  (one message, kept greppable)
        "assert build_stt(RemoteSttConfig(), SttConfig()) is None and build_tts(RemoteSpeakConfig()) is None; "
        "assert 'wyoming' not in sys.modules and 'sayso.remote.wyoming_stt' not in sys.modules; "
        "e = build_stt(RemoteSttConfig(engine='wyoming'), SttConfig()); assert 'wyoming' in sys.modules; e.close()"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_validate_catches_what_types_do_not():
    validate(RemoteSttConfig(), "stt")
    validate(ServeConfig(), "serve")
    with pytest.raises(ConfigError, match="stt.timeout_s"):
        validate(RemoteSttConfig(timeout_s=0), "stt")
    with pytest.raises(ConfigError, match="not both"):
        validate(RemoteSttConfig(api_key_file="/k", api_key_env="K"), "stt")
    with pytest.raises(ConfigError, match="NAME") as err:
        validate(RemoteSpeakConfig(api_key_env="sk-live-abc123"), "speak")
    assert "sk-live" not in str(err.value)
    with pytest.raises(ConfigError, match="limits"):
        validate(ServeConfig(limits=ServeLimits(max_audio_s=0)), "serve")


# --- keys ---------------------------------------------------------------------------


def test_api_key_from_file_or_named_variable_and_never_in_messages(tmp_path, caplog):
    key_file = tmp_path / "key"
    key_file.write_text("sk-test-123\n")
    key_file.chmod(0o600)
    assert load_api_key(str(key_file)) == "sk-test-123"
    assert load_api_key("", "MY_KEY", env={"MY_KEY": "sk-env-456"}) == "sk-env-456"
    assert load_api_key() == ""
    with pytest.raises(RemoteError, match="MY_KEY is not set"):
        load_api_key("", "MY_KEY", env={})
    with pytest.raises(RemoteError, match="cannot read"):
        load_api_key(str(tmp_path / "missing"))
    key_file.chmod(0o644)
    load_api_key(str(key_file), section="speak")
    assert "chmod 600" in caplog.text and "sk-test" not in caplog.text
    from sayso.remote.openai_stt import OpenAISpeechToText

    engine = OpenAISpeechToText("http://127.0.0.1:9/v1", api_key="sk-secret-789")
    assert "sk-secret" not in repr(engine.http) and "sk-secret" not in repr(vars(engine))


# --- HTTP pieces --------------------------------------------------------------------


def test_multipart_and_sse_and_error_bodies():
    body, ctype = multipart({"model": "whisper-1", "language": "en"}, "file", "a.wav", "audio/wav", b"RIFF....")
    from email.parser import BytesParser
    from email.policy import HTTP

    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
    parts = {p.get_param("name", header="content-disposition"): p.get_payload(decode=True) for p in msg.iter_parts()}
    assert parts == {"model": b"whisper-1", "language": b"en", "file": b"RIFF...."}
    assert list(sse_data(iter(["event: x", 'data: {"a": 1}', "", ": comment", "data: [DONE]", "data: late"]))) == [
        '{"a": 1}'
    ]
    assert error_message(b'{"error": {"message": "bad model"}}') == "bad model"
    assert error_message(b'{"detail": [{"msg": "field required"}]}') == "field required"
    assert error_message(b"Internal Server Error\nmore") == "Internal Server Error"


def test_streamed_wav_header_parses_in_pieces():
    header = streaming_wav_header(22050)
    pcm = to_pcm16(np.linspace(-0.5, 0.5, 100, dtype=np.float32))
    reader = _WavReader()
    out = b"".join(reader.feed(header[i : i + 7]) for i in range(0, len(header), 7)) + reader.feed(pcm)
    assert reader.format == (22050, 2, 1) and out == pcm
    with pytest.raises(RemoteError):
        _WavReader().feed(b"ID3\x04" + b"\0" * 20)  # an mp3


def test_sentence_split_for_requests():
    assert split_sentences("One. Two? Three! Four; five") == ["One.", "Two?", "Three!", "Four;", "five"]
    assert split_sentences("  ") == []
    assert split_sentences("Dr.Smith went.") == ["Dr.Smith went."]


# --- Wyoming framing and audio ------------------------------------------------------


def _read(raw: bytes, limit: int = 1 << 20):
    async def go():
        reader = asyncio.StreamReader(limit=1 << 16)
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_event(reader, limit)

    return asyncio.run(go())


def test_read_event_merges_data_and_payload():
    event = _read(
        b'{"type": "audio-chunk", "data": {"rate": 16000}, "data_length": 27, "payload_length": 4}\n'
        b'{"width": 2, "channels": 1}\x01\x02\x03\x04'
    )
    assert event.type == "audio-chunk" and event.data == {"rate": 16000, "width": 2, "channels": 1}
    assert event.payload == b"\x01\x02\x03\x04"
    assert _read(b"") is None


@pytest.mark.parametrize(
    "raw",
    [
        b"not json\n",
        b'["a list"]\n',
        b'{"data": {}}\n',
        b'{"type": 5}\n',
        b'{"type": "x", "payload_length": -1}\n',
        b'{"type": "x", "data_length": 3}\nabc',
        b'{"type": "x", "payload_length": 2000000}\n',
        b"x" * 70000 + b"\n",
    ],
)
def test_read_event_refuses_what_is_not_an_event(raw):
    with pytest.raises(MalformedEvent):
        _read(raw)


def test_read_event_tells_a_cut_stream():
    with pytest.raises(asyncio.IncompleteReadError):
        _read(b'{"type": "audio-chunk", "payload_length": 10}\n\x00\x01')
    with pytest.raises(asyncio.IncompleteReadError):
        _read(b'{"type": "desc')


def test_pcm_conversions():
    audio = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 2.0], dtype=np.float32)
    pcm = to_pcm16(audio)
    assert struct.unpack("<6h", pcm) == (0, 16384, -16384, 32767, -32768, 32767)
    back = from_pcm(pcm, 2, 1)
    assert back.dtype == np.float32 and np.allclose(back[:5], audio[:5], atol=1e-4)
    stereo = struct.pack("<4h", 1000, 3000, -2000, -4000)
    assert np.allclose(from_pcm(stereo, 2, 2), [2000 / 32768, -3000 / 32768])
    assert np.allclose(from_pcm(bytes([128, 255]), 1, 1), [0.0, 127 / 128])
    with pytest.raises(RemoteError):
        from_pcm(b"\0\0\0", 3, 1)
    up = resample(np.ones(22050, np.float32), 22050, 24000)
    assert len(up) == 24000 and np.allclose(up, 1.0)


def test_doctor_report_of_configured_engines():
    from sayso.core.config_types import SttConfig
    from sayso.remote.factory import describe_engines

    assert describe_engines(RemoteSttConfig(), SttConfig(), RemoteSpeakConfig()) == []
    port = free_port()
    report = dict(
        describe_engines(
            RemoteSttConfig(engine="wyoming", uri=f"tcp://127.0.0.1:{port}", timeout_s=2),
            SttConfig(),
            RemoteSpeakConfig(engine="openai", base_url="http://10.1.2.3:8000/v1"),
        )
    )
    assert not report["stt"].reachable and "connection refused" in report["stt"].error
    assert not report["speak"].reachable and "speak.allow_remote" in report["speak"].error
