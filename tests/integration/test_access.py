"""Roles: only a user holding what the procedure requires may start or act; refusals are in the history."""

from __future__ import annotations

import pytest

from engine.errors import ActionRefused, NotFound, StaleCase
from tests.conftest import World
from tests.integration.test_grade_revocation import PROC, ROUTES


def test_a_user_without_the_role_cannot_start_and_the_refusal_is_recorded(world: World) -> None:
    with pytest.raises(ActionRefused, match="erik may not start") as caught:
        world.service.start(PROC, ROUTES["ej_last"], "erik")
    assert caught.value.recorded
    assert world.service.list_cases("anna") == []
    last = world.store.events("system")[-1]
    assert (last.kind, last.actor, last.data["procedure"]) == ("start_refused", "erik", PROC)


def test_a_role_without_the_staff_task_is_not_enough(world: World) -> None:
    with pytest.raises(ActionRefused, match="Betygsadministratör"):
        world.service.start(PROC, ROUTES["ej_last"], "roll_utan_uppgift")


def test_a_user_without_the_role_cannot_do_a_step_and_the_refusal_is_in_the_case_history(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    with pytest.raises(ActionRefused, match="erik may not act"):
        world.service.do(case.id, "ed_sok_elev", {}, "erik")
    events = world.store.events(case.id)
    assert events[-1].kind == "refused"
    assert events[-1].actor == "erik"
    assert world.service.show(case.id, "anna").state == "ed_sok_elev"
    assert world.service.verify("anna", case.id).ok
    assert world.service.replay(case.id, "anna").ok


def test_an_unknown_user_is_refused_and_nothing_is_written(world: World) -> None:
    before = len(world.store.events("system"))
    with pytest.raises(NotFound, match="unknown user 'okand'"):
        world.service.start(PROC, ROUTES["ej_last"], "okand")
    assert len(world.store.events("system")) == before


def test_an_unknown_case_is_a_clear_error(world: World) -> None:
    with pytest.raises(NotFound, match="there is no case 'R-NOPE'"):
        world.service.show("R-NOPE", "anna")


def test_an_action_not_possible_now_names_what_is(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    with pytest.raises(ActionRefused, match="'ed_sok_eliv' is not possible") as caught:
        world.service.do(case.id, "ed_sok_elev".replace("elev", "eliv"), {}, "anna")
    assert caught.value.hint == "did you mean 'ed_sok_elev'?"
    assert len(world.store.events(case.id)) == 1


def test_doing_a_step_someone_already_did_says_the_case_moved_on(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    world.service.do(case.id, "ed_sok_elev", {}, "anna")
    with pytest.raises(ActionRefused, match=r"the case has moved on: 'ed_sok_elev' .* already done by anna"):
        world.service.do(case.id, "ed_sok_elev", {}, "bo")
    assert len(world.store.events(case.id)) == 2


def test_a_write_based_on_a_stale_read_is_refused_as_stale(world: World) -> None:
    from engine.machine import CompiledMachine
    from engine.step import Move, advance

    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    stale = world.store.load_case(case.id)
    world.service.do(case.id, "ed_sok_elev", {}, "anna")
    loaded = world.service.pinned(stale.procedure_hash)
    move = Move("ed_sok_elev", "bo", world.clock.now())
    outcome = advance(loaded, CompiledMachine(loaded.procedure), stale, move, world.service.systems.manual)
    with pytest.raises(StaleCase, match="has moved on"):
        world.store.commit(stale, outcome.case, outcome.events, [])
    assert len(world.store.events(case.id)) == 2
