"""When a course does not start: the student changes provider, every route end to end on the sandbox.

The receiving school confirms to kontakt@jarfalla.se no later than a week before school starts; the
municipality's reply (simulated four hours after the mail) confirms or refuses; a confirmed change is placed
and the student called. A change asked three days before the start is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.errors import ActionRefused
from tests.conftest import World, make_world
from tests.integration.test_jarfalla_common import (
    KONTAKT,
    SCHOOL,
    STUDENT,
    STUDENT_MAIL,
    SYV,
    Plan,
    add_jarfalla_users,
    assert_audit_ok,
    assert_masked,
    mails,
    sandbox_says,
    walk,
)

PROC = "kurs-startar-inte"
GROUP = "SVA1-HT24"
START = "2024-08-19"
INPUTS = {
    "personnummer": STUDENT,
    "elevens_epost": STUDENT_MAIL,
    "kurskod": "SVASVA01",
    "grupp": GROUP,
    "kursstart": START,
    "senaste_bytesdag": "2024-08-12",
}
IN_TIME = {"kontrollera_plats": {"meddelat_datum": "2024-08-05"}}
THREE_DAYS_BEFORE = {"meddelat_datum": "2024-08-16"}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    add_jarfalla_users(w)
    yield w
    w.store.engine.dispose()


def test_a_confirmed_change_is_placed_and_the_student_called(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    assert not sandbox_says(world, "Alvis", "in_group", student=STUDENT, group=GROUP)
    visited = walk(world, case.id, Plan(actions={"jkc_svar": "bekraftat"}, fields=IN_TIME))
    assert visited == ["kontrollera_plats", "bekrafta_till_kontakt", "vanta_svar", "jkc_svar", "kursplacera"]
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "placerad")
    assert sandbox_says(world, "Alvis", "in_group", student=STUDENT, group=GROUP)
    to_kontakt, kallelse = mails(world, case.id)
    assert to_kontakt["to"] == KONTAKT
    assert "vi kan ta emot eleven" in to_kontakt["subject"]
    assert "2024-08-05" in to_kontakt["body"]
    assert kallelse["to"] == STUDENT_MAIL
    assert "Kallelse till kursstart 2024-08-19" in kallelse["subject"]
    assert "kontakta skolan direkt" in kallelse["body"]
    for mail in (to_kontakt, kallelse):
        assert_masked(mail)
    assert_audit_ok(world, case.id)


def test_the_school_waits_for_the_municipalitys_reply(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    world.service.do(case.id, "kan_ta_emot", IN_TIME["kontrollera_plats"], SCHOOL)
    sent = world.clock.now()
    view = world.service.do(case.id, "bekrafta_till_kontakt", {}, SCHOOL)
    assert (view.state, view.status) == ("vanta_svar", "waiting")
    world.clock.advance(timedelta(hours=3))
    world.service.sweep()
    assert world.service.show(case.id, SCHOOL).state == "vanta_svar"
    walk(world, case.id, Plan(), stop_at="jkc_svar")
    assert world.clock.now() - sent >= timedelta(hours=4)


def test_a_refused_change_is_told_to_the_student_and_not_placed(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SYV)
    visited = walk(world, case.id, Plan(actions={"jkc_svar": "avslaget"}, fields=IN_TIME, actor=SYV))
    assert visited[-1] == "jkc_svar"
    assert world.service.show(case.id, SYV).state == "avslaget"
    assert not sandbox_says(world, "Alvis", "in_group", student=STUDENT, group=GROUP)
    to_kontakt, avslag = mails(world, case.id)
    assert to_kontakt["to"] == KONTAKT
    assert avslag["to"] == STUDENT_MAIL
    assert "avslaget" in avslag["subject"]
    assert_masked(avslag)
    assert_audit_ok(world, case.id)


def test_a_change_asked_three_days_before_the_start_is_refused_and_the_case_stays(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    with pytest.raises(ActionRefused, match="Byten måste meddelas senast en vecka före skolstart") as caught:
        world.service.do(case.id, "kan_ta_emot", THREE_DAYS_BEFORE, SCHOOL)
    assert caught.value.cite is not None and "annars hänvisas du" in caught.value.cite
    after = world.service.show(case.id, SCHOOL)
    assert after.state == "kontrollera_plats"
    assert "meddelat_datum" not in after.data
    assert mails(world, case.id) == []
    assert world.store.events(case.id)[-1].kind == "refused"


def test_too_late_a_change_refers_the_student_to_a_new_application(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    with pytest.raises(ActionRefused):
        world.service.do(case.id, "kan_ta_emot", THREE_DAYS_BEFORE, SCHOOL)
    world.service.do(case.id, "for_sent", THREE_DAYS_BEFORE, SCHOOL)
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "for_sent_slut")
    (mail,) = mails(world, case.id)
    assert mail["to"] == STUDENT_MAIL
    assert "ny ansökan till nästa period" in " ".join(str(mail["body"]).split())
    assert_masked(mail)
    assert_audit_ok(world, case.id)


def test_no_place_sends_the_student_to_another_provider(world: World) -> None:
    case = world.service.start(PROC, INPUTS, SCHOOL)
    world.service.do(case.id, "ingen_plats", IN_TIME["kontrollera_plats"], SCHOOL)
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "ingen_plats_slut")
    (mail,) = mails(world, case.id)
    assert mail["to"] == STUDENT_MAIL
    assert "Leta upp kurs hos annan anordnare" in mail["body"]
    assert_masked(mail)
    assert_audit_ok(world, case.id)


def test_a_last_day_for_the_change_not_before_the_start_refuses_the_start(world: World) -> None:
    with pytest.raises(ActionRefused, match="en vecka före kursstart"):
        world.service.start(PROC, {**INPUTS, "senaste_bytesdag": START}, SCHOOL)
    assert world.service.list_cases(SCHOOL) == []
