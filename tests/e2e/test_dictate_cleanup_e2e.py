"""``dictate.cleanup`` end to end: the daemon as a subprocess on Xvfb, speech played into the
PulseAudio null sink, a Tk window, the real bundled tiny.en and Harper.

The speech is SYNTHETIC (espeak-ng): no real recording in the corpus says "full stop".
A second dictation key from ``[hotkeys.dictate_cleanup]`` cleans with "rules" while
``dictate.cleanup`` stays "off" for the main key; ``sayso ctl dictate raw`` then puts the raw
transcript back in the window byte for byte, as the history kept it."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from conftest import BASE_CONFIG, dictate

pytestmark = [pytest.mark.e2e, pytest.mark.model]
CLEAN_KEYS = "ctrl+alt+c"
CONFIG = BASE_CONFIG + '[hotkeys.dictate_cleanup]\nrules = "<ctrl>+<alt>+c"\n[dictate]\ncleanup = "off"\n'


@pytest.fixture(scope="module")
def said(tmp_path_factory):
    assert shutil.which("espeak-ng"), "espeak-ng is installed by scripts/setup.sh test"
    wav = tmp_path_factory.mktemp("said") / "full_stop.wav"
    words = "I will call you tomorrow full stop"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), words], check=True)
    return wav


def _last_entry(desktop) -> dict:
    out = desktop.sayso("ctl", "history", "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["entries"][-1]


def test_the_cleanup_key_cleans_and_raw_puts_the_transcript_back(desktop, textbox, daemon_factory, said):
    daemon = daemon_factory(CONFIG)
    plain = dictate(desktop, daemon, textbox, said)  # the main key: dictate.cleanup = "off"
    assert "full stop" in plain.lower(), plain  # what tiny.en writes for it (else the test proves nothing)
    assert _last_entry(desktop)["raw"] in ("", plain)
    both = dictate(desktop, daemon, textbox, said, keys=CLEAN_KEYS)  # the second key: "rules"
    assert both.startswith(plain + " "), (plain, both)
    cleaned, entry = both[len(plain) + 1 :], _last_entry(desktop)
    raw = entry["raw"]
    assert "full stop" in raw.lower() and "full stop" not in cleaned.lower(), (raw, cleaned)
    assert cleaned.endswith(".") and entry["text"] == cleaned
    reply = desktop.sayso("ctl", "dictate", "raw", "--wait", timeout=60)
    assert reply.returncode == 0, reply.stderr
    assert textbox.wait_stable(30, previous=both) == plain + " " + raw  # byte for byte, in place
    again = desktop.sayso("ctl", "dictate", "raw", "--wait", timeout=60)
    assert again.returncode != 0 and len(again.stderr.strip().splitlines()) == 1
    assert textbox.text() == plain + " " + raw
    assert "tomorrow" not in daemon.log and daemon.proc.poll() is None  # no transcript in the log
