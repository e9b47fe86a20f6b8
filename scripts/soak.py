#!/usr/bin/env python3
"""Soak test, the full version: N consecutive push-to-talk dictations of the
real corpus (tests/data/corpus) through one real ``sayso run``, on the test
harness's desktop (Xvfb, a PulseAudio null sink as the microphone, a held
xdotool chord, the Tk target window).

    .venv/bin/python scripts/soak.py --dictations 105 --json out.json

Prints one row per dictation as it goes and a summary: dictations typed,
first words lost (against plain faster-whisper on the same clip), daemon RSS
at 1 / 10 / last and its growth after the tenth (above the peak of the
first ten), key up -> first / last
typed character (p50, p95).  Exits 1 if any check failed (a dictation not
typed, a first word lost, RSS growth >= 20 MB after the tenth).

``--debug`` runs the daemon with ``--debug`` (its log then holds the
transcripts; never by default) and prints the log of every failed dictation.
The runner is tests/soak.py (shared with tests/e2e/test_soak_e2e.py, the short
CI version).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import soak  # noqa: E402
from conftest import _kill, start_desktop, stop_desktop  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--dictations", type=int, default=105, help="how many (default 105: 7 passes over the 15 clips)")
    ap.add_argument("--json", type=Path, help="write every dictation and the summary here")
    ap.add_argument("--debug", action="store_true", help="run the daemon with --debug (transcripts in its log)")
    ap.add_argument("--seed", type=int, default=20240607, help="the shuffled order and the tails")
    ap.add_argument("--max-seconds", type=float, default=0.0, help="only clips at most this long (0: all)")
    ap.add_argument(
        "--pad",
        type=float,
        default=None,
        help=f"seconds of silence played before each clip (default {soak.PAD_S}; 0 shows the loss of the start of"
        " each paplay stream on PulseAudio's null sink, see tests/soak.py prepare())",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, window events)")
    args = ap.parse_args(argv)

    clips = [c for c in soak.corpus() if not args.max_seconds or c.seconds <= args.max_seconds]
    steps = soak.plan(clips, args.dictations, seed=args.seed)
    work = Path(tempfile.mkdtemp(prefix="sayso-soak-"))
    desk = daemon = box = None
    records = []
    started = time.time()
    try:
        soak.prepare(clips, work / "wav", args.pad)
        print(f"plain faster-whisper on {len(clips)} clips...", flush=True)
        soak.plain_transcripts(clips)
        (work / "desktop").mkdir()
        desk = start_desktop(work / "desktop")
        daemon = soak.start_daemon(desk, work, debug=args.debug)
        box = soak.open_window(desk, work)
        run = soak.Soak(desk, daemon, box)
        print(
            f"{len(steps)} dictations, daemon pid {daemon.proc.pid}{' (--debug)' if args.debug else ''}\n", flush=True
        )
        print(soak.TABLE_HEAD, flush=True)

        def show(rec):
            print(soak.table_row(rec), flush=True)
            if rec.problems():
                print("    " + rec.message().replace("\n", "\n    "), flush=True)

        records = run.run(steps, show)
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
    finally:
        log = daemon.log if daemon is not None else ""
        if daemon is not None:
            daemon.stop()
        if box is not None:
            _kill(box.proc)
        if desk is not None:
            stop_desktop(desk)
        (work / "daemon.log").write_text(log)
    if not records:
        return 2
    print("\n" + soak.format_summary(records))
    growth = soak.rss_growth(records)
    failed = any(r.problems() for r in records) or (growth is not None and growth >= soak.RSS_GROWTH_MB)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "when": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started)),
                    "minutes": round((time.time() - started) / 60, 1),
                    "machine": {
                        "cpus": __import__("os").cpu_count(),
                        "python": platform.python_version(),
                        "load_at_end": __import__("os").getloadavg(),
                    },
                    "debug": args.debug,
                    "seed": args.seed,
                    "pad_s": soak.PAD_S if args.pad is None else args.pad,
                    "summary": soak.summary(records),
                    "dictations": [r.to_json() for r in records],
                },
                indent=1,
            )
        )
        print(f"\nwritten: {args.json}")
    if args.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
