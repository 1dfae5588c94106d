"""Rules: how a student's group registrations must be dated and marked so that SCB reporting accepts them.

Järfälla's reminders on group registrations: "Ej påbörjat" is dated the course start, a dropout on day one
is "Ej påbörjat", a replacing group keeps the replaced group's dates, the course package's container is
neither reported nor unmarked, and leaving a package marks each of its groups by whether it was started.
All are registration rules: `rutin check registrations` runs them over every row of an export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

from engine.rules import rule
from engine.rules.args import guarded, need_date, need_text, need_yes_no, optional_date, optional_text, shown
from engine.rules.base import Param, Verdict
from engine.rules.provning import JARFALLA_REGISTRATION
from engine.values import JsonValue

PACKAGE_CODE = "KURSPAKET"

_FOLD = str.maketrans("åäöéÅÄÖÉ", "aaoeaaoe")
_NOT_STARTED = frozenset({"ej paborjat", "ej paborjad", "ej borjat", "ej startat", "not started"})
_DROPOUT = frozenset({"avbrott", "avbruten", "avbrutit", "dropout", "dropped out"})
_REPLACED = frozenset({"gruppen ar ersatt", "gruppen ersatt", "ersatt", "replaced"})
_COMPLETED = frozenset({"slutford", "avslutad", "fullfoljd", "godkand", "betygsatt", "klar", "completed"})


def fold_status(status: str) -> str:
    """'Ej  Påbörjat ' -> 'ej paborjat': case, spacing and å/ä/ö do not matter when statuses are compared."""
    return " ".join(status.casefold().translate(_FOLD).split())


def is_not_started(status: str) -> bool:
    return fold_status(status) in _NOT_STARTED


def is_dropout(status: str) -> bool:
    return fold_status(status) in _DROPOUT


def is_replaced(status: str) -> bool:
    return fold_status(status) in _REPLACED


def is_completed(status: str) -> bool:
    return fold_status(status) in _COMPLETED


def _status(values: Mapping[str, JsonValue]) -> str:
    return need_text(values, "status", "status", "status")


class _DatedStatus(NamedTuple):
    status: str
    status_date: date
    course_start: date


def _dated_status(
    values: Mapping[str, JsonValue], is_kind: Callable[[str], bool], date_sv: str, date_en: str
) -> _DatedStatus | None:
    """The status with its date and the course start when the status is of the kind the rule judges, else None."""
    status = _status(values)
    if not is_kind(status):
        return None
    status_date = need_date(values, "status_date", date_sv, date_en)
    start = need_date(values, "course_start", "kursens startdatum", "course start date")
    return _DatedStatus(status, status_date, start)


@rule(
    "scb.not_started_status_date",
    title="Ej påbörjat har kursens startdatum som statusdatum",
    title_en="'Ej påbörjat' (not started) is dated the course's start date",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_REGISTRATION,
    cite="Ej påbörjat = Statusdatum ska vara samma som kursens startdatum.",
    params=(
        Param("status", "text", description="elevens status på gruppen"),
        Param("status_date", "date", description="statusdatum"),
        Param("course_start", "date", description="kursens startdatum"),
    ),
    registration=True,
)
@guarded
def not_started_status_date(values: Mapping[str, JsonValue]) -> Verdict:
    dated = _dated_status(values, is_not_started, "statusdatum", "status date")
    if dated is None or dated.status_date == dated.course_start:
        return Verdict.holds()
    status, status_date, start = dated
    return Verdict.breaks(
        f"Status {shown(status)} har statusdatum {status_date}, men kursens startdatum är {start}.",
        f"The status {shown(status)} is dated {status_date}, but the course starts on {start}.",
        f"Ändra statusdatum till kursens startdatum {start}. Ändra inte kursens tänkta slutdatum.",
    )


@rule(
    "scb.dropout_day_one",
    title="Avbrott dag 1 är Ej påbörjat",
    title_en="A dropout on day one is 'Ej påbörjat' (not started)",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_REGISTRATION,
    cite="Avbrott dag 1 = Ej påbörjat.",
    params=(
        Param("status", "text", description="elevens status på gruppen"),
        Param("status_date", "date", description="statusdatum (avbrottsdatum)"),
        Param("course_start", "date", description="kursens startdatum"),
    ),
    registration=True,
)
@guarded
def dropout_day_one(values: Mapping[str, JsonValue]) -> Verdict:
    dated = _dated_status(values, is_dropout, "avbrottsdatum", "dropout date")
    if dated is None or dated.status_date > dated.course_start:
        return Verdict.holds()
    _, status_date, start = dated
    when_sv = "kursens första dag" if status_date == start else f"före kursens startdatum {start}"
    when_en = "the course's first day" if status_date == start else f"before the course start {start}"
    return Verdict.breaks(
        f"Avbrott med avbrottsdatum {status_date}, {when_sv}, ska registreras som Ej påbörjat.",
        f"A dropout dated {status_date}, {when_en}, should be registered as 'Ej påbörjat' (not started).",
        f"Ändra status till Ej påbörjat med statusdatum {start} (kursens startdatum).",
    )


@rule(
    "scb.replaced_group_dates",
    title="Den nya gruppen har den ersatta gruppens start- och slutdatum",
    title_en="The new group has the replaced group's start and end dates",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_REGISTRATION,
    cite="Gruppen är ersatt = Används vid gruppbyte för elev, observera att den nya gruppen läggs på en ny rad "
    "och ska ha samma start- och slutdatum som den ersatta gruppen (detta är viktigt för CSN).",
    params=(
        Param("status", "text", description="status (Gruppen är ersatt vid gruppbyte)"),
        Param("start", "date", description="den nya gruppens startdatum"),
        Param("end", "date", description="den nya gruppens slutdatum"),
        Param("replaced_start", "date", required=False, description="den ersatta gruppens startdatum"),
        Param("replaced_end", "date", required=False, description="den ersatta gruppens slutdatum"),
    ),
    registration=True,
)
@guarded
def replaced_group_dates(values: Mapping[str, JsonValue]) -> Verdict:
    status = _status(values)
    replaced_start = optional_date(values, "replaced_start", "den ersatta gruppens startdatum", "replaced start")
    replaced_end = optional_date(values, "replaced_end", "den ersatta gruppens slutdatum", "replaced end")
    if replaced_start is None and replaced_end is None:
        return Verdict.holds()  # not a group change, or nothing to compare with
    start = need_date(values, "start", "startdatum", "start date")
    end = need_date(values, "end", "slutdatum", "end date")
    sv: list[str] = []
    en: list[str] = []
    if replaced_start is not None and start != replaced_start:
        sv.append(f"startdatum {start} men den ersatta gruppens {replaced_start}")
        en.append(f"start date {start} but the replaced group's {replaced_start}")
    if replaced_end is not None and end != replaced_end:
        sv.append(f"slutdatum {end} men den ersatta gruppens {replaced_end}")
        en.append(f"end date {end} but the replaced group's {replaced_end}")
    if not sv:
        return Verdict.holds()
    return Verdict.breaks(
        f"Vid gruppbyte ({shown(status)}) har den nya gruppen {' och '.join(sv)}.",
        f"At a group change ({shown(status)}) the new group has {' and '.join(en)}.",
        f"Ge den nya gruppens rad samma start- och slutdatum som den ersatta gruppen "
        f"({replaced_start or start}–{replaced_end or end}); det är viktigt för CSN.",
    )


def _is_mark_two(mark: str) -> bool:
    folded = fold_status(mark).replace("ekonomimarke", "").replace(" ", "")
    return folded in {"2", "em2"}


@rule(
    "scb.package_container",
    title="Kurspaketets behållare rapporteras inte till SCB och har Ekonomimärke 2",
    title_en="The course package container is not reported to SCB and has Ekonomimärke 2",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_REGISTRATION,
    cite="Själva behållaren för kurspaketet (kurskod KURSPAKET) ska inte rapporteras till SCB. […] Behållaren ska "
    "också märkas med Ekonomimärke 2.",
    params=(
        Param("course_code", "course_code", description="gruppens kurskod"),
        Param("reported_to_scb", "yes_no", description="om gruppen rapporteras till SCB"),
        Param("ekonomimarke", "text", required=False, description="gruppens ekonomimärke"),
    ),
    registration=True,
)
@guarded
def package_container(values: Mapping[str, JsonValue]) -> Verdict:
    code = need_text(values, "course_code", "kurskoden", "course code")
    if code.upper() != PACKAGE_CODE:
        return Verdict.holds()
    reported = need_yes_no(values, "reported_to_scb", "rapporteras till SCB", "reported to SCB")
    mark = optional_text(values, "ekonomimarke", "ekonomimärke", "ekonomimärke (finance mark)")
    sv: list[str] = []
    en: list[str] = []
    fixes: list[str] = []
    if reported:
        sv.append("är markerad att rapporteras till SCB")
        en.append("is marked to be reported to SCB")
        fixes.append("bocka ur rapportering till SCB på gruppen")
    if mark is not None and not _is_mark_two(mark):
        sv.append(f"har ekonomimärke {shown(mark)} i stället för Ekonomimärke 2" if mark else "saknar ekonomimärke")
        en.append(f"has the mark {shown(mark)} instead of Ekonomimärke 2" if mark else "has no Ekonomimärke")
        fixes.append("märk behållaren med Ekonomimärke 2")
    if not sv:
        return Verdict.holds()
    return Verdict.breaks(
        f"Behållaren för kurspaketet ({code}) {' och '.join(sv)}.",
        f"The course package container ({code}) {' and '.join(en)}.",
        f"{'; '.join(fixes)[:1].upper()}{'; '.join(fixes)[1:]}.",
    )


@rule(
    "scb.package_dropout",
    title="När en elev avbryter ett kurspaket: ej påbörjade grupper Ej påbörjat, påbörjade Avbrott med datum",
    title_en="When a student leaves a course package: unstarted groups 'Ej påbörjat', started ones dated 'Avbrott'",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_REGISTRATION,
    cite="Om en elev avbryter ett kurspaket, så måste grupper som inte har påbörjats markeras med status Ej "
    "påbörjat (statusdatum kan vara det datum då eleven meddelade att de avbryter paketet). Endast de grupper "
    "som har påbörjats och avbrutits ska markeras med status Avbrott och ett korrekt avbrottsdatum.",
    params=(
        Param("status", "text", description="elevens status på gruppen"),
        Param("started", "yes_no", description="om eleven har påbörjat gruppen"),
        Param("status_date", "date", required=False, description="statusdatum (avbrottsdatum)"),
        Param("package_dropout", "yes_no", description="om eleven har avbrutit kurspaketet"),
    ),
    registration=True,
)
@guarded
def package_dropout(values: Mapping[str, JsonValue]) -> Verdict:
    if not need_yes_no(values, "package_dropout", "paketavbrott", "package dropout"):
        return Verdict.holds()
    status = _status(values)
    started = need_yes_no(values, "started", "påbörjad", "started")
    if not started and not is_not_started(status):
        return Verdict.breaks(
            f"Gruppen har inte påbörjats men har status {shown(status)} när eleven avbryter kurspaketet.",
            f"The group was not started but has the status {shown(status)} when the student leaves the package.",
            "Ändra status till Ej påbörjat (statusdatum kan vara dagen då eleven meddelade att paketet avbryts).",
        )
    if started and is_not_started(status):
        return Verdict.breaks(
            f"Gruppen har påbörjats men har status {shown(status)} när eleven avbryter kurspaketet.",
            f"The group was started but has the status {shown(status)} when the student leaves the package.",
            "Ändra status till Avbrott med det korrekta avbrottsdatumet.",
        )
    if started and is_dropout(status):
        if optional_date(values, "status_date", "avbrottsdatum", "dropout date") is None:
            return Verdict.breaks(
                f"Gruppen har status {shown(status)} men saknar avbrottsdatum.",
                f"The group has the status {shown(status)} but no dropout date.",
                "Ange det korrekta avbrottsdatumet som statusdatum.",
            )
    elif started and not is_completed(status):
        return Verdict.breaks(
            f"Gruppen har påbörjats och har status {shown(status)} fast eleven har avbrutit kurspaketet.",
            f"The group was started and has the status {shown(status)} although the student left the package.",
            "Markera gruppen med status Avbrott och det korrekta avbrottsdatumet.",
        )
    return Verdict.holds()
