"""``sayso bench``: the report's structure and arithmetic (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from sayso.bench import corpus as bench_corpus
from sayso.bench import dictate as bench_dictate
from sayso.bench import main as bench
from sayso.bench import system as bench_system
from sayso.core.errors import InputError

from conftest import DATA, REPO


def _row(utterance, release, stream_ms, base_ms, wer_s=0.0, wer_b=0.0):
    def mode(ms, w):
        return {
            "p50_ms": ms,
            "p95_ms": ms * 1.2,
            "mean_ms": ms,
            "samples_ms": [ms],
            "wer": w,
            "texts": ["x"],
            "first_p50_ms": ms / 10,
            "first_p95_ms": ms / 5,
            "erased_chars": 0,
            "cpu_p50_s": ms / 1000,
        }

    return {
        "utterance": utterance,
        "release": release,
        "audio_s": 11.3,
        "speech_to_last_word_s": 11.0,
        "runs": 1,
        "streaming": mode(stream_ms, wer_s),
        "baseline": mode(base_ms, wer_b),
        "ratio_p50": round(stream_ms / base_ms, 3),
        "ratio_p95": round(stream_ms / base_ms, 3),
        "cpu_ratio": round(stream_ms / base_ms, 2),
    }


def _report(**parts):
    report = {"sayso": "0", "time": "now", "machine": {"cpu_model": "cpu", "cpus": 2, "load_avg": [0, 0, 0]}, "runs": 1}
    report.update(parts)
    report["targets"] = bench.targets(report)
    return report


def test_wer_counts_word_errors_without_punctuation():
    assert bench_dictate.wer("Turn on the living-room lamp.", "turn on the living room lamp") == (0, 6)
    assert bench_dictate.wer("a b c d", "a x c") == (2, 4)
    assert bench_dictate.wer("a b", "") == (2, 2)


def test_percentile():
    assert bench_dictate.percentile([3, 1, 2], 0.5) == 2
    assert bench_dictate.percentile([100, 200], 0.95) == pytest.approx(195)


def test_targets_and_table_from_a_report(tmp_path):
    report = _report(
        dictate={
            "available": True,
            "model": "m",
            "compute_type": "int8",
            "beam_size": 1,
            "results": [_row("11s", "300ms", 100.0, 500.0), _row("11s", "last_word", 400.0, 500.0)],
        },
        speak={
            "available": True,
            "chars": 5000,
            "voice": "joe",
            "first_audio_ms": 150.0,
            "synthesize_all_first_audio_ms": 15000.0,
            "ratio": 0.01,
            "real_time_factor": 0.05,
            "output": "null",
        },
        rewrite={
            "available": True,
            "words": 100,
            "action": "fix",
            "engines": [
                {"engine": "harper", "available": True, "first_ms": 500.0, "p50_ms": 10.0, "runs": 1, "ok": True},
                {"engine": "llama", "available": False, "reason": "no model"},
            ],
        },
        idle={"available": False, "reason": "no display"},
    )
    targets = {t["name"]: t for t in report["targets"]}
    assert (
        targets["dictate_11s_300ms_first_p50_ms"]["value"] == 10.0 and targets["dictate_11s_300ms_first_p50_ms"]["met"]
    )
    assert targets["corpus_agreement"]["met"] is None  # no corpus in this report
    assert targets["dictate_11s_300ms_last_ratio"]["value"] == 0.2 and targets["dictate_11s_300ms_last_ratio"]["met"]
    assert targets["dictate_30s_300ms_last_ratio"]["met"] is None  # not in this report
    assert targets["speak_first_audio_ms"]["met"] is True
    assert targets["idle_cpu_percent"]["met"] is None
    table = bench.format_table(report)
    assert "0.20x" in table and "not available (no display)" in table and "llama    not available" in table
    bench.plot(report, str(tmp_path / "p.png"))
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_idle_needs_a_graphical_session():
    result = bench_system.idle(None, 1.0, log=lambda _: None, env={"PATH": "/usr/bin"})
    assert result["available"] is False and "graphical session" in result["reason"]


def test_bench_data_is_found():
    assert bench_dictate.data_dir() is not None


@pytest.mark.model
def test_bench_dictate_cli_quick(tmp_path):
    """``sayso bench dictate --runs 1`` on the 3 s utterance: the JSON report and the plot."""
    config = tmp_path / "config.toml"
    config.write_text("")
    out, png = tmp_path / "bench.json", tmp_path / "bench.png"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sayso",
            "--config",
            str(config),
            "bench",
            "dictate",
            "--runs",
            "1",
            "--utterances",
            "3",
            "--json",
            str(out),
            "--plot",
            str(png),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Dictation, key release -> text" in proc.stdout
    report = json.loads(out.read_text())
    assert png.stat().st_size > 1000
    assert report["machine"]["cpus"] >= 1 and "dictate" in report and "targets" in report
    rows = report["dictate"]["results"]
    assert [(r["utterance"], r["release"]) for r in rows] == [("3s", "300ms"), ("3s", "last_word")]
    for r in rows:
        for mode in ("streaming", "baseline"):
            m = r[mode]
            assert len(m["samples_ms"]) == 1 and m["p50_ms"] > 0 and m["p95_ms"] >= m["p50_ms"]
            assert m["wer"] is not None and m["wer"] <= 0.2, m["texts"]
        assert r["ratio_p50"] == pytest.approx(r["streaming"]["p50_ms"] / r["baseline"]["p50_ms"], abs=1e-3)
    assert rows[0]["audio_s"] == pytest.approx(rows[1]["audio_s"] + 0.3, abs=0.06)


def _corpus_row(clip, release, live, whole, first, last, plain_ms, run=1, erased=0):
    return {
        "clip": clip,
        "release": release,
        "run": run,
        "reference": "the cat sat on the mat",
        "plain": "The cat sat on the mat.",
        "file": "The cat sat on the mat.",
        "live": live,
        "whole": whole,
        "first_ms": first,
        "last_ms": last,
        "plain_ms": plain_ms,
        "erased": erased,
    }


def test_corpus_summary_pools_the_clips():
    rows = [
        _corpus_row("a", "300ms", "The cat sat on the mat.", "The cat sat on the mat.", 5.0, 300.0, 500.0),
        _corpus_row("b", "300ms", "The cat sat. On the mat.", "The cat sat on the mat.", 15.0, 400.0, 600.0, erased=4),
    ]
    s = bench_corpus.summarize(rows)["300ms"]
    assert s["wer_plain"] == 0 and s["wer_file"] == 0
    assert s["wer_live"] == 0  # "sat. On" is the same words...
    assert s["agreement"] == pytest.approx(1 - 2 / 12, abs=1e-4)  # ...but two of twelve formatted tokens differ
    assert s["identical"] == 1 and s["corrected"] == 1 and s["dictations"] == 2
    assert s["first_p50_ms"] == 10.0 and s["last_p50_ms"] == 350.0 and s["plain_p50_ms"] == 550.0
    report = _report(
        corpus={
            "available": True,
            "manifest": "m.tsv",
            "clips": 2,
            "model": "m",
            "beam_size": 5,
            "runs": 1,
            "conditions": {"idle": {"summary": {"300ms": s}, "rows": rows}},
        }
    )
    targets = {t["name"]: t for t in report["targets"]}
    assert targets["corpus_300ms_first_p50_ms"]["met"] is True
    assert targets["corpus_agreement"]["met"] is False and targets["corpus_agreement"]["kind"] == "min"
    assert targets["corpus_live_wer_minus_plain"]["value"] == 0
    assert "Dictation on real speech" in bench.format_table(report)


def test_manifest_errors_are_one_line(tmp_path):
    missing = tmp_path / "nope.tsv"
    with pytest.raises(InputError, match="corpus manifest not found"):
        bench_corpus.read_manifest(str(missing))
    bad = tmp_path / "bad.tsv"
    bad.write_text("path\ttext\nx.wav\thello\n")
    with pytest.raises(InputError, match="must name a 'file' and a 'reference' column"):
        bench_corpus.read_manifest(str(bad))
    gone = tmp_path / "gone.tsv"
    gone.write_text("file\treference\nx.wav\thello\n")
    with pytest.raises(InputError, match=r"gone.tsv:2: audio file not found"):
        bench_corpus.read_manifest(str(gone))


def test_the_shipped_corpus_manifest_reads():
    clips = bench_corpus.read_manifest(str(DATA / "corpus" / "manifest.tsv"))
    assert len(clips) == 15 and all(c.path.is_file() and c.reference for c in clips)


@pytest.mark.model
def test_bench_dictate_corpus_cli(tmp_path):
    """``sayso bench dictate --corpus`` on two real clips: the JSON report (no timing asserted)."""
    corpus = DATA / "corpus"
    manifest = tmp_path / "manifest.tsv"
    lines = (corpus / "manifest.tsv").read_text().splitlines()
    picked = [line for line in lines[1:] if "LJ001-0002" in line or "LJ001-0008" in line]
    manifest.write_text("\n".join([lines[0]] + [str(corpus) + "/" + line for line in picked]) + "\n")
    config = tmp_path / "config.toml"
    config.write_text("")
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sayso",
            "--config",
            str(config),
            "bench",
            "dictate",
            "--corpus",
            str(manifest),
            "--releases",
            "300ms",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Dictation on real speech" in proc.stdout
    data = json.loads(out.read_text())["corpus"]["conditions"]["idle"]
    rows = data["rows"]
    assert [r["clip"].rsplit("/", 1)[-1] for r in rows] == [
        "en_coqui_ljspeech_LJ001-0002.wav",
        "en_coqui_ljspeech_LJ001-0008.wav",
    ]
    assert all(r["status"] == "typed" and r["live"] and r["first_ms"] <= r["last_ms"] for r in rows)
    s = data["summary"]["300ms"]
    assert s["dictations"] == 2 and s["wer_file"] == s["wer_plain"]  # the file path is plain faster-whisper
    assert 0 <= s["agreement"] <= 1


def test_bench_guard_cli(tmp_path):
    """``sayso bench guard`` (the meaning check of ``bench rewrite``): the rates on the calibration
    and the held-out case sets, its wall and CPU time."""
    config, out = tmp_path / "config.toml", tmp_path / "guard.json"
    config.write_text("")
    root = REPO
    proc = subprocess.run(
        [sys.executable, "-m", "sayso", "--config", str(config), "bench", "guard", "--runs", "3", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=root,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    guard = json.loads(out.read_text())["guard"]
    assert guard["cases"] >= 60 and guard["embeddings"] is True
    assert guard["refuse_bad"] >= 0.95 and guard["accept_good"] >= 0.95
    assert guard["heldout_refuse_bad"] >= 0.95 and guard["heldout_accept_good"] >= 0.95
    assert len(guard["sets"]) == 3 and all(s["cases"] >= 30 for s in guard["sets"])
    assert guard["chars"] >= 990 and guard["added_p50_ms"] > 0 and guard["added_cpu_p50_ms"] > 0
    assert "rewrite_cases_heldout.jsonl: " in proc.stdout and "guard_heldout_refuse_bad" in proc.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"action": "fix"}\n')
    failed = subprocess.run(
        [sys.executable, "-m", "sayso", "--config", str(config), "bench", "guard", "--cases", str(bad)],
        capture_output=True, text=True, timeout=600, cwd=root,
    )  # fmt: skip
    assert failed.returncode != 0 and failed.stderr.strip().splitlines()[-1].endswith(
        "bad.jsonl:1: not a case (KeyError)"
    )


def test_bench_cleanup_cli(tmp_path):
    """``sayso bench cleanup``: the corpus WER with the clean-up off and "rules", and its time."""
    config, out = tmp_path / "config.toml", tmp_path / "cleanup.json"
    config.write_text("")
    proc = subprocess.run(
        [sys.executable, "-m", "sayso", "--config", str(config), "bench", "cleanup", "--json", str(out)],
        capture_output=True, text=True, timeout=900, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    c = json.loads(out.read_text())["cleanup"]
    assert c["clips"] >= 15 and c["raw_kept"] is True
    assert c["wer_change"] <= 0.003 and abs(c["wer_rules_only"] - c["wer_off"]) <= 0.003
    assert 0 < c["p50_ms"] <= c["max_ms"] and c["cpu_p50_ms"] > 0
    assert "WER cleanup off" in proc.stdout and "cleanup_wer_change" in proc.stdout
