"""``sayso bench dictate --corpus MANIFEST``: accuracy and latency on real speech.

A manifest is a tab-separated file whose header names a ``file`` and a
``reference`` column (other columns are ignored; files are relative to the
manifest), as ``tests/data/corpus/manifest.tsv``: record your own voice and
microphone and measure them.  For every clip, in one run:

* **plain faster-whisper**: the same model and language with
  faster-whisper's defaults (full 30 s window), on the clip, timed as
  record-then-transcribe from the key release;
* **file**: ``sayso dictate --file`` (the daemon's transcription call);
* **live**: the clip played through the daemon's dictation path at
  real-time pace (:class:`sayso.bench.dictate.Rig`), the key released
  300 ms after the last word (and, with ``--releases``, at the last word):
  the text the window ends with, when its first and its last character
  arrive, and how much of the early text was erased to correct it.

Scores: word error rate after whisper-normalizer's ``EnglishTextNormalizer``
against the reference, pooled over the clips; the *formatted agreement* of
the live text with one transcription of the whole recording (tokens with
their case and punctuation); latency percentiles.  ``--load N`` runs the
corpus again while N processes keep the CPUs busy.
"""

from __future__ import annotations

import csv
import multiprocessing
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from ..core.config_types import Config
from ..core.errors import InputError

RELEASES = {"300ms": 0.3, "last_word": 0.0}


@dataclass
class Clip:
    name: str
    path: Path
    reference: str


def read_manifest(path: str) -> list:
    """The clips of a manifest; a one-line InputError if it is unusable."""
    manifest = Path(path).expanduser()
    if not manifest.is_file():
        raise InputError(f"corpus manifest not found: {manifest}")
    try:
        with manifest.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise InputError(f"cannot read corpus manifest {manifest}: {err}") from None
    if not rows or not {"file", "reference"} <= set(rows[0]):
        raise InputError(f"{manifest}: the header must name a 'file' and a 'reference' column (tab-separated)")
    clips = []
    for line, row in enumerate(rows, 2):
        file, reference = (row.get("file") or "").strip(), (row.get("reference") or "").strip()
        if not file or not reference:
            raise InputError(f"{manifest}:{line}: empty file or reference")
        clip = manifest.parent / file
        if not clip.is_file():
            raise InputError(f"{manifest}:{line}: audio file not found: {clip}")
        clips.append(Clip(file, clip, reference))
    return clips


def _burn() -> None:  # pragma: no cover - a child process that only spins
    while True:
        pass


class Load:
    """*n* processes that keep the CPUs busy while the block runs."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.procs: list = []

    def __enter__(self) -> Load:
        ctx = multiprocessing.get_context("spawn")
        self.procs = [ctx.Process(target=_burn, daemon=True) for _ in range(self.n)]
        for p in self.procs:
            p.start()
        return self

    def __exit__(self, *exc) -> None:
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.join(5)


def _clip_rows(config: Config, slot, clips: list, releases: tuple, runs: int, log: Callable[[str], None]) -> list:
    from ..dictate.chunks import transcribe_dictation
    from ..dictate.engines.faster_whisper import load_audio_file
    from .dictate import Rig, Utterance, _speech, plain_transcribe

    model = slot.get()
    rig = Rig(config, slot, streaming=True)
    phases = random.Random(10)
    rows = []
    try:
        rig.dictate(load_audio_file(str(clips[0].path)), realtime=False)  # warm the path once
        for clip in clips:
            audio = load_audio_file(str(clip.path))
            _, last = _speech(audio)
            file_text = transcribe_dictation(model, audio).text
            plain_text = plain_transcribe(model, audio, config.stt.language)
            for release in releases:
                cut = Utterance(clip.name, audio, clip.reference, last).cut(RELEASES[release])
                for run in range(runs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    plain_cut = plain_transcribe(model, cut, config.stt.language)
                    plain_s, plain_cpu = time.perf_counter() - t0, time.process_time() - c0
                    live = rig.dictate(cut, realtime=True, phase=phases.random())
                    whole = transcribe_dictation(model, rig.recorded).text
                    rows.append(
                        {
                            "clip": clip.name,
                            "release": release,
                            "run": run + 1,
                            "reference": clip.reference,
                            "plain": plain_text,
                            "file": file_text,
                            "live": live["text"].strip(),
                            "whole": whole,
                            "plain_release_text": plain_cut,
                            "plain_ms": round(plain_s * 1000, 1),
                            "first_ms": round(live["first_s"] * 1000, 1),
                            "last_ms": round(live["latency_s"] * 1000, 1),
                            "erased": live["erased"],
                            "cpu_s": round(live["cpu_s"], 3),
                            "plain_cpu_s": round(plain_cpu, 3),
                            "how": live["how"],
                            "stream": live.get("stream", {}),
                            "status": live["status"],
                        }
                    )
                    log(
                        f"  {clip.name} {release} run {run + 1}: first {rows[-1]['first_ms']:.0f} ms, "
                        f"last {rows[-1]['last_ms']:.0f} ms, plain {rows[-1]['plain_ms']:.0f} ms"
                    )
    finally:
        rig.close()
    return rows


def summarize(rows: list) -> dict:
    """Pooled scores and latency percentiles per release (see the module docstring)."""
    from .dictate import percentile
    from .scoring import format_errors, rate, word_errors

    out = {}
    for release in sorted({r["release"] for r in rows}):
        sel = [r for r in rows if r["release"] == release]
        first_run = [r for r in sel if r["run"] == 1]
        lat = {k: [r[k] for r in sel] for k in ("first_ms", "last_ms", "plain_ms")}
        cpu = {k: sum(r.get(k, 0.0) for r in sel) for k in ("cpu_s", "plain_cpu_s")}
        last50, plain50 = percentile(lat["last_ms"], 0.5), percentile(lat["plain_ms"], 0.5)
        last95, plain95 = percentile(lat["last_ms"], 0.95), percentile(lat["plain_ms"], 0.95)
        out[release] = {
            "dictations": len(sel),
            "wer_plain": round(rate([word_errors(r["reference"], r["plain"]) for r in first_run]), 4),
            "wer_file": round(rate([word_errors(r["reference"], r["file"]) for r in first_run]), 4),
            "wer_live": round(rate([word_errors(r["reference"], r["live"]) for r in sel]), 4),
            "agreement": round(1 - rate([format_errors(r["whole"], r["live"]) for r in sel]), 4),
            "identical": sum(r["live"] == r["whole"] for r in sel),
            "corrected": sum(r["erased"] > 0 for r in sel),
            "erased_chars": sum(r["erased"] for r in sel),
            "uncorrected": round(sum(r["erased"] == 0 for r in sel) / len(sel), 4),
            "last_ratio": round(last50 / plain50, 3) if plain50 else None,
            "last_p95_ratio": round(last95 / plain95, 3) if plain95 else None,
            "cpu_s": round(cpu["cpu_s"], 2),
            "plain_cpu_s": round(cpu["plain_cpu_s"], 2),
            "cpu_ratio": round(cpu["cpu_s"] / cpu["plain_cpu_s"], 2) if cpu["plain_cpu_s"] else None,
            **{f"{k[:-3]}_p50_ms": round(percentile(v, 0.5), 1) for k, v in lat.items()},
            **{f"{k[:-3]}_p95_ms": round(percentile(v, 0.95), 1) for k, v in lat.items()},
        }
    return out


def run(
    config: Config,
    slot,
    manifest: str,
    runs: int = 1,
    releases: tuple = ("300ms", "last_word"),
    load: int = 0,
    log: Callable[[str], None] = print,
) -> dict:
    """The corpus part of the bench (a dict for the JSON report)."""
    clips = read_manifest(manifest)
    conditions = [("idle", 0)] + ([(f"load {load}", load)] if load else [])
    report: dict = {
        "available": True,
        "manifest": str(manifest),
        "clips": len(clips),
        "model": config.stt.model,
        "beam_size": config.stt.beam_size,
        "runs": runs,
        "conditions": {},
    }
    for name, n in conditions:
        log(f"dictate corpus: {len(clips)} clips, {name}")
        if n:
            with Load(n):
                rows = _clip_rows(config, slot, clips, releases, runs, log)
        else:
            rows = _clip_rows(config, slot, clips, releases, runs, log)
        report["conditions"][name] = {"summary": summarize(rows), "rows": rows}
    return report


def format_lines(report: Optional[dict]) -> list:
    if report is None:
        return []
    lines = [
        "",
        f"Dictation on real speech ({report['manifest']}: {report['clips']} clips, {report['model']}, "
        f"beam {report['beam_size']}; {report['runs']} run(s) per clip; WER after EnglishTextNormalizer)",
    ]
    head = (
        f"{'condition':<10}{'release':<11}{'last p50':>10}{'p95':>8}{'plain p50':>11}{'p95':>8}{'ratio':>7}"
        f"{'p95':>7}{'first p50':>11}{'corrected':>11}{'CPU':>7}{'WER plain':>11}{'file':>7}{'live':>7}{'agree':>8}"
    )
    lines += [head, "-" * len(head)]
    for cond, data in report["conditions"].items():
        for release, s in data["summary"].items():
            ratio = "-" if s.get("last_ratio") is None else f"{s['last_ratio']:.2f}x"
            ratio95 = "-" if s.get("last_p95_ratio") is None else f"{s['last_p95_ratio']:.2f}x"
            cpu = "-" if s.get("cpu_ratio") is None else f"{s['cpu_ratio']:.2f}x"
            lines.append(
                f"{cond:<10}{release:<11}{s['last_p50_ms']:>7.0f} ms{s['last_p95_ms']:>8.0f}"
                f"{s['plain_p50_ms']:>8.0f} ms{s['plain_p95_ms']:>8.0f}{ratio:>7}{ratio95:>7}"
                f"{s['first_p50_ms']:>8.0f} ms{s['corrected']:>5}/{s['dictations']:<5}{cpu:>7}"
                f"{100 * s['wer_plain']:>10.1f}%{100 * s['wer_file']:>6.1f}%{100 * s['wer_live']:>6.1f}%"
                f"{100 * s['agreement']:>7.1f}%"
            )
    lines.append(
        "(last/first: key release -> last/first character of the live path; plain: record-then-transcribe "
        "with plain faster-whisper; ratio: last / plain; corrected: dictations with typed text erased; "
        "CPU: the live path's CPU seconds over plain's; agree: formatted agreement with `dictate --file`)"
    )
    return lines
