"""The remote engines' wiring, in-process with stand-ins (the real servers are
in test_remote_daemon_e2e.py): config keys with file:line errors, a remote
fault at the release (local fallback, or the recording kept and retried),
kept recordings on disk, and the read-aloud voice falling back."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from test_dictation_unit import FakeStream, Model, Streamer, Window, dictate

from sayso.audio.capture import Recorder
from sayso.core.config import parse_config_text
from sayso.core.config_types import Config
from sayso.core.errors import ConfigError, RemoteLost, RemoteUnavailable, SaysoError
from sayso.core.interfaces import SpeechAudio
from sayso.desktop.notify import Notifier
from sayso.dictate.dictation import Dictation, DictationSettings, RemoteStt
from sayso.dictate.engines.faster_whisper import Transcript
from sayso.dictate.history import History
from sayso.speak.engines.remote_voice import RemoteVoice

LAMP = "Turn on the living room lamp."


class FailingSession(Streamer):
    """A remote engine's streaming session whose server went away."""

    def __init__(self) -> None:
        super().__init__("", "")

    def finish(self, audio, token=None) -> Transcript:
        raise RemoteLost("lost the connection to the Wyoming speech server at tcp://127.0.0.1:9: reset")


class Engine:
    """A remote engine for retries: down until told otherwise."""

    name = "wyoming"

    def __init__(self) -> None:
        self.up = False
        self.closed = False
        self.heard = []

    def transcribe(self, audio, context=None) -> Transcript:
        if not self.up:
            raise RemoteUnavailable("cannot reach the Wyoming speech server at tcp://127.0.0.1:9: connection refused")
        self.heard.append(len(audio))
        return Transcript(LAMP, duration=len(audio) / 16000)

    def close(self) -> None:
        self.closed = True


def remote_rig(tmp_path, fallback: str, engine: Engine, window: Window, model: Model) -> Dictation:
    config = Config()
    recorder = Recorder(config.audio)
    recorder._stream = FakeStream()
    history = History(10, tmp_path / "undelivered.jsonl")
    return Dictation(
        DictationSettings.of(config),
        recorder,
        model,
        window,
        Notifier(enabled=False),
        history,
        FailingSession(),
        RemoteStt(engine, fallback),
    )


def test_config_keys_and_errors_with_file_and_line():
    cfg = parse_config_text(
        '[stt]\nengine = "wyoming"\nuri = "unix:///run/user/1000/w.sock"\nfallback = "none"\n'
        '[speak]\nengine = "openai"\nbase_url = "https://tts.example.org/v1"\nallow_remote = true\n'
        '[serve]\nhttp = "http://127.0.0.1:10380"\n[serve.limits]\nmax_clients = 2\n'
    )
    assert (cfg.stt.engine, cfg.stt.fallback, cfg.stt.model) == ("wyoming", "none", "bundled:tiny.en")
    assert cfg.speak.engine == "openai" and cfg.speak.voice == "joe" and cfg.serve.limits.max_clients == 2
    with pytest.raises(
        ConfigError, match=r"^u\.toml:3: stt\.uri: 192\.168\.1\.5 is not on this machine; set stt\.allow_remote"
    ):
        parse_config_text('[stt]\nengine = "wyoming"\nuri = "tcp://192.168.1.5:10300"\n', "u.toml")
    with pytest.raises(ConfigError, match=r"^u\.toml:2: speak\.engine_fallback: must be one of"):
        parse_config_text('[speak]\nengine_fallback = "maybe"\n', "u.toml")
    with pytest.raises(
        ConfigError, match=r"^u\.toml:2: serve\.limits\.max_clent: unknown key \(did you mean 'max_clients'"
    ):
        parse_config_text("[serve.limits]\nmax_clent = 2\n", "u.toml")
    parse_config_text('[stt]\nuri = "tcp://192.168.1.5:10300"\n')  # not used while the engine is local


def test_a_remote_fault_falls_back_to_the_local_engine(tmp_path, caplog):
    window, model, engine = Window(), Model(LAMP), Engine()
    d = remote_rig(tmp_path, "local", engine, window, model)
    result = dictate(d)
    assert result.status == "typed" and window.text == LAMP and model.calls == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "lost the connection to the Wyoming speech server at tcp://127.0.0.1:9: reset: transcribing here instead"
    ]
    assert LAMP not in caplog.text and not any(r.exc_info for r in caplog.records if r.levelname != "DEBUG")
    d.shutdown()
    assert engine.closed


def test_without_fallback_the_recording_is_kept_then_retried(tmp_path):
    window, model, engine = Window(), Model("never used"), Engine()
    d = remote_rig(tmp_path, "none", engine, window, model)
    result = dictate(d, seconds=1.5)
    assert result.status == "failed" and "dictate retry" in result.error and window.text == ""
    assert model.calls == 0
    kept = d.history.pending_recording()
    assert kept["text"] == "" and "lost the connection" in kept["error"]
    assert stat.S_IMODE(os.stat(kept["audio"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(kept["audio"])).st_mode) == 0o700

    again = d.retry().result(10)  # still down: still kept
    assert again.status == "failed" and "still kept" in again.error and os.path.exists(kept["audio"])

    engine.up = True
    done = d.retry().result(10)
    assert done.status == "typed" and window.text == LAMP
    assert engine.heard and abs(engine.heard[-1] - len(d.last_recording.audio)) <= 1  # the whole recording
    assert not os.path.exists(kept["audio"]) and d.history.pending_recording() is None
    assert not [e for e in d.history.as_list() if e["audio"]]
    with pytest.raises(SaysoError, match="no kept recording"):
        d.retry()


class LocalVoice:
    name, sample_rate = "joe", 22050
    profile = object()

    def __init__(self) -> None:
        self.calls = 0

    def synthesize(self, text, rate=1.0, prosody=None) -> np.ndarray:
        self.calls += 1
        return np.full(100, 0.5, np.float32)


class Speaker:
    name = "wyoming"

    def __init__(self, fail: bool) -> None:
        self.fail, self.calls = fail, 0

    def synthesize(self, text):
        self.calls += 1
        if self.fail:
            raise RemoteLost("lost the connection to the Wyoming voice server at tcp://127.0.0.1:9: reset")
        yield SpeechAudio(np.full(240, 0.25, np.float32), 24000)
        yield SpeechAudio(np.full(240, 0.25, np.float32), 24000)


def test_remote_voice_resamples_and_falls_back_once_per_outage():
    local = LocalVoice()
    ok = RemoteVoice(Speaker(fail=False), local)
    audio = ok.synthesize("Hello there.")
    assert audio.dtype == np.float32 and len(audio) == 2 * round(240 * 22050 / 24000) and local.calls == 0

    notices: list = []
    speaker = Speaker(fail=True)
    down = RemoteVoice(speaker, local, "local", notices.append)
    assert len(down.synthesize("One.")) == 100 and len(down.synthesize("Two.")) == 100
    assert speaker.calls == 1 and local.calls == 2 and len(notices) == 1 and "local voice" in notices[0]
    with pytest.raises(RemoteLost):
        RemoteVoice(Speaker(fail=True), local, "none").synthesize("One.")


def test_retry_takes_the_kept_recording_asked_for(tmp_path):
    """``dictate retry TIME`` (the History page's selected entry): that recording, not the newest."""
    window, model, engine = Window(), Model("never used"), Engine()
    d = remote_rig(tmp_path, "none", engine, window, model)
    dictate(d, seconds=1.5)
    first = d.history.pending_recording()
    dictate(d, seconds=1.5)
    newest = d.history.pending_recording()
    assert newest["time"] != first["time"]
    assert d.history.pending_recording(first["time"])["audio"] == first["audio"]
    with pytest.raises(SaysoError, match="no kept recording at that time"):
        d.retry(first["time"] + 1000.0)
    engine.up = True
    assert d.retry(first["time"]).result(10).status == "typed"
    assert not os.path.exists(first["audio"]) and os.path.exists(newest["audio"])
    assert d.history.pending_recording()["audio"] == newest["audio"]
    d.shutdown()
