"""The synthesis-speed estimate that sizes the first chunk (no model needed)."""

from sayso.speak.engines.piper import SynthSpeed


def test_prior_before_anything_is_timed():
    speed = SynthSpeed(prior_ms_per_char=3.0)
    assert speed.ms_per_char == 3.0
    assert speed.chars_within(100) == int(100 / 3.0) - SynthSpeed.OVERHEAD_CHARS


def test_estimate_is_the_median_of_recent_calls():
    speed = SynthSpeed(window=5)
    for _ in range(4):
        speed.observe(45, 0.1)  # 100 ms for 45 + 5 characters: 2 ms per character
    speed.observe(45, 2.0)  # one call while the machine was busy does not move the estimate
    assert speed.ms_per_char == 2.0
    assert speed.chars_within(100) == 45


def test_a_machine_that_stays_busy_gets_shorter_first_chunks():
    speed = SynthSpeed(window=3)
    speed.observe(45, 0.1)
    quiet = speed.chars_within(100)
    for _ in range(3):
        speed.observe(45, 0.3)
    assert speed.chars_within(100) < quiet
    assert len(speed._samples) == 3  # only the last *window* calls count


def test_nothing_to_learn_from_empty_calls():
    speed = SynthSpeed()
    speed.observe(0, 0.05)
    speed.observe(10, 0.0)
    assert speed.ms_per_char == speed.prior_ms_per_char
    assert speed.chars_within(1) == 0
