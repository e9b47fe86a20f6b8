#!/usr/bin/env python3
"""Rewrite latency per engine and action on a 100-word paragraph.

    PYTHONPATH=daemon python scripts/bench_rewrite.py [--model smollm2-135m] [--threads 1]
        [--base-url http://127.0.0.1:11434/v1] [--engines harper,llama,openai] [--repeat 1]

Times the whole text-mode transaction (engine + guards, no clipboard).  The
first llama row includes loading the model; it is also shown separately.
An engine that is not available here is listed as skipped, with the reason.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))

from sayso.bench.system import PARAGRAPH  # noqa: E402  (the same text as `sayso bench rewrite`)
from sayso.core.config_types import Config
from sayso.core.errors import SaysoError  # noqa: E402
from sayso.core.rewrite_actions import BUILTIN_PROMPTS  # noqa: E402
from sayso.rewrite.rewriter import Rewriter, RewriteSettings  # noqa: E402


class _Quiet:
    def notify(self, summary: str, body: str = "", *, urgency: str = "normal") -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m", help="GGUF path or catalog name for the llama engine")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--base-url", default="http://127.0.0.1:11434/v1", help="OpenAI-compatible endpoint")
    parser.add_argument("--api-model", default="")
    parser.add_argument("--engines", default="harper,llama,openai")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    cfg = Config()
    cfg.rewrite.model, cfg.rewrite.n_threads = args.model, args.threads
    cfg.rewrite.base_url, cfg.rewrite.api_model = args.base_url, args.api_model
    cfg.rewrite.timeout_s = 300
    rw = Rewriter(RewriteSettings.of(cfg), None, _Quiet())
    print(f"paragraph: {len(PARAGRAPH.split())} words, {len(PARAGRAPH)} characters")
    print(f"{'engine':<8} {'action':<10} {'median s':>9} {'min s':>7}  result")
    try:
        for engine in args.engines.split(","):
            _bench_engine(rw, engine.strip(), args.repeat)
    finally:
        rw.close()
    return 0


def _bench_engine(rw: Rewriter, engine: str, repeat: int) -> None:
    try:
        chosen = rw.engines.get(engine)
        if not chosen.available():
            print(f"{engine:<8} {'-':<10} {'':>9} {'':>7}  skipped: not available here")
            return
    except SaysoError as err:
        print(f"{engine:<8} {'-':<10} {'':>9} {'':>7}  skipped: {err}")
        return
    started = time.monotonic()
    if engine == "llama":
        chosen._ensure_loaded()
    elif engine == "harper":
        chosen._get_linter()
    if engine in ("llama", "harper"):
        print(f"{engine:<8} {'(load)':<10} {time.monotonic() - started:>9.2f} {'':>7}  loaded")
    actions = ["fix"] if engine == "harper" else list(BUILTIN_PROMPTS)
    for action in actions:
        times, last = [], None
        for _ in range(max(1, repeat)):
            last = rw.run(action, PARAGRAPH, engine=engine)
            times.append(last.elapsed)
        outcome = f"ok, {len(last.text)} chars" if last.ok else f"refused: {last.message}"
        print(f"{engine:<8} {action:<10} {statistics.median(times):>9.2f} {min(times):>7.2f}  {outcome}")


if __name__ == "__main__":
    sys.exit(main())
