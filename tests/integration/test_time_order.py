"""A case's history keeps time in order: a step dated before the one it follows is refused, not recorded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import ActionRefused
from tests.conftest import World
from tests.integration.test_grade_revocation import PROC, ROUTES


def test_a_step_with_the_clock_set_back_is_refused_and_nothing_is_written(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    world.clock.advance(-timedelta(days=900))  # as `--now` two and a half years back would

    with pytest.raises(ActionRefused, match="before the case's last step") as caught:
        world.service.do(case.id, "ed_sok_elev", {}, "anna")

    assert caught.value.localized("sv")[0].startswith("klockan står på 2021-")
    assert [e.kind for e in world.store.events(case.id)] == ["case_started"]
    assert world.service.verify("anna", case.id).ok


def test_a_wait_cannot_be_confirmed_before_it_began(manual_world: World) -> None:
    case = manual_world.service.start(PROC, ROUTES["ej_last"], "anna")
    for action in ("ed_sok_elev", "ed_las_upp"):
        manual_world.service.do(case.id, action, {}, "anna")
    manual_world.service.do(case.id, "ed_beslutad_av", {"beslutande_larare": "Bo"}, "anna")
    for action in ("ed_spara", "ed_bekrafta"):
        manual_world.service.do(case.id, action, {}, "anna")
    waiting = manual_world.service.show(case.id, "anna")
    assert waiting.waiting is not None
    written = len(manual_world.store.events(case.id))
    manual_world.clock.advance(-timedelta(hours=1))

    with pytest.raises(ActionRefused, match="the history keeps its events in time order"):
        manual_world.service.do(case.id, waiting.state, {}, "anna")

    assert len(manual_world.store.events(case.id)) == written


def test_steps_at_the_same_moment_as_the_last_are_allowed(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")

    world.service.do(case.id, "ed_sok_elev", {}, "anna")  # the clock has not moved: the same minute is in order

    assert world.service.show(case.id, "anna").state == "ed_las_upp"
