"""Rules about identity numbers: personnummer, samordningsnummer and (higher education) interim numbers.

Both rules ask `engine.personnummer.parse_personal_number` and give its reason in Swedish and English. They
read no clock, so a verdict is the same on every replay: a 10-digit number takes its century as if today were
`REFERENCE_DATE` (the last day of 2099), i.e. 2000–2099 with '-' or no separator and 1900–1999 with '+' (100
years or older), which accepts and refuses exactly the same numbers as any real date would, except that a
birth date that has not yet passed is not refused here: that is checked where the value is typed in
(`engine.values`, with the case's own date). Messages show the number with its last four characters masked,
so that a verdict copied into a log or a mail does not identify anyone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from engine.personnummer import InvalidPersonalNumber, parse_personal_number
from engine.rules import Param, Verdict, rule
from engine.values import JsonValue

__all__ = ["REFERENCE_DATE", "masked", "reason_in_swedish"]

SEED_001 = "001_0db4e010b708b947.txt"
SEED_004 = "004_b95a9f073a0234d6.txt"
LAW = "folkbokföringslagen (1991:481) 18 § och 18 a §"

REFERENCE_DATE = date(2099, 12, 31)
"""The 'today' a rule reads 10-digit numbers against (see the module docstring)."""

_SHOWN_MAX = 40

# The reasons engine.personnummer gives, in Swedish. A reason not listed is shown in English.
_REASONS_SV: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), swedish)
    for pattern, swedish in (
        (r"no personal identity number was given", "inget nummer angavs"),
        (r"it contains a space", "det innehåller mellanslag; skriv numret utan mellanslag, t.ex. 19121212-1212"),
        (
            r"it contains (.+?); only digits",
            "det innehåller {0}; bara siffror och ett '-' eller '+' före de fyra sista är tillåtna",
        ),
        (r"it has (\d+) digits", "det har {0} siffror; ett personnummer har 12 (ÅÅÅÅMMDD-NNNN) eller 10 (ÅÅMMDD-NNNN)"),
        (r"it is not in the form", "det har inte formen ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN"),
        (r"the birth number 000 is never issued", "födelsenumret 000 delas aldrig ut"),
        (r"'(.)' is not an interim-number letter \(those are (.+)\)", "{0} är ingen bokstav i interimsnummer ({1})"),
        (
            r"the letter '(.)' makes this an interim number",
            "bokstaven {0} gör det till ett interimsnummer, som inte godtas här; ange personens personnummer "
            "eller samordningsnummer",
        ),
        (r"the birth date (\S+) is in the future", "födelsedatumet {0} har inte inträffat än"),
        (r"the year (\d+) is not a possible birth year", "året {0} är inte ett möjligt födelseår"),
        (r"month (\d+) does not exist", "månad {0} finns inte"),
        (r"day 60 means", "dag 60 betyder ett samordningsnummer utan känd födelsedag, som inte kan användas här"),
        (
            r"day (\d+) in (\S+) is not a valid samordningsnummer",
            "dag {0} i {1} ger inget giltigt samordningsnummer (födelsedag + 60)",
        ),
        (r"day (\d+) in (\S+) is not a valid date", "dag {0} i {1} är inget giltigt datum"),
        (
            r"the check digit \(the last digit\) is (\d) but should be (\d)",
            "kontrollsiffran (sista siffran) är {0} men ska vara {1}; kontrollera om numret är felskrivet",
        ),
    )
)


def masked(text: str) -> str:
    """The text as typed, with the last four characters hidden when it is long enough to be a number."""
    shown = text.strip()
    if sum(char.isdigit() for char in shown) >= 10:
        shown = shown[:-4] + "****"
    return shown if len(shown) <= _SHOWN_MAX else shown[:_SHOWN_MAX] + "…"


def reason_in_swedish(reason: str) -> str:
    """engine.personnummer's English reason in Swedish (or as it is, when it is not one we know)."""
    for pattern, swedish in _REASONS_SV:
        found = pattern.search(reason)
        if found is not None:
            return swedish.format(*found.groups())
    return reason


def _judge(value: JsonValue, *, allow_interim: bool, what_sv: str, what_en: str, fix: str) -> Verdict:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a JSON number is the number without separator
    if value is None or (isinstance(value, str) and not value.strip()):
        return Verdict.breaks(f"{what_sv.capitalize()} saknas.", f"The {what_en} is missing.", fix)
    if not isinstance(value, str):
        return Verdict.breaks(
            f"{what_sv.capitalize()} ska vara text, inte {value!r}.",
            f"The {what_en} must be text, not {value!r}.",
            fix,
        )
    try:
        parse_personal_number(value, today=REFERENCE_DATE, allow_interim=allow_interim)
    except InvalidPersonalNumber as exc:
        shown = masked(value)
        return Verdict.breaks(
            f"{shown} är inte ett giltigt {what_sv}: {reason_in_swedish(str(exc))}.",
            f"{shown} is not a valid {what_en}: {exc}.",
            fix,
        )
    return Verdict.holds()


@rule(
    "identity.personnummer",
    title="Giltigt personnummer eller samordningsnummer",
    title_en="A valid personnummer or samordningsnummer",
    scope="national",
    source=f"{SEED_004} – Inloggningsproblem? (personnumrets form: {LAW}; Skatteverket)",
    cite="För att det ska fungera måste det finnas ett korrekt personnummer registrerat på ditt konto.",
    params=(Param("value", "text", description="the number as typed: ÅÅÅÅMMDD-NNNN, ÅÅMMDD-NNNN or ÅÅMMDD+NNNN"),),
)
def personnummer(values: Mapping[str, JsonValue]) -> Verdict:
    """A personnummer or samordningsnummer (birth day + 60): real date, birth number not 000, right check digit."""
    return _judge(
        values.get("value"),
        allow_interim=False,
        what_sv="personnummer eller samordningsnummer",
        what_en="personnummer or samordningsnummer",
        fix="Skriv numret som ÅÅÅÅMMDD-NNNN (samordningsnummer: födelsedagen + 60, '+' för den som fyllt 100) "
        "och jämför det med personens id-handling.",
    )


@rule(
    "identity.interim",
    title="Giltigt interimsnummer eller personnummer",
    title_en="A valid interim number or personnummer",
    scope="national",
    source=(
        f"{SEED_001} – Rutin för prövning Vux (interimsnummer: högskolans motsvarighet i Ladok, "
        f"jfr 003_31aceec6bcc7ac55.txt – Resultatrapportering; personnumrets form: {LAW})"
    ),
    cite=(
        "Mejla elevuppgifter (personnummer, prövningsgrupp och prövningsdatum) till adminkontakt på "
        "Vuxenutbildningscentrum."
    ),
    params=(Param("value", "text", description="ÅÅÅÅMMDD-NNNN, or ÅÅÅÅMMDD-TNNN for an interim number"),),
)
def interim(values: Mapping[str, JsonValue]) -> Verdict:
    """An interim number (a letter T R S U W X J K L M N for the birth number's first digit) or a personnummer."""
    return _judge(
        values.get("value"),
        allow_interim=True,
        what_sv="interimsnummer eller personnummer",
        what_en="interim number or personnummer",
        fix="Skriv numret som ÅÅÅÅMMDD-NNNN, eller ÅÅÅÅMMDD-TNNN för ett interimsnummer (bokstaven först i "
        "födelsenumret), och jämför det med studentens uppgifter i Ladok.",
    )
