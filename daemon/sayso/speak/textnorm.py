"""Text normalisation for listening.

Turns written text into what a voice should say: numbers, ordinals, money,
percentages, dates, times, units, abbreviations, URLs (read as their domain),
e-mail addresses and emoji.  Markdown structure (headings, list items, code
blocks) is handled by :mod:`sayso.speak.markup`; this module works on plain inline
text.  Number words come from num2words and month names from Babel, per
language where those libraries support it; when num2words does not know a
language the digits are left for the voice's own phonemiser (espeak-ng reads
numbers in its language).
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from typing import Callable, Optional

import emoji as emoji_lib
from num2words import CONVERTER_CLASSES, num2words

from .textnorm_tables import ABBREVIATIONS, CURRENCY_SYMBOLS, UNITS, WORDS

_DECIMAL_COMMA = {
    "de", "fr", "es", "it", "nl", "pt", "pl", "ru", "cs", "da", "sv", "no", "fi", "tr", "uk", "ro", "hu", "sk", "sl",
}  # fmt: skip


_SENTENCE_FOLLOWS = re.compile(r"\s*$|\s+[\"'“‘(\[]?[A-Z]")


def base_language(lang: str) -> str:
    """'en_US' / 'en-GB' / 'EN' -> 'en'."""
    return re.split(r"[_\-]", (lang or "en").strip().lower())[0] or "en"


def words(lang: str) -> dict[str, str]:
    return WORDS.get(base_language(lang), WORDS["en"])


def _n2w_lang(lang: str) -> Optional[str]:
    code = base_language(lang)
    return code if code in CONVERTER_CLASSES else None


def spell_number(value: Decimal | int | str, lang: str = "en", to: str = "cardinal") -> str:
    """Number words via num2words; digits unchanged when the language is unknown."""
    code = _n2w_lang(lang)
    if code is None:
        return str(value)
    number = Decimal(str(value))
    if to == "cardinal" and number == number.to_integral_value() and "." not in str(value):
        number = int(number)
    try:
        return num2words(number, lang=code, to=to)
    except (NotImplementedError, OverflowError, ValueError, TypeError, InvalidOperation):
        if to != "cardinal":
            return spell_number(value, lang)
        return str(value)


def spell_digits(digits: str, lang: str) -> str:
    return " ".join(spell_number(d, lang) for d in digits if d.isdigit())


# --------------------------------------------------------------------------
# Individual rules.  Each takes a match and the language and returns words.
# --------------------------------------------------------------------------

_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b")
_TRAILING_PUNCT = ".,;:!?)]}'\""


def _read_host(host: str, lang: str) -> str:
    dot = f" {words(lang)['dot']} "
    return dot.join(part for part in host.split(".") if part)


def _url(match: re.Match, lang: str) -> str:
    url = match.group(0)
    tail = ""
    while url and url[-1] in _TRAILING_PUNCT:
        tail = url[-1] + tail
        url = url[:-1]
    host = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE).split("/")[0].split("?")[0].split("#")[0]
    host = host.rsplit("@", 1)[-1].split(":")[0]
    if host.lower().startswith("www."):
        host = host[4:]
    return _read_host(host, lang) + tail


def _email(match: re.Match, lang: str) -> str:
    user, host = match.group(0).split("@", 1)
    user = re.sub(r"[._]", " ", user)
    return f"{user} {words(lang)['at']} {_read_host(host, lang)}"


def _parse_amount(text: str, lang: str) -> Decimal:
    """'1,234.50' (en) or '1.234,50' (de) -> Decimal."""
    text = text.replace(" ", "").replace("\u00a0", "").replace("\u202f", "")
    if base_language(lang) in _DECIMAL_COMMA:
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    return Decimal(text)


_AMOUNT = r"\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_SCALE = r"(?:\s?(?P<scale>thousand|million|billion|trillion|k|m|bn)\b)?"
_SYMBOLS = "".join(re.escape(s) for s in CURRENCY_SYMBOLS)
_CURRENCY_PRE = re.compile(rf"(?P<sym>[{_SYMBOLS}])\s?(?P<amt>{_AMOUNT}){_SCALE}")
_CURRENCY_POST = re.compile(rf"(?<![\w.,])(?P<amt>{_AMOUNT})\s?(?P<sym>[{_SYMBOLS}]|USD|EUR|GBP|CHF|JPY|INR)(?!\w)")
_SCALE_WORDS = {"k": "thousand", "m": "million", "bn": "billion"}


def _currency_words(amount: Decimal, code: str, name: str, lang: str, scale: str = "") -> str:
    n2w = _n2w_lang(lang)
    conv = CONVERTER_CLASSES.get(n2w) if n2w else None
    forms = getattr(conv, "CURRENCY_FORMS", {}).get(code) if conv else None
    if scale:  # "$5 million" -> "five million dollars"
        unit = conv.pluralize(2, forms[0]) if forms else name
        return f"{spell_number(amount, lang)} {_SCALE_WORDS.get(scale.lower(), scale)} {unit}"
    if forms and amount == amount.to_integral_value():
        whole = int(amount)
        return f"{spell_number(whole, lang)} {conv.pluralize(whole, forms[0])}"
    try:
        return num2words(amount, lang=n2w, to="currency", currency=code, separator=f" {words(lang)['and']}")
    except (NotImplementedError, KeyError, TypeError, ValueError):
        return f"{spell_number(amount, lang)} {name}"


def _currency(match: re.Match, lang: str) -> str:
    sym = match.group("sym")
    code, name = CURRENCY_SYMBOLS.get(sym, (sym, sym))
    try:
        amount = _parse_amount(match.group("amt"), lang)
    except InvalidOperation:
        return match.group(0)
    scale = match.groupdict().get("scale") or ""
    return _currency_words(amount, code, name, lang, scale)


_PERCENT = re.compile(rf"(?<![\w.,])(?P<amt>-?{_AMOUNT})\s?%")


def _percent(match: re.Match, lang: str) -> str:
    try:
        amount = _parse_amount(match.group("amt"), lang)
    except InvalidOperation:
        return match.group(0)
    return f"{_number_words(amount, lang)} {words(lang)['percent']}"


_ISO_DATE = re.compile(r"\b(?P<y>[12]\d{3})-(?P<m>0?[1-9]|1[0-2])-(?P<d>0?[1-9]|[12]\d|3[01])\b")
_SLASH_DATE = re.compile(r"\b(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})\b")
_DOT_DATE = re.compile(r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b")


@functools.lru_cache(maxsize=16)
def _month_names(lang: str) -> dict[int, str]:
    try:
        from babel.dates import get_month_names

        return dict(get_month_names("wide", locale=base_language(lang)))
    except Exception:  # unknown locale or Babel missing: English names
        import calendar

        return {i: calendar.month_name[i] for i in range(1, 13)}


def say_date(year: int, month: int, day: int, lang: str) -> str:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise ValueError("not a date")
    month_name = _month_names(lang)[month]
    day_words = spell_number(day, lang, "ordinal")
    year_words = spell_number(year, lang, "year")
    if base_language(lang) == "en":
        return f"{month_name} {day_words}, {year_words}"
    return f"{day_words} {month_name} {year_words}"


def _date(match: re.Match, lang: str) -> str:
    g = match.groupdict()
    try:
        if "a" in g:  # slash date: month/day in English, day/month elsewhere
            first, second = int(g["a"]), int(g["b"])
            month, day = (first, second) if base_language(lang) == "en" else (second, first)
            if month > 12 and day <= 12:
                month, day = day, month
            return say_date(int(g["y"]), month, day, lang)
        return say_date(int(g["y"]), int(g["m"]), int(g["d"]), lang)
    except ValueError:
        return match.group(0)


_MONTH_DAY = re.compile(
    r"\b(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?\s(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b(?P<year>,?\s[12]\d{3}\b)?"
)


def _month_day(match: re.Match, lang: str) -> str:
    full = {name[:3].lower(): name for name in _month_names("en").values()}
    month = full[match.group("month")[:3].lower()]
    day = int(match.group("day"))
    if not 1 <= day <= 31:
        return match.group(0)
    out = f"{month} {spell_number(day, 'en', 'ordinal')}"
    if match.group("year"):
        out += f", {spell_number(int(match.group('year').strip(', ')), 'en', 'year')}"
    return out


_TIME = re.compile(r"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?!:?\d)(?:\s?(?P<ap>[AaPp])\.?\s?[Mm]\b\.?)?")


def _time(match: re.Match, lang: str) -> str:
    hour, minute, ampm = int(match.group("h")), int(match.group("m")), match.group("ap")
    w = words(lang)
    if base_language(lang) != "en":
        out = f"{spell_number(hour, lang)} {w['hour']}"
        return out + (f" {spell_number(minute, lang)}" if minute else "")
    suffix = f" {ampm.lower()} m" if ampm else ""
    if ampm and match.group(0).endswith(".") and _SENTENCE_FOLLOWS.match(match.string, match.end()):
        suffix += "."  # "at 3 p.m." ends the sentence: keep its full stop
    if minute == 0:
        if ampm or hour == 0 or hour > 12:
            mid = " hundred" if not ampm and hour > 12 else ""
            return f"{spell_number(hour, lang)}{mid}{suffix}" if hour else f"zero hundred{suffix}"
        return f"{spell_number(hour, lang)} o'clock"
    minutes = spell_number(minute, lang) if minute >= 10 else f"oh {spell_number(minute, lang)}"
    return f"{spell_number(hour, lang)} {minutes}{suffix}"


def _unit_pattern() -> re.Pattern:
    symbols = sorted({s for table in UNITS.values() for s in table}, key=len, reverse=True)
    alt = "|".join(re.escape(s) for s in symbols)
    return re.compile(rf"(?<![\w.,])(?P<amt>-?{_AMOUNT})\s?(?P<unit>{alt})(?![\w/])")


_UNIT = _unit_pattern()


def _unit(match: re.Match, lang: str) -> str:
    table = UNITS.get(base_language(lang))
    unit = match.group("unit")
    if not table or unit not in table:
        return match.group(0)
    try:
        amount = _parse_amount(match.group("amt"), lang)
    except InvalidOperation:
        return match.group(0)
    singular, plural = table[unit]
    return f"{_number_words(amount, lang)} {singular if amount == 1 else plural}"


_ORDINAL = {
    "en": re.compile(r"\b(?P<n>\d+)(?:st|nd|rd|th)\b", re.IGNORECASE),
    "fr": re.compile(r"\b(?P<n>\d+)(?:er|re|e|ème)\b"),
}


def _ordinal(match: re.Match, lang: str) -> str:
    return spell_number(int(match.group("n")), lang, "ordinal")


_PHONE = re.compile(r"(?<![\w.,])(?:\+\d{1,3}[ .-])?(?:\(\d{2,4}\)\s?|\d{2,4}[ .-])\d{3}[ .-]\d{3,4}(?![\w.,]\d)")


def _phone(match: re.Match, lang: str) -> str:
    groups = re.findall(r"\d+", match.group(0))
    return ", ".join(spell_digits(g, lang) for g in groups)


_VERSION = re.compile(r"(?<![\w.,])\d+(?:\.\d+){2,}(?![\w]|[.,]\d)")


def _version(match: re.Match, lang: str) -> str:
    """'2.0.1' -> 'two point zero point one'."""
    return f" {words(lang)['point']} ".join(spell_number(int(p), lang) for p in match.group(0).split("."))


_NUMBER = re.compile(
    r"(?P<sign>(?<![\w.,\-])-)?(?<![\w.,])(?P<amt>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w]|[.,]\d)"
)
_NUMBER_DC = re.compile(
    r"(?P<sign>(?<![\w.,\-])-)?(?<![\w.,])(?P<amt>\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)(?![\w]|[.,]\d)"
)


def _number_words(amount: Decimal, lang: str) -> str:
    if amount < 0:
        return f"{words(lang)['minus']} {_number_words(-amount, lang)}"
    return spell_number(amount, lang)


def _number(match: re.Match, lang: str) -> str:
    raw = match.group("amt")
    if _n2w_lang(lang) is None:
        return match.group(0)
    digits_only = raw.isdigit()
    if digits_only and (len(raw) > 1 and raw.startswith("0") or len(raw) > 12):
        return spell_digits(raw, lang)
    amount = _parse_amount(raw, lang)
    if match.group("sign"):
        amount = -amount
    if digits_only and 1100 <= amount <= 2099 and not match.group("sign"):
        return spell_number(amount, lang, "year")
    return _number_words(amount, lang)


def _abbreviations(text: str, lang: str) -> str:
    """Expand abbreviations; one that may end a sentence keeps its full stop there."""
    for pattern, spoken, ends in ABBREVIATIONS.get(base_language(lang), ()):

        def expand(match: re.Match, spoken: str = spoken, ends: bool = ends) -> str:
            if ends and _SENTENCE_FOLLOWS.match(match.string, match.end()):
                return spoken + "."
            return spoken

        text = pattern.sub(expand, text)
    return text


def _emoji_words(text: str, lang: str, mode: str) -> str:
    if mode == "skip":
        return emoji_lib.replace_emoji(text, replace=" ")
    code = base_language(lang)
    language = code if code in emoji_lib.LANGUAGES else "en"
    named = emoji_lib.demojize(text, language=language, delimiters=("\x00", "\x00"))
    return re.sub(r"\x00([^\x00]*)\x00", lambda m: " " + m.group(1).replace("_", " ").strip(":") + " ", named)


def _symbols(text: str, lang: str) -> str:
    w = words(lang)
    text = re.sub(r"\s&\s", f" {w['and']} ", text)
    text = re.sub(r"#(?=\d)", f"{w['number']} ", text)
    text = re.sub(r"(?<=[A-Za-z])/(?=[A-Za-z])", " ", text)
    return text


Rule = tuple[re.Pattern, Callable[[re.Match, str], str]]


def _rules(lang: str) -> list[Rule]:
    code = base_language(lang)
    rules: list[Rule] = [(_URL, _url), (_EMAIL, _email), (_ISO_DATE, _date), (_SLASH_DATE, _date)]
    if code != "en":
        rules.append((_DOT_DATE, _date))
    else:
        rules.append((_MONTH_DAY, _month_day))
    rules += [(_TIME, _time), (_CURRENCY_PRE, _currency), (_CURRENCY_POST, _currency), (_PERCENT, _percent)]
    rules += [(_UNIT, _unit), (_PHONE, _phone), (_VERSION, _version)]
    if code in _ORDINAL:
        rules.append((_ORDINAL[code], _ordinal))
    rules.append((_NUMBER_DC if code in _DECIMAL_COMMA else _NUMBER, _number))
    return rules


def normalize(text: str, lang: str = "en", emoji: str = "skip") -> str:
    """Inline normalisation of *text* for a voice speaking *lang*."""
    text = _emoji_words(text, lang, emoji)
    for pattern, handler in _rules(lang)[:2]:  # URLs and e-mails first, before abbreviations
        text = pattern.sub(lambda m, h=handler: h(m, lang), text)
    text = _abbreviations(text, lang)
    text = _symbols(text, lang)
    for pattern, handler in _rules(lang)[2:]:
        text = pattern.sub(lambda m, h=handler: h(m, lang), text)
    return re.sub(r"[ \t\u00a0\u202f]+", " ", text).strip()


def has_speakable(text: str) -> bool:
    """True when *text* has at least one letter or digit left to say."""
    return any(ch.isalnum() for ch in text)
