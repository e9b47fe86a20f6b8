"""Sentence and clause splitting, chunk marks for pauses and prosody."""

import itertools

from sayso.speak.sentences import chunks, classify, split_clauses, split_sentences, windows


def test_sentences_respect_abbreviations_and_decimals():
    text = "Dr. Smith went to Washington on Jan. 5. He paid 3.50 dollars! Was it worth it? Yes."
    assert split_sentences(text) == [
        "Dr. Smith went to Washington on Jan. 5.",
        "He paid 3.50 dollars!",
        "Was it worth it?",
        "Yes.",
    ]


def test_sentences_in_german():
    assert split_sentences("Das ist z. B. gut. Wie geht es dir? Danke!", "de_DE") == [
        "Das ist z. B. gut.",
        "Wie geht es dir?",
        "Danke!",
    ]


def test_clause_split_prefers_punctuation_then_conjunctions_then_spaces():
    sentence = "When the long first sentence finally arrives, after many words and commas, it is cut at a clause."
    parts = split_clauses(sentence, 80)
    assert parts[0] == "When the long first sentence finally arrives, after many words and commas,"
    assert " ".join(parts) == sentence
    no_commas = "the cat sat on the mat and the dog slept by the door because it was tired of running"
    parts = split_clauses(no_commas, 60)
    assert parts[0] == "the cat sat on the mat and the dog slept by the door"
    assert parts[1].startswith("because")
    words = "word " * 60
    parts = split_clauses(words, 50)
    assert all(len(p) <= 50 for p in parts) and " ".join(parts) == words.strip()


def test_first_long_sentence_is_cut_for_fast_first_audio():
    text = (
        "When the long first sentence of this document finally arrives, after many words and a few commas, "
        "it should be cut at a clause boundary so that speech starts quickly. The second sentence is long too, "
        "with a comma, but it is left whole because the first audio has already started by then."
    )
    out = list(chunks(text, first_chunk_chars=120))
    assert (
        out[0].text
        == "When the long first sentence of this document finally arrives, after many words and a few commas,"
    )
    assert out[0].end == "clause"
    assert out[1].text.startswith("it should be cut") and out[1].end == "sentence"
    assert out[2].text.startswith("The second sentence") and out[2].text.endswith("by then.")
    assert out[2].end == "paragraph"
    assert [c.index for c in out] == [0, 1, 2]


def test_chunk_marks_for_expressive_reading():
    text = "# Intro\n\nIs this working? It is! Good.\n\n- first item\n- second item\n\n```\ncode\n```\n\nThe end."
    marks = [(c.text, c.kind, c.end) for c in chunks(text)]
    assert marks == [
        ("Intro", "heading", "paragraph"),
        ("Is this working?", "question", "sentence"),
        ("It is!", "exclamation", "sentence"),
        ("Good.", "sentence", "paragraph"),
        ("first item", "list_item", "paragraph"),
        ("second item", "list_item", "paragraph"),
        ("code block, one line", "code", "paragraph"),
        ("The end.", "sentence", "paragraph"),
    ]


def test_classify():
    assert classify("Really?") == "question"
    assert classify('He said "stop!"') == "exclamation"
    assert classify("Fine.") == "sentence"
    assert classify("Anything", "heading") == "heading"


def test_short_unpunctuated_lines_stay_apart_wrapped_lines_join():
    letter = "Dear John\nThanks for the note.\nSee you soon"
    assert [c.text for c in chunks(letter)] == ["Dear John", "Thanks for the note.", "See you soon"]
    wrapped = (
        "This paragraph was hard wrapped by an email program at about seventy\n"
        "characters so its lines must be joined back into one sentence."
    )
    assert [c.text for c in chunks(wrapped, first_chunk_chars=0)] == [wrapped.replace("\n", " ")]


def test_emoji_only_paragraphs_yield_nothing():
    assert list(chunks("😀 🎉\n\n👍")) == []
    assert [c.text for c in chunks("😀 🎉\n\n👍", emoji="name")] == ["grinning face party popper", "thumbs up"]


def test_windows_cut_long_paragraphs_at_sentence_ends():
    text = "This is one sentence. " * 300
    pieces = list(windows(text, 2000))
    assert "".join(pieces) == text
    assert all(len(p) <= 2000 for p in pieces)
    assert all(p.endswith(". ") for p in pieces)


def test_chunking_is_lazy_on_long_input(monkeypatch):
    import sayso.speak.sentences as sentences

    calls = []
    real = sentences.normalize
    monkeypatch.setattr(sentences, "normalize", lambda text, *a: calls.append(len(text)) or real(text, *a))
    text = ("A sentence that goes on for a while to make the text long. " * 50 + "\n\n") * 40  # ~120k chars
    first = list(itertools.islice(chunks(text), 2))
    assert [c.index for c in first] == [0, 1]
    assert len(calls) == 1 and calls[0] <= 2000  # only the first window was normalised
    assert sum(1 for _ in chunks(text)) == 2000


# --- a short first chunk for fast first audio ---------------------------------------

from sayso.speak.sentences import FIRST_MIN_CHARS, SECOND_CHUNK_CHARS, _lines, cut_first  # noqa: E402

FIRST = "Listening to a text is a different way of reading it."


def test_first_cut_is_a_phrase_before_a_phrase_word():
    assert cut_first(FIRST, 30) == ("Listening to a text", "is a different way of reading it.", "phrase")
    assert cut_first(FIRST, 45) == ("Listening to a text is a different way", "of reading it.", "phrase")
    # a sentence that fits is not cut
    assert cut_first(FIRST, len(FIRST)) == (FIRST, "", "sentence")


def test_first_cut_prefers_clause_punctuation():
    sentence = "When the words are spoken, the eyes can rest and mistakes are heard."
    assert cut_first(sentence, 40) == (
        "When the words are spoken,",
        "the eyes can rest and mistakes are heard.",
        "clause",
    )


def test_first_cut_never_leaves_an_article_or_preposition_dangling():
    # within 12 characters the only word boundary would leave "to" at the end: the next phrase boundary is used
    assert cut_first(FIRST, 12)[0] == "Listening to a text"
    sentence = "Dr. Rivera asked whether the new schedule would work for everyone?"
    assert cut_first(sentence, 30) == (
        "Dr. Rivera asked",
        "whether the new schedule would work for everyone?",
        "phrase",
    )


def test_first_cut_keeps_both_sides_at_least_a_couple_of_words():
    head, rest, end = cut_first("Reading by ear helps many people.", 25)
    assert len(head) >= FIRST_MIN_CHARS and len(rest) >= FIRST_MIN_CHARS and end == "phrase"
    assert f"{head} {rest}" == "Reading by ear helps many people."
    # one long word and a short tail: nothing sensible to cut, the sentence stays whole
    assert cut_first("Supercalifragilisticexpialidocious words follow", 12)[1] == ""


def test_first_cut_other_languages():
    head, rest, end = cut_first("Das ist ein sehr langer Satz mit vielen Wörtern ohne Kommas", 30, "de")
    assert head == "Das ist ein sehr langer Satz" and rest.startswith("mit") and end == "phrase"


def test_short_first_chunk_then_sentence_sized_chunks():
    text = FIRST + " When the words are spoken, the eyes can rest. The end."
    out = list(chunks(text, first_chunk_chars=30))
    assert [(c.text, c.end) for c in out] == [
        ("Listening to a text", "phrase"),
        ("is a different way of reading it.", "sentence"),
        ("When the words are spoken, the eyes can rest.", "sentence"),  # later sentences are not cut
        ("The end.", "paragraph"),
    ]
    assert [c.index for c in out] == [0, 1, 2, 3]
    assert {c.kind for c in out} == {"sentence"}


def test_chunk_after_a_short_first_one_is_at_most_second_chunk_chars():
    clause = "and then the sentence goes on, "
    long_first = "Short opening words " + clause * 20 + "until it ends."
    out = list(chunks(long_first, first_chunk_chars=25))
    assert out[0].text == "Short opening words" and out[0].end == "phrase"
    assert len(out[1].text) <= SECOND_CHUNK_CHARS and out[1].end == "clause"
    assert " ".join(c.text for c in out) == long_first
    # without a first-chunk limit (writing a WAV) the 400-character limit applies from the start
    whole = list(chunks(long_first, first_chunk_chars=0))
    assert len(whole[0].text) > SECOND_CHUNK_CHARS


def test_lines_joins_a_long_hard_wrapped_paragraph():
    words = ["word"] * 30_000
    wrapped = "\n".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))
    assert _lines(wrapped) == [" ".join(words)]
    assert _lines("Dear\njohn\nThanks for the note.") == ["Dear john", "Thanks for the note."]
