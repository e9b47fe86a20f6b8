"""Text normalisation for listening: written forms -> spoken forms."""

import pytest

from sayso.speak.markup import parse_blocks
from sayso.speak.textnorm import has_speakable, normalize

EN_CASES = [
    # numbers
    ("I have 3 apples.", "I have three apples."),
    (
        "There were 1,234,567 people.",
        "There were one million, two hundred and thirty-four thousand, five hundred and sixty-seven people.",
    ),
    ("Pi is 3.14.", "Pi is three point one four."),
    ("It was -3 outside.", "It was minus three outside."),
    ("room 101", "room one hundred and one"),
    ("code 0042", "code zero zero four two"),
    ("In 1999 it began.", "In nineteen ninety-nine it began."),
    ("He won in 2005.", "He won in two thousand and five."),
    ("version 2.0.1 of the app", "version two point zero point one of the app"),
    ("COVID-19 spread", "COVID-nineteen spread"),
    # ordinals
    ("The 21st century", "The twenty-first century"),
    ("She came 3rd.", "She came third."),
    # currency
    ("It costs $5.20 today.", "It costs five dollars and twenty cents today."),
    ("I have $5.", "I have five dollars."),
    ("Only $1!", "Only one dollar!"),
    ("A $5 million deal", "A five million dollars deal"),
    ("Tickets: £3.", "Tickets: three pounds sterling."),
    ("That is 100 USD", "That is one hundred dollars"),
    # percentages
    ("Growth was 12.5% last year.", "Growth was twelve point five percent last year."),
    ("100%", "one hundred percent"),
    # dates
    ("Born on 2024-03-05.", "Born on March fifth, twenty twenty-four."),
    ("Due 12/25/2023.", "Due December twenty-fifth, twenty twenty-three."),
    ("On March 5, 2024 we met.", "On March fifth, twenty twenty-four we met."),
    # times
    ("Meet at 3:05 pm.", "Meet at three oh five p m."),
    ("Meet at 9:00 a.m. sharp.", "Meet at nine a m sharp."),
    ("The train is at 15:30.", "The train is at fifteen thirty."),
    ("Lunch at 12:00.", "Lunch at twelve o'clock."),
    # units
    ("Run 5 km in 30 min.", "Run five kilometers in thirty minutes."),
    ("I ran 1 km.", "I ran one kilometer."),
    ("It weighs 2.5 kg.", "It weighs two point five kilograms."),
    ("It is 20°C.", "It is twenty degrees Celsius."),
    ("A 4 GB card", "A four gigabytes card"),
    # abbreviations
    ("Dr. Smith is here.", "Doctor Smith is here."),
    ("Fruit, e.g. apples, i.e. food.", "Fruit, for example apples, that is food."),
    ("Apples, pears, etc. Then more.", "Apples, pears, et cetera. Then more."),
    ("Mr. and Mrs. Jones live on Main St. in town.", "Mister and Missus Jones live on Main Street in town."),
    ("See Fig. 3 on p. 12.", "See figure three on page twelve."),
    ("Item #5 & more", "Item number five and more"),
    # URLs and e-mail
    ("Visit https://www.example.com/path?x=1.", "Visit example dot com."),
    ("Go to www.python.org now", "Go to python dot org now"),
    ("Mail john.doe@example.org now.", "Mail john doe at example dot org now."),
    # phone numbers are read digit by digit
    ("Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
]


@pytest.mark.parametrize("written, spoken", EN_CASES)
def test_english(written, spoken):
    assert normalize(written, "en_US") == spoken


def test_emoji_skipped_or_named():
    assert normalize("hello 😀 world", emoji="skip") == "hello world"
    assert normalize("hello 😀 world", emoji="name") == "hello grinning face world"
    assert normalize("thumbs 👍🏽", emoji="name") == "thumbs thumbs up medium skin tone"
    assert not has_speakable(normalize("😀🎉👍", emoji="skip"))


@pytest.mark.parametrize(
    "lang, written, spoken",
    [
        ("de", "Es kostet 5,20 €.", "Es kostet fünf Euro und zwanzig Cent."),
        ("de", "Es sind 3 km, z. B. heute.", "Es sind drei Kilometer, zum Beispiel heute."),
        ("de", "Um 15:30 kommt 12,5 % mehr.", "Um fünfzehn Uhr dreißig kommt zwölf Komma fünf Prozent mehr."),
        ("de", "Es waren 1.234 Leute.", "Es waren eintausendzweihundertvierunddreißig Leute."),
        ("fr", "Il est 15:30, le 1er mai.", "Il est quinze heures trente, le premier mai."),
        ("fr", "Il y a 5 % de plus.", "Il y a cinq pour cent de plus."),
        ("es", "Son 21 libros.", "Son veintiuno libros."),
    ],
)
def test_other_languages(lang, written, spoken):
    assert normalize(written, lang) == spoken


def test_language_without_num2words_keeps_digits_for_the_voice():
    # num2words has no Swahili: digits stay for espeak-ng to read in that language
    assert normalize("Nina vitabu 3.", "sw") == "Nina vitabu 3."


def test_markdown_blocks():
    text = (
        "# Shopping list\n\nBuy *fresh* **bread** and [the paper](https://news.example.com).\n\n"
        "- eggs\n- milk\n\n```python\nx = 1\ny = 2\nprint(x + y)\n```\n\n> A quote.\n\n"
        "| item | price |\n|---|---|\n| tea | 2 |\n\n![a cat on a mat](cat.png)\n"
    )
    blocks = [(b.kind, b.text) for b in parse_blocks(text)]
    assert blocks == [
        ("heading", "Shopping list"),
        ("paragraph", "Buy fresh bread and the paper."),
        ("list_item", "eggs"),
        ("list_item", "milk"),
        ("code", "code block, 3 lines"),
        ("quote", "A quote."),
        ("table_row", "item, price"),
        ("table_row", "tea, 2"),
        ("paragraph", "a cat on a mat"),
    ]


def test_code_block_announced_in_the_text_language():
    blocks = list(parse_blocks("```\none\n```\n\n```\na\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n```", "de"))
    assert [b.text for b in blocks] == ["Codeblock, eine Zeile", "Codeblock, 12 Zeilen"]


def test_plain_text_with_indentation_is_not_code():
    blocks = list(parse_blocks("    An indented paragraph of prose.\n\n    Another one."))
    assert [b.kind for b in blocks] == ["paragraph", "paragraph"]


# --- a long text is parsed a piece at a time --------------------------------------------

from sayso.speak import markup


def _whole(text):
    return list(markup._blocks(markup._MD.parse(text), "en"))


def test_long_markdown_is_parsed_lazily(monkeypatch):
    text = ("# Part\n\nA paragraph that goes on for a while. " * 10 + "\n\n- an item\n- another\n\n") * 400
    parsed = []
    real = markup._MD.parse
    monkeypatch.setattr(markup._MD, "parse", lambda src, *a: parsed.append(len(src)) or real(src, *a))
    first = next(parse_blocks(text))
    assert (first.kind, first.text) == ("heading", "Part")
    assert len(parsed) == 1 and parsed[0] < 2 * markup.PIECE_CHARS < len(text)


def test_pieces_parse_like_the_whole_text():
    filler = "Some words in a paragraph. " * 200
    cases = [
        (filler + "\n\n") * 10,
        # a code block with blank lines inside is never cut
        ("Intro.\n\n```\ncode\n\nmore code after a blank line\n```\n\n" + filler + "\n\n") * 10,
        ("Intro.\n\n~~~\ncode\n\n```\n\nstill code\n~~~\n\n" + filler + "\n\n") * 10,
        # a list item's indented continuation stays with its item
        ("- item one\n\n  its second paragraph\n\n- item two\n\n" + filler + "\n\n") * 10,
    ]
    for text in cases:
        assert len(list(markup.pieces(text))) > 1
        assert list(parse_blocks(text)) == _whole(text)
        assert "".join(markup.pieces(text)) == text


def test_text_with_references_or_html_blocks_is_parsed_whole():
    filler = "Some words in a paragraph. " * 200 + "\n\n"
    refs = "See [the docs][d].\n\n" + filler * 10 + "[d]: https://example.com\n"
    html = "<!-- a comment\n\nwith a blank line -->\n\n" + filler * 10
    for text in (refs, html):
        assert list(markup.pieces(text)) == [text]
    assert next(parse_blocks(refs)).text == "See the docs."
