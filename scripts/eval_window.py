#!/usr/bin/env python3
"""Accuracy and speed of fitted Whisper windows (``stt.window = "fit"``)
against full 30 s windows, with the same model and settings.

Corpus: the real recordings in tests/data (alone and joined into 3, 11 and
30 s utterances, as ``sayso bench`` builds them) and utterances of 1 to 6
sentences spoken by the bundled piper voice at three speeds, with quiet
background noise.  Prints WER (lower-cased, punctuation removed) pooled
per group, the number of utterances whose words differ, whether the end
punctuation survives, and the median time per call for both windows.

    .venv/bin/python scripts/eval_window.py [--json FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "daemon"))

from sayso.bench_dictate import build_utterances, wer  # noqa: E402
from sayso import whisper_window  # noqa: E402
from sayso.config import Config  # noqa: E402
from sayso.stt import SAMPLE_RATE, Transcriber, load_audio_file  # noqa: E402

SENTENCES = [
    "Please send the quarterly report to Maria before Friday afternoon.",
    "I think we should move the meeting to next Tuesday at ten.",
    "The train was delayed by twenty minutes because of the snow.",
    "Could you remind me to call the dentist tomorrow morning?",
    "Thanks for your help with the presentation, it went really well.",
    "We need three more chairs, a projector and some water for the guests.",
    "My daughter starts school in September and she is very excited.",
    "The new library opens at nine and closes at six on weekdays.",
    "Let me know if you have any questions about the contract.",
    "It has been raining all week, so the garden looks very green.",
    "Our flight leaves at seven thirty, so we should be at the airport by six.",
    "I am sorry for the late reply, I was travelling last week.",
    "The doctor said I should rest my wrists and take regular breaks.",
    "Could you please check the numbers in the second table again?",
    "Remember to buy milk, bread, eggs and a bag of apples.",
    "The software update fixed the crash but the battery still drains quickly.",
    "She finished the marathon in just under four hours.",
    "We will discuss the budget after lunch in the small conference room.",
    "Please turn off the lights and lock the door when you leave.",
    "I would like to book a table for four people on Saturday evening.",
    "The museum has a new exhibition about the history of printing.",
    "He forgot his umbrella again, so he arrived completely soaked.",
    "Send me the draft when it is ready and I will read it tonight.",
    "The children played football in the park until it got dark.",
]


def piper_corpus(config: Config) -> list:
    """(name, audio, reference): 1-6 sentences, three speaking rates, quiet noise."""
    from sayso.tts import Voice
    from sayso.voices import VoiceRegistry

    registry = VoiceRegistry()
    voice = Voice.load(registry.get(config.speak.voice), registry.user_dir)
    rng = np.random.default_rng(7)
    out, i = [], 0
    for count in (1, 2, 3, 4, 6):
        for rate in (0.85, 1.0, 1.2):
            picked = [SENTENCES[(i + k) % len(SENTENCES)] for k in range(count)]
            i += count
            parts = []
            for sentence in picked:
                audio = voice.synthesize(sentence, rate=rate)
                parts += [_resample(audio, voice.sample_rate), np.zeros(int(rng.uniform(0.3, 0.9) * SAMPLE_RATE), np.float32)]
            audio = np.concatenate([np.zeros(int(0.3 * SAMPLE_RATE), np.float32)] + parts)
            audio = audio + (rng.standard_normal(len(audio)) * 3e-4).astype(np.float32)
            out.append((f"piper {count}x rate {rate}", audio.astype(np.float32), " ".join(picked)))
    return out


def _resample(audio: np.ndarray, rate: int) -> np.ndarray:
    n = int(round(len(audio) * SAMPLE_RATE / rate))
    return np.interp(np.arange(n) / SAMPLE_RATE, np.arange(len(audio)) / rate, audio).astype(np.float32)


def real_corpus() -> list:
    data = ROOT / "tests" / "data"
    refs = json.loads((data / "transcripts.json").read_text())
    out = [(name, load_audio_file(str(data / name)), refs[name]["text"]) for name in ("jfk.flac", "lamp.wav", "hotwords.mp3")]
    for utt in build_utterances((3, 11, 30), data):
        for release in (0.0, 0.3):
            out.append((f"{utt.name} +{release}s", utt.cut(release), utt.reference))
    return out


def run(corpus: list, model: Transcriber) -> list:
    rows = []
    for name, audio, reference in corpus:
        t0 = time.perf_counter()
        text = model.transcribe(audio).text
        rows.append({"name": name, "seconds": round(len(audio) / SAMPLE_RATE, 1), "ms": (time.perf_counter() - t0) * 1000,
                     "errors": wer(reference, text)[0], "words": wer(reference, text)[1], "text": text,
                     "end_punct": text.rstrip()[-1:] in ".?!"})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="write every transcript and number")
    parser.add_argument("--margin", type=float, default=whisper_window.MARGIN_S, help="seconds of window after the audio")
    parser.add_argument("--min", type=int, default=whisper_window.MIN_S, help="shortest window in seconds")
    args = parser.parse_args()
    whisper_window.MARGIN_S, whisper_window.MIN_S = args.margin, args.min
    print(f"fit: windows of max({args.min}, audio + {args.margin}) s, up to 30 s")
    config = Config()
    corpora = {"real": real_corpus(), "piper": piper_corpus(config)}
    results = {}
    for window in ("full", "fit"):
        stt = dataclasses.replace(config.stt, window=window)
        model = Transcriber.load(stt)
        model.warm_up()
        results[window] = {group: run(corpus, model) for group, corpus in corpora.items()}
        vocab = Transcriber(model.model, dataclasses.replace(stt, vocabulary=["ComfyUI"]))
        results[window]["real"] += run([("hotwords.mp3 + vocabulary", load_audio_file(str(ROOT / "tests/data/hotwords.mp3")),
                                         "Then you go into your ComfyUI folder again in the ComfyUI")], vocab)
    print(f"{'group':<7}{'utts':>5}{'WER full':>10}{'WER fit':>9}{'differ':>8}{'end .?! full/fit':>18}{'ms full':>9}{'ms fit':>8}")
    for group in corpora:
        full, fitted = results["full"][group], results["fit"][group]
        pooled = [sum(r["errors"] for r in rows) / max(1, sum(r["words"] for r in rows)) for rows in (full, fitted)]
        differ = sum(a["text"].lower().strip(".?! ") != b["text"].lower().strip(".?! ") for a, b in zip(full, fitted))
        punct = f"{sum(r['end_punct'] for r in full)}/{sum(r['end_punct'] for r in fitted)}"
        ms = [statistics.median(r["ms"] for r in rows) for rows in (full, fitted)]
        print(f"{group:<7}{len(full):>5}{pooled[0] * 100:>9.1f}%{pooled[1] * 100:>8.1f}%{differ:>8}{punct:>18}{ms[0]:>9.0f}{ms[1]:>8.0f}")
    for group in corpora:
        for a, b in zip(results["full"][group], results["fit"][group]):
            if a["errors"] != b["errors"]:
                print(f"  {a['name']} ({a['seconds']} s): full {a['errors']}/{a['words']} errors, fit {b['errors']}/{b['words']}")
                print(f"    full: {a['text']}\n    fit:  {b['text']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
