"""Typed values of procedure inputs and recorded fields: what a person typed, parsed and normalised.

A procedure declares each input with a `type` from `VALUE_TYPES`; `parse_value` turns raw text from the
CLI or the web (or an already typed JSON value) into a normalised, JSON-friendly value, or raises
`InvalidValue` saying what is wrong and what a valid value looks like, in English and in Swedish. Each type
is one entry in a table of parsers. Nothing here reads a clock, a file or a registry: `today` is passed in for
personnummer.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

from engine.errors import InvalidValue
from engine.personnummer import InvalidPersonalNumber, parse_personal_number

JsonValue: TypeAlias = str | int | float | bool | None

VALUE_TYPES: tuple[str, ...] = (
    "text",
    "personnummer",
    "date",
    "course_code",
    "group",
    "email",
    "choice",
    "yes_no",
    "number",
    "interim_or_personnummer",
)

TEXT_MAX = 2000
GROUP_MAX = 80
EMAIL_MAX = 254
NUMBER_DIGITS = 15  # what a JSON reader's double and a SQLite integer both hold exactly
YEARS = (1900, 2199)  # dates of people and courses; deadlines count weeks on from them, and Python's dates end at 9999

_YES = frozenset({"ja", "j", "yes", "y", "true"})
_NO = frozenset({"nej", "n", "no", "false"})
_DATE = re.compile(r"(\d{4})(-?)(\d{2})\2(\d{2})")
_COURSE_CODE = re.compile(r"[A-Za-z0-9ÅÄÖåäö]{3,12}")
_GROUP_PUNCTUATION = frozenset(" :-_/.")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class _Rejected(Exception):
    """Raised by a parser; `parse_value` turns it into `InvalidValue` with the type's hint.

    `sv` and `hint_sv` are the Swedish message and hint; a parser that gives `hint` gives `hint_sv` too.
    """

    def __init__(self, message: str, hint: str | None = None, *, sv: str, hint_sv: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.sv = sv
        self.hint_sv = hint_sv


@dataclass(frozen=True)
class _Context:
    choices: Sequence[str]
    today: date | None


@dataclass(frozen=True)
class _ValueType:
    label: str
    hint: str
    hint_sv: str
    parse: Callable[[object, _Context], JsonValue]


def parse_value(
    name: str,
    type_: str,
    raw: object,
    *,
    choices: Sequence[str] | None = None,
    today: date | None = None,
) -> JsonValue:
    """Parse `raw` as a value of `type_` for the input or field `name`.

    Raises `InvalidValue(name, message, hint, sv=...)` when the value is wrong, and `ValueError` when `type_` is
    unknown or a "choice" comes without choices (mistakes in the program, not in what a person typed).
    """
    value_type = _lookup(type_)
    if type_ == "choice" and not choices:
        raise ValueError(f"input {name!r} of type 'choice' needs a non-empty list of choices")
    try:
        return value_type.parse(raw, _Context(tuple(choices or ()), today))
    except _Rejected as exc:
        raise InvalidValue(
            name,
            exc.message,
            exc.hint or value_type.hint,
            sv=(exc.sv, exc.hint_sv or value_type.hint_sv),
        ) from None


def describe_type(type_: str) -> str:
    """A short Swedish and English label for forms and hints, e.g. "personnummer (ÅÅÅÅMMDD-NNNN)"."""
    return _lookup(type_).label


def _lookup(type_: str) -> _ValueType:
    try:
        return _TYPES[type_]
    except KeyError:
        raise ValueError(f"unknown value type {type_!r}; known types: {', '.join(VALUE_TYPES)}") from None


def _required_text(raw: object) -> str:
    if raw is None:
        raise _Rejected("a value is required", sv="ett värde måste anges")
    if not isinstance(raw, str):
        kind, kind_sv = _kind_name(raw)
        raise _Rejected(f"expected text, got {kind}", sv=f"här ska det stå text, inte {kind_sv}")
    text = raw.strip()
    if not text:
        raise _Rejected("a value is required", sv="ett värde måste anges")
    return text


def _kind_name(raw: object) -> tuple[str, str]:
    """What `raw` is, in English and in Swedish, for a message saying it is not text."""
    if isinstance(raw, bool):
        return "a yes/no value", f"ja/nej-värdet {'ja' if raw else 'nej'}"
    if isinstance(raw, int | float):
        return f"the number {raw!r}", f"talet {raw!r}"
    return f"a value of type {type(raw).__name__}", f"ett värde av typen {type(raw).__name__}"


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def _parse_text(raw: object, _: _Context) -> JsonValue:
    # Web forms send line breaks as CRLF; store one kind of line break.
    text = _required_text(raw).replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > TEXT_MAX:
        raise _Rejected(
            f"the text is {len(text)} characters long; at most {TEXT_MAX} are allowed",
            sv=f"texten är {len(text)} tecken lång; högst {TEXT_MAX} tecken är tillåtna",
        )
    bad = next((char for char in text if _is_control(char) and char not in "\n\t"), None)
    if bad is not None:
        raise _Rejected(
            f"the text contains the control character U+{ord(bad):04X}",
            sv=f"texten innehåller det osynliga styrtecknet U+{ord(bad):04X}",
        )
    return text


def _personal_number_parser(*, allow_interim: bool) -> Callable[[object, _Context], JsonValue]:
    what_sv = "personnummer eller interimsnummer" if allow_interim else "personnummer"

    def parse(raw: object, context: _Context) -> JsonValue:
        # A JSON integer is the number without a separator; bool is an int in Python but never a number here.
        text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else _required_text(raw)
        try:
            number = parse_personal_number(text, today=context.today, allow_interim=allow_interim)
        except InvalidPersonalNumber as exc:
            raise _Rejected(
                f"not a valid personal identity number: {exc}",
                sv=f"inte ett giltigt {what_sv}: {exc.message_sv}",  # like the English: the number is not echoed
            ) from None
        return number.long

    return parse


def _parse_date(raw: object, _: _Context) -> JsonValue:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw.isoformat()
    text = _required_text(raw)
    match = _DATE.fullmatch(text)
    if match is None:
        raise _Rejected(
            f"{text!r} is not a date in the form YYYY-MM-DD", sv=f"{text!r} är inte ett datum på formen ÅÅÅÅ-MM-DD"
        )
    year, month, day = (int(part) for part in match.group(1, 3, 4))
    try:
        found = date(year, month, day)
    except ValueError:
        raise _Rejected(f"{text!r} is not a date in the calendar", sv=f"{text} finns inte i kalendern") from None
    if not YEARS[0] <= year <= YEARS[1]:
        raise _Rejected(
            f"{text} is outside the years {YEARS[0]}-{YEARS[1]}",
            "check the year",
            sv=f"{text} ligger utanför åren {YEARS[0]}-{YEARS[1]}",
            hint_sv="kontrollera årtalet",
        )
    return found.isoformat()


def _parse_course_code(raw: object, _: _Context) -> JsonValue:
    text = _required_text(raw)
    if _COURSE_CODE.fullmatch(text) is None:
        if any(char.isspace() for char in text):
            raise _Rejected(
                f"the course code {text!r} contains a space", sv=f"kurskoden {text!r} innehåller mellanslag"
            )
        raise _Rejected(
            f"{text!r} is not a course code (3-12 letters and digits)",
            sv=f"{text!r} är ingen kurskod (3–12 bokstäver och siffror)",
        )
    return text


def _parse_group(raw: object, _: _Context) -> JsonValue:
    text = _required_text(raw)
    if len(text) > GROUP_MAX:
        raise _Rejected(
            f"the group name is {len(text)} characters long; at most {GROUP_MAX} are allowed",
            sv=f"gruppnamnet är {len(text)} tecken långt; högst {GROUP_MAX} tecken är tillåtna",
        )
    bad = next((char for char in text if not (char.isalnum() or char in _GROUP_PUNCTUATION)), None)
    if bad is not None:
        shown = f"U+{ord(bad):04X}" if not bad.isprintable() else repr(bad)
        raise _Rejected(
            f"the group name contains {shown}",
            sv=f"gruppnamnet {text!r} innehåller tecknet {shown}, som inte är tillåtet",
        )
    return text


def _parse_email(raw: object, _: _Context) -> JsonValue:
    text = _required_text(raw)
    if len(text) > EMAIL_MAX:
        raise _Rejected(
            f"the address is {len(text)} characters long; at most {EMAIL_MAX} are allowed",
            sv=f"adressen är {len(text)} tecken lång; högst {EMAIL_MAX} tecken är tillåtna",
        )
    if any(char.isspace() or not char.isprintable() for char in text):
        raise _Rejected(
            f"the address {text!r} contains a space or an invisible character",
            sv=f"adressen {text!r} innehåller ett mellanslag eller ett osynligt tecken",
        )
    if text.count("@") != 1:
        raise _Rejected(f"{text!r} must contain exactly one '@'", sv=f"{text!r} måste innehålla exakt ett '@'")
    local, domain = text.split("@")
    if not local:
        raise _Rejected(f"{text!r} has nothing before the '@'", sv=f"{text!r} saknar namnet före '@'")
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels):
        raise _Rejected(
            f"the domain {domain!r} is not a domain like 'skola.se'",
            sv=f"i {text!r} är {domain!r} ingen giltig domän (som t.ex. 'skola.se')",
        )
    return f"{local}@{domain.lower()}"


def _parse_choice(raw: object, context: _Context) -> JsonValue:
    text = _required_text(raw)
    if text in context.choices:
        return text
    folded = {choice.casefold(): choice for choice in context.choices}
    if text.casefold() in folded:
        return folded[text.casefold()]
    listing = "choose one of: " + ", ".join(context.choices)
    listing_sv = "välj ett av: " + ", ".join(context.choices)
    import difflib  # only on the error path: every CLI step imports this module

    close = difflib.get_close_matches(text.casefold(), list(folded), n=1, cutoff=0.6)
    hint = f"did you mean {folded[close[0]]!r}? {listing}" if close else listing
    hint_sv = f"menade du {folded[close[0]]!r}? {listing_sv}" if close else listing_sv
    raise _Rejected(
        f"{text!r} is not one of the choices", hint, sv=f"{text!r} är inte ett av alternativen", hint_sv=hint_sv
    )


def _parse_yes_no(raw: object, _: _Context) -> JsonValue:
    if isinstance(raw, bool):
        return raw
    text = _required_text(raw).casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _Rejected(f"{text!r} is neither yes nor no", sv=f"{text!r} är varken ja eller nej")


def _parse_number(raw: object, _: _Context) -> JsonValue:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _sized(raw)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _Rejected(f"{raw!r} is not a number that can be stored", sv=f"{raw!r} är inte ett tal som kan sparas")
        return _sized(int(raw) if raw.is_integer() else raw)
    text = _required_text(raw)
    if _NUMBER.fullmatch(text) is None:
        raise _Rejected(f"{text[:40]!r} is not a number", sv=f"{text[:40]!r} är inte ett tal")
    digits = sum(char.isdigit() for char in text)
    if digits > NUMBER_DIGITS:  # before any conversion: Python refuses to convert an integer of over 4,300 digits
        raise _Rejected(
            f"the number has {digits} digits; at most {NUMBER_DIGITS} are allowed",
            sv=f"talet har {digits} siffror; högst {NUMBER_DIGITS} siffror är tillåtna",
        )
    number = Decimal(text.replace(",", "."))
    return int(number) if number == number.to_integral_value() else float(number)


def _sized(number: int | float) -> int | float:
    """A number already read (from JSON or a form), refused past NUMBER_DIGITS digits without printing it: an
    integer of over 4,300 digits cannot even be turned into text."""
    if abs(number) >= 10**NUMBER_DIGITS:
        raise _Rejected(
            f"the number has more than {NUMBER_DIGITS} digits; at most {NUMBER_DIGITS} are allowed",
            sv=f"talet har fler än {NUMBER_DIGITS} siffror; högst {NUMBER_DIGITS} siffror är tillåtna",
        )
    return number


_TYPES: dict[str, _ValueType] = {
    "text": _ValueType(
        "text / fritext",
        f"write any text, at most {TEXT_MAX} characters",
        f"skriv valfri text, högst {TEXT_MAX} tecken",
        _parse_text,
    ),
    "personnummer": _ValueType(
        "personnummer (ÅÅÅÅMMDD-NNNN)",
        "write the personnummer or samordningsnummer as YYYYMMDD-NNNN, e.g. 19121212-1212",
        "skriv personnumret eller samordningsnumret som ÅÅÅÅMMDD-NNNN, t.ex. 19121212-1212",
        _personal_number_parser(allow_interim=False),
    ),
    "date": _ValueType(
        "datum / date (ÅÅÅÅ-MM-DD)",
        "write the date as YYYY-MM-DD, e.g. 2024-08-19",
        "ange datumet som ÅÅÅÅ-MM-DD, t.ex. 2024-08-19",
        _parse_date,
    ),
    "course_code": _ValueType(
        "kurskod / course code (t.ex. MATMAT01a)",
        "write the course code exactly as in the course catalogue, e.g. MATMAT01a, SVASVA01, GRNMATA or "
        "KGYORI11A: 3-12 letters and digits, no spaces",
        "skriv kurskoden exakt som i kurskatalogen, t.ex. MATMAT01a, SVASVA01, GRNMATA eller KGYORI11A: "
        "3–12 bokstäver och siffror, utan mellanslag",
        _parse_course_code,
    ),
    "group": _ValueType(
        "grupp / group (t.ex. MA1A-HT23)",
        f"write the group name as in the school's system, e.g. MA1A-HT23 or PRÖ:KC23VTMAT03B: at most "
        f"{GROUP_MAX} letters, digits, spaces and : - _ / .",
        f"skriv gruppnamnet som i skolans system, t.ex. MA1A-HT23 eller PRÖ:KC23VTMAT03B: högst {GROUP_MAX} "
        "bokstäver, siffror, mellanslag och : - _ / .",
        _parse_group,
    ),
    "email": _ValueType(
        "e-post / email (namn@skola.se)",
        "write an address like namn.efternamn@skola.se",
        "skriv en adress som namn.efternamn@skola.se",
        _parse_email,
    ),
    "choice": _ValueType(
        "val / choice",
        "choose one of the listed options",
        "välj ett av alternativen i listan",
        _parse_choice,
    ),
    "yes_no": _ValueType(
        "ja/nej / yes/no",
        "answer ja or nej (yes or no)",
        "svara ja eller nej",
        _parse_yes_no,
    ),
    "number": _ValueType(
        "tal / number (t.ex. 12 eller 3,5)",
        "write a number such as 12, 3,5 or 3.5, without spaces or units",
        "skriv ett tal, t.ex. 12, 3,5 eller 3.5, utan mellanslag och enheter",
        _parse_number,
    ),
    "interim_or_personnummer": _ValueType(
        "personnummer eller interimsnummer (ÅÅÅÅMMDD-NNNN / ÅÅÅÅMMDD-TNNN)",
        "write the personnummer, samordningsnummer or interim number as YYYYMMDD-NNNN, "
        "e.g. 19121212-1212 or 20000101-T220",
        "skriv personnumret, samordningsnumret eller interimsnumret som ÅÅÅÅMMDD-NNNN, "
        "t.ex. 19121212-1212 eller 20000101-T220",
        _personal_number_parser(allow_interim=True),
    ),
}
