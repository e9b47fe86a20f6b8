"""Sizing the first chunk and the pause after it (no model needed)."""

from sayso.speak.engines.piper import SynthSpeed
from sayso.speak.first_audio import first_chunk_limit, pause_after
from sayso.speak.sentences import FIRST_MIN_CHARS, Chunk
from sayso.speak.voices import VoiceProfile


def _speed(ms_per_char: float) -> SynthSpeed:
    speed = SynthSpeed()
    speed.observe(95, ms_per_char * (95 + SynthSpeed.OVERHEAD_CHARS) / 1000)
    return speed


def test_first_chunk_fits_the_synthesis_budget_of_this_machine():
    assert first_chunk_limit(120, _speed(2.0), budget_ms=100) == 45
    assert first_chunk_limit(120, _speed(0.5), budget_ms=100) == 120  # fast machine: the configured limit
    assert first_chunk_limit(120, _speed(20.0), budget_ms=100) == FIRST_MIN_CHARS  # never below two words


def test_slower_speech_means_a_shorter_first_chunk():
    # at half speed every character is twice the audio, so twice the synthesis
    assert first_chunk_limit(120, _speed(2.0), rate=0.5, budget_ms=100) == 20
    assert first_chunk_limit(120, _speed(2.0), rate=2.0, budget_ms=100) == 95


def test_configured_limit_is_respected():
    assert first_chunk_limit(0, _speed(20.0)) == 0  # 0: the first sentence is never cut
    assert first_chunk_limit(30, _speed(0.5)) == 30
    assert first_chunk_limit(8, _speed(20.0)) == 8


def test_no_pause_is_added_inside_a_clause():
    profile = VoiceProfile()
    assert pause_after(profile, Chunk("Listening to a text", end="phrase")) == 0
    assert pause_after(profile, Chunk("When the words are spoken,", end="clause")) == profile.pauses.clause
    assert pause_after(profile, Chunk("It is.", end="sentence")) == profile.pauses.sentence
    assert pause_after(profile, Chunk("Is it?", kind="question", end="paragraph")) == profile.pauses.paragraph
