"""``sayso bench``: the command line of :mod:`sayso.bench.main`."""

from __future__ import annotations

import argparse

from ..core.errors import InputError


def add_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="measure dictation, read-aloud and rewrite latency on this machine",
        description="Measure latency, accuracy and footprint on this machine, in one run.",
    )
    p.add_argument(
        "part",
        nargs="?",
        default="all",
        choices=["dictate", "speak", "rewrite", "guard", "cleanup", "idle", "remote", "ocr", "ocr-region", "all"],
        help="what to measure (default: all; 'rewrite': the engines and the meaning check, 'guard': the meaning "
        "check alone; 'cleanup': dictate.cleanup on real speech; 'remote': the remote engines on loopback; "
        "'ocr-region': mouse release -> first audio of a dragged region alone)",
    )
    p.add_argument("--runs", type=int, metavar="N", help="runs per case (default 3; 1 per clip with --corpus)")
    p.add_argument("--json", metavar="FILE", help="write the full report as JSON")
    p.add_argument("--plot", metavar="FILE.png", help="write a PNG plot of the dictation latencies")
    p.add_argument(
        "--utterances",
        default="3,11,30,120",
        metavar="S,S",
        help="dictation utterance lengths in seconds, from 3, 11, 30, 120 (default: all four)",
    )
    p.add_argument(
        "--idle-seconds", type=float, default=30.0, metavar="S", help="idle CPU measurement time (default 30)"
    )
    p.add_argument(
        "--corpus",
        metavar="MANIFEST",
        help="dictate: real speech from a tab-separated manifest with 'file' "
        "and 'reference' columns (e.g. tests/data/corpus/manifest.tsv), against plain faster-whisper; "
        "cleanup: the clips to clean (default tests/data/corpus/manifest.tsv)",
    )
    p.add_argument(
        "--load",
        type=int,
        default=0,
        metavar="N",
        help="with --corpus: run it again while N processes keep the CPUs busy",
    )
    p.add_argument(
        "--releases",
        default="300ms,last_word",
        metavar="R,R",
        help="with --corpus: when the key goes up: 300ms (after the last word), last_word (default: both)",
    )
    p.add_argument(
        "--cases",
        metavar="FILE",
        action="append",
        help="rewrite, guard: a rewrite case set, JSON lines; again for more (default: "
        "the three sets tests/data/rewrite_cases*.jsonl)",
    )
    p.set_defaults(func=cmd_bench)


def _lengths(text: str) -> tuple:
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise InputError(f"--utterances: expected numbers such as 3,11,30, got {text!r}") from None
    bad = [v for v in values if v not in (3, 11, 30, 120)]
    if bad or not values:
        raise InputError("--utterances: choose from 3, 11, 30 and 120")
    return values


def cmd_bench(args: argparse.Namespace, config) -> int:
    from ..bench import main as bench

    runs = args.runs if args.runs is not None else (1 if args.corpus else 3)
    if runs < 1:
        raise InputError("--runs must be at least 1")
    if args.plot and not args.plot.lower().endswith(".png"):
        raise InputError("--plot: the file name must end in .png")
    if args.load < 0:
        raise InputError("--load must not be negative")
    releases = tuple(r.strip() for r in args.releases.split(",") if r.strip())
    if not releases or any(r not in ("300ms", "last_word") for r in releases):
        raise InputError("--releases: choose from 300ms and last_word")
    if args.load and args.part not in ("dictate", "all"):
        raise InputError("--load goes with the dictate part")
    if args.corpus and args.part not in ("dictate", "cleanup", "all"):
        raise InputError("--corpus goes with the dictate and cleanup parts")
    if args.cases and args.part not in ("rewrite", "guard", "all"):
        raise InputError("--cases goes with the rewrite and guard parts")
    if args.part in ("ocr", "ocr-region"):  # screen text: CER, time, region -> speech (docs/see.md)
        from ..bench import ocr

        ocr.main(config, runs if args.runs is not None else 5, args.json, region_only=args.part == "ocr-region")
        return 0
    bench.main(
        config,
        args.part,
        runs,
        args.json,
        args.plot,
        _lengths(args.utterances),
        args.config,
        args.idle_seconds,
        corpus=args.corpus,
        load=args.load,
        releases=releases,
        cases=tuple(args.cases) if args.cases else None,
    )
    return 0
