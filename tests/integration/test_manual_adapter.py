"""With the manual adapter the person is the system: a wait becomes "check BER at 10:45 and confirm"."""

from __future__ import annotations

import pytest

from engine.errors import ActionRefused
from tests.conftest import World
from tests.integration.test_grade_revocation import FIELDS, PROC, ROUTES


def to_first_wait(world: World) -> str:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    for _ in range(5):
        state = world.service.show(case.id, "anna").state
        world.service.do(case.id, state, FIELDS.get(state, {}), "anna")
    return case.id


def test_a_wait_asks_the_person_to_check_when_it_is_expected(manual_world: World) -> None:
    case_id = to_first_wait(manual_world)
    view = manual_world.service.show(case_id, "anna")
    assert view.waiting is not None
    assert view.waiting.answered_by == "person"
    assert [a.name for a in view.actions] == ["ber_vanta_borttaget", "inte_annu"]
    assert [a.label for a in view.actions] == ["Betyget har försvunnit från BER", "Betyget finns kvar i BER"]
    assert view.waiting.next_check_at == view.waiting.expected_by  # "check BER at 08:15"


def test_not_yet_schedules_the_next_check_and_is_recorded(manual_world: World) -> None:
    case_id = to_first_wait(manual_world)
    manual_world.advance(15)
    view = manual_world.service.do(case_id, "inte_annu", {}, "anna")
    assert view.state == "ber_vanta_borttaget"
    assert view.waiting is not None
    assert (view.waiting.next_check_at - manual_world.clock.now()).total_seconds() == 120
    assert manual_world.store.events(case_id)[-1].kind == "wait_not_yet"
    manual_world.advance(2)
    done = manual_world.service.do(case_id, "ber_vanta_borttaget", {}, "anna")
    assert done.state == "ber_avbrott"
    assert manual_world.store.events(case_id)[-1].kind == "wait_confirmed"


def test_the_worker_does_not_answer_for_a_person_but_marks_the_wait_overdue_once(manual_world: World) -> None:
    case_id = to_first_wait(manual_world)
    manual_world.advance(30)
    assert manual_world.service.sweep().advanced == []
    manual_world.advance(31)
    first = manual_world.service.sweep()
    second = manual_world.service.sweep()
    assert first.overdue == [case_id]
    assert second.overdue == []
    assert [v.id for v in manual_world.service.list_cases("anna", "overdue")] == [case_id]
    assert manual_world.service.list_cases("anna", "waiting") == []
    kinds = [e.kind for e in manual_world.store.events(case_id)]
    assert kinds.count("wait_overdue") == 1


def test_confirming_a_wait_the_sandbox_answers_is_refused(world: World) -> None:
    case_id = to_first_wait(world)
    with pytest.raises(ActionRefused, match="not possible") as caught:
        world.service.do(case_id, "ber_vanta_borttaget", {}, "anna")
    assert caught.value.hint is not None and "BER answers by itself" in caught.value.hint


def test_per_system_configuration_mixes_manual_and_sandbox(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_world

    w = make_world(tmp_path, adapters="BER=manual")
    case_id = to_first_wait(w)
    view = w.service.show(case_id, "anna")
    assert view.waiting is not None and view.waiting.answered_by == "person"
    w.service.do(case_id, "ber_vanta_borttaget", {}, "anna")
    assert w.service.show(case_id, "anna").state == "ber_avbrott"
