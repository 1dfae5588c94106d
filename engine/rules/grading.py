"""Rules: grade dates, the grading window and the grade catalogue (betygskatalog).

Stockholm asks that a prövning's grade date equals the prövning date and that grades are registered and
locked within two weeks of the course end; Järfälla that the grade date equals the course end date. The
catalogue is printed only when every grade is locked, and is signed by the teacher who decided the grades.
Rules are pure: they compare the dates and names they are given and read no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from engine.rules import rule
from engine.rules.args import guarded, need_date, need_number, need_text, optional_text, shown
from engine.rules.base import Param, Verdict
from engine.rules.provning import STOCKHOLM_PROVNING
from engine.values import JsonValue

STOCKHOLM_GRADING = (
    "002_416cf54fac3dc786.txt – Betygssättning och utskrift av betygskatalog i Lärportalen Ping Pong (Stockholm)"
)
JARFALLA_CATALOGUE_DATES = (
    "004_b95a9f073a0234d6.txt – Järfällas Alvis: Påminnelse: Viktigt med rätt slutdatum på betygskataloger"
)
JARFALLA_SIGNING = "004_b95a9f073a0234d6.txt – Järfällas Alvis: Vem får signera betygskatalogen? (SKOLF 2012:8, 7–8 §§)"

GRADING_WINDOW = timedelta(days=14)


@rule(
    "grading.grade_date_is_test_date",
    title="Betygsdatum i Ping Pong är prövningsdatumet i BER",
    title_en="The grade date in Ping Pong is the prövning date in BER",
    scope="municipal",
    municipality="Stockholm",
    source=STOCKHOLM_PROVNING,
    cite="Observera att det är viktigt att elevens betygsdatum i Lärportalen Ping Pong är samma som elevens "
    "prövningsdatum i BER.",
    params=(
        Param("grade_date", "date", description="elevens betygsdatum i Lärportalen Ping Pong"),
        Param("test_date", "date", description="elevens prövningsdatum i BER"),
    ),
)
@guarded
def grade_date_is_test_date(values: Mapping[str, JsonValue]) -> Verdict:
    grade = need_date(values, "grade_date", "betygsdatum", "grade date")
    test = need_date(values, "test_date", "prövningsdatum", "prövning date")
    if grade == test:
        return Verdict.holds()
    return Verdict.breaks(
        f"Betygsdatum {grade} i Ping Pong är inte prövningsdatumet {test} i BER.",
        f"The grade date {grade} in Ping Pong is not the prövning date {test} in BER.",
        f"Ändra betygsdatum i Ping Pong till prövningsdatumet {test}; olika datum ger fel i rapporter till "
        "andra myndigheter.",
    )


@rule(
    "grading.grade_date_is_course_end",
    title="Betygsdatum är kursens slutdatum",
    title_en="The grade date is the course's end date",
    scope="municipal",
    municipality="Järfälla",
    source=JARFALLA_CATALOGUE_DATES,
    cite="Observera att betygsdatum ska vara det samma som kursens slutdatum på katalogerna.",
    params=(
        Param("grade_date", "date", description="betygsdatum"),
        Param("course_end", "date", description="kursens slutdatum"),
    ),
    registration=True,
)
@guarded
def grade_date_is_course_end(values: Mapping[str, JsonValue]) -> Verdict:
    grade = need_date(values, "grade_date", "betygsdatum", "grade date")
    end = need_date(values, "course_end", "kursens slutdatum", "course end date")
    if grade == end:
        return Verdict.holds()
    return Verdict.breaks(
        f"Betygsdatum {grade} är inte kursens slutdatum {end}.",
        f"The grade date {grade} is not the course's end date {end}.",
        f"Sätt betygsdatum till kursens slutdatum {end}; vid stressbetyg ändras i stället kursens slutdatum "
        f"till {grade} (informera eleven om följderna för studiemedlet).",
    )


@rule(
    "grading.window",
    title="Betygen registreras och låses inom två veckor från kursslut",
    title_en="Grades are registered and locked within two weeks of the course end",
    scope="municipal",
    municipality="Stockholm",
    source=STOCKHOLM_GRADING,
    cite="Betygen ska registreras och låsas skyndsamt vid kursslut, som tidigast på kursslutsdagen och som senast "
    "två veckor efter kursslut.",
    params=(
        Param("registered_date", "date", description="dagen betygen registrerades och låstes"),
        Param("course_end", "date", description="kursens sista dag"),
    ),
)
@guarded
def grading_window(values: Mapping[str, JsonValue]) -> Verdict:
    registered = need_date(values, "registered_date", "registreringsdatum", "registration date")
    end = need_date(values, "course_end", "kursens slutdatum", "course end date")
    last = end + GRADING_WINDOW
    if registered < end:
        return Verdict.breaks(
            f"Betygen registrerades {registered}, före kursslutsdagen {end}.",
            f"The grades were registered on {registered}, before the course's last day {end}.",
            f"Registrera och lås betygen tidigast på kursslutsdagen {end}.",
        )
    if registered > last:
        return Verdict.breaks(
            f"Betygen registrerades {registered}, {(registered - end).days} dagar efter kursslut {end}; senast "
            f"{last} (två veckor).",
            f"The grades were registered on {registered}, {(registered - end).days} days after the course end "
            f"{end}; the last day was {last} (two weeks).",
            "Registrera och lås kvarvarande betyg nu och se över rutinen så att betygen sätts inom två veckor.",
        )
    return Verdict.holds()


@rule(
    "catalog.all_grades_locked",
    title="Betygskatalogen skrivs ut först när alla betyg är registrerade och låsta",
    title_en="The grade catalogue is printed only when every grade is registered and locked",
    scope="municipal",
    municipality="Stockholm",
    source=STOCKHOLM_GRADING,
    cite="Endast när alla betyg i en betygsgrupp är registrerade och låsta ska administratören skriva ut "
    "betygskatalogen för hela gruppen och betygssättande lärare ska signera katalogen manuellt.",
    params=(
        Param("locked", "number", description="antal registrerade och låsta betyg i betygsgruppen"),
        Param("total", "number", description="antal elever som ska betygssättas i betygsgruppen"),
    ),
)
@guarded
def all_grades_locked(values: Mapping[str, JsonValue]) -> Verdict:
    locked = need_number(values, "locked", "antal låsta betyg", "number of locked grades")
    total = need_number(values, "total", "antal betyg", "number of grades")
    if not (locked.is_integer() and total.is_integer()) or locked < 0 or total < 0:
        return Verdict.breaks(
            f"Antalen ska vara hela tal från 0 och uppåt, men är {locked:g} låsta av {total:g}.",
            f"The counts should be whole numbers from 0 up, but are {locked:g} locked of {total:g}.",
            "Räkna om de låsta betygen och eleverna i betygsgruppen.",
        )
    if total == 0:
        return Verdict.breaks(
            "Betygsgruppen har inga betyg att skriva ut.",
            "The grading group has no grades to print.",
            "Kontrollera att rätt betygsgrupp är vald och att eleverna är antagna i den.",
        )
    if locked > total:
        return Verdict.breaks(
            f"{locked:g} låsta betyg är fler än gruppens {total:g} betyg.",
            f"{locked:g} locked grades are more than the group's {total:g} grades.",
            "Räkna om de låsta betygen och eleverna i betygsgruppen.",
        )
    if locked < total:
        return Verdict.breaks(
            f"Bara {locked:g} av {total:g} betyg är registrerade och låsta.",
            f"Only {locked:g} of {total:g} grades are registered and locked.",
            f"Registrera och lås de {total - locked:g} återstående betygen innan katalogen skrivs ut.",
        )
    return Verdict.holds()


def _same_person(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


@rule(
    "catalog.signed_by_decider",
    title="Den som beslutat om betyget signerar katalogen, med namn och titel",
    title_en="The teacher who decided the grade signs the catalogue, with name and title",
    scope="national",
    source=JARFALLA_SIGNING,
    cite="Svaret är att den som beslutat om betyget ska signera katalogen. Och att katalogen ska innehålla namn "
    "och titel på beslutande.",
    params=(
        Param("signer", "text", description="den som signerar katalogen"),
        Param("decider", "text", description="den som beslutat om betygen"),
        Param("signer_title", "text", required=False, description="titeln på katalogen, t.ex. Lärare"),
    ),
)
@guarded
def signed_by_decider(values: Mapping[str, JsonValue]) -> Verdict:
    signer = need_text(values, "signer", "den som signerar", "signer")
    decider = need_text(values, "decider", "den som beslutat om betyget", "deciding teacher")
    title = optional_text(values, "signer_title", "titel", "title")
    if not _same_person(signer, decider):
        return Verdict.breaks(
            f"Katalogen signeras av {shown(signer)}, men betyget beslutades av {shown(decider)}.",
            f"The catalogue is signed by {shown(signer)}, but the grade was decided by {shown(decider)}.",
            f"Låt {decider}, som beslutade om betyget, signera katalogen (SKOLF 2012:8, 7–8 §§).",
        )
    if title == "":
        return Verdict.breaks(
            f"Katalogen saknar titel för beslutande {shown(decider)}.",
            f"The catalogue lacks the title of the deciding teacher {shown(decider)}.",
            "Skriv beslutandes namn och titel (t.ex. Lärare) på katalogen.",
        )
    return Verdict.holds()
