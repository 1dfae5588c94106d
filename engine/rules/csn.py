"""Rules: the study declaration (studieförsäkran) a school gives CSN for each course participant.

CSN requires an active declaration per participant, and it may not be given before the participant has
started: that counts as a false declaration. `declaration_state` gives the coloured ball Alvis shows for a
declaration (red NEJ, yellow missing and reported as NEJ, green JA). Pure: no clock, no files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from engine.rules import rule
from engine.rules.args import guarded, need_date
from engine.rules.base import Param, Verdict
from engine.values import JsonValue

JARFALLA_CSN = "004_b95a9f073a0234d6.txt – Järfällas Alvis: Studieförsäkran till CSN från och med 10 juni"

DeclarationState = Literal["red", "yellow", "green"]

DECLARATION_LABELS: dict[DeclarationState, str] = {
    "red": "Röd boll = Försäkran = NEJ",
    "yellow": "Gul boll = Försäkran saknas, rapporteras som NEJ till CSN",
    "green": "Grön boll = Försäkran = JA",
}


def declaration_state(declared: bool | None) -> DeclarationState:
    """Red when the declaration is NEJ, green when JA, yellow when it is missing (CSN then gets NEJ)."""
    if declared is True:
        return "green"
    if declared is False:
        return "red"
    return "yellow"


def is_reported_yes(declared: bool | None) -> bool:
    """Whether CSN is told JA: only a given declaration (green); a missing one is reported as NEJ."""
    return declaration_state(declared) == "green"


@rule(
    "csn.declaration_not_before_start",
    title="Studieförsäkran lämnas inte före elevens startdatum",
    title_en="No study declaration before the student's start date",
    scope="national",
    source=JARFALLA_CSN,
    cite="Detta ändras från 10/6 då CSN kräver ett aktivt intygande per kursdeltagare och det får INTE göras "
    "INNAN kursdeltagaren har börjat då det räknas som falskt intygande.",
    params=(
        Param("declaration_date", "date", description="dagen studieförsäkran lämnas"),
        Param("start_date", "date", description="kursdeltagarens (individuella) startdatum"),
    ),
)
@guarded
def declaration_not_before_start(values: Mapping[str, JsonValue]) -> Verdict:
    declared = need_date(values, "declaration_date", "datum för studieförsäkran", "declaration date")
    start = need_date(values, "start_date", "startdatum", "start date")
    if declared >= start:
        return Verdict.holds()
    return Verdict.breaks(
        f"Studieförsäkran {declared} lämnas före kursdeltagarens startdatum {start}; det räknas som falskt intygande.",
        f"The study declaration on {declared} comes before the participant's start date {start}; that counts as "
        "a false declaration.",
        f"Lämna studieförsäkran tidigast {start}, när kursdeltagaren har börjat.",
    )
