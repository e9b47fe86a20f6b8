"""Rewrite end to end: Xvfb, the clipboard through xclip, the ``fix`` and
``undo`` hotkeys pressed with xdotool, the daemon as a subprocess (Harper)."""

from __future__ import annotations

import re
import time

import pytest

from conftest import BASE_CONFIG, wait_for

pytestmark = pytest.mark.e2e
FIX_KEYS = "ctrl+alt+f"
UNDO_KEYS = "ctrl+alt+u"
WRONG = "This is an test of the the linter.\n"
RIGHT = "This is a test of the linter.\n"
CONFIG = BASE_CONFIG + '[rewrite]\nmodel = "/nonexistent.gguf"\nbase_url = "http://127.0.0.1:9/v1"\n'


@pytest.fixture
def rewriting(desktop, daemon_factory):
    return daemon_factory(CONFIG, wait_model=False)


def test_fix_hotkey_then_undo_restores_the_original_exactly(desktop, rewriting):
    original = WRONG.encode()
    desktop.set_clipboard(original)
    mark = rewriting.mark()
    desktop.xdotool("key", FIX_KEYS)
    wait_for(lambda: desktop.get_clipboard() == RIGHT.encode(), 30, what="the fixed text on the clipboard")
    assert "Rewrite fix by harper: changed" in rewriting.wait_log(r"Rewrite fix by harper", 5, mark)
    desktop.xdotool("key", UNDO_KEYS)
    wait_for(lambda: desktop.get_clipboard() == original, 10, what="the original clipboard back")
    assert "an test" not in rewriting.log and "linter" not in rewriting.log  # no clipboard text in the log


def test_two_rewrites_undo_in_order(desktop, rewriting):
    first, second = b"I has alot of work.\r\n", "teh cat sat on teh mat 🐈".encode()
    desktop.set_clipboard(first)
    desktop.xdotool("key", FIX_KEYS)
    wait_for(lambda: desktop.get_clipboard() == b"I have a lot of work.\r\n", 30, what="first fix")
    desktop.set_clipboard(second)
    desktop.xdotool("key", FIX_KEYS)
    wait_for(lambda: desktop.get_clipboard() == "The cat sat on the mat 🐈".encode(), 30, what="second fix")
    desktop.xdotool("key", UNDO_KEYS)
    wait_for(lambda: desktop.get_clipboard() == second, 10, what="second original")
    desktop.xdotool("key", UNDO_KEYS)
    wait_for(lambda: desktop.get_clipboard() == first, 10, what="first original")


@pytest.mark.parametrize(
    "data, target",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "image/png"),
        (("This is an test. " * 300_000).encode(), None),  # 5 MB
        (b"   \n\t", None),
    ],
    ids=["image", "5MB", "whitespace"],
)
def test_bad_clipboards_stay_untouched_and_the_daemon_lives(desktop, rewriting, data, target):
    desktop.set_clipboard(data, target)
    mark = rewriting.mark()
    desktop.xdotool("key", FIX_KEYS)
    rewriting.wait_log(r"Rewrite fix: ", 30, mark)
    time.sleep(0.3)
    assert desktop.get_clipboard(target or "UTF8_STRING") == data
    assert rewriting.proc.poll() is None
    desktop.set_clipboard(WRONG.encode())
    desktop.xdotool("key", FIX_KEYS)
    wait_for(lambda: desktop.get_clipboard() == RIGHT.encode(), 30, what="a fix after the bad input")


SMOLLM2 = BASE_CONFIG + '[rewrite]\nengine = "llama"\nmodel = "smollm2-135m"\nn_threads = 1\nn_ctx = 2048\n'
NUMBERED = [
    ("formal", "hey, the invoice for $1,250 is due on March 14, pay it before 5 pm or we add a 5% fee."),
    ("friendly", "Send the 3 reports by 10:30 am on Friday. Room 204, not room 240."),
    ("formal", "Call me at 555-0143 after 3:30 pm, the code is 8812."),
    # SmolLM2 (seed 42, 1 thread) drops 950 here and adds 2023: "The rent increases by 24 months, July 2023, ..."
    ("formal", "the rent goes up from 950 to 1,020 euros in July, the contract runs 24 months."),
]


@pytest.mark.model
def test_with_smollm2_a_dropped_number_never_reaches_the_clipboard(desktop, daemon_factory):
    """The daemon with the real SmolLM2: each rewrite through 'sayso ctl rewrite ACTION --wait'
    leaves the clipboard byte-exact or keeps every number; a refusal by the meaning check says
    why in one line and 'sayso ctl rewrite --force-last' then writes it; no text in the log.
    At least one rewrite drops or changes a number (the rent text, so far on every run), so the
    refusal path is really taken."""
    daemon = daemon_factory(SMOLLM2, wait_model=False)
    number_refusals = []
    for action, text in NUMBERED:
        original = text.encode()
        desktop.set_clipboard(original)
        out = desktop.sayso("ctl", "rewrite", action, "--wait", timeout=180)
        now = desktop.get_clipboard()
        if now == original and out.returncode == 0:
            assert "changed=False" in out.stdout, out  # the model returned the text unchanged
            continue
        if now == original:
            assert len(out.stderr.strip().splitlines()) == 1, out
            if re.search(r"the rewrite (dropped|added) \$?\d", out.stderr):
                number_refusals.append(out.stderr.strip())
            if "nothing was changed" in out.stderr:  # the meaning check refused it: force it once
                forced = desktop.sayso("ctl", "rewrite", "--force-last", "--wait", timeout=60)
                assert forced.returncode == 0, forced.stderr
                wait_for(lambda o=original: desktop.get_clipboard() != o, 10, what="the forced rewrite")
                assert desktop.sayso("ctl", "rewrite", "--force-last", "--wait").returncode != 0  # once
                assert desktop.sayso("ctl", "undo", "--wait").returncode == 0
                wait_for(lambda o=original: desktop.get_clipboard() == o, 10, what="the original back")
            continue
        assert out.returncode == 0, out.stderr
        written = now.decode().replace(",", "")
        for number in re.findall(r"\d+", text.replace(",", "")):
            assert re.search(rf"(?<!\d){number}(?!\d)", written), (text, written)
    assert number_refusals, "SmolLM2 kept every number this time: the refusal path was not taken"
    for _, text in NUMBERED:
        assert (
            text not in daemon.log and "3:30" not in daemon.log and "8812" not in daemon.log and "950" not in daemon.log
        )
    assert daemon.proc.poll() is None
