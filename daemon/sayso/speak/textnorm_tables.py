"""Per-language word tables for :mod:`sayso.speak.textnorm`.

Only what no library provides: the few connecting words the normaliser
needs, common abbreviations and unit names.  Number words, currency names,
month names and emoji names come from num2words, Babel and emoji.
"""

from __future__ import annotations

import re

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "point": "point",
        "dot": "dot",
        "at": "at",
        "and": "and",
        "minus": "minus",
        "percent": "percent",
        "number": "number",
        "hour": "hours",
        "code_block": "code block, {n} lines",
        "code_block_1": "code block, one line",
        "image": "image",
        "table": "table",
    },
    "de": {
        "point": "Punkt",
        "dot": "Punkt",
        "at": "at",
        "and": "und",
        "minus": "minus",
        "percent": "Prozent",
        "number": "Nummer",
        "hour": "Uhr",
        "code_block": "Codeblock, {n} Zeilen",
        "code_block_1": "Codeblock, eine Zeile",
        "image": "Bild",
        "table": "Tabelle",
    },
    "fr": {
        "point": "point",
        "dot": "point",
        "at": "arobase",
        "and": "et",
        "minus": "moins",
        "percent": "pour cent",
        "number": "numéro",
        "hour": "heures",
        "code_block": "bloc de code, {n} lignes",
        "code_block_1": "bloc de code, une ligne",
        "image": "image",
        "table": "tableau",
    },
    "es": {
        "point": "punto",
        "dot": "punto",
        "at": "arroba",
        "and": "y",
        "minus": "menos",
        "percent": "por ciento",
        "number": "número",
        "hour": "horas",
        "code_block": "bloque de código, {n} líneas",
        "code_block_1": "bloque de código, una línea",
        "image": "imagen",
        "table": "tabla",
    },
    "it": {
        "point": "punto",
        "dot": "punto",
        "at": "chiocciola",
        "and": "e",
        "minus": "meno",
        "percent": "per cento",
        "number": "numero",
        "hour": "e",
        "code_block": "blocco di codice, {n} righe",
        "code_block_1": "blocco di codice, una riga",
        "image": "immagine",
        "table": "tabella",
    },
    "nl": {
        "point": "punt",
        "dot": "punt",
        "at": "apenstaartje",
        "and": "en",
        "minus": "min",
        "percent": "procent",
        "number": "nummer",
        "hour": "uur",
        "code_block": "codeblok, {n} regels",
        "code_block_1": "codeblok, één regel",
        "image": "afbeelding",
        "table": "tabel",
    },
}

# symbol -> (ISO code for num2words, spoken fallback name)
CURRENCY_SYMBOLS: dict[str, tuple[str, str]] = {
    "$": ("USD", "dollars"),
    "€": ("EUR", "euros"),
    "£": ("GBP", "pounds"),
    "¥": ("JPY", "yen"),
    "₹": ("INR", "rupees"),
    "USD": ("USD", "dollars"),
    "EUR": ("EUR", "euros"),
    "GBP": ("GBP", "pounds"),
    "CHF": ("CHF", "Swiss francs"),
    "JPY": ("JPY", "yen"),
    "INR": ("INR", "rupees"),
}


Abbreviation = tuple[re.Pattern, str, bool]


def _abbr(pairs: list[tuple[str, str]], case: bool = True, ends: bool = False) -> list[Abbreviation]:
    """Patterns for *pairs*; *ends*: the abbreviation may end a sentence (keep a full stop then)."""
    flags = 0 if case else re.IGNORECASE
    out = []
    for abbr, spoken in pairs:
        pat = re.escape(abbr)
        # the abbreviation must start a word and end at its dot (no letter after)
        out.append((re.compile(rf"(?<![\w.]){pat}(?![\w])", flags), spoken, ends))
    return out


def _ctx(pattern: str, spoken: str, ends: bool = False) -> Abbreviation:
    return (re.compile(pattern), spoken, ends)


ABBREVIATIONS: dict[str, list[Abbreviation]] = {
    "en": _abbr(
        [
            ("e.g.", "for example"),
            ("i.e.", "that is"),
            ("vs.", "versus"),
            ("approx.", "approximately"),
            ("cf.", "compare"),
        ],
        case=False,
    )
    + _abbr([("etc.", "et cetera")], case=False, ends=True)
    + [
        _ctx(r"\bSt\.(?=\s+[A-Z])", "Saint"),
        _ctx(r"(?<=[a-z] )St\.(?!\w)", "Street", True),
        _ctx(r"\b[Nn]o\.(?=\s*\d)", "number"),
        _ctx(r"\bFig\.(?=\s*\d)", "figure"),
        _ctx(r"\bp\.(?=\s*\d)", "page"),
        _ctx(r"\bpp\.(?=\s*\d)", "pages"),
    ]
    + _abbr(
        [
            ("Dr.", "Doctor"),
            ("Mr.", "Mister"),
            ("Mrs.", "Missus"),
            ("Ms.", "Miz"),
            ("Prof.", "Professor"),
            ("Mt.", "Mount"),
        ]
    )
    + _abbr(
        [
            ("Jr.", "Junior"),
            ("Sr.", "Senior"),
            ("Ave.", "Avenue"),
            ("Blvd.", "Boulevard"),
            ("Inc.", "Incorporated"),
            ("Ltd.", "Limited"),
            ("Co.", "Company"),
            ("Corp.", "Corporation"),
            ("Jan.", "January"),
            ("Feb.", "February"),
            ("Aug.", "August"),
            ("Sept.", "September"),
            ("Oct.", "October"),
            ("Nov.", "November"),
            ("Dec.", "December"),
        ],
        ends=True,
    ),
    "de": _abbr(
        [
            ("z.B.", "zum Beispiel"),
            ("z. B.", "zum Beispiel"),
            ("d.h.", "das heißt"),
            ("d. h.", "das heißt"),
            ("bzw.", "beziehungsweise"),
            ("ca.", "circa"),
            ("vgl.", "vergleiche"),
            ("u.a.", "unter anderem"),
            ("Dr.", "Doktor"),
            ("Prof.", "Professor"),
            ("Hr.", "Herr"),
            ("Fr.", "Frau"),
        ]
    )
    + _abbr([("usw.", "und so weiter"), ("Str.", "Straße")], ends=True)
    + [_ctx(r"\bNr\.(?=\s*\d)", "Nummer"), _ctx(r"\bS\.(?=\s*\d)", "Seite")],
    "fr": _abbr(
        [
            ("M.", "Monsieur"),
            ("Mme", "Madame"),
            ("Mlle", "Mademoiselle"),
            ("Dr", "Docteur"),
            ("p. ex.", "par exemple"),
            ("c.-à-d.", "c'est-à-dire"),
            ("env.", "environ"),
        ]
    )
    + _abbr([("etc.", "et cetera")], ends=True),
    "es": _abbr(
        [
            ("Sr.", "señor"),
            ("Sra.", "señora"),
            ("Srta.", "señorita"),
            ("Dr.", "doctor"),
            ("Dra.", "doctora"),
            ("p. ej.", "por ejemplo"),
            ("aprox.", "aproximadamente"),
            ("Ud.", "usted"),
        ]
    )
    + _abbr([("etc.", "etcétera")], ends=True),
}

# unit symbol -> (singular, plural) per language
_EN_UNITS = {
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pounds", "pounds"),
    "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "mi": ("mile", "miles"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "ml": ("milliliter", "milliliters"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "ms": ("millisecond", "milliseconds"),
    "min": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
    "mAh": ("milliamp hour", "milliamp hours"),
}
_DE_UNITS = {
    "km": ("Kilometer", "Kilometer"),
    "cm": ("Zentimeter", "Zentimeter"),
    "mm": ("Millimeter", "Millimeter"),
    "m": ("Meter", "Meter"),
    "kg": ("Kilogramm", "Kilogramm"),
    "g": ("Gramm", "Gramm"),
    "km/h": ("Kilometer pro Stunde", "Kilometer pro Stunde"),
    "l": ("Liter", "Liter"),
    "ml": ("Milliliter", "Milliliter"),
    "°C": ("Grad Celsius", "Grad Celsius"),
    "°": ("Grad", "Grad"),
    "MB": ("Megabyte", "Megabyte"),
    "GB": ("Gigabyte", "Gigabyte"),
    "min": ("Minute", "Minuten"),
    "h": ("Stunde", "Stunden"),
    "W": ("Watt", "Watt"),
    "kW": ("Kilowatt", "Kilowatt"),
    "kWh": ("Kilowattstunde", "Kilowattstunden"),
}
UNITS: dict[str, dict[str, tuple[str, str]]] = {"en": _EN_UNITS, "de": _DE_UNITS}
