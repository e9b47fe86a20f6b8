"""Where a dictation is cut (sayso.dictate.chunks.plan) and how its chunks'
passes are reused (Chunker), on speech flags and a stand-in transcriber.
The real model and real long recordings are in tests/model/test_streaming.py."""

from __future__ import annotations

import numpy as np
import pytest

from sayso.audio.vad import WINDOW
from sayso.core.interfaces import Segment, Transcript
from sayso.dictate.chunks import Chunker, ChunkRules, plan, prompt

RULES = ChunkRules()
W = WINDOW
TAIL = int(RULES.tail_s * 16000)


def flags(*runs) -> np.ndarray:
    """Speech flags from (seconds, speaking) runs."""
    out = [np.full(int(round(s * 16000 / W)), bool(on)) for s, on in runs]
    return np.concatenate(out) if out else np.zeros(0, bool)


def test_a_short_dictation_is_one_chunk_ending_after_the_speech():
    f = flags((0.3, 0), (4.0, 1), (0.6, 0))
    p = plan(f, len(f) * W)
    speech_end = int(round(4.3 * 16000 / W)) * W
    assert p.cuts == () and p.end == speech_end + TAIL
    assert p.chunks() == [(0, speech_end + TAIL)]


def test_pauses_before_min_s_do_not_cut():
    f = flags((5, 1), (0.8, 0), (5, 1), (0.8, 0), (3, 1), (0.3, 0))
    assert plan(f, len(f) * W).cuts == ()


def test_a_pause_after_min_s_cuts_at_the_end_of_speech():
    f = flags((16, 1), (0.6, 0), (5, 1), (0.4, 0))
    p = plan(f, len(f) * W)
    end_1 = int(round(16 * 16000 / W)) * W
    assert p.cuts == (end_1 + TAIL,)
    assert p.chunks()[1][0] == end_1 + TAIL


def test_a_pause_shorter_than_pause_s_does_not_cut():
    f = flags((16, 1), (0.3, 0), (5, 1), (0.2, 0))
    assert plan(f, len(f) * W).cuts == ()


def test_a_chunk_without_long_pauses_is_cut_by_max_s_at_its_longest_silence():
    f = flags((12, 1), (0.3, 0), (3, 1), (0.2, 0), (14, 1))
    p = plan(f, len(f) * W)
    longest = int(round(12 * 16000 / W)) * W
    assert p.cuts == (longest + TAIL,)
    assert all(b - a <= RULES.max_s * 16000 for a, b in p.chunks())


def test_speech_without_any_silence_is_cut_at_max_s():
    f = flags((40, 1))
    p = plan(f, len(f) * W)
    assert len(p.cuts) == 1 and abs(p.cuts[0] - RULES.max_s * 16000) <= W


def test_no_speech_no_chunk():
    f = flags((3, 0))
    assert plan(f, len(f) * W).chunks() == []


@pytest.mark.parametrize("seed", range(20))
def test_the_plan_of_a_beginning_is_the_beginning_of_the_plan(seed):
    """Causal: cuts made on the first seconds stay when more audio comes,
    which is what lets the live path transcribe chunks while recording."""
    rng = np.random.default_rng(seed)
    runs = [(float(rng.uniform(0.05, 1.2) if i % 2 else rng.uniform(0.5, 9)), i % 2 == 0) for i in range(40)]
    f = flags(*runs)
    whole = plan(f, len(f) * W)
    assert whole.cuts, "the random recording should be long enough to be cut"
    for k in range(0, len(f), 97):
        part = plan(f[:k], k * W)
        assert whole.cuts[: len(part.cuts)] == part.cuts


def test_prompt_is_the_end_of_the_text_before_from_a_word():
    assert prompt([], 600) is None
    assert prompt(["Hello there.", "General Kenobi."], 600) == "Hello there. General Kenobi."
    assert prompt(["one two three four"], 10) == "three four"
    assert prompt(["one two three four"], 9) == "four"


class Calls:
    def __init__(self) -> None:
        self.seen: list = []

    def __call__(self, audio, context=None, check_speech=True) -> Transcript:
        self.seen.append((len(audio), context))
        return Transcript(f"part{len(self.seen)}.", duration=len(audio) / 16000)


def test_chunker_gives_each_chunk_the_text_before_as_prompt_and_reuses_passes():
    calls = Calls()
    chunker = Chunker(calls)
    audio = np.zeros(16000 * 40, np.float32)
    spans = [(0, 16000 * 16), (16000 * 16, 16000 * 30)]
    first = chunker.transcript(audio, spans)
    assert first.text == "part1. part2."
    assert calls.seen == [(16000 * 16, None), (16000 * 14, "part1.")]
    again = chunker.transcript(audio, spans)  # nothing new: no pass
    assert again.text == first.text and chunker.passes == 2
    chunker.transcript(audio, [spans[0], (16000 * 16, 16000 * 35)])  # the last chunk grew: one pass
    assert chunker.passes == 3 and calls.seen[-1] == (16000 * 19, "part1.")


class EndsEarly:
    """A stand-in whose first chunk's last segment ends *heard_s* into it
    (Whisper left the chunk's last phrase out); later chunks are heard whole."""

    def __init__(self, heard_s: float) -> None:
        self.heard_s = heard_s
        self.seen: list = []

    def __call__(self, audio, context=None, check_speech=True) -> Transcript:
        self.seen.append((len(audio), context))
        end = self.heard_s if len(self.seen) == 1 else len(audio) / 16000
        return Transcript(f"part{len(self.seen)}.", [Segment(0.0, end, f"part{len(self.seen)}.", 0.1, -0.2)])


SPANS = [(0, 16000 * 16), (16000 * 16, 16000 * 30)]


def test_speech_a_chunk_left_out_is_heard_again_with_the_next_chunk():
    calls = EndsEarly(heard_s=15.2)  # 16 s - tail - 15.2 s: about 0.77 s of speech unheard
    chunker = Chunker(calls)
    transcript = chunker.transcript(np.zeros(16000 * 30, np.float32), SPANS)
    assert calls.seen == [(16000 * 16, None), (16000 * 14 + int(0.8 * 16000), "part1.")]
    assert transcript.text == "part1. part2."
    assert transcript.segments[1].start == pytest.approx(15.2)  # times stay the recording's
    assert chunker.known_text(SPANS) == transcript.text


def test_a_chunk_heard_to_its_end_carries_nothing():
    calls = EndsEarly(heard_s=16 - RULES.tail_s - RULES.carry_s + 0.05)
    Chunker(calls).transcript(np.zeros(16000 * 30, np.float32), SPANS)
    assert calls.seen[1] == (16000 * 14, "part1.")


def test_what_a_chunk_carries_is_bounded_so_the_next_fits_a_window():
    calls = EndsEarly(heard_s=5.0)
    Chunker(calls).transcript(np.zeros(16000 * 30, np.float32), SPANS)
    assert calls.seen[1][0] == 16000 * 14 + int(RULES.carry_max_s * 16000)
