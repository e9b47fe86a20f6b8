#!/usr/bin/env python3
"""Accuracy and cost of sayso's dictation transcript against plain faster-whisper.

For every clip of the manifests (default: the shared corpus and its long
recordings when they are beside the repo, else tests/data), with the
bundled tiny.en, in one run:

* **plain**: faster-whisper's ``transcribe()`` with its defaults (beam 5,
  temperature fallback, full 30 s windows, condition on previous text);
* **sayso** variants: :func:`sayso.dictate.chunks.transcribe_dictation`
  (chunks cut at pauses, the last at the end of speech; see that module)
  with the search and chunk rules named on the command line.

Reported per manifest: word error rate after whisper-normalizer's
EnglishTextNormalizer, pooled, and the process CPU seconds (user+system)
per audio minute.  This is how the defaults in docs/latency.md were chosen.

    .venv/bin/python scripts/eval_chunks.py [--manifest M ...] [--variants beam5,beam1,min8,...] [--json FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

# name -> (stt config changes, chunk rule changes)
VARIANTS = {
    "beam5": ({}, {}),
    "beam1": ({"beam_size": 1}, {}),
    "min8": ({}, {"min_s": 8.0}),
    "min20": ({}, {"min_s": 20.0}),
    "pause0.3": ({}, {"pause_s": 0.3}),
    "tail0.2": ({}, {"tail_s": 0.2}),
    "tail0.03": ({}, {"tail_s": 0.032}),
    "tail0": ({}, {"tail_s": 0.0}),
    "prompt200": ({}, {"prompt_chars": 200}),
    "nocarry": ({}, {"carry_s": float("inf")}),  # the rules before 2026-12-03 (third session)
}


def default_manifests() -> list:
    shared = ROOT.parent / "shared" / "speech-corpus"
    found = [shared / "manifest.tsv", shared / "long" / "manifest.tsv"]
    found = [m for m in found if m.is_file()]
    return found or [ROOT / "tests" / "data" / "corpus" / "manifest.tsv"]


def plain(model, audio, cfg) -> str:
    segments, _ = model.plain().transcribe(audio, language=cfg.language or None)
    return " ".join(s.text.strip() for s in segments).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--manifest", action="append", help="a corpus manifest (repeatable)")
    ap.add_argument("--variants", default="beam5,beam1", help=f"comma-separated, of: {', '.join(VARIANTS)}")
    ap.add_argument("--json", help="write the per-clip results here")
    args = ap.parse_args()

    from sayso.bench.corpus import read_manifest
    from sayso.bench.scoring import rate, word_errors
    from sayso.core.config_types import Config
    from sayso.dictate.chunks import ChunkRules, transcribe_dictation
    from sayso.dictate.engines.faster_whisper import Transcriber, load_audio_file

    config = Config()
    base = Transcriber.load(config.stt)
    base.warm_up()
    variants = [v for v in args.variants.split(",") if v]
    engines = {}
    for name in variants:
        stt_changes, rule_changes = VARIANTS[name]
        engines[name] = (
            Transcriber(base.model, dataclasses.replace(config.stt, **stt_changes)),
            dataclasses.replace(ChunkRules(), **rule_changes),
        )
    report = {"model": config.stt.model, "manifests": {}}
    for manifest in args.manifest or [str(m) for m in default_manifests()]:
        rows = []
        for clip in read_manifest(manifest):
            audio = load_audio_file(str(clip.path))
            row = {"clip": clip.name, "seconds": round(len(audio) / 16000, 2), "reference": clip.reference}
            c0 = time.process_time()
            row["plain"] = plain(base, audio, config.stt)
            row["plain_cpu_s"] = time.process_time() - c0
            for name, (engine, rules) in engines.items():
                c0 = time.process_time()
                row[name] = transcribe_dictation(engine, audio, rules).text
                row[f"{name}_cpu_s"] = time.process_time() - c0
            rows.append(row)
            print(f"  {clip.name}: {row['seconds']} s", file=sys.stderr)
        minutes = sum(r["seconds"] for r in rows) / 60
        summary = {"clips": len(rows), "audio_min": round(minutes, 2)}
        for name in ["plain", *engines]:
            summary[name] = {
                "wer": round(100 * rate([word_errors(r["reference"], r[name]) for r in rows]), 2),
                "cpu_s_per_min": round(sum(r[f"{name}_cpu_s"] for r in rows) / minutes, 2),
                "same_as_plain": sum(r[name] == r["plain"] for r in rows),
            }
        report["manifests"][manifest] = {"summary": summary, "rows": rows}
        print(f"\n{manifest}: {len(rows)} clips, {minutes:.1f} min")
        print(f"{'':<12}{'WER %':>8}{'CPU s/min':>11}{'= plain':>9}")
        for name in ["plain", *engines]:
            s = summary[name]
            print(f"{name:<12}{s['wer']:>8.2f}{s['cpu_s_per_min']:>11.2f}{s['same_as_plain']:>6}/{len(rows)}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
