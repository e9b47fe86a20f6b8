"""Player: segments queued before the output is open wait for it (no sound card needed)."""

import threading

import numpy as np
import pytest

from sayso.audio.playback import Player, Segment
from sayso.core.errors import AudioError


class FakeStream:
    """Records its settings; the test drives the callback by hand."""

    def __init__(self, samplerate, callback, **kw):
        self.samplerate, self.callback, self.kw = samplerate, callback, kw
        self.started = False

    def start(self):
        self.started = True

    def abort(self):
        self.aborted = True

    def close(self):
        self.closed = True


def _pull(stream, frames):
    out = np.zeros((frames, 1), np.float32)
    stream.callback(out, frames, None, None)
    return out[:, 0]


def test_put_before_start_waits_for_the_stream_then_plays():
    streams = []
    player = Player(22050, stream_factory=lambda **kw: streams.append(FakeStream(**kw)) or streams[-1])
    queued = threading.Event()
    seg = Segment(np.full(441, 0.5, np.float32), 0, 441)
    thread = threading.Thread(target=lambda: player.put(seg) and queued.set())
    thread.start()
    assert not queued.wait(0.2)  # no stream yet: the segment waits
    player.start()
    assert queued.wait(5)
    block = _pull(streams[0], 441)
    assert np.all(block == 0.5) and player.first_audio.is_set()
    player.stop()


def test_segment_waiting_for_a_refusing_device_is_resampled_to_its_rate(monkeypatch):
    streams = []

    def factory(samplerate, **kw):
        if samplerate == 22050:
            raise RuntimeError("Invalid sample rate")
        streams.append(FakeStream(samplerate, **kw))
        return streams[-1]

    player = Player(22050, stream_factory=factory)
    monkeypatch.setattr(player, "_default_rate", lambda: 44100)
    result = []
    thread = threading.Thread(target=lambda: result.append(player.put(Segment(np.ones(220, np.float32), 0, 220))))
    thread.start()
    player.start()
    thread.join(5)
    assert result == [True] and player.rate == 44100
    assert len(_pull(streams[0], 882).nonzero()[0]) == 440  # 220 samples at 22,050 Hz are 440 at 44,100 Hz
    player.stop()


def test_put_gives_up_when_the_output_cannot_open():
    def broken(**kw):
        raise RuntimeError("no device")

    player = Player(22050, stream_factory=broken)
    player._default_rate = lambda: None  # no other rate to try
    result = []
    thread = threading.Thread(target=lambda: result.append(player.put(Segment(np.ones(10, np.float32)))))
    thread.start()
    with pytest.raises(AudioError, match="cannot open the audio output"):
        player.start()
    player.stop()  # what ReadAloud.speak_text does when start fails
    thread.join(5)
    assert result == [False]


def test_stream_started_at_the_first_segment_plays_speech_from_its_first_block():
    streams = []
    player = Player(22050, stream_factory=lambda **kw: streams.append(FakeStream(**kw)) or streams[-1])
    player.start(at_first_segment=True)
    assert not streams[0].started  # open, but nothing to play yet: the device buffer is not filled with silence
    assert player.put(Segment(np.full(441, 0.25, np.float32), 0, 441))
    assert streams[0].started
    assert np.all(_pull(streams[0], 441) == 0.25)
    player.stop()


def test_stopped_before_the_first_segment_the_stream_never_starts_and_is_closed():
    streams = []
    player = Player(22050, stream_factory=lambda **kw: streams.append(FakeStream(**kw)) or streams[-1])
    player.start(at_first_segment=True)
    player.stop()
    assert not player.put(Segment(np.ones(10, np.float32)))
    assert not streams[0].started and streams[0].closed
    assert not player.active
