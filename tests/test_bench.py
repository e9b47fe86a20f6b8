"""``sayso bench``: the report's structure and arithmetic (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import REPO
from sayso import bench, bench_dictate, bench_system


def _row(utterance, release, stream_ms, base_ms, wer_s=0.0, wer_b=0.0):
    def mode(ms, w):
        return {"p50_ms": ms, "p95_ms": ms * 1.2, "mean_ms": ms, "samples_ms": [ms], "wer": w, "texts": ["x"]}

    return {"utterance": utterance, "release": release, "audio_s": 11.3, "speech_to_last_word_s": 11.0, "runs": 1,
            "streaming": mode(stream_ms, wer_s), "baseline": mode(base_ms, wer_b), "ratio_p50": round(stream_ms / base_ms, 3)}


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
    report = _report(dictate={"available": True, "model": "m", "compute_type": "int8", "beam_size": 1,
                              "results": [_row("11s", "300ms", 100.0, 500.0), _row("11s", "last_word", 400.0, 500.0)]},
                     speak={"available": True, "chars": 5000, "voice": "joe", "first_audio_ms": 150.0,
                            "synthesize_all_first_audio_ms": 15000.0, "ratio": 0.01, "real_time_factor": 0.05, "output": "null"},
                     rewrite={"available": True, "words": 100, "action": "fix",
                              "engines": [{"engine": "harper", "available": True, "first_ms": 500.0, "p50_ms": 10.0, "runs": 1, "ok": True},
                                          {"engine": "llama", "available": False, "reason": "no model"}]},
                     idle={"available": False, "reason": "no display"})
    targets = {t["name"]: t for t in report["targets"]}
    assert targets["dictate_11s_300ms_p50_ms"]["met"] is True
    assert targets["dictate_11s_300ms_ratio"]["value"] == 0.2 and targets["dictate_11s_300ms_ratio"]["met"] is True
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
    proc = subprocess.run([sys.executable, "-m", "sayso", "--config", str(config), "bench", "dictate", "--runs", "1",
                           "--utterances", "3", "--json", str(out), "--plot", str(png)],
                          capture_output=True, text=True, timeout=600, cwd=REPO)
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
