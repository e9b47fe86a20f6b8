"""``sayso bench dictate``: key release -> final text, streaming vs batch.

Speech clips are fed through the microphone code path: the
:class:`~sayso.audio.capture.Recorder`'s audio callback receives blocks of
``BLOCK_MS`` (the first 300 ms as pre-roll before the key goes down), at
real-time pace for streaming, with the key released anywhere in a block;
:class:`~sayso.dictate.dictation.Dictation` runs as in the daemon, with
an output that records when the text arrives instead of typing it.  The
latency is from ``Dictation.stop()`` (key release) to the text reaching the
output.  The baseline is record-then-transcribe with plain faster-whisper (its
defaults, the same model) on the same recording, timed from the release;
CPU seconds are the process's user+system time from the key press to the
final text (streaming) and of the plain call (baseline).
"""

from __future__ import annotations

import json
import random
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ..audio.capture import BLOCK_MS, Recorder
from ..core.config_types import Config
from ..dictate.engines.faster_whisper import SAMPLE_RATE

BLOCK = SAMPLE_RATE * BLOCK_MS // 1000
RELEASES = {"300ms": 0.3, "last_word": 0.0}  # key release after the last word


def data_dir() -> Optional[Path]:
    """The bench clips: inside the package (sayso/data) or the repo's tests/data."""
    here = Path(__file__).resolve().parent.parent  # the sayso package
    for path in (here / "data", here.parents[1] / "tests" / "data"):
        if (path / "transcripts.json").is_file() and (path / "jfk.flac").is_file():
            return path
    return None


def wer(reference: str, hypothesis: str) -> tuple:
    """(word errors, reference words) after the standard normaliser."""
    from .scoring import word_errors

    return word_errors(reference, hypothesis)


@dataclass
class Utterance:
    name: str
    audio: np.ndarray  # 16 kHz float32, natural audio after the last word
    reference: str
    last_word: int  # sample where the last word ends

    def cut(self, release_s: float) -> np.ndarray:
        end = self.last_word + int(release_s * SAMPLE_RATE)
        audio = self.audio[:end]
        if len(audio) < end:  # pad with quiet room tone
            audio = np.concatenate([audio, np.zeros(end - len(audio), np.float32)])
        return audio

    @property
    def seconds(self) -> float:
        return self.last_word / SAMPLE_RATE


def _speech(audio: np.ndarray) -> tuple:
    """(first, last) sample of speech by Silero (p >= 0.5, no hysteresis)."""
    from faster_whisper.vad import get_vad_model

    padded = np.pad(audio, (0, 512 - len(audio) % 512))
    flags = np.flatnonzero(np.asarray(get_vad_model()(padded)).reshape(-1) >= 0.5)
    return int(flags[0]) * 512, min(len(audio), int(flags[-1] + 1) * 512)


def long_form(data: Path, seconds: float) -> Utterance:
    """The first sentences of tests/data/long's 146 s reading (one reader,
    consecutive sentences, 0.5 s apart) that end by *seconds* (less 3 s:
    the recording, with its pre-roll and release, stays under the default
    ``audio.max_seconds``), and the natural pause after them."""
    import csv

    from ..dictate.engines.faster_whisper import load_audio_file

    name = "long_ljspeech_LJ001_LJ050_150s.flac"
    with (data / "long" / "parts.tsv").open(encoding="utf-8") as fh:
        parts = [r for r in csv.DictReader(fh, delimiter="\t") if r["file"] == name]
    taken = [r for r in parts if float(r["end_s"]) <= seconds - 3.0] or parts[:1]
    end = int(float(taken[-1]["end_s"]) * SAMPLE_RATE)
    audio = load_audio_file(str(data / "long" / name))[: end + int(0.5 * SAMPLE_RATE)]
    return Utterance(f"{seconds:.0f}s", audio, " ".join(r["reference"] for r in taken), end)


def build_utterances(lengths=(3, 11, 30), data: Optional[Path] = None) -> list:
    """~3 s, ~11 s and ~30 s utterances from the test clips, and ~120 s of
    long-form reading (real speech)."""
    from ..dictate.engines.faster_whisper import load_audio_file

    data = data or data_dir()
    refs = {k: v["text"] for k, v in json.loads((data / "transcripts.json").read_text()).items()}
    jfk, lamp = load_audio_file(str(data / "jfk.flac")), load_audio_file(str(data / "lamp.wav"))
    lead = int(0.3 * SAMPLE_RATE)
    room = np.tile(jfk[: lead - 32], 40)  # the clip's own background, before the first word
    _, jfk_end = _speech(jfk)
    _, lamp_end = _speech(lamp)
    tail_start = int(7.9 * SAMPLE_RATE)  # the pause before "ask what you can do for your country"
    tail_text = "Ask what you can do for your country."
    out = []
    if 3 in lengths:
        audio = np.concatenate([room[:lead], jfk[tail_start:]])
        out.append(Utterance("3s", audio, tail_text, len(audio) - (len(jfk) - jfk_end)))
    if 11 in lengths:
        out.append(Utterance("11s", jfk, refs["jfk.flac"], jfk_end))
    if 30 in lengths:
        pieces = [
            (jfk[:jfk_end], refs["jfk.flac"], 0.6),
            (lamp[lead:lamp_end], refs["lamp.wav"], 0.5),
            (jfk[lead:jfk_end], refs["jfk.flac"], 0.7),
            (lamp[lead:lamp_end], refs["lamp.wav"], 0.5),
            (jfk[tail_start:jfk_end], tail_text, 0.4),
            (lamp[lead:], refs["lamp.wav"], 0.0),
        ]
        parts, texts = [], []
        for audio, text, pause in pieces:
            parts += [audio, room[: int(pause * SAMPLE_RATE)]]
            texts.append(text)
        audio = np.concatenate(parts)
        out.append(Utterance("30s", audio, " ".join(texts), len(audio) - (len(lamp) - lamp_end)))
    if 120 in lengths:
        out.append(long_form(data, 120.0))
    return out


class _FakeInput:
    """Stands in for the sounddevice stream: the bench calls the callback."""

    active = True

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


class _NoKeys:
    """A key watch that never sees a key (the bench has no user)."""

    touched = False

    def stop(self) -> bool:
        return False


class _BenchOutput:
    """An Output that notes when and what text arrives instead of typing it."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.first: Optional[float] = None  # the first piece after the release
        self.at: Optional[float] = None  # the last piece
        self.text = ""
        self.erased = 0  # characters taken back (the early words corrected)
        self.armed = False  # set at the release: pieces typed while recording do not count

    def context(self):
        return None

    def keys_held(self):
        return False

    can_watch_keys = True  # nobody types during a bench: corrections are allowed

    def watch_keys(self, ignore=()):
        return _NoKeys()

    def insert(self, edit) -> str:
        now = time.perf_counter()
        if self.armed and self.first is None:
            self.first = now
        self.at = now
        self.text = self.text[: len(self.text) - edit.delete] + edit.text if edit.delete else self.text + edit.text
        self.erased += edit.delete
        return "bench"


class Rig:
    """One Dictation wired as in the daemon, driven by audio blocks."""

    def __init__(self, config: Config, slot, streaming: bool, remote=None) -> None:
        """*remote*: a :class:`~sayso.dictate.dictation.RemoteStt` whose engine's session is the streamer."""
        from ..desktop.notify import Notifier
        from ..dictate.dictation import Dictation, DictationSettings
        from ..dictate.history import History

        self.config = config
        self.recorder = Recorder(config.audio)
        self.recorder._stream = _FakeInput()
        self.streamer = None
        if remote is not None:
            self.streamer = remote.engine.streaming()
            self.recorder.on_audio = self.streamer.feed
        elif streaming:
            from ..dictate.streaming import StreamingTranscriber, rules_for

            self.streamer = StreamingTranscriber(slot, rules=rules_for(config.dictate))
            self.recorder.on_audio = self.streamer.feed
        self.output = _BenchOutput()
        self.dictation = Dictation(
            DictationSettings.of(config),
            self.recorder,
            slot,
            self.output,
            Notifier(enabled=False),
            History(5),
            self.streamer,
            remote,
        )

    def _block(self, block: np.ndarray) -> None:
        self.recorder._callback(block[:, None], len(block), None, None)

    def dictate(self, audio: np.ndarray, realtime: bool, phase: float = 1.0) -> dict:
        """Pre-roll, key down, audio, key up; the release -> text latency.

        Blocks end on a grid shifted by *phase* (0..1 of a block) from the
        key press, as with a real stream, so the release falls anywhere in
        a block: the audio between the last block and the release comes
        with the next block, ``BLOCK_MS`` after that block's start.
        """
        self.output.reset()
        pre = self.config.audio.preroll_ms * SAMPLE_RATE // 1000
        for i in range(0, pre, BLOCK):
            self._block(audio[i : min(i + BLOCK, pre)])
        c0 = time.process_time()  # the process's user+system CPU seconds
        self.dictation.start()
        t0 = time.perf_counter()
        ends = list(range(pre + max(1, int(phase * BLOCK)), len(audio) + 1, BLOCK))
        start = pre
        for end in ends:
            if realtime:
                _sleep_until(t0 + (end - pre) / SAMPLE_RATE)
            self._block(audio[start:end])
            start = end
        if realtime:
            _sleep_until(t0 + (len(audio) - pre) / SAMPLE_RATE)
        released = time.perf_counter()
        self.output.armed = True
        tail = threading.Timer((start + BLOCK - len(audio)) / SAMPLE_RATE, self._block, (audio[start:],))
        tail.start()
        result = self.dictation.stop().result()
        cpu = time.process_time() - c0
        done = self.output.at or time.perf_counter()
        first = self.output.first or done
        tail.join()
        stats = dict(self.streamer.last_stats) if self.streamer else {}
        rec = self.dictation.last_recording
        self.recorded = rec.audio if rec is not None else audio
        return {
            "latency_s": done - released,
            "first_s": first - released,
            "text": self.output.text,
            "erased": self.output.erased,
            "cpu_s": cpu,
            "status": result.status,
            "how": stats.get("how", ""),
            "passes": stats.get("passes", 0),
            "stream": stats,
        }

    def close(self) -> None:
        self.dictation.shutdown()
        if self.streamer is not None:
            self.streamer.close()


def plain_transcribe(model, audio: np.ndarray, language: str) -> str:
    """Plain faster-whisper: its defaults, the same model and language."""
    segments, _ = model.plain().transcribe(audio, language=language or None)
    return " ".join(s.text.strip() for s in segments).strip()


def plain_run(model, audio: np.ndarray, language: str) -> dict:
    """Record-then-transcribe with plain faster-whisper (its defaults, the
    same model): the whole recording at the key release."""
    t0, c0 = time.perf_counter(), time.process_time()
    text = plain_transcribe(model, audio, language)
    took = time.perf_counter() - t0
    return {"latency_s": took, "first_s": took, "text": text, "erased": 0, "cpu_s": time.process_time() - c0, "how": ""}


def _sleep_until(when: float) -> None:
    delay = when - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def percentile(values: list, q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _summary(runs: list, reference: str) -> dict:
    latencies = [r["latency_s"] * 1000 for r in runs]
    firsts = [r["first_s"] * 1000 for r in runs]
    errors = words = 0
    for r in runs:
        e, n = wer(reference, r["text"])
        errors, words = errors + e, words + n
    hows = [r["how"] for r in runs if r["how"]]
    cpus = [r.get("cpu_s", 0.0) for r in runs]
    out = {
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
        "samples_ms": [round(x, 1) for x in latencies],
        "first_p50_ms": round(percentile(firsts, 0.5), 1),
        "first_p95_ms": round(percentile(firsts, 0.95), 1),
        "erased_chars": sum(r.get("erased", 0) for r in runs),
        "corrected": sum(r.get("erased", 0) > 0 for r in runs),
        "cpu_p50_s": round(percentile(cpus, 0.5), 3),
        "passes_p50": percentile([r.get("passes", 0) for r in runs], 0.5),
        "wer": round(errors / words, 4) if words else None,
        "texts": sorted({r["text"] for r in runs}),
    }
    if hows:
        out["release_work"] = {h: hows.count(h) for h in sorted(set(hows))}
    return out


def run(config: Config, slot, runs: int = 3, lengths=(3, 11, 30), log: Callable[[str], None] = print) -> dict:
    """The dictation part of the bench (a dict for the JSON report)."""
    data = data_dir()
    if data is None:
        return {"available": False, "reason": "bench clips not found (sayso/data or tests/data)"}
    utterances = build_utterances(lengths, data)
    rig = Rig(config, slot, True)
    model = slot.get()
    phases = random.Random(6)
    try:
        rig.dictate(utterances[0].cut(0.3), realtime=False)  # warm both paths once
        plain_run(model, utterances[0].cut(0.3), config.stt.language)
        results = []
        for utt in utterances:
            for release, offset in RELEASES.items():
                audio = utt.cut(offset)
                raw: dict = {"streaming": [], "baseline": []}
                for i in range(runs):
                    raw["streaming"].append(rig.dictate(audio, realtime=True, phase=phases.random()))
                    raw["baseline"].append(plain_run(model, audio, config.stt.language))
                    log(
                        f"  dictate {utt.name} release {release}: run {i + 1}/{runs}: streaming "
                        f"{raw['streaming'][-1]['latency_s'] * 1000:.0f} ms, plain {raw['baseline'][-1]['latency_s'] * 1000:.0f} ms"  # noqa: E501  (one message, kept greppable)
                    )
                row = {
                    "utterance": utt.name,
                    "release": release,
                    "audio_s": round(len(audio) / SAMPLE_RATE, 2),
                    "speech_to_last_word_s": round(utt.seconds, 2),
                    "runs": runs,
                    "streaming": _summary(raw["streaming"], utt.reference),
                    "baseline": _summary(raw["baseline"], utt.reference),
                }
                base, base95 = row["baseline"]["p50_ms"], row["baseline"]["p95_ms"]
                row["ratio_p50"] = round(row["streaming"]["p50_ms"] / base, 3) if base else None
                row["ratio_p95"] = round(row["streaming"]["p95_ms"] / base95, 3) if base95 else None
                cpu = row["baseline"]["cpu_p50_s"]
                row["cpu_ratio"] = round(row["streaming"]["cpu_p50_s"] / cpu, 2) if cpu else None
                results.append(row)
    finally:
        rig.close()
    return {
        "available": True,
        "model": config.stt.model,
        "compute_type": config.stt.compute_type,
        "beam_size": config.stt.beam_size,
        "block_ms": BLOCK_MS,
        "preroll_ms": config.audio.preroll_ms,
        "results": results,
    }
