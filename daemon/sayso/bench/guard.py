"""The meaning check in ``sayso bench rewrite`` (and alone: ``sayso bench guard``).

Rates: the share of bad rewrites refused and of good ones accepted, on each case
set (JSON lines: action, source, output, good, kind): the calibration set
``tests/data/rewrite_cases.jsonl`` the thresholds were set on, and the held-out
set ``tests/data/rewrite_cases_heldout.jsonl`` they were not (it found five
gaps, since fixed), and ``tests/data/rewrite_cases_fresh.jsonl``, written after
those fixes and run once, reported as it is.  Time: for a
rewrite of about 1,000 characters, the check after the model has finished (the
source is embedded while the model writes) and the whole check, with the
embeddings run (the sample is a near copy, which the check itself passes
without them: timed too); median wall and CPU (``time.process_time``, all
threads of this process) milliseconds.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from ..core.config_types import Config
from ..core.errors import InputError

DEFAULT_CASES = (
    "tests/data/rewrite_cases.jsonl",
    "tests/data/rewrite_cases_heldout.jsonl",
    "tests/data/rewrite_cases_fresh.jsonl",
)
_SOURCE = (
    "Hi Maria, thanks a lot for sending the draft of the report on Monday. I read it twice and I think "
    "the structure works, "
    "but the numbers in the second section do not match the spreadsheet: the total should be $4,820, not "
    "$4,280, and the deadline is 14 March at 5 pm. Could you also add the link to https://example.com/q3 "
    "so that the team can check the figures themselves? I would not send it to the client before Priya has "
    "seen it, because she owns the budget. The rest is fine. We never promised delivery in two weeks, so "
    "please remove that sentence from the summary. If you have questions, call me after 3:30 pm or write "
    "to finance@example.com. I am out of the office on Friday, but I can look at a new version on Thursday "
    "evening. Thanks again for the quick work, it really helps us stay on schedule this quarter, and the "
    "team appreciates it. One more thing: the meeting room for the review is booked for two hours, so we "
    "have enough time to go through every open point together, one by one."
)
_REWRITE = (
    "Dear Maria, thank you very much for sending the draft of the report on Monday. I have read it twice "
    "and believe the structure "
    "works; however, the numbers in the second section do not match the spreadsheet: the total should be "
    "$4,820, not $4,280, and the deadline is 14 March at 5 pm. Could you also add the link to "
    "https://example.com/q3 so that the team can verify the figures? I would not send it to the client "
    "before Priya has reviewed it, as she owns the budget. The rest is fine. We never promised delivery in "
    "two weeks, so please remove that sentence from the summary. Should you have any questions, call me "
    "after 3:30 pm or write to finance@example.com. I am out of the office on Friday, but I can review a new "
    "version on Thursday evening. Thank you again for the prompt work; it helps us stay on schedule this "
    "quarter, and the team appreciates it. One more point: the meeting room for the review is booked for two "
    "hours, so we will have enough time to go through every open item together, one at a time."
)


def read_cases(path: str) -> list:
    file = Path(path)
    if not file.is_file():
        raise InputError(f"no case file at {path} (run from the repository, or give --cases FILE)")
    cases = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
            good = bool(case["good"])
            cases.append(
                (case["action"], case["source"], case["output"], good, case.get("kind", ""), case.get("id", number))
            )
        except (ValueError, KeyError, TypeError) as err:
            raise InputError(f"{path}:{number}: not a case ({type(err).__name__})") from None
    return cases


def score(check, config: Config, cases: list) -> dict:
    """The verdicts on one case set: rates, misses, and how many bad ones the vectors alone refuse."""
    from ..core.rewrite_actions import get_action
    from ..rewrite.meaning import judge

    refused, accepted, missed, by_embeddings = 0, 0, [], [0, 0]  # bad cases: refused by the vectors alone, scored
    for action, source, output, good, kind, number in cases:  # number: the case's id (else its line)
        act = get_action(config.rewrite, action).for_language("French")
        why = judge(check, act, source, output)
        scores = None if good else check.scores(act, source, output)
        if scores is not None:
            limits = check.thresholds(act)
            by_embeddings[0] += scores[0] < limits.text or scores[1] < limits.sentence
            by_embeddings[1] += 1
        if good and why is None:
            accepted += 1
        elif not good and why is not None:
            refused += 1
        else:
            missed.append({"case": number, "kind": kind, "good": good, "reason": why})
    good_n = sum(1 for c in cases if c[3])
    return {
        "cases": len(cases),
        "good": good_n,
        "bad": len(cases) - good_n,
        "accept_good": round(accepted / good_n, 4) if good_n else None,
        "refuse_bad": round(refused / (len(cases) - good_n), 4) if len(cases) > good_n else None,
        "missed": missed,
        "bad_refused_by_embeddings_alone": f"{by_embeddings[0]}/{by_embeddings[1]}",
    }


def _timed(work, runs: int) -> tuple:
    """Median wall and CPU milliseconds of *work*."""
    wall, cpu = [], []
    for _ in range(max(1, runs)):
        t0, c0 = time.perf_counter(), time.process_time()
        work()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return round(statistics.median(wall), 1), round(statistics.median(cpu), 1)


def run(config: Config, runs: int = 20, cases_paths=DEFAULT_CASES) -> dict:
    from ..core.rewrite_actions import get_action
    from ..rewrite.meaning import MeaningCheck, near_copy

    sets = [(path, read_cases(path)) for path in cases_paths]
    check = MeaningCheck(vocabulary=tuple(config.stt.vocabulary))
    started = time.perf_counter()
    formal = get_action(config.rewrite, "formal")
    uses_model = check.prepare(formal, "Warm up.") is not None
    load_ms = (time.perf_counter() - started) * 1000
    scored = [dict(score(check, config, cases), path=path) for path, cases in sets]
    prepared = check.prepare(formal, _SOURCE)
    vectors = MeaningCheck(vocabulary=check.vocabulary, embedder=check.embedder(), near_copies=False)
    after = _timed(lambda: vectors.check(formal, _SOURCE, _REWRITE, prepared), runs)
    whole = _timed(lambda: vectors.check(formal, _SOURCE, _REWRITE, vectors.prepare(formal, _SOURCE)), runs)
    near = _timed(lambda: check.check(formal, _SOURCE, _REWRITE, prepared), runs)
    first = scored[0]
    report = {key: first[key] for key in ("cases", "good", "bad", "accept_good", "refuse_bad", "missed")}
    report["bad_refused_by_embeddings_alone"] = first["bad_refused_by_embeddings_alone"]
    report.update(
        sets=scored,
        embeddings=uses_model,
        threads=getattr(check.embedder(), "threads", 0),
        model_load_ms=round(load_ms, 1),
        chars=len(_SOURCE),
        added_p50_ms=after[0],
        added_cpu_p50_ms=after[1],
        whole_p50_ms=whole[0],
        whole_cpu_p50_ms=whole[1],
        near_copy=near_copy(_SOURCE, _REWRITE),
        near_copy_p50_ms=near[0],
        near_copy_cpu_p50_ms=near[1],
        runs=max(1, runs),
    )
    held_out = [s for s in scored[1:] if "heldout" in Path(s["path"]).name]
    if held_out:
        report["heldout_accept_good"] = held_out[0]["accept_good"]
        report["heldout_refuse_bad"] = held_out[0]["refuse_bad"]
    return report


def lines(g: dict) -> list:
    model = f"on, {g.get('threads', 0)} threads" if g["embeddings"] else "OFF: facts only"
    out = ["", f"Meaning check (embeddings {model}):"]
    for s in g.get("sets") or [dict(g, path="cases")]:
        out.append(
            f"  {Path(s['path']).name}: {s['cases']} cases ({s['good']} good, {s['bad']} bad): "
            f"bad refused {s['refuse_bad']:.1%}, good accepted {s['accept_good']:.1%} "
            f"(the embeddings alone refuse {s['bad_refused_by_embeddings_alone']} bad ones)"
        )
        for m in s["missed"]:
            verdict = f"refused: {m['reason']}" if m["good"] else "accepted"
            out.append(f"    missed case {m['case']} ({m['kind']}): {verdict}")
    out.append(
        f"  time per {g['chars']:,}-character rewrite, embeddings run: {g['added_p50_ms']:.1f} ms wall "
        f"({g.get('added_cpu_p50_ms', 0):.1f} ms CPU) after the model (source embedded meanwhile); "
        f"{g['whole_p50_ms']:.1f} ms wall ({g.get('whole_cpu_p50_ms', 0):.1f} ms CPU) in all; "
        f"model load {g['model_load_ms']:.0f} ms"
    )
    if g.get("near_copy"):
        out.append(
            f"  the same rewrite as it is checked (a near copy: no embeddings): {g['near_copy_p50_ms']:.1f} ms wall "
            f"({g['near_copy_cpu_p50_ms']:.1f} ms CPU)"
        )
    return out
