#!/usr/bin/env python3
"""Benchmark read-aloud latency: streaming vs synthesise-everything-then-play.

For a ~5,000-character text, in one run:

* streaming time to first audio: from ``ReadAloud.speak_text`` to the first
  non-silent sample handed to the audio callback (the production path:
  normalisation, sentence/clause split, synthesis thread, player);
* synthesise-all time to first audio: the same chunks synthesised one after
  the other before anything plays (what a naive implementation does);
* their ratio, and the real-time factor (synthesis seconds per second of
  speech) over the whole text.

By default the audio goes to a clocked null output (real-time callbacks, no
sound card needed) so the numbers measure sayso, not the sound server; pass
``--device`` to play through a real output device instead.

With ``--runs N`` the streaming measurement is repeated N times (a fresh
reader each time, loaded and warmed as the daemon does) and the median and
the worst are reported; the synthesise-all baseline runs once.  The 1-minute
load average is reported too, and the CPU that other processes used while
each run waited for its first audio: on a shared machine they explain
outliers.

    PYTHONPATH=daemon python scripts/bench_speak.py [--chars 5000] [--voice joe] [--runs 5] [--device] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import sounddevice as sd  # loaded before any measurement, as in the daemon (ReadAloud.load)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))

from sayso.core.config_types import Config
from sayso.speak.first_audio import first_chunk_limit  # noqa: E402
from sayso.speak.reader import ReadAloud, ReadAloudSettings  # noqa: E402

PARAGRAPHS = [
    "Listening to a text is a different way of reading it. When the words are spoken, the eyes can rest, "
    "and mistakes that the eye skips over are often heard at once.",
    "The meeting moved to 3:30 pm on 2024-05-14, and the budget grew by 12.5% to $4,200. Dr. Rivera asked "
    "whether the new schedule, which starts next week, would work for everyone?",
    "## Next steps\n\n- Send the draft to the team.\n- Check the figures in section 2.\n- Book a room for 8 people.",
    "Some sentences are short. Others wander on for a long time, with commas, clauses and asides, before they "
    "finally reach the point that the writer wanted to make in the first place!",
]


def bench_text(chars: int) -> str:
    out, i = [], 0
    while sum(len(p) + 2 for p in out) < chars:
        out.append(PARAGRAPHS[i % len(PARAGRAPHS)])
        i += 1
    return "\n\n".join(out)[:chars]


class ClockedNullOutput:
    """Calls the player's callback in real time and throws the audio away."""

    def __init__(self, samplerate, blocksize, callback, finished_callback, **_):
        self.period = blocksize / samplerate
        self.block, self.callback, self.finished = blocksize, callback, finished_callback
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()

    def run(self):
        tick = time.monotonic()
        while not self.stop_flag.is_set():
            try:
                self.callback(np.zeros((self.block, 1), np.float32), self.block, None, None)
            except sd.CallbackStop:
                break
            tick += self.period
            time.sleep(max(0.0, tick - time.monotonic()))
        self.finished()

    def abort(self):
        self.stop_flag.set()

    def close(self):
        pass


def _cpu_ticks() -> tuple[int, int]:
    """(busy ticks of the whole machine, ticks of this process); (0, 0) where /proc is missing."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, ValueError, IndexError):
        return 0, 0
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, int(own[11]) + int(own[12])  # utime + stime


def measure(text: str, voice: str, device: bool, baseline: bool = True) -> dict:
    config = Config()
    config.speak.voice = voice
    reader = ReadAloud(ReadAloudSettings.of(config), stream_factory=None if device else ClockedNullOutput,
                       state_file=Path("/nonexistent/sayso-bench-state.json"))  # fmt: skip
    reader.rate = 1.0
    reader.load()  # as the daemon does at start: the voice and the text pipeline are warm
    chosen = reader.voice(voice)
    first_limit = first_chunk_limit(config.speak.first_chunk_chars, chosen.speed, reader.rate)

    ticks = _cpu_ticks()
    start = time.perf_counter()
    reader.speak_text(text, voice=voice)
    if not reader._session.player.first_audio.wait(120):
        raise SystemExit("no audio within 120 s")
    streaming_ttfa = time.perf_counter() - start
    busy, own = (after - before for after, before in zip(_cpu_ticks(), ticks, strict=False))
    # CPU used by other processes while we waited for the first audio, in cores (10 ms ticks: coarse)
    others = max(0, busy - own) / (os.sysconf("SC_CLK_TCK") * streaming_ttfa)
    reader.stop(join_s=10.0)
    streaming = {"chars": len(text), "voice": voice, "output": "device" if device else "clocked-null",
                 "first_chunk_limit": first_limit, "streaming_first_audio_s": round(streaming_ttfa, 3),
                 "load_1min": round(os.getloadavg()[0], 2), "other_cpu_cores": round(others, 2)}  # fmt: skip
    if not baseline:
        return streaming

    start = time.perf_counter()
    parts = list(reader._chunks(reader._prepare(text), chosen, first_limit))
    segments = [reader._segment(chosen, c, 1.0, last=i == len(parts) - 1) for i, c in enumerate(parts)]
    synth_all = time.perf_counter() - start
    speech = sum(s.speech_samples for s in segments) / chosen.sample_rate
    total = sum(len(s.audio) for s in segments) / chosen.sample_rate
    return {
        **streaming,
        "chunks": len(parts),
        "first_chunk_chars": len(parts[0].text),
        "synthesize_all_first_audio_s": round(synth_all, 3),
        "ratio": round(synth_all / streaming_ttfa, 1),
        "speech_s": round(speech, 1),
        "audio_with_pauses_s": round(total, 1),
        "real_time_factor": round(synth_all / speech, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=5000)
    parser.add_argument("--voice", default="joe")
    parser.add_argument("--runs", type=int, default=1, help="streaming measurements (median and worst reported)")
    parser.add_argument("--no-baseline", action="store_true", help="skip synthesise-all (long texts take minutes)")
    parser.add_argument("--device", action="store_true", help="play through the default output device")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    text = bench_text(args.chars)
    result = measure(text, args.voice, args.device, baseline=not args.no_baseline)
    runs = [result] + [measure(text, args.voice, args.device, baseline=False) for _ in range(args.runs - 1)]
    firsts = [r["streaming_first_audio_s"] for r in runs]
    result["runs"] = [{k: r[k] for k in ("streaming_first_audio_s", "load_1min", "other_cpu_cores")} for r in runs]
    result["streaming_first_audio_median_s"] = round(statistics.median(firsts), 3)
    result["streaming_first_audio_max_s"] = round(max(firsts), 3)
    if args.json:
        print(json.dumps(result))
        return 0
    _print(result)
    return 0


def _print(r: dict) -> None:
    chunks = f"{r['chunks']} chunks (the first {r['first_chunk_chars']} characters)" if "chunks" in r else (
        f"first chunk at most {r['first_chunk_limit']} characters")  # fmt: skip
    print(f"text: {r['chars']} characters, {chunks}, voice {r['voice']} ({r['output']})")
    for i, run in enumerate(r["runs"], 1):
        print(
            f"  run {i}: first audio {run['streaming_first_audio_s'] * 1000:5.0f} ms   (load average"
            f" {run['load_1min']:.2f}; other processes used {run['other_cpu_cores']:.1f} cores meanwhile)"
        )
    label = "time to first audio, streaming" + (" (median)" if len(r["runs"]) > 1 else "") + ":"
    print(f"{label:<45}{r['streaming_first_audio_median_s'] * 1000:8.0f} ms")
    if len(r["runs"]) > 1:
        print(f"{'time to first audio, streaming (worst):':<45}{r['streaming_first_audio_max_s'] * 1000:8.0f} ms")
    if "synthesize_all_first_audio_s" not in r:
        return
    print(f"time to first audio, synthesise all first:   {r['synthesize_all_first_audio_s'] * 1000:8.0f} ms")
    print(f"ratio (synthesise-all / streaming):          {r['ratio']:8.1f} x")
    print(f"real-time factor (synthesis / speech time):  {r['real_time_factor']:8.3f}"
          f"  ({r['speech_s']} s of speech, {r['audio_with_pauses_s']} s with pauses)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
