#!/usr/bin/env python3
"""Region -> speech on the test harness's desktops: ``sayso bench ocr-region`` on Xvfb
(xdotool drags), or with ``--wayland`` inside headless sway as the unprivileged test user
(slurp draws the box, grim captures it, a zwlr_virtual_pointer_v1 drags), the voice played
into a PulseAudio null sink in both.

    .venv/bin/python scripts/bench_see_region.py --runs 7 [--wayland] [--json out.json]

The clock runs from the mouse release to the first audio sample handed to the sound
device (docs/see.md); each run's CPU time is reported beside it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from conftest import start_desktop, stop_desktop  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--wayland", action="store_true", help="in headless sway (slurp, grim) instead of Xvfb")
    ap.add_argument("--json", metavar="FILE", help="write the bench's JSON report here")
    args = ap.parse_args(argv)
    desk = start_desktop(Path(tempfile.mkdtemp(prefix="sayso-bench-see-")))
    try:
        cmd = [sys.executable, "-m", "sayso", "bench", "ocr-region", "--runs", str(args.runs)]
        if not args.wayland:
            return subprocess.run(cmd + (["--json", args.json] if args.json else []), env=desk.env).returncode
        from test_wayland_e2e import Sway

        sway = Sway(desk)
        try:
            out = sway.home / "report.json"  # where the test user may write
            proc = sway.run(*cmd, "--json", str(out), timeout=600)
            sys.stdout.write(proc.stdout.decode())
            sys.stderr.write(proc.stderr.decode()[-3000:] if proc.returncode else "")
            if args.json and out.exists():
                Path(args.json).write_text(out.read_text())
            return proc.returncode
        finally:
            sway.close()
    finally:
        stop_desktop(desk)


if __name__ == "__main__":
    sys.exit(main())
