"""Rules about course codes, points and hours: Skolverket's course list and Järfälla's group registration.

The course table (`data/courses.csv`, provenance in `data/SOURCES.md`) is read the first time a rule needs it
and kept for the life of the process; nothing else here reads a file or the clock. No rule raises on odd
input: a missing or mistyped value gives a breaking verdict that says what was given. Codes are compared
ignoring case and surrounding spaces. `provning_suffix` (the course part of a prövning group name) is public
for `engine.rules.provning`.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from engine.errors import InvalidValue
from engine.rules import Param, Verdict, rule
from engine.rules.args import BadArgument, guarded
from engine.values import JsonValue, parse_value

__all__ = [
    "HOURS_PER_POINT",
    "NATIONAL_SUBCOURSES",
    "NOT_CHOOSABLE",
    "ORIENTATION_COURSES",
    "Course",
    "find_course",
    "provning_suffix",
]

SEED_001 = "001_0db4e010b708b947.txt"
SEED_004 = "004_b95a9f073a0234d6.txt"

HOURS_PER_POINT = Decimal("0.7")
"""Järfälla: 50 p = 35 h, 100 p = 70 h."""

HOURS_TOLERANCE = Decimal("0.01")

NATIONAL_SUBCOURSES: Mapping[str, int] = {
    "GRNSVEB": 200,
    "GRNSVEC": 200,
    "GRNSVED": 200,
    "GRNSVAB": 200,
    "GRNSVAC": 200,
    "GRNSVAD": 200,
    "GRNENGA": 100,
    "GRNENGB": 100,
    "GRNENGC": 200,
    "GRNENGD": 200,
    "GRNMATA": 100,  # the routine writes "GREMATA", a typo
    "GRNMATB": 100,
    "GRNMATC": 200,
    "GRNMATD": 200,
}
"""The national part courses (delkurser) Järfälla lists, with their points, as in the routine."""

NOT_CHOOSABLE: frozenset[str] = frozenset({"GRNSVEA", "GRNSVAA"})
"""Part course 1 of GRNSVE and GRNSVA: not searchable in the catalogue, so not choosable in Alvis."""

TYPOS: Mapping[str, str] = {"GREMATA": "GRNMATA"}
"""Misspellings found in the routines themselves, and what they mean."""

ORIENTATION_COURSES: Mapping[str, str] = {
    "KGYORI11A": "Orienteringskurs, studie- och yrkesval",
    "KGYORI11B": "Orienteringskurs, studieteknik",
    "KGYORI11C": "Orienteringskurs, introduktion",
    "KGYORI11D": "Orienteringskurs, validering",
    "KGYORI11E": "Orienteringskurs, modersmålsstöd",
    "KGYORI11F": "Orienteringskurs, yrkessvenska",
}
"""The course codes an orientation course group in Järfälla's Alvis must use, with their names."""


@dataclass(frozen=True)
class Course:
    code: str  # as Skolverket writes it, e.g. "MATMAT03b"
    name: str
    points: int | None  # None where the source gives none (the orientation courses)
    school_type: str  # GY, VUXGR or VUXGY
    level: str  # gymnasial or grundlaggande


# The English part courses are in Järfälla's routine but not in the 2018 source data (see data/SOURCES.md).
_ADDED: tuple[Course, ...] = tuple(
    Course(code, f"Engelska Nationell delkurs {number}", NATIONAL_SUBCOURSES[code], "VUXGR", "grundlaggande")
    for number, code in enumerate(("GRNENGA", "GRNENGB", "GRNENGC", "GRNENGD"), start=1)
)


def provning_suffix(course_code: str) -> str:
    """The course part of a prövning group name: drop the first three letters, upper-case the rest.

    MATMAT03b → MAT03B, ENGENG05 → ENG05. Surrounding spaces are ignored; a code of three characters or
    fewer gives "".
    """
    return course_code.strip()[3:].upper()


def find_course(code: str) -> Course | None:
    """The course with this code (ignoring case and surrounding spaces), or None. Reads the table once."""
    return _course_table().get(code.strip().upper())


@functools.cache
def _course_table() -> dict[str, Course]:
    text = resources.files("engine.rules").joinpath("data").joinpath("courses.csv").read_text(encoding="utf-8")
    table: dict[str, Course] = {}
    for row in csv.DictReader(io.StringIO(text)):
        points = row["points"].strip()
        course = Course(row["code"], row["name"], int(points) if points else None, row["school_type"], row["level"])
        table[course.code.upper()] = course
    for course in _ADDED:
        table.setdefault(course.code.upper(), course)
    return table


def _close_codes(code: str, candidates: Mapping[str, str], n: int = 3) -> list[str]:
    """Up to `n` codes from `candidates` (upper-cased code → code) that look like `code`, best first."""
    wanted = code.strip().upper()
    first = [TYPOS[wanted]] if wanted in TYPOS and TYPOS[wanted].upper() in candidates else []
    close = difflib.get_close_matches(wanted, list(candidates), n=n, cutoff=0.6)
    found = first + [candidates[key] for key in close if candidates[key] not in first]
    return found[:n]


def _need_code(values: Mapping[str, JsonValue]) -> str:
    """The stripped course code under `course_code`; missing, blank or not text is a `BadArgument`."""
    value = values.get("course_code")
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or isinstance(value, str):
        raise BadArgument(
            Verdict.breaks("Kurskod saknas.", "The course code is missing.", "Ange kurskoden, t.ex. MATMAT01a.")
        )
    raise BadArgument(
        Verdict.breaks(
            f"Kurskoden ska vara text, inte {value!r}.",
            f"The course code must be text, not {value!r}.",
            "Ange kurskoden som text, t.ex. MATMAT01a.",
        )
    )


def _number(value: JsonValue) -> Decimal | None:
    """A finite number from a JSON number or text such as "3,5"; None for anything else (yes/no included)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        parsed = parse_value("number", "number", value)
    except InvalidValue:
        return None
    return Decimal(str(parsed)) if isinstance(parsed, int | float) and not isinstance(parsed, bool) else None


def _sv(number: Decimal) -> str:
    """A number as Swedes write it: 35, 17,5."""
    return _en(number).replace(".", ",")


def _en(number: Decimal) -> str:
    """A number without trailing zeros: 35, 17.5."""
    return f"{number.normalize():f}"


def _need_number(values: Mapping[str, JsonValue], name: str, what_sv: str, what_en: str) -> Decimal:
    """The number under `name` (see `_number`); anything else is a `BadArgument` naming the value."""
    value = values.get(name)
    number = _number(value)
    if number is not None:
        return number
    given_sv = "saknas" if value is None else f"är inte ett tal: {value!r}"
    given_en = "is missing" if value is None else f"is not a number: {value!r}"
    raise BadArgument(
        Verdict.breaks(
            f"{what_sv.capitalize()} {given_sv}.",
            f"The value for {what_en} {given_en}.",
            f"Ange {what_sv} som ett tal, t.ex. 100.",
        )
    )


def _either(codes: list[str], word: str) -> str:
    """Codes joined for a sentence: A; A or B; A, B or C (`word` is "or" or "eller")."""
    return codes[0] if len(codes) == 1 else f"{', '.join(codes[:-1])} {word} {codes[-1]}"


@rule(
    "courses.hours_from_points",
    title="Timmar efter poäng (50p/35h, 100p/70h)",
    title_en="Hours follow points (50 p = 35 h, 100 p = 70 h)",
    scope="municipal",
    municipality="Järfälla",
    source=f"{SEED_004} – Påminnelse: Timmar, typ och bransch på grupperna",
    cite="ange antal timmar (50p/35h, 100p/70h osv.)",
    params=(
        Param("points", "number", description="the group's course points"),
        Param("hours", "number", description="the hours registered on the group"),
    ),
)
@guarded
def hours_from_points(values: Mapping[str, JsonValue]) -> Verdict:
    """Hours = points × 0.7 (to within 0.01 h)."""
    points = _need_number(values, "points", "poängen", "points")
    if points <= 0:
        return Verdict.breaks(
            f"Poängen ska vara fler än 0, inte {_sv(points)}.",
            f"The points must be more than 0, not {_en(points)}.",
            "Ange kursens poäng, t.ex. 50 eller 100.",
        )
    hours = _need_number(values, "hours", "timmarna", "hours")
    expected = points * HOURS_PER_POINT
    if abs(hours - expected) <= HOURS_TOLERANCE:
        return Verdict.holds()
    return Verdict.breaks(
        f"{_sv(points)} poäng ska registreras som {_sv(expected)} timmar (poäng × 0,7), inte {_sv(hours)}.",
        f"{_en(points)} points should be registered as {_en(expected)} hours (points × 0.7), not {_en(hours)}.",
        f"Ange {_sv(expected)} timmar på gruppen (50p/35h, 100p/70h).",
    )


@rule(
    "courses.known_code",
    title="Kurskoden finns i Skolverkets kurslista",
    title_en="The course code is in Skolverket's course list",
    scope="national",
    source=f"{SEED_001} – Rutin för prövning Vux (kurslistan: Skolverket, se engine/rules/data/SOURCES.md)",
    cite="Ange önskad kurskod i kursfältet och välj kurs i rullistan.",
    params=(Param("course_code", "course_code"),),
)
@guarded
def known_code(values: Mapping[str, JsonValue]) -> Verdict:
    """The code is a course in Skolverket's list (GY, komvux grundläggande) or a national part course."""
    code = _need_code(values)
    if find_course(code) is not None:
        return Verdict.holds()
    close = _close_codes(code, {key: course.code for key, course in _course_table().items()})
    if close:
        guess_sv = f" Menar du {_either(close, 'eller')}?"
        guess_en = f" Did you mean {_either(close, 'or')}?"
        fix = f"Skriv kurskoden exakt som i kurskatalogen, troligen {close[0]}."
    else:
        guess_sv = guess_en = ""
        fix = "Kontrollera kurskoden mot kurskatalogen (Skolverkets kurslista), t.ex. MATMAT01a eller GRNMATA."
    if code.upper() == "KURSPAKET":
        guess_sv = " KURSPAKET är Alvis behållare för ett kurspaket, inte en kurs."
        guess_en = " KURSPAKET is Alvis's container for a course package, not a course."
        fix = "Kontrollera kurskoderna på kurspaketets grupper i stället för behållarens."
    return Verdict.breaks(
        f'Kurskoden "{code}" finns inte i Skolverkets kurslista.{guess_sv}',
        f'The course code "{code}" is not in Skolverket\'s course list.{guess_en}',
        fix,
    )


@rule(
    "courses.subcourse_choosable",
    title="Delkurs 1 för GRNSVE och GRNSVA är inte valbar",
    title_en="Part course 1 of GRNSVE and GRNSVA cannot be chosen",
    scope="municipal",
    municipality="Järfälla",
    source=f"{SEED_004} – Nationella delkurskoder nu i Alvis",
    cite=(
        "OBSERVERA ATT delkurs 1 för GRNSVE och GRNSVA inte ska vara sökbara i kurskatalogen, "
        "och är därför inte valbara här i Alvis."
    ),
    params=(Param("course_code", "course_code"),),
)
@guarded
def subcourse_choosable(values: Mapping[str, JsonValue]) -> Verdict:
    """GRNSVEA and GRNSVAA cannot be chosen; the routine's typo GREMATA is pointed to GRNMATA."""
    code = _need_code(values)
    wanted = code.upper()
    if wanted in NOT_CHOOSABLE:
        subject = wanted[:-1]
        others = _either([f"{subject}{letter}" for letter in "BCD"], "eller")
        return Verdict.breaks(
            f"{code} är delkurs 1 för {subject}, som inte är sökbar i kurskatalogen och inte valbar i Alvis.",
            f"{code} is part course 1 of {subject}, which is not searchable in the catalogue and cannot be "
            "chosen in Alvis.",
            f"Välj den delkurs eleven ska läsa: {others}.",
        )
    if wanted in TYPOS:
        meant = TYPOS[wanted]
        return Verdict.breaks(
            f"Kurskoden {code} finns inte; rutinens {wanted} är ett skrivfel för {meant}.",
            f"The course code {code} does not exist; the routine's {wanted} is a typo for {meant}.",
            f"Välj {meant}.",
        )
    return Verdict.holds()


@rule(
    "courses.subcourse_points",
    title="Nationella delkurser har rätt poäng",
    title_en="National part courses carry their points",
    scope="municipal",
    municipality="Järfälla",
    source=f"{SEED_004} – Nationella delkurskoder nu i Alvis",
    cite=(
        "GRNSVEB 200 p, GRNSVEC 200 p, GRNSVED 200 p\n"
        "GRNSVAB 200 p, GRNSVAC 200 p, GRNSVAD 200 p\n"
        "GRNENGA 100 p, GRNENGB 100 p, GRNENGC 200 p, GRNENGD 200 p\n"
        "GREMATA 100 p, GRNMATB 100 p, GRNMATC 200 p, GRNMATD 200 p"
    ),
    params=(Param("course_code", "course_code"), Param("points", "number")),
)
@guarded
def subcourse_points(values: Mapping[str, JsonValue]) -> Verdict:
    """A listed national part course has the routine's points; any other code is not this rule's concern."""
    code = _need_code(values)
    expected = NATIONAL_SUBCOURSES.get(code.upper())
    if expected is None:
        return Verdict.holds()
    points = _need_number(values, "points", "poängen", "points")
    if points == expected:
        return Verdict.holds()
    return Verdict.breaks(
        f"Delkursen {code} ska ha {expected} poäng, inte {_sv(points)}.",
        f"The part course {code} has {expected} points, not {_en(points)}.",
        f"Ange {expected} poäng för {code.upper()}.",
    )


@rule(
    "courses.orientation_code",
    title="Orienteringskursgrupp har en av kurskoderna KGYORI11A–F",
    title_en="An orientation course group uses one of KGYORI11A–F",
    scope="municipal",
    municipality="Järfälla",
    source=f"{SEED_004} – Registrera grupper för orienteringskurser i Järfällas Alvis",
    cite="Om du ska registrera en orienteringskursgrupp i vårt Alvis ska du välja en av nedanstående kurskoder.",
    params=(Param("course_code", "course_code"),),
)
@guarded
def orientation_code(values: Mapping[str, JsonValue]) -> Verdict:
    """The code is one of the six orientation course codes (ignoring case)."""
    code = _need_code(values)
    if code.upper() in ORIENTATION_COURSES:
        return Verdict.holds()
    listing = "; ".join(f"{key} = ”{name}”" for key, name in ORIENTATION_COURSES.items())
    close = _close_codes(code, {key: key for key in ORIENTATION_COURSES}, n=1)
    guess_sv = f" Menar du {close[0]} (”{ORIENTATION_COURSES[close[0]]}”)?" if close else ""
    guess_en = f" Did you mean {close[0]} (”{ORIENTATION_COURSES[close[0]]}”)?" if close else ""
    return Verdict.breaks(
        f"{code} är inte en kurskod för orienteringskurs i Järfällas Alvis.{guess_sv}",
        f"{code} is not an orientation course code in Järfälla's Alvis (KGYORI11A–F).{guess_en}",
        f"Välj en av kurskoderna: {listing}.",
    )
