"""Placing an allotted student, conditional admission and returns, every route end to end on the sandbox.

With "Om godkänd på underliggande kurs, annars avslag" the school calls the student but does not place until
the student is eligible at the course start; otherwise the application is returned, and the return is mailed
to the student and to kontakt@jarfalla.se.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import InvalidInputs
from tests.conftest import World, make_world
from tests.integration.test_jarfalla_common import (
    KONTAKT,
    SCHOOL,
    STUDENT,
    STUDENT_MAIL,
    Plan,
    add_jarfalla_users,
    assert_audit_ok,
    assert_masked,
    mails,
    sandbox_says,
    walk,
)

PROC = "villkorad-antagning"
GROUP = "MA2C-HT24"
INPUTS = {
    "personnummer": STUDENT,
    "elevens_epost": STUDENT_MAIL,
    "kurskod": "MATMAT02c",
    "grupp": GROUP,
    "kursstart": "2024-08-19",
}
CONDITIONAL = {"las_tillstand": {"tillstand": "villkorad", "underliggande_kurs": "MATMAT01c"}}
GRANTED = {"las_tillstand": {"tillstand": "beviljad"}}
RETURN = {"returnera": {"returorsak": "Inte godkänd i Matematik 1c vid kursstart"}}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    add_jarfalla_users(w)
    yield w
    w.store.engine.dispose()


def placed(world: World) -> bool | None:
    return sandbox_says(world, "Alvis", "in_group", student=STUDENT, group=GROUP)


def assert_return_mailed(world: World, case_id: str, reason: str) -> None:
    *_, to_student, to_kontakt = mails(world, case_id)
    assert to_student["to"] == STUDENT_MAIL
    assert "gått i retur" in to_student["subject"]
    assert reason in to_student["body"]
    assert to_kontakt["to"] == KONTAKT
    assert to_kontakt["subject"].startswith("Retur: MATMAT02c")
    assert reason in to_kontakt["body"]
    for mail in (to_student, to_kontakt):
        assert_masked(mail)


def test_a_conditional_student_is_called_but_not_placed_until_eligible(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    walk(world, case.id, Plan(fields=CONDITIONAL), stop_at="behorig_vid_kursstart")
    (kallelse,) = mails(world, case.id)
    assert kallelse["to"] == STUDENT_MAIL
    body = " ".join(str(kallelse["body"]).split())
    assert "du har inte rätt att starta kursen om du inte är behörig vid kursstart" in body
    assert "MATMAT01c" in body
    assert_masked(kallelse)
    assert not placed(world), "a conditional admission is not placed before the student is eligible"
    visited = walk(world, case.id, Plan(actions={"behorig_vid_kursstart": "behorig"}))
    assert visited == ["behorig_vid_kursstart", "kursplacera"]
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "placerad")
    assert placed(world)
    assert len(mails(world, case.id)) == 1, "the student was called already; no second notice"
    assert_audit_ok(world, case.id)


def test_a_conditional_student_not_eligible_at_the_start_is_returned_and_the_return_mailed(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    plan = Plan(actions={"behorig_vid_kursstart": "inte_behorig"}, fields={**CONDITIONAL, **RETURN})
    visited = walk(world, case.id, plan)
    assert visited == ["las_tillstand", "behorig_vid_kursstart", "returnera"]
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "returnerad")
    assert not placed(world)
    assert len(mails(world, case.id)) == 3  # the call, then the return to the student and to kontakt
    assert_return_mailed(world, case.id, "Inte godkänd i Matematik 1c")
    assert_audit_ok(world, case.id)


def test_a_granted_student_with_a_place_is_placed_and_gets_the_admission_notice(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    visited = walk(world, case.id, Plan(actions={"plats_finns": "plats"}, fields=GRANTED))
    assert visited == ["las_tillstand", "plats_finns", "kursplacera"]
    assert world.service.show(case.id, SCHOOL).state == "placerad"
    assert placed(world)
    (besked,) = mails(world, case.id)
    assert besked["to"] == STUDENT_MAIL
    assert besked["subject"].startswith("Antagningsbesked")
    assert_masked(besked)
    assert_audit_ok(world, case.id)


def test_a_granted_student_without_a_place_is_returned_and_the_return_mailed(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    no_place = {"returnera": {"returorsak": "Gruppen är full"}}
    visited = walk(world, case.id, Plan(actions={"plats_finns": "ingen_plats"}, fields={**GRANTED, **no_place}))
    assert visited == ["las_tillstand", "plats_finns", "returnera"]
    assert world.service.show(case.id, SCHOOL).state == "returnerad"
    assert not placed(world)
    assert len(mails(world, case.id)) == 2
    assert_return_mailed(world, case.id, "Gruppen är full")
    assert_audit_ok(world, case.id)


def test_a_conditional_state_needs_the_underlying_course(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    with pytest.raises(InvalidInputs) as caught:
        world.service.do(case.id, "las_tillstand", {"tillstand": "villkorad"}, SCHOOL)
    assert {p.name for p in caught.value.problems} == {"underliggande_kurs"}
    assert world.service.show(case.id, SCHOOL).state == "las_tillstand"
