"""Rules: prövning groups (Stockholm's naming and term dates, Järfälla's one-date registration).

Arguments are read with `engine.rules.args`, so a missing or mistyped one gives a breaking verdict, never an
exception. Rules are pure: no clock, no files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from engine.rules import rule
from engine.rules.args import guarded, need_date, need_text, optional_date, optional_text, shown
from engine.rules.base import Param, Verdict
from engine.values import JsonValue

STOCKHOLM_PROVNING = "001_0db4e010b708b947.txt – Rutin för prövning Vux"
JARFALLA_REGISTRATION = (
    "004_b95a9f073a0234d6.txt – Järfällas Alvis: Viktigt vid registrering av grupper och studieaktivitet för eleverna"
)

_MONTHS_SV = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def day_month_sv(day: date) -> str:
    """'30 juni'."""
    return f"{day.day} {_MONTHS_SV[day.month - 1]}"


def day_month_en(day: date) -> str:
    """'30 June'."""
    return f"{day.day} {_MONTHS_EN[day.month - 1]}"


# --- provning.group_name --------------------------------------------------------------------------------

_GROUP = re.compile(r"PRÖ:(?P<initials>[A-ZÅÄÖ]{2,4})(?P<year>\d{2})(?P<term>VT|HT)(?P<rest>[A-ZÅÄÖ0-9]+)", re.I)
_COURSE_CODE = re.compile(r"[A-Za-zÅÄÖåäö]{3}[A-Za-zÅÄÖåäö0-9]{1,9}")
_TEACHER_DIGITS = "23456789"


def course_suffix(course_code: str) -> str | None:
    """The last part of a course code as a prövning group ends: MATMAT03b -> MAT03B (None if not a code)."""
    code = course_code.strip()
    return code[3:].upper() if _COURSE_CODE.fullmatch(code) else None


def _term_of(day: date) -> tuple[str, str]:
    return f"{day.year % 100:02d}", "VT" if day.month <= 6 else "HT"


@rule(
    "provning.group_name",
    title="Prövningsgruppens namn följer kodningen PRÖ:",
    title_en="The prövning group's name follows the PRÖ: coding",
    scope="municipal",
    municipality="Stockholm",
    source=STOCKHOLM_PROVNING,
    cite="Namnge prövningsgrupp enligt följande kodning: PRÖ:KC23VTMAT03B – Prefix PRÖ:, Skolinitialer, år, "
    "termin (VT/HT) och sista delen av kurskoden. […] För att särskilja prövningsgrupperna lägger ni till en "
    "siffra i slutet på gruppnamnet.",
    params=(
        Param("group", "group", description="prövningsgruppens namn, t.ex. PRÖ:KC23VTMAT03B"),
        Param("course_code", "course_code", required=False, description="gruppens kurskod, t.ex. MATMAT03b"),
        Param("start_date", "date", required=False, description="gruppens startdatum (ger år och termin)"),
    ),
)
@guarded
def group_name(values: Mapping[str, JsonValue]) -> Verdict:
    group = need_text(values, "group", "gruppnamnet", "group name")
    course = optional_text(values, "course_code", "kurskoden", "course code") or None
    start = optional_date(values, "start_date", "startdatum", "start date")
    if not group.upper().startswith("PRÖ:"):
        return Verdict.breaks(
            f"Gruppnamnet {shown(group)} börjar inte med prefixet PRÖ:.",
            f"The group name {shown(group)} does not start with the prefix PRÖ:.",
            "Börja gruppnamnet med PRÖ: (t.ex. PRÖ:KC23VTMAT03B); utan prefixet visas betyget inte som "
            "prövningsbetyg i Lärportalen Ping Pong.",
        )
    shape = _GROUP.fullmatch(group)
    if shape is None:
        return Verdict.breaks(
            f"Gruppnamnet {shown(group)} följer inte kodningen PRÖ: + skolinitialer (2–4 bokstäver) + år (två "
            "siffror) + termin (VT/HT) + sista delen av kurskoden.",
            f"The group name {shown(group)} does not follow the coding PRÖ: + school initials (2–4 letters) + "
            "year (two digits) + term (VT/HT) + the last part of the course code.",
            "Döp om gruppen enligt exemplet PRÖ:KC23VTMAT03B (andra betygsättande lärare: PRÖ:KC22VTMAT03B2).",
        )
    return _judge_group_name(group, shape, course, start)


def _judge_group_name(group: str, shape: re.Match[str], course: str | None, start: date | None) -> Verdict:
    sv: list[str] = []
    en: list[str] = []
    year, term, rest = shape["year"], shape["term"].upper(), shape["rest"].upper()
    suffix, digit = rest, ""
    if group != group.upper():
        sv.append("namnet ska skrivas med versaler")
        en.append("the name should be in capital letters")
    if course is not None:
        expected = course_suffix(course)
        if expected is None:
            sv.append(f"kurskoden {shown(course)} ser inte ut som en kurskod")
            en.append(f"the course code {shown(course)} does not look like a course code")
        elif rest == expected:
            pass
        elif rest[:-1] == expected and rest[-1] in _TEACHER_DIGITS:
            suffix, digit = expected, rest[-1]
        elif rest[:-1] == expected and rest[-1].isdigit():
            suffix = expected
            sv.append(f"siffran i slutet är {rest[-1]}, men en andra betygsättande lärares grupp får siffran 2–9")
            en.append(f"the final digit is {rest[-1]}, but a second grading teacher's group takes a digit 2–9")
        else:
            suffix = expected
            sv.append(f"namnet slutar på {rest}, men sista delen av kurskoden {course} är {expected}")
            en.append(f"the name ends in {rest}, but the last part of the course code {course} is {expected}")
    if start is not None and (year, term) != _term_of(start):
        year, term = _term_of(start)
        sv.append(f"år och termin är {shape['year']}{shape['term']}, men startdatum {start} ger {year}{term}")
        en.append(f"year and term are {shape['year']}{shape['term']}, but the start date {start} gives {year}{term}")
    if not sv:
        return Verdict.holds()
    better = f"PRÖ:{shape['initials'].upper()}{year}{term}{suffix}{digit}"
    return Verdict.breaks(
        f"Gruppnamnet {shown(group)} stämmer inte: {'; '.join(sv)}.",
        f"The group name {shown(group)} is wrong: {'; '.join(en)}.",
        f"Döp om gruppen till {better}.",
    )


# --- provning.end_date_in_term ------------------------------------------------------------------------------


@rule(
    "provning.end_date_in_term",
    title="Prövningsgruppen slutar inom sin termin",
    title_en="The prövning group ends within its term",
    scope="municipal",
    municipality="Stockholm",
    source=STOCKHOLM_PROVNING,
    cite="Prövningsgruppens slutdatum för vårterminen ska inte vara längre än 30 juni och slutdatum för "
    "höstterminen ska inte vara längre än 31 december.",
    params=(
        Param("start_date", "date", description="prövningsgruppens startdatum (januari–juni: vårtermin)"),
        Param("end_date", "date", description="prövningsgruppens slutdatum"),
    ),
)
@guarded
def end_date_in_term(values: Mapping[str, JsonValue]) -> Verdict:
    start = need_date(values, "start_date", "startdatum", "start date")
    end = need_date(values, "end_date", "slutdatum", "end date")
    if end < start:
        return Verdict.breaks(
            f"Slutdatum {end} är före startdatum {start}.",
            f"The end date {end} is before the start date {start}.",
            "Rätta start- eller slutdatum så att gruppen slutar samma dag eller efter att den börjar.",
        )
    spring = start.month <= 6
    last = date(start.year, 6, 30) if spring else date(start.year, 12, 31)
    if end <= last:
        return Verdict.holds()
    term_sv, term_en = ("vårterminsgrupp", "spring-term group") if spring else ("höstterminsgrupp", "autumn-term group")
    return Verdict.breaks(
        f"Slutdatum {end} är efter {day_month_sv(last)} för en {term_sv} (startdatum {start}).",
        f"The end date {end} is after {day_month_en(last)} for a {term_en} (start date {start}).",
        f"Sätt slutdatum till senast {last}, eller lägg prövningen i nästa termins prövningsgrupp.",
    )


# --- provning.same_dates --------------------------------------------------------------------------------


@rule(
    "provning.same_dates",
    title="En prövning har ett och samma datum för kursstart, kursslut och betyg",
    title_en="A prövning has one and the same date for course start, course end and grade",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_REGISTRATION,
    cite="Ska ha ett och samma datum för kursstart, kursslut och betyg.",
    params=(
        Param("start_date", "date", description="kursstart (Fr.o.m.: prövningsdatumet)"),
        Param("end_date", "date", description="kursslut (T.o.m.: prövningsdatumet)"),
        Param("grade_date", "date", required=False, description="betygsdatum, när betyget är satt"),
    ),
    registration=True,
)
@guarded
def same_dates(values: Mapping[str, JsonValue]) -> Verdict:
    start = need_date(values, "start_date", "startdatum", "start date")
    end = need_date(values, "end_date", "slutdatum", "end date")
    grade = optional_date(values, "grade_date", "betygsdatum", "grade date")
    if start == end and grade in (None, start):
        return Verdict.holds()
    graded_sv = f" och betygsdatum {grade}" if grade is not None else ""
    graded_en = f" and grade date {grade}" if grade is not None else ""
    return Verdict.breaks(
        f"En prövning ska ha ett och samma datum, men har startdatum {start}, slutdatum {end}{graded_sv}.",
        f"A prövning should have one and the same date, but has start date {start}, end date {end}{graded_en}.",
        "Sätt startdatum, slutdatum och betygsdatum till prövningsdatumet.",
    )


__all__ = [
    "JARFALLA_REGISTRATION",
    "STOCKHOLM_PROVNING",
    "course_suffix",
    "day_month_en",
    "day_month_sv",
    "end_date_in_term",
    "group_name",
    "same_dates",
]
