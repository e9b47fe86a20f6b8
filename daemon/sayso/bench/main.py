"""``sayso bench``: latency, accuracy and footprint on this machine, in one run.

Parts: ``dictate`` (key release -> text, streaming vs record-then-transcribe,
see :mod:`sayso.bench.dictate`), ``speak``, ``rewrite`` (the engines' latency,
:mod:`sayso.bench.system`, and the meaning check, :mod:`sayso.bench.guard`;
``guard`` is the meaning check alone), ``cleanup`` (``dictate.cleanup`` on real
speech, :mod:`sayso.bench.cleanup`) and ``idle``.  Prints a table, and writes JSON and a PNG plot
when asked.  Timing belongs here, never in asserting unit tests.
"""

from __future__ import annotations

import json
import logging
import math
import time
from pathlib import Path
from typing import Callable, Optional

from .. import __version__
from ..core.config_types import Config

PARTS = ("dictate", "speak", "rewrite", "cleanup", "idle")  # "all"; "guard" (in "rewrite") and "remote" on request

#: the targets on a 2-core x86 machine with the bundled tiny.en: name -> (limit, "max" or "min")
TARGETS = {
    "dictate_11s_300ms_last_ratio": (0.25, "max"),
    "dictate_30s_300ms_last_ratio": (0.25, "max"),
    "dictate_120s_300ms_last_ratio": (0.25, "max"),
    "dictate_30s_last_word_last_ratio": (0.3, "max"),
    "dictate_120s_last_word_last_ratio": (0.3, "max"),
    "dictate_30s_cpu_ratio": (2.0, "max"),
    "corpus_300ms_last_ratio": (0.25, "max"),
    "corpus_300ms_last_p95_ratio": (0.5, "max"),
    "corpus_last_word_last_ratio": (0.7, "max"),
    "corpus_uncorrected": (0.95, "min"),
    "corpus_cpu_ratio": (2.0, "max"),
    "dictate_11s_300ms_first_p50_ms": (50.0, "max"),
    "corpus_300ms_first_p50_ms": (50.0, "max"),
    "corpus_file_wer_minus_plain": (0.003, "max"),
    "corpus_live_wer_minus_plain": (0.005, "max"),
    "corpus_agreement": (0.95, "min"),
    "speak_first_audio_ms": (200.0, "max"),
    "guard_refuse_bad": (0.95, "min"),
    "guard_accept_good": (0.95, "min"),
    "guard_heldout_refuse_bad": (0.95, "min"),
    "guard_heldout_accept_good": (0.95, "min"),
    "guard_added_ms_per_1000_chars": (30.0, "max"),
    "cleanup_rules_ms": (10.0, "max"),
    "cleanup_wer_change": (0.003, "max"),
    "idle_cpu_percent": (0.5, "max"),
    "idle_rss_mb": (450.0, "max"),
}


def load_model(config: Config):
    """The warm speech model, as the daemon holds it (a ModelSlot)."""
    from ..dictate.dictation import ModelSlot
    from ..dictate.engines.faster_whisper import Transcriber

    def load():
        model = Transcriber.load(config.stt)
        model.warm_up()
        return model

    slot = ModelSlot(load, "speech model")
    slot.get()
    return slot


def run(
    config: Config,
    parts=PARTS,
    runs: int = 3,
    lengths=(3, 11, 30),
    config_path: Optional[str] = None,
    idle_seconds: float = 30.0,
    log: Callable[[str], None] = print,
    corpus: Optional[str] = None,
    load: int = 0,
    releases: tuple = ("300ms", "last_word"),
    cases: Optional[tuple] = None,
) -> dict:
    """Run the chosen parts; the report as a dict (see :func:`targets`)."""
    from . import system as bench_system

    report: dict = {
        "sayso": __version__,
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": bench_system.machine(),
        "runs": runs,
        "parts": list(parts),
    }
    if "dictate" in parts and corpus:
        from . import corpus as bench_corpus

        clips = bench_corpus.read_manifest(corpus)  # a bad manifest fails before the model loads
        log(f"dictate: loading the speech model ({len(clips)} clips)")
        report["corpus"] = bench_corpus.run(config, load_model(config), corpus, runs, releases, load, log)
    elif "dictate" in parts:
        from . import dictate as bench_dictate

        log("dictate: loading the speech model")
        report["dictate"] = bench_dictate.run(config, load_model(config), runs, lengths, log)
    if "remote" in parts:
        from . import remote as bench_remote

        log("remote: loading the speech model")
        report["remote"] = bench_remote.run(
            config, load_model(config), runs, tuple(n for n in lengths if n <= 11) or (3,), log
        )
    if "speak" in parts:
        log("speak: reading a 5,000-character text")
        report["speak"] = bench_system.speak(config)
    if "rewrite" in parts:
        log("rewrite: a 100-word paragraph per engine")
        report["rewrite"] = bench_system.rewrite(config, runs)
    if "guard" in parts or "rewrite" in parts:
        from . import guard as bench_guard

        log("rewrite: the meaning check on the rewrite case sets")
        if cases is None and not all(Path(p).is_file() for p in bench_guard.DEFAULT_CASES):
            report["guard"] = _not_here("the case sets", "--cases FILE")
        else:
            report["guard"] = bench_guard.run(config, max(20, runs), cases or bench_guard.DEFAULT_CASES)
    if "cleanup" in parts:
        from . import cleanup as bench_cleanup

        manifest = corpus or bench_cleanup.DEFAULT_CORPUS
        log(f"cleanup: dictate.cleanup on the clips of {manifest}")
        if corpus is None and not Path(manifest).is_file():
            report["cleanup"] = _not_here("the corpus", "--corpus MANIFEST")
        else:
            report["cleanup"] = bench_cleanup.run(config, manifest, log)
    if "idle" in parts:
        log(f"idle: starting 'sayso run' ({idle_seconds:.0f} s of measurement)")
        report["idle"] = bench_system.idle(config_path, idle_seconds, log)
    report["machine"]["load_avg_end"] = bench_system.machine().get("load_avg")
    report["targets"] = targets(report)
    return report


def _not_here(what: str, option: str) -> dict:
    """A part whose default data is in the repository, run elsewhere: not measured, one line why."""
    return {"available": False, "reason": f"no {what} in tests/data here (run from the repository, or give {option})"}


def _row(report: dict, utterance: str, release: str) -> Optional[dict]:
    for row in report.get("dictate", {}).get("results", []):
        if row["utterance"] == utterance and row["release"] == release:
            return row
    return None


def targets(report: dict) -> list:
    """Each target with the measured value and whether it is met (None: not measured)."""
    row = _row(report, "11s", "300ms")
    speak, idle, guard = report.get("speak", {}), report.get("idle", {}), report.get("guard", {})
    cleanup = report.get("cleanup", {})
    summary = report.get("corpus", {}).get("conditions", {}).get("idle", {}).get("summary", {})
    corpus, corpus_lw = summary.get("300ms"), summary.get("last_word")

    def ratio(utterance: str, release: str, key: str = "ratio_p50"):
        r = _row(report, utterance, release)
        return r.get(key) if r else None

    values = {
        "dictate_11s_300ms_last_ratio": ratio("11s", "300ms"),
        "dictate_30s_300ms_last_ratio": ratio("30s", "300ms"),
        "dictate_120s_300ms_last_ratio": ratio("120s", "300ms"),
        "dictate_30s_last_word_last_ratio": ratio("30s", "last_word"),
        "dictate_120s_last_word_last_ratio": ratio("120s", "last_word"),
        "dictate_30s_cpu_ratio": ratio("30s", "300ms", "cpu_ratio"),
        "corpus_300ms_last_ratio": corpus.get("last_ratio") if corpus else None,
        "corpus_300ms_last_p95_ratio": corpus.get("last_p95_ratio") if corpus else None,
        "corpus_last_word_last_ratio": corpus_lw.get("last_ratio") if corpus_lw else None,
        "corpus_uncorrected": corpus.get("uncorrected") if corpus else None,
        "corpus_cpu_ratio": corpus.get("cpu_ratio") if corpus else None,
        "dictate_11s_300ms_first_p50_ms": row["streaming"]["first_p50_ms"] if row else None,
        "corpus_300ms_first_p50_ms": corpus["first_p50_ms"] if corpus else None,
        "corpus_file_wer_minus_plain": round(corpus["wer_file"] - corpus["wer_plain"], 4) if corpus else None,
        "corpus_live_wer_minus_plain": round(corpus["wer_live"] - corpus["wer_plain"], 4) if corpus else None,
        "corpus_agreement": corpus["agreement"] if corpus else None,
        "speak_first_audio_ms": speak.get("first_audio_ms"),
        "guard_refuse_bad": guard.get("refuse_bad"),
        "guard_accept_good": guard.get("accept_good"),
        "guard_heldout_refuse_bad": guard.get("heldout_refuse_bad"),
        "guard_heldout_accept_good": guard.get("heldout_accept_good"),
        "guard_added_ms_per_1000_chars": guard.get("added_p50_ms"),
        "cleanup_rules_ms": cleanup.get("max_ms"),
        "cleanup_wer_change": cleanup.get("wer_change"),
        "idle_cpu_percent": idle.get("cpu_percent"),
        "idle_rss_mb": idle.get("rss_mb"),
    }
    out = []
    for name, (limit, kind) in TARGETS.items():
        value = values[name]
        met = None if value is None else (value <= limit if kind == "max" else value >= limit)
        out.append({"name": name, "value": value, "target": limit, "kind": kind, "met": met})
    return out


# --- the table ----------------------------------------------------------------
def _ms(x) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:,.0f} ms"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def format_table(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"sayso {report['sayso']} bench, {report['time']}: {m.get('cpu_model', '?')}, {m.get('cpus')} CPUs, "
        f"load {m.get('load_avg')} -> {m.get('load_avg_end')}"
    ]
    d = report.get("dictate")
    if d is not None:
        lines.append("")
        if not d.get("available"):
            lines.append(f"Dictation: not available ({d.get('reason')})")
        else:
            lines.append(
                f"Dictation, key release -> text ({d['model']}, {d['compute_type']}, beam {d['beam_size']}; "
                f"{report['runs']} runs each; streaming fed at real-time pace)"
            )
            head = (
                f"{'utterance':<13}{'release':<11}{'last p50':>10}{'p95':>10}{'plain p50':>11}{'p95':>10}"
                f"{'ratio':>7}{'p95':>7}{'first p50':>11}{'erased':>8}{'CPU s':>7}{'plain':>7}{'WER':>7}{'plain':>7}"
            )
            lines += [head, "-" * len(head)]
            for r in d["results"]:
                s, b = r["streaming"], r["baseline"]
                ratio = "-" if r["ratio_p50"] is None else f"{r['ratio_p50']:.2f}x"
                ratio95 = "-" if r.get("ratio_p95") is None else f"{r['ratio_p95']:.2f}x"
                name = f"{r['utterance']} ({r['audio_s']:.1f}s)"
                lines.append(
                    f"{name:<13}{r['release']:<11}{_ms(s['p50_ms']):>10}{_ms(s['p95_ms']):>10}"
                    f"{_ms(b['p50_ms']):>11}{_ms(b['p95_ms']):>10}{ratio:>7}{ratio95:>7}{_ms(s['first_p50_ms']):>11}"
                    f"{s['erased_chars']:>8}{s['cpu_p50_s']:>7.2f}{b['cpu_p50_s']:>7.2f}"
                    f"{_pct(s['wer']):>7}{_pct(b['wer']):>7}"
                )
            lines.append(
                "(last/first: key release -> last/first character of the final text; plain: record-then-transcribe "
                "with plain faster-whisper; ratio: last / plain; erased: characters taken back over the runs; "
                "CPU s: p50 user+system seconds from key press to text, and of the plain call)"
            )
    from .corpus import format_lines

    lines += format_lines(report.get("corpus"))
    from .remote import format_lines as remote_lines

    lines += remote_lines(report.get("remote"))
    lines += (
        _speak_lines(report.get("speak"))
        + _rewrite_lines(report.get("rewrite"))
        + _guard_lines(report.get("guard"))
        + _cleanup_lines(report.get("cleanup"))
        + _idle_lines(report.get("idle"))
    )
    lines += ["", "Targets:"]
    for t in report["targets"]:
        verdict = "not measured" if t["met"] is None else ("met" if t["met"] else "MISSED")
        sign = "<=" if t["kind"] == "max" else ">="
        lines.append(
            f"  {t['name']:<34} {'-' if t['value'] is None else t['value']:>10} {sign} {t['target']:<8} {verdict}"
        )
    return "\n".join(lines)


def _speak_lines(s: Optional[dict]) -> list:
    if s is None:
        return []
    if not s.get("available"):
        return ["", f"Read aloud: not available ({s.get('reason')})"]
    ratio = "-" if s.get("ratio") is None else f"{s['ratio']:.3f}x"
    return [
        "",
        f"Read aloud ({s['chars']:,} characters, voice {s['voice']}, {s.get('output')} output):",
        f"  time to first audio {_ms(s['first_audio_ms'])} vs synthesise-all-then-play {_ms(s['synthesize_all_first_audio_ms'])}"  # noqa: E501  (one message, kept greppable)
        f" ({ratio}); real-time factor {s['real_time_factor']}",
    ]


def _rewrite_lines(r: Optional[dict]) -> list:
    if r is None:
        return []
    if "engines" not in r:
        return ["", f"Rewrite: not available ({r.get('reason')})"]
    out = ["", f"Rewrite ({r['action']}, {r['words']}-word paragraph):"]
    for e in r["engines"]:
        if not e["available"]:
            out.append(f"  {e['engine']:<8} not available ({e.get('reason')})")
        else:
            note = "" if e.get("ok") else f" (refused: {e.get('message', '')})"
            model = f" [{e['model']}]" if e.get("model") else ""
            out.append(f"  {e['engine']:<8} p50 {_ms(e['p50_ms'])}, first call {_ms(e['first_ms'])}{note}{model}")
    return out


def _guard_lines(g: Optional[dict]) -> list:
    from .guard import lines

    if g is not None and g.get("available") is False:
        return ["", f"Meaning check: not measured ({g['reason']})"]
    return [] if g is None else lines(g)


def _cleanup_lines(c: Optional[dict]) -> list:
    from .cleanup import lines

    if c is not None and c.get("available") is False:
        return ["", f"Dictation clean-up: not measured ({c['reason']})"]
    return [] if c is None else lines(c)


def _idle_lines(i: Optional[dict]) -> list:
    if i is None:
        return []
    if not i.get("available"):
        return ["", f"Idle daemon: not available ({i.get('reason')})"]
    voice = "speech model and voice" if i.get("voice_loaded") else "speech model (no voice loaded at start)"
    return [
        "",
        f"Idle daemon over {i['seconds']} s with the {voice}: CPU {i['cpu_percent']:.2f} % of one core, "
        f"RSS {i['rss_mb']:.0f} MB",
    ]


# --- the plot -----------------------------------------------------------------
def plot(report: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report.get("dictate", {}).get("results", [])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    if rows:
        labels = [f"{r['utterance']}\n{r['release']}" for r in rows]
        xs = range(len(rows))
        for k, (mode, color) in enumerate((("streaming", "tab:green"), ("baseline", "tab:gray"))):
            p50 = [max(1.0, r[mode]["p50_ms"]) for r in rows]
            p95 = [max(0.0, r[mode]["p95_ms"] - r[mode]["p50_ms"]) for r in rows]
            ax.bar(
                [x + (k - 0.5) * 0.38 for x in xs],
                p50,
                0.38,
                yerr=[[0] * len(rows), p95],
                capsize=3,
                color=color,
                label=f"{mode} p50 (bar) / p95 (whisker)",
            )
        ax.set_xticks(list(xs), labels)
        ax.axhline(
            TARGETS["dictate_11s_300ms_first_p50_ms"][0],
            color="tab:red",
            ls="--",
            lw=1,
            label="target: first character, released 300 ms after the last word",
        )
        ax.set_yscale("log")
        ax.set_ylabel("key release -> text (ms, log scale)")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "dictation not measured", ha="center", va="center")
    m = report["machine"]
    ax.set_title(f"sayso dictation latency: {m.get('cpu_model', '?')}, {m.get('cpus')} CPUs", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(
    config: Config,
    part: str = "all",
    runs: int = 3,
    json_path: Optional[str] = None,
    plot_path: Optional[str] = None,
    lengths=(3, 11, 30),
    config_path: Optional[str] = None,
    idle_seconds: float = 30.0,
    corpus: Optional[str] = None,
    load: int = 0,
    releases: tuple = ("300ms", "last_word"),
    cases: Optional[tuple] = None,
) -> dict:
    logging.getLogger("sayso").setLevel(logging.WARNING)  # the dictation log lines would drown the table
    parts = PARTS if part == "all" else (part,)  # "remote" (sayso.bench.remote) only when asked for
    report = run(
        config,
        parts,
        runs,
        lengths,
        config_path,
        idle_seconds,
        corpus=corpus,
        load=load,
        releases=releases,
        cases=cases,
    )
    print()
    print(format_table(report))
    if json_path:
        Path(json_path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"\nJSON: {json_path}")
    if plot_path:
        plot(report, plot_path)
        print(f"Plot: {plot_path}")
    return report
