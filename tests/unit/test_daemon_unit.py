"""The daemon in-process with stand-ins: no model, no microphone, no desktop.

The real :class:`sayso.app.daemon.Daemon` is built with a stand-in speech
model, a stand-in output (the focused window's text) and stand-in read-aloud
and rewrite pipelines; the checks are the wiring: one action registry that
the hotkeys, the control commands and the tray all run.
"""

from __future__ import annotations

import threading

import pytest
from test_dictation_unit import FakeStream, Model, Window

from sayso.app import daemon as daemon_module
from sayso.app.actions import ActionRegistry
from sayso.app.daemon import Daemon
from sayso.control.commands import Commands
from sayso.control.protocol import Request
from sayso.core.chords import PRESS, RELEASE
from sayso.core.config import parse_config_text
from sayso.core.errors import SaysoError


class Pipeline:
    """A stand-in read-aloud or rewrite pipeline: records the actions run."""

    def __init__(self) -> None:
        self.ran: list = []
        self.done = threading.Event()
        self.speaking = False
        self.on_change = None

    def actions(self, prefix: str, names: tuple) -> dict:
        def run(name: str):
            self.ran.append(name)
            self.done.set()
            return None

        return {f"{prefix}.{n}": (lambda n=n: run(n)) for n in names}

    def status(self) -> dict:
        return {"state": "idle"}

    def shutdown(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def app(tmp_path, monkeypatch):
    d = _app(tmp_path, monkeypatch, "Hello there.", "")
    yield d
    d.dictation.shutdown()


def _app(tmp_path, monkeypatch, said: str, config_text: str) -> Daemon:
    speak, rewrite, window = Pipeline(), Pipeline(), Window()
    monkeypatch.setattr(Daemon, "_load_stt", staticmethod(lambda config: Model(said)))
    monkeypatch.setattr(daemon_module, "Output", lambda *a, **k: window)
    monkeypatch.setattr(
        daemon_module, "attach_speak", lambda d, config: (speak, speak.actions("speak", ("stop", "toggle")))
    )
    monkeypatch.setattr(
        daemon_module, "attach_rewrite", lambda d, config, reader: (rewrite, rewrite.actions("rewrite", ("fix",)))
    )
    monkeypatch.setattr(daemon_module, "attach_see", lambda d, config, reader: (Pipeline(), {}))
    config = parse_config_text('[general]\nsession = "x11"\n[dictate]\nstreaming = false\n' + config_text)
    env = {"XDG_RUNTIME_DIR": str(tmp_path), "HOME": str(tmp_path)}
    d = Daemon(config, env=env)
    d.recorder._stream = FakeStream()
    d.speak_stub, d.rewrite_stub, d.window = speak, rewrite, window
    return d


def test_one_registry_holds_every_part_of_the_app(app):
    assert isinstance(app.actions, ActionRegistry)
    names = set(app.actions)
    assert {"dictate.start", "dictate.stop", "dictate.toggle", "dictate.cancel", "dictate.retry"} <= names
    assert {"speak.stop", "speak.toggle", "rewrite.fix"} <= names  # returned by the pipelines
    assert {"stop", "pause", "quit"} <= names  # the app's own (the tray's)


def test_the_control_commands_and_the_hotkeys_run_the_same_actions(app):
    reply = Commands(app).run(Request("speak", ["stop"]))
    assert reply.ok and app.speak_stub.ran == ["stop"]
    app.on_binding("rewrite.fix", PRESS)  # a hotkey: on a thread of its own
    assert app.rewrite_stub.done.wait(5) and app.rewrite_stub.ran == ["fix"]
    with pytest.raises(SaysoError, match="unknown action 'nope'"):
        app.run_action("nope")


def _hold(app, binding: str):
    from test_dictation_unit import speech

    app.on_binding(binding, PRESS)
    audio = speech(1.0)  # the VAD must hear speech
    for i in range(0, len(audio), 1600):
        app.recorder._callback(audio[i : i + 1600, None], 1600, None, None)
    future = app.dictation.stop()
    app.on_binding(binding, RELEASE)
    return future.result(10)


def test_a_dictation_through_the_hotkey_types_the_text(app):
    result = _hold(app, "dictate")
    assert result.status == "typed" and app.window.text == "Hello there."


def test_a_dictation_key_of_its_own_cleans_its_own_way(tmp_path, monkeypatch):
    """[hotkeys.dictate_cleanup] rules = KEY: that key's dictations are cleaned, the main key's not."""
    app = _app(
        tmp_path,
        monkeypatch,
        "Send it to to Sam comma please.",
        '[hotkeys]\ndictate_mode = "hold"\n[hotkeys.dictate_cleanup]\nrules = "<f8>"\n',
    )
    try:
        assert "dictate-rules" in app._bindings(app.config)
        assert _hold(app, "dictate").status == "typed" and app.window.text == "Send it to to Sam comma please."
        assert _hold(app, "dictate-rules").status == "typed"
        assert app.window.text == "Send it to to Sam comma please. Send it to Sam, please."
        assert app.history.last().raw == "Send it to to Sam comma please."
        assert _hold(app, "dictate").status == "typed"  # the main key again: dictate.cleanup ("off")
        assert app.window.text.endswith("please. Send it to to Sam comma please.")
    finally:
        app.dictation.shutdown()


def test_pause_from_the_tray_mutes_the_hotkeys_but_not_the_socket(app):
    assert app.run_action("pause") is True
    app.on_binding("rewrite.fix", PRESS)
    assert not app.rewrite_stub.done.wait(0.3)
    assert Commands(app).run(Request("rewrite", ["fix"])).ok and app.rewrite_stub.ran == ["fix"]
