"""The study declaration to CSN (studieförsäkran), every route end to end on the sandbox.

Declared yes ends green, no ends red, missing is yellow and reported as NEJ; a declaration dated before the
student's start date is refused as a false declaration.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import ActionRefused, InvalidInputs
from tests.conftest import World, make_world
from tests.integration.test_jarfalla_common import (
    SCHOOL,
    STUDENT,
    TEACHER,
    Plan,
    add_jarfalla_users,
    assert_audit_ok,
    mails,
    walk,
)

PROC = "studieforsakran"
START = "2024-06-10"
INPUTS = {"personnummer": STUDENT, "grupp": "SVA2-VT24", "startdatum": START}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    add_jarfalla_users(w)
    yield w
    w.store.engine.dispose()


def declared(answer: str, day: str | None = START) -> dict[str, dict[str, str]]:
    fields = {"forsakran": answer} | ({"forsakran_datum": day} if day else {})
    return {"registrera_forsakran": fields}


@pytest.mark.parametrize(("answer", "end"), [("ja", "gron_boll"), ("nej", "rod_boll")])
def test_a_declaration_on_or_after_the_start_ends_green_or_red(world: World, answer: str, end: str) -> None:
    case = world.service.start(PROC, INPUTS, TEACHER)
    visited = walk(world, case.id, Plan(fields=declared(answer, "2024-06-11"), actor=TEACHER))
    assert visited == ["sok_elev", "registrera_forsakran"]
    final = world.service.show(case.id, TEACHER)
    assert (final.status, final.state) == ("done", end)
    assert mails(world, case.id) == []
    assert_audit_ok(world, case.id)


def test_the_instructions_show_what_each_ball_means(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    view = world.service.do(case.id, "sok_elev", {}, SCHOOL)
    assert view.instructions is not None
    balls = ("Röd boll = Försäkran = NEJ", "Gul boll = Försäkran saknas, rapporteras som NEJ till CSN", "Grön boll")
    assert all(ball in view.instructions for ball in balls)


def test_a_missing_declaration_is_yellow_and_reported_as_nej(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    visited = walk(world, case.id, Plan(fields=declared("saknas", None), actions={"gul_boll": "lamna_gul"}))
    assert visited == ["sok_elev", "registrera_forsakran", "gul_boll"]
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "gul_slut")
    assert "forsakran_datum" not in final.data
    assert_audit_ok(world, case.id)


def test_a_yellow_declaration_can_be_registered_once_the_student_has_started(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    walk(world, case.id, Plan(fields=declared("saknas", None)), stop_at="gul_boll")
    view = world.service.do(case.id, "registrera_nu", {}, SCHOOL)
    assert view.state == "registrera_forsakran"
    world.service.do(case.id, "registrera_forsakran", declared("ja")["registrera_forsakran"], SCHOOL)
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "gron_boll")
    assert_audit_ok(world, case.id)


@pytest.mark.parametrize("answer", ["ja", "nej"])
def test_a_declaration_before_the_start_date_is_refused_and_the_case_stays(world: World, answer: str) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    world.service.do(case.id, "sok_elev", {}, SCHOOL)
    early = declared(answer, "2024-06-07")["registrera_forsakran"]
    with pytest.raises(ActionRefused, match="före kursdeltagarens startdatum 2024-06-10") as caught:
        world.service.do(case.id, "registrera_forsakran", early, SCHOOL)
    assert caught.value.rule == "csn.declaration_not_before_start"
    assert caught.value.cite is not None and "falskt intygande" in caught.value.cite
    after = world.service.show(case.id, SCHOOL)
    assert after.state == "registrera_forsakran"
    assert "forsakran" not in after.data
    assert world.store.events(case.id)[-1].kind == "refused"
    world.service.do(case.id, "registrera_forsakran", declared(answer)["registrera_forsakran"], SCHOOL)
    assert world.service.show(case.id, SCHOOL).status == "done"
    assert_audit_ok(world, case.id)


def test_a_declared_answer_needs_its_date(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    world.service.do(case.id, "sok_elev", {}, SCHOOL)
    with pytest.raises(InvalidInputs) as caught:
        world.service.do(case.id, "registrera_forsakran", {"forsakran": "ja"}, SCHOOL)
    assert {p.name for p in caught.value.problems} == {"forsakran_datum"}
    assert world.service.show(case.id, SCHOOL).state == "registrera_forsakran"
