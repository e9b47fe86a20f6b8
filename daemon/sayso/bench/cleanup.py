"""``sayso bench cleanup``: ``dictate.cleanup = "rules"`` on real speech, against no clean-up.

Each clip of a corpus manifest is transcribed once by the configured local model
as a dictation is (``transcribe_dictation``), then scored three ways with the
standard normaliser: as transcribed (cleanup "off"), after the rules, and after
the rules with Harper's confident fixes (what the daemon does with "rules").
Time: wall and CPU milliseconds of the whole "rules" clean-up per dictation.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

from ..core.config_types import Config

DEFAULT_CORPUS = "tests/data/corpus/manifest.tsv"


def run(config: Config, manifest: str, log: Callable[[str], None] = print) -> dict:
    from ..app.pipelines import harper_fixer
    from ..dictate.chunks import transcribe_dictation
    from ..dictate.cleanup import clean, clean_rules
    from ..dictate.engines.faster_whisper import Transcriber, load_audio_file
    from .corpus import read_manifest
    from .scoring import rate, word_errors

    clips = read_manifest(manifest)
    vocabulary, fillers = tuple(config.stt.vocabulary), tuple(config.dictate.fillers)
    model = Transcriber.load(config.stt)
    fixer = harper_fixer(vocabulary)
    fixer("Warm up the linter.")  # Harper's first call loads its dictionary
    rows, wall, cpu = [], [], []
    for clip in clips:
        raw = transcribe_dictation(model, load_audio_file(str(clip.path))).text
        t0, c0 = time.perf_counter(), time.process_time()
        full = clean(raw, "rules", vocabulary, fillers, fixer=fixer)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        rules = clean_rules(raw, vocabulary, fillers)
        rows.append((clip.reference, raw, rules.text, full.text, full.raw == raw))
    log(f"cleanup: {len(rows)} clips transcribed and cleaned")
    wer_off = rate([word_errors(ref, raw) for ref, raw, _, _, _ in rows])
    wer_rules = rate([word_errors(ref, text) for ref, _, text, _, _ in rows])
    wer_full = rate([word_errors(ref, text) for ref, _, _, text, _ in rows])
    return {
        "manifest": manifest,
        "clips": len(rows),
        "model": config.stt.model,
        "wer_off": round(wer_off, 5),
        "wer_rules_only": round(wer_rules, 5),
        "wer_rules": round(wer_full, 5),
        "wer_change": round(abs(wer_full - wer_off), 5),
        "changed_clips": sum(1 for _, raw, _, text, _ in rows if text != raw),
        "raw_kept": all(kept for *_, kept in rows),
        "p50_ms": round(statistics.median(wall), 2),
        "max_ms": round(max(wall), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_max_ms": round(max(cpu), 2),
        "chars_max": max(len(raw) for _, raw, _, _, _ in rows),
    }


def lines(c: dict) -> list:
    return [
        "",
        f"Dictation clean-up on {c['clips']} clips of {c['manifest']} ({c['model']}):",
        f"  WER cleanup off {100 * c['wer_off']:.2f} %, rules {100 * c['wer_rules_only']:.2f} %, "
        f"rules + Harper's confident fixes {100 * c['wer_rules']:.2f} % "
        f"(change {100 * c['wer_change']:.2f} points; {c['changed_clips']} clips changed; "
        f"raw kept byte for byte: {'yes' if c['raw_kept'] else 'NO'})",
        f"  time per dictation (rules + Harper): p50 {c['p50_ms']:.2f} ms, max {c['max_ms']:.2f} ms wall; "
        f"CPU p50 {c['cpu_p50_ms']:.2f} ms, max {c['cpu_max_ms']:.2f} ms (longest transcript {c['chars_max']} chars)",
    ]
