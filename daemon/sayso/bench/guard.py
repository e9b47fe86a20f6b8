"""``sayso bench guard``: the meaning check on the hand-written case set, and the time it adds.

Rates: the share of bad rewrites refused and of good ones accepted (cases from
``tests/data/rewrite_cases.jsonl``: action, source, output, good, kind).  Time:
for a rewrite of 1,000 characters, the check after the model has finished (the
source is embedded while the model writes) and the whole check, median of runs.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from ..core.config_types import Config
from ..core.errors import InputError

DEFAULT_CASES = "tests/data/rewrite_cases.jsonl"
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
            cases.append((case["action"], case["source"], case["output"], bool(case["good"]), case.get("kind", "")))
        except (ValueError, KeyError, TypeError) as err:
            raise InputError(f"{path}:{number}: not a case ({type(err).__name__})") from None
    return cases


def run(config: Config, runs: int = 20, cases_path: str = DEFAULT_CASES) -> dict:
    from ..core.rewrite_actions import get_action
    from ..rewrite.meaning import MeaningCheck, judge

    cases = read_cases(cases_path)
    check = MeaningCheck(vocabulary=tuple(config.stt.vocabulary))
    started = time.perf_counter()
    uses_model = check.prepare(get_action(config.rewrite, "formal"), "Warm up.") is not None
    load_ms = (time.perf_counter() - started) * 1000
    refused, accepted, missed, by_embeddings = 0, 0, [], [0, 0]  # bad cases: refused by the vectors alone, scored
    for number, (action, source, output, good, kind) in enumerate(cases, 1):
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
    formal = get_action(config.rewrite, "formal")
    after, whole = [], []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        prepared = check.prepare(formal, _SOURCE)
        t1 = time.perf_counter()
        check.check(formal, _SOURCE, _REWRITE, prepared)
        t2 = time.perf_counter()
        after.append((t2 - t1) * 1000)
        whole.append((t2 - t0) * 1000)
    from ..dictate.cleanup import clean_rules

    dictated = "So the- the plan um is to ship on Monday comma and I want- I need the the numbers full stop "
    cleanup = []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        clean_rules(dictated * 10, tuple(config.stt.vocabulary), tuple(config.dictate.fillers))
        cleanup.append((time.perf_counter() - t0) * 1000)
    return {
        "cleanup_rules_ms": round(statistics.median(cleanup), 2),
        "cleanup_chars": len(dictated * 10),
        "cases": len(cases),
        "good": good_n,
        "bad": len(cases) - good_n,
        "accept_good": round(accepted / good_n, 4) if good_n else None,
        "refuse_bad": round(refused / (len(cases) - good_n), 4) if len(cases) > good_n else None,
        "missed": missed,
        "bad_refused_by_embeddings_alone": f"{by_embeddings[0]}/{by_embeddings[1]}",
        "embeddings": uses_model,
        "model_load_ms": round(load_ms, 1),
        "chars": len(_SOURCE),
        "added_p50_ms": round(statistics.median(after), 1),
        "whole_p50_ms": round(statistics.median(whole), 1),
        "runs": max(1, runs),
    }


def lines(g: dict) -> list:
    out = [
        "",
        f"Meaning check ({g['cases']} cases: {g['good']} good, {g['bad']} bad rewrites; "
        f"embeddings {'on' if g['embeddings'] else 'OFF (facts only)'}):",
        f"  bad refused {g['refuse_bad']:.1%}, good accepted {g['accept_good']:.1%} "
        f"(the embeddings alone refuse {g['bad_refused_by_embeddings_alone']} bad ones; the fact checks the rest)",
        f"  time per {g['chars']:,}-character rewrite: {g['added_p50_ms']:.1f} ms after the model "
        f"(source embedded meanwhile), {g['whole_p50_ms']:.1f} ms in all; model load {g['model_load_ms']:.0f} ms",
    ]
    if "cleanup_rules_ms" in g:
        out.append(
            f"  dictate.cleanup 'rules' on a {g['cleanup_chars']:,}-character dictation: {g['cleanup_rules_ms']:.2f} ms"
        )
    for m in g["missed"]:
        verdict = f"refused: {m['reason']}" if m["good"] else "accepted"
        out.append(f"  missed case {m['case']} ({m['kind']}): {verdict}")
    return out
