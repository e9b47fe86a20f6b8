"""Control protocol and command mapping, in process (no desktop needed)."""

import concurrent.futures
import socket
import threading
from dataclasses import dataclass

import pytest

from sayso.control.commands import Commands, summarize
from sayso.control.protocol import MAX_LINE, LineReader, LineTooLong, Reply, Request
from sayso.core.errors import ProtocolError, SaysoError


def test_request_parse_and_encode():
    req = Request.parse(b'{"cmd": "dictate", "args": ["start"], "wait": true}')
    assert req == Request("dictate", ["start"], True)
    assert Request.parse(req.encode().strip()) == req
    for bad in (b"", b"nope", b"[]", b'{"args": []}', b'{"cmd": "x", "args": [1]}', b"\xff"):
        with pytest.raises(ProtocolError):
            Request.parse(bad)


def test_reply_encoding():
    assert Reply(True, data={"state": "idle"}).encode() == b'{"ok": true, "state": "idle"}\n'
    assert (
        Reply.failure(SaysoError("no microphone\nsecond line")).encode()
        == b'{"ok": false, "error": "no microphone", "code": 1}\n'
    )


def test_line_reader_stops_at_the_limit():
    a, b = socket.socketpair()
    sent = threading.Event()

    def flood():
        try:
            a.sendall(b"x" * (8 * 1024 * 1024))
        except OSError:
            pass
        sent.set()

    threading.Thread(target=flood, daemon=True).start()
    reader = LineReader(b, MAX_LINE)
    with pytest.raises(LineTooLong):
        reader.readline()
    assert len(reader._buf) <= MAX_LINE + 1  # never more than the limit in memory
    b.close()
    assert sent.wait(10)
    a.close()


def test_line_reader_lines_and_eof():
    a, b = socket.socketpair()
    a.sendall(b'{"cmd": "status"}\n\n{"cmd": "quit"}')
    a.shutdown(socket.SHUT_WR)
    reader = LineReader(b, MAX_LINE)
    assert reader.readline() == b'{"cmd": "status"}'
    assert reader.readline() == b""
    assert reader.readline() == b'{"cmd": "quit"}'  # last line without a newline
    assert reader.readline() is None
    a.close()
    b.close()


@dataclass
class Result:
    text: str
    status: str
    method: str = ""
    error: str = ""


class StandInDictation:
    def __init__(self):
        self.recording = False
        self.last_error = ""
        self.result = Result("hello there", "typed", "type")

    def start(self):
        self.recording = True

    def stop(self):
        future = concurrent.futures.Future()
        future.set_result(self.result if self.recording else Result("", "idle"))
        self.recording = False
        return future


class StandInDaemon:
    """Just what Commands uses: named actions and the dictation state."""

    def __init__(self, names=()):
        self.calls = []
        self.dictation = StandInDictation()
        self.actions = {
            "dictate.start": self.dictation.start,
            "dictate.stop": self.dictation.stop,
            "dictate.toggle": self.dictation.start,
            "dictate.cancel": lambda: None,
        }
        for name in names:
            self.actions[name] = lambda name=name: self.calls.append(name)

    def run_action(self, name):
        if name not in self.actions:
            raise SaysoError(f"unknown action {name!r}")
        return self.actions[name]()


def run(daemon, cmd, *args, wait=False) -> Reply:
    return Commands(daemon).run(Request(cmd, list(args), wait))


def test_speak_selection_prefers_its_own_action_then_toggle():
    daemon = StandInDaemon(["speak.toggle"])
    assert run(daemon, "speak", "selection").data == {"action": "speak.toggle"}
    daemon = StandInDaemon(["speak.toggle", "speak.selection", "speak.faster"])
    run(daemon, "speak", "selection")
    run(daemon, "speak", "faster")
    assert daemon.calls == ["speak.selection", "speak.faster"]
    with pytest.raises(SaysoError, match=r"read-aloud is not available in this daemon \(no action speak.skip\)"):
        run(daemon, "speak", "skip")


def test_rewrite_and_undo_map_to_rewrite_actions():
    daemon = StandInDaemon(["rewrite.fix", "rewrite.pirate", "rewrite.undo"])
    run(daemon, "rewrite", "pirate")
    run(daemon, "undo")
    assert daemon.calls == ["rewrite.pirate", "rewrite.undo"]
    with pytest.raises(SaysoError, match=r"unknown rewrite action 'formal' \(known: fix, pirate\)"):
        run(daemon, "rewrite", "formal")
    with pytest.raises(ProtocolError):
        run(daemon, "rewrite", "fix", "extra")


def test_dictate_stop_wait_returns_the_result_without_the_text():
    daemon = StandInDaemon()
    assert run(daemon, "dictate", "start").ok
    reply = run(daemon, "dictate", "stop", wait=True)
    assert reply.ok and reply.data == {
        "action": "dictate.stop",
        "result": {"status": "typed", "method": "type", "error": "", "chars": 11},
    }


def test_toggle_stops_a_recording_started_with_start():
    daemon = StandInDaemon()
    run(daemon, "dictate", "start")
    assert daemon.dictation.recording
    run(daemon, "dictate", "toggle")
    assert not daemon.dictation.recording


def test_start_that_fails_is_an_error_reply():
    daemon = StandInDaemon()
    daemon.actions["dictate.start"] = lambda: setattr(daemon.dictation, "last_error", "no audio input device found")
    with pytest.raises(SaysoError, match="no audio input device found"):
        run(daemon, "dictate", "start")


def test_failed_result_is_an_error_reply():
    daemon = StandInDaemon()
    daemon.dictation.result = Result("", "failed", error="wtype failed: no display")
    run(daemon, "dictate", "start")
    reply = run(daemon, "dictate", "stop", wait=True)
    assert not reply.ok and reply.error == "wtype failed: no display"


def test_summarize_keeps_numbers_and_status_words_only():
    assert summarize({"text": "secret", "status": "typed", "n": 3, "diff": "secret too", "ok": True}) == {
        "chars": 6,
        "status": "typed",
        "n": 3,
        "ok": True,
    }
    assert summarize("plain text") == {} and summarize(None) == {}


def test_rewrite_force_last_and_dictate_raw_map_to_their_actions():
    daemon = StandInDaemon(["rewrite.fix", "rewrite.force-last", "dictate.raw"])
    run(daemon, "rewrite", "force-last")
    run(daemon, "dictate", "raw")
    assert daemon.calls == ["rewrite.force-last", "dictate.raw"]
    with pytest.raises(SaysoError, match=r"unknown rewrite action 'formal' \(known: fix\)"):  # not listed
        run(daemon, "rewrite", "formal")
    with pytest.raises(SaysoError, match=r"dictate raw \(dictate.cleanup\) is not available in this daemon"):
        run(StandInDaemon(), "dictate", "raw")
