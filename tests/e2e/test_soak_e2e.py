"""Soak, the CI version: consecutive push-to-talk dictations of real speech
through one real daemon (Xvfb, PulseAudio, a held xdotool chord, the Tk window).

Every clip of tests/data/corpus once, then the four short ones (<= 4 s) again,
in a fixed shuffled order: 35 dictations, about 4 minutes.  Each is its own
test: something typed, and its first word (normalised) the one plain
faster-whisper gives on the clip file.  Then the daemon's RSS: under 20 MB of
growth after the tenth.  ``-s`` prints a table of them all and a summary.  The
full run (105 dictations and more) is scripts/soak.py; tests/soak.py is the
runner both use.
"""

from __future__ import annotations

import pytest

import soak
from conftest import _kill

pytestmark = [pytest.mark.e2e, pytest.mark.model]

CLIPS = soak.corpus()
SHORT = [c for c in CLIPS if c.seconds <= 4.0]
PLAN = soak.plan(SHORT, 35, first_pass=CLIPS)


@pytest.fixture(scope="module")
def soak_run(desktop, tmp_path_factory):
    work = tmp_path_factory.mktemp("soak")
    soak.prepare(CLIPS, work / "wav")
    soak.plain_transcripts(CLIPS)
    daemon = soak.start_daemon(desktop, work)
    box = soak.open_window(desktop, work)
    run = soak.Soak(desktop, daemon, box)
    try:
        yield run
    finally:
        daemon.stop()
        _kill(box.proc)
        if run.records:  # shown with -s (or -rP)
            print("\n" + soak.TABLE_HEAD + "\n" + "\n".join(soak.table_row(r) for r in run.records))
            print(soak.format_summary(run.records))


@pytest.mark.parametrize("step", PLAN, ids=lambda s: f"{s.index:02d}-{s.clip.short_name}")
def test_dictation(soak_run, step):
    rec = soak_run.dictate(step)
    assert not rec.problems(), rec.message()


def test_rss_flat_after_the_first_ten(soak_run):
    records = soak_run.records
    assert len(records) > soak.RSS_BASELINE, f"only {len(records)} dictations ran (run the whole module)"
    growth = soak.rss_growth(records)
    assert growth < soak.RSS_GROWTH_MB, soak.rss_message(records)
