"""The soak's first-word check (tests/soak.py): what counts as a lost first word."""

import soak


def test_the_same_first_word_is_kept():
    assert soak.first_word_change("Mister John Dashwood", "Mr. John Dashwood", "mister john") == "kept"


def test_a_word_more_than_plain_heard_is_not_a_loss():
    # seen on an AMD AVX2 CPU: the live text had the reference's "and", plain faster-whisper had not
    typed, plain, reference = "And Mr. John Dashwood had", "Mr. John Dashwood had", "and mister john dashwood had"
    assert soak.first_word_change(typed, plain, reference) == "kept"
    assert soak.first_word_change(typed, plain) == "kept"  # plain's first two words follow one more


def test_starting_at_plains_second_word_is_a_drop():
    assert soak.first_word_change("John Dashwood had", "Mr. John Dashwood had", "mister john dashwood had") == "dropped"


def test_a_repeated_word_later_does_not_hide_a_drop():
    assert soak.first_word_change("cat sat on the mat", "the cat sat on the mat", "the cat sat") == "dropped"


def test_another_first_word_is_a_change():
    assert soak.first_word_change("Bat sat on the mat", "The cat sat on the mat", "the cat sat") == "changed"
    assert soak.first_word_change("", "The cat", "the cat") == "nothing"
