"""Swedish personal identity numbers: personnummer, samordningsnummer and interim numbers.

`parse_personal_number` turns what a person typed into a `PersonalNumber`, or raises `InvalidPersonalNumber`
saying exactly what is wrong, in English and in Swedish. The rules follow Skatteverket and the personnummer/meta
test data: a Luhn check digit over the 10-digit form, samordningsnummer written with the birth day plus 60, and
interim numbers (from higher education) with a letter in place of the first digit of the birth number. This
module reads no files and no clock: the reference date is passed in, and only the public default falls back to
today in Sweden.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["personnummer", "samordningsnummer", "interim"]

INTERIM_LETTERS = "TRSUWXJKLMN"
"""Letters an interim number may carry; each counts as the digit 1 in the check digit."""

COORDINATION_DAY_OFFSET = 60
EARLIEST_BIRTH_YEAR = 1800

_SHAPE = re.compile(r"(?P<date>\d{6}|\d{8})(?P<sep>[-+]?)(?P<serial>[0-9A-Za-z]\d{2})(?P<check>\d)")
SWEDEN = ZoneInfo("Europe/Stockholm")  # dates and times people read are Swedish


class InvalidPersonalNumber(ValueError):
    """The text is not a valid personal identity number; the message says what is wrong.

    `str(exc)` and `message` are English; `message_sv` says the same in Swedish for administrators.
    """

    def __init__(self, message: str, *, sv: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_sv = sv

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuild_invalid, (self.message, self.message_sv)


def _rebuild_invalid(message: str, sv: str) -> InvalidPersonalNumber:
    return InvalidPersonalNumber(message, sv=sv)


@dataclass(frozen=True, repr=False)
class PersonalNumber:
    """A valid personal identity number.

    `year`, `month` and `day` are the birth date (for a samordningsnummer, the day without the added 60).
    `serial` is the three-character birth number ("239", or "T22" for an interim number) and `check` the
    Luhn check digit. `repr()` is masked so that a number in a log or traceback does not identify anyone.
    """

    year: int
    month: int
    day: int
    serial: str
    check: int
    kind: Kind

    @property
    def written_day(self) -> int:
        """The day as written in the number: birth day, plus 60 for a samordningsnummer."""
        return self.day + COORDINATION_DAY_OFFSET if self.kind == "samordningsnummer" else self.day

    @property
    def long(self) -> str:
        """The canonical form `YYYYMMDD-NNNN`, always with '-' (the century makes '+' unnecessary)."""
        return f"{self._date_digits}-{self.serial}{self.check}"

    @property
    def masked(self) -> str:
        """`YYYYMMDD-****`: enough to tell people apart in a log or mail, not enough to identify them."""
        return f"{self._date_digits}-****"

    @property
    def birth_date(self) -> date:
        return date(self.year, self.month, self.day)

    def short(self, on: date) -> str:
        """`YYMMDD-NNNN`, or `YYMMDD+NNNN` from the calendar year the person turns 100 (as Skatteverket)."""
        sep = "+" if on.year - self.year >= 100 else "-"
        return f"{self._date_digits[2:]}{sep}{self.serial}{self.check}"

    def age(self, on: date) -> int:
        """Whole years completed on `on` (someone born on 29 February has a birthday on 1 March)."""
        had_birthday = (on.month, on.day) >= (self.month, self.day)
        return on.year - self.year - (0 if had_birthday else 1)

    def __repr__(self) -> str:
        return f"PersonalNumber({self.masked!r}, kind={self.kind!r})"

    @property
    def _date_digits(self) -> str:
        return f"{self.year:04d}{self.month:02d}{self.written_day:02d}"


def parse_personal_number(text: str, *, today: date | None = None, allow_interim: bool = False) -> PersonalNumber:
    """Parse a personnummer, samordningsnummer or (if `allow_interim`) interim number.

    Accepts `YYYYMMDDNNNN` or `YYMMDDNNNN`, each with an optional '-' or '+' before the last four.
    Surrounding whitespace is ignored; whitespace inside is not. A 10-digit number takes the century that
    makes the person younger than 100 in `today`'s year, or, with '+', 100 or older. With 12 digits the
    separator is ignored. A birth date after `today` is rejected. `today` defaults to today's date in Sweden.
    """
    reference = today if today is not None else _today_in_sweden()
    stripped = text.strip()
    match = _SHAPE.fullmatch(stripped)
    if match is None:
        message, message_sv = _describe_bad_shape(stripped)
        raise InvalidPersonalNumber(message, sv=message_sv)
    date_digits, sep, serial, check = match.group("date", "sep", "serial", "check")
    serial = serial.upper()
    kind = _kind_of(serial, int(date_digits[-2:]), allow_interim=allow_interim)
    year = _full_year(date_digits, sep, reference)
    month = int(date_digits[-4:-2])
    day = int(date_digits[-2:]) - (COORDINATION_DAY_OFFSET if kind == "samordningsnummer" else 0)
    birth = _birth_date(year, month, day, kind)
    if birth > reference:
        raise InvalidPersonalNumber(
            f"the birth date {birth.isoformat()} is in the future",
            sv=f"födelsedatumet {birth.isoformat()} ligger i framtiden",
        )
    _check_luhn(date_digits[-6:] + serial, int(check))
    return PersonalNumber(year, month, day, serial, int(check), kind)


def luhn_check_digit(nine: str) -> int:
    """The Luhn check digit of the first nine characters of a 10-digit number (interim letters count as 1)."""
    total = 0
    for index, char in enumerate(nine):
        value = (1 if char.isalpha() else int(char)) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def mask_personnummer(value: str) -> str:
    """19850101-1234 or 198501011234 -> 19850101-****: mail, logs and reports carry the birth date only."""
    text = value.strip()
    if text.isdigit() and len(text) in (10, 12):
        return f"{text[:-4]}-****"
    return text[:-4] + "****" if len(text) > 4 else "****"


def swedish_date(moment: datetime) -> date:
    """The calendar date in Sweden at that moment: birth dates and deadlines are Swedish dates."""
    return moment.astimezone(SWEDEN).date()


def _today_in_sweden() -> date:
    return datetime.now(SWEDEN).date()


def _describe_bad_shape(text: str) -> tuple[str, str]:
    """What is wrong with the shape of `text`: (English, Swedish)."""
    if not text:
        return "no personal identity number was given", "inget personnummer angavs"
    for char in text:
        if char.isspace():
            return (
                "it contains a space; write the number without spaces, e.g. 19121212-1212",
                "det innehåller mellanslag; skriv numret utan mellanslag, t.ex. 19121212-1212",
            )
        if not (char.isascii() and char.isalnum()) and char not in "-+":
            return (
                f"it contains {char!r}; only digits and one '-' or '+' before the last four are allowed",
                f"det innehåller tecknet {char!r}; bara siffror är tillåtna, och ett '-' eller '+' före de fyra sista",
            )
    digits = sum(char.isdigit() for char in text)
    if digits not in (10, 12):
        return (
            f"it has {digits} digits; a personal identity number has 12 (YYYYMMDD-NNNN) or 10 (YYMMDD-NNNN)",
            f"det har {digits} siffror; ett personnummer har 12 (ÅÅÅÅMMDD-NNNN) eller 10 (ÅÅMMDD-NNNN)",
        )
    return (
        "it is not in the form YYYYMMDD-NNNN or YYMMDD-NNNN",
        "det är inte skrivet som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN",
    )


def _kind_of(serial: str, written_day: int, *, allow_interim: bool) -> Kind:
    letter = serial[0]
    if letter.isdigit():
        if serial == "000":
            raise InvalidPersonalNumber("the birth number 000 is never issued", sv="födelsenumret 000 delas aldrig ut")
        return "samordningsnummer" if written_day >= COORDINATION_DAY_OFFSET else "personnummer"
    if letter not in INTERIM_LETTERS:
        raise InvalidPersonalNumber(
            f"{letter!r} is not an interim-number letter (those are {', '.join(INTERIM_LETTERS)})",
            sv=f"{letter!r} är ingen bokstav som används i interimsnummer (de är {', '.join(INTERIM_LETTERS)})",
        )
    if not allow_interim:
        raise InvalidPersonalNumber(
            f"the letter {letter!r} makes this an interim number, which is not accepted here; "
            "give the person's personnummer or samordningsnummer",
            sv=f"bokstaven {letter!r} gör det till ett interimsnummer, och sådana godtas inte här; "
            "ange personens personnummer eller samordningsnummer",
        )
    return "interim"


def _full_year(date_digits: str, sep: str, today: date) -> int:
    if len(date_digits) == 8:
        return int(date_digits[:4])
    latest = today.year - (100 if sep == "+" else 0)
    return latest - (latest - int(date_digits[:2])) % 100


def _birth_date(year: int, month: int, day: int, kind: Kind) -> date:
    if year < EARLIEST_BIRTH_YEAR:
        raise InvalidPersonalNumber(
            f"the year {year} is not a possible birth year", sv=f"året {year} är inte ett möjligt födelseår"
        )
    if not 1 <= month <= 12:
        raise InvalidPersonalNumber(f"month {month:02d} does not exist", sv=f"månad {month:02d} finns inte")
    if kind == "samordningsnummer" and day == 0:
        # Day 60 marks a samordningsnummer whose birth day is unknown; we need a birth date for ages.
        raise InvalidPersonalNumber(
            "day 60 means a samordningsnummer without a known birth day, which cannot be used here",
            sv="dag 60 betyder ett samordningsnummer utan känd födelsedag, och ett sådant kan inte användas här",
        )
    try:
        return date(year, month, day)
    except ValueError:
        written = day + COORDINATION_DAY_OFFSET if kind == "samordningsnummer" else day
        what = "samordningsnummer (birth day + 60)" if kind == "samordningsnummer" else "date"
        birth = f"{year:04d}-{month:02d}-{day:02d}"
        sv = (
            f"dag {written:02d} ger inget giltigt samordningsnummer, eftersom födelsedatumet {birth} "
            "(dagen minus 60) inte finns i kalendern"
            if kind == "samordningsnummer"
            else f"födelsedatumet {birth} finns inte i kalendern"
        )
        raise InvalidPersonalNumber(
            f"day {written:02d} in {year:04d}-{month:02d} is not a valid {what}", sv=sv
        ) from None


def _check_luhn(nine: str, given: int) -> None:
    expected = luhn_check_digit(nine)
    if given != expected:
        raise InvalidPersonalNumber(
            f"the check digit (the last digit) is {given} but should be {expected}; "
            "check the number for a typing mistake",
            sv=f"kontrollsiffran ska vara {expected}, inte {given}; kontrollera att numret är rätt skrivet",
        )
