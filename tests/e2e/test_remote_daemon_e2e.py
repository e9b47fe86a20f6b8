"""The remote engines inside the real daemon: Xvfb, PulseAudio, an
xdotool-held hotkey, the Tk window (the harness of conftest.py), with
wyoming-faster-whisper and wyoming-piper on loopback.

* live dictation with ``stt.engine = "wyoming"``: the audio goes to the
  server while the key is held, the text is typed at the release; with
  ``"openai"`` (faster-whisper-server from PyPI) it goes at the release;
* the faults: a server never started, killed mid-dictation, stalled: one
  notice line, the recording transcribed here (``stt.fallback = "local"``)
  or kept with its audio and sent again by ``sayso ctl dictate retry``;
* read-aloud with ``speak.engine = "wyoming"``: the sink's monitor, heard by
  the local model, says the text.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time

import pytest

from conftest import BASE_CONFIG, DATA, TRANSCRIPTS, dictate, hold_and_play, wer
from remote_support import (
    CountingProxy,
    StalledServer,
    free_port,
    refused_port,
    start_faster_whisper,
    start_faster_whisper_server,
    start_piper,
)

pytestmark = [pytest.mark.e2e, pytest.mark.model]
KEYS = "ctrl+alt+space"
JFK = TRANSCRIPTS["jfk.flac"]["text"]
LAMP = TRANSCRIPTS["lamp.wav"]["text"]


def stt_config(uri: str, fallback: str = "local", timeout_s: float = 15.0) -> str:
    return BASE_CONFIG + f'[stt]\nengine = "wyoming"\nuri = "{uri}"\nfallback = "{fallback}"\ntimeout_s = {timeout_s}\n'


def assert_one_notice(daemon, mark: int, *words: str) -> str:
    """The fault's warning: one line naming it, and no traceback."""
    lines = [line for line in daemon.lines[mark:] if "WARNING" in line and all(w in line for w in words)]
    assert lines, "\n".join(daemon.lines[mark:])
    assert "Traceback" not in daemon.log
    return lines[0]


@pytest.fixture(scope="module")
def whisper_server(tmp_path_factory):
    server = start_faster_whisper(tmp_path_factory.mktemp("wfw"))
    yield server
    server.kill()


def test_live_dictation_streams_while_held_and_types_at_release(desktop, textbox, daemon_factory, whisper_server):
    proxy = CountingProxy(int(whisper_server.uri.rsplit(":", 1)[1]))
    try:
        daemon = daemon_factory(stt_config(proxy.uri))
        daemon.wait_log(r"Speech to text: the Wyoming speech server at tcp://127\.0\.0\.1", 5)
        previous, mark = textbox.text(), daemon.mark()
        desktop.xdotool("keydown", KEYS)
        try:
            time.sleep(0.3)
            desktop.play(DATA / "jfk.wav")
            time.sleep(0.5)
        finally:
            released = time.monotonic()  # just before the release
            desktop.xdotool("keyup", KEYS)
        daemon.wait_log(r"Inserted \d+ characters", 90, start=mark)
        text = textbox.wait_stable(30, previous=previous)
        held = proxy.types_before(released)
    finally:
        proxy.close()
    assert wer(JFK, text) <= 0.25, text
    assert held[:2] == ["transcribe", "audio-start"] and held.count("audio-chunk") >= 50, held[
        :5
    ]  # >= 5 s sent while held
    assert "audio-stop" not in held
    assert "transcribing here" not in daemon.log  # the server's text, not the fallback's
    assert "fellow Americans" not in daemon.log  # no transcript in logs at the default level


def test_live_dictation_through_an_openai_compatible_server(desktop, textbox, daemon_factory, tmp_path):
    """faster-whisper-server 0.0.3 from PyPI: the recording goes in one request at the release."""
    server = start_faster_whisper_server(tmp_path)
    try:
        daemon = daemon_factory(
            BASE_CONFIG + f'[stt]\nengine = "openai"\nbase_url = "{server.uri}/v1"\nfallback = "none"\ntimeout_s = 60\n'
        )
        mark = daemon.mark()
        text = dictate(desktop, daemon, textbox, DATA / "jfk.wav")
    finally:
        server.kill()
    assert wer(JFK, text) <= 0.25, text
    assert "WARNING" not in "\n".join(daemon.lines[mark:])
    assert "fellow Americans" not in daemon.log


def test_server_never_started_falls_back_to_the_local_engine(desktop, textbox, daemon_factory):
    daemon = daemon_factory(stt_config(f"tcp://127.0.0.1:{refused_port()}"))
    mark = daemon.mark()
    text = dictate(desktop, daemon, textbox, DATA / "lamp.wav")
    assert wer(LAMP, text) <= 0.25, text
    assert_one_notice(daemon, mark, "connection refused", "transcribing here instead")


def test_server_killed_mid_dictation_loses_nothing(desktop, textbox, daemon_factory, tmp_path):
    server = start_faster_whisper(tmp_path)
    try:
        daemon = daemon_factory(stt_config(server.uri))
        previous, mark = textbox.text(), daemon.mark()
        desktop.xdotool("keydown", KEYS)
        try:
            time.sleep(0.3)
            player = subprocess.Popen(["paplay", str(DATA / "jfk.wav")], env=desktop.env)
            time.sleep(3.0)
            server.kill()  # SIGKILL, with the connection open and audio flowing
            player.wait(60)
            time.sleep(0.5)
        finally:
            desktop.xdotool("keyup", KEYS)
        daemon.wait_log(r"Inserted \d+ characters", 90, start=mark)
        text = textbox.wait_stable(30, previous=previous)
    finally:
        server.kill()
    assert wer(JFK, text) <= 0.25, text  # all of it, the part before the kill too
    assert_one_notice(daemon, mark, "Wyoming speech server", "transcribing here instead")


def test_stalled_server_times_out_and_falls_back(desktop, textbox, daemon_factory):
    stalled = StalledServer()
    try:
        daemon = daemon_factory(stt_config(stalled.uri, timeout_s=2.0))
        mark = daemon.mark()
        text = dictate(desktop, daemon, textbox, DATA / "lamp.wav")
    finally:
        stalled.close()
    assert stalled.accepted >= 1
    assert wer(LAMP, text) <= 0.25, text
    assert_one_notice(daemon, mark, "within 2 s", "transcribing here instead")


def test_without_fallback_the_recording_is_kept_and_retried(desktop, textbox, daemon_factory, tmp_path):
    port = free_port()
    daemon = daemon_factory(stt_config(f"tcp://127.0.0.1:{port}", fallback="none"))
    mark = daemon.mark()
    hold_and_play(desktop, KEYS, DATA / "lamp.wav")
    daemon.wait_log(r"the recording is kept", 60, start=mark)
    assert_one_notice(daemon, mark, "connection refused", "sayso ctl dictate retry")
    assert textbox.text() == ""
    entries = json.loads(desktop.sayso("history", "--json").stdout)
    kept = [e for e in entries if e.get("audio")]
    assert len(kept) == 1 and kept[0]["text"] == "" and "connection refused" in kept[0]["error"]
    assert stat.S_IMODE(os.stat(kept[0]["audio"]).st_mode) == 0o600

    failed = desktop.sayso("ctl", "dictate", "retry", "--wait")  # the server is still down: still kept
    assert failed.returncode != 0 and "connection refused" in failed.stderr, failed.stderr
    assert os.path.exists(kept[0]["audio"])

    server = start_faster_whisper(tmp_path, port=port)
    try:
        textbox.focus()
        retried = desktop.sayso("ctl", "dictate", "retry", "--wait")
        assert retried.returncode == 0, retried.stderr
        text = textbox.wait_stable(30)
    finally:
        server.kill()
    assert wer(LAMP, text) <= 0.25, text
    assert not os.path.exists(kept[0]["audio"])
    assert not [e for e in json.loads(desktop.sayso("history", "--json").stdout) if e.get("audio")]
    nothing = desktop.sayso("ctl", "dictate", "retry")
    assert nothing.returncode != 0 and "no kept recording" in nothing.stderr


def test_read_aloud_through_wyoming_piper(desktop, daemon_factory, tmp_path):
    from test_speak_e2e import PARAGRAPH, MonitorRecorder

    from sayso.core.config_types import SttConfig
    from sayso.dictate.engines.faster_whisper import Transcriber

    piper = start_piper(tmp_path)
    try:
        daemon = daemon_factory(BASE_CONFIG + f'[speak]\nengine = "wyoming"\nuri = "{piper.uri}"\n', wait_model=False)
        daemon.wait_log(r"Voice server tcp://127\.0\.0\.1:\d+: \d+ voices", 120)
        desktop.set_clipboard(PARAGRAPH.encode())
        rec = MonitorRecorder(desktop, tmp_path / "read.raw")
        mark = daemon.mark()
        reply = desktop.sayso("ctl", "speak", "clipboard")
        assert reply.returncode == 0, reply.stderr
        daemon.wait_log(r"Reading \d+ characters with voice joe \(wyoming\)", 20, mark)
        daemon.wait_log(r"Reading finished", 120, mark)
        audio = rec.stop()
    finally:
        piper.kill()
    heard = Transcriber.load(SttConfig()).transcribe(audio).text
    assert wer(PARAGRAPH, heard) <= 0.2, heard
    assert "local voice" not in daemon.log  # wyoming-piper spoke, not the fallback
    assert "listener can rest" not in daemon.log
