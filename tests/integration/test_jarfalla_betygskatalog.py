"""Järfälla's grade catalog in Alvis, every route end to end on the sandbox with a moved clock.

The school sets, locks and prints; the deciding teacher signs and posts; JKC receives, approves and exports
to Beda. The rules refuse a grade date other than the course's end date, a catalog signed by someone else,
and printing before every grade is locked.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ActionRefused
from tests.conftest import World, make_world
from tests.integration.test_jarfalla_common import (
    JKC,
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

PROC = "betygskatalog-alvis"
GROUP = "MA1C-VT24"
COURSE_END = "2024-06-07"
EARLY_END = "2024-05-20"
BASE = {
    "betygsgrupp": GROUP,
    "kurskod": "MATMAT01c",
    "kursslut": COURSE_END,
    "beslutande_larare": "Karin Lind",
    "sista_dag_tillhanda": "2024-06-16",
}
ORDINARY = {**BASE, "stressbetyg": "nej"}
STRESS = {**BASE, "stressbetyg": "ja", "personnummer": STUDENT, "elevens_epost": STUDENT_MAIL}
JKC_STEPS = ("jkc_ta_emot", "jkc_las_upp", "jkc_sen_katalog", "jkc_godkann", "jkc_exportera")
FIELDS: dict[str, dict[str, Any]] = {
    "satt_betyg": {"betygsdatum": COURSE_END},
    "las_betyg": {"antal_betyg": "25", "antal_lasta": "25"},
    "underteckna": {"undertecknad_av": "Karin Lind", "titel": "Lärare"},
    "jkc_ta_emot": {"mottagen_datum": "2024-06-10"},
    "skriv_ut_elev": {"elev_utskrift": STUDENT},
}
STRESS_FIELDS = {**FIELDS, "andra_slutdatum": {"nytt_slutdatum": EARLY_END}, "satt_betyg": {"betygsdatum": EARLY_END}}
SCHOOL_PART = ["satt_betyg", "las_betyg", "skriv_ut", "underteckna", "posta", "vanta_mottagen", "jkc_ta_emot"]
JKC_PART = ["jkc_godkann", "jkc_exportera", "vanta_beda", "utskrift"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    add_jarfalla_users(w)
    yield w
    w.store.engine.dispose()


def plan(fields: dict[str, dict[str, Any]] = FIELDS, **actions: str) -> Plan:
    return Plan(actions=actions, fields=fields, actors=dict.fromkeys(JKC_STEPS, JKC), actor=SCHOOL)


def until(world: World, case_id: str, step: str, fields: dict[str, dict[str, Any]] = FIELDS) -> None:
    walk(world, case_id, plan(fields), stop_at=step)


def test_an_ordinary_catalog_goes_from_the_school_through_jkc_to_beda(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    visited = walk(world, case.id, plan(utskrift="nej"))
    assert visited == [*SCHOOL_PART, *JKC_PART]
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.state) == ("done", "klart")
    assert sandbox_says(world, "Alvis", "group_grades_locked", group=GROUP)
    assert sandbox_says(world, "Alvis", "grades_approved", group=GROUP)
    assert sandbox_says(world, "Alvis", "grades_exported", group=GROUP)
    assert mails(world, case.id) == []
    assert_audit_ok(world, case.id)


def test_the_catalog_arrives_four_hours_after_it_is_posted(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    until(world, case.id, "posta")
    posted = world.clock.now()
    view = world.service.do(case.id, "posta", {}, SCHOOL)
    assert (view.state, view.status) == ("vanta_mottagen", "waiting")
    walk(world, case.id, plan(), stop_at="jkc_ta_emot")
    assert world.clock.now() - posted >= timedelta(hours=4)
    assert sandbox_says(world, "Post", "catalog_received", group=GROUP)


def test_a_student_who_asks_gets_the_grade_printed(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    visited = walk(world, case.id, plan(utskrift="ja"))
    assert visited[-2:] == ["utskrift", "skriv_ut_elev"]
    final = world.service.show(case.id, SCHOOL)
    assert final.status == "done"
    assert final.data["elev_utskrift"] == STUDENT
    assert_audit_ok(world, case.id)


def test_a_stress_grade_moves_the_end_date_and_tells_the_student_about_csn(world: World) -> None:
    case = world.service.start(PROC, STRESS, SCHOOL)
    visited = walk(world, case.id, plan(STRESS_FIELDS, utskrift="nej"))
    assert visited[:2] == ["andra_slutdatum", "satt_betyg"]
    assert visited[2:] == [*SCHOOL_PART[1:], *JKC_PART]
    final = world.service.show(case.id, SCHOOL)
    assert (final.status, final.data["nytt_slutdatum"], final.data["betygsdatum"]) == ("done", EARLY_END, EARLY_END)
    (mail,) = mails(world, case.id)
    assert mail["to"] == STUDENT_MAIL
    assert EARLY_END in mail["subject"]
    assert "CSN" in mail["body"] and "studiemedel" in mail["body"]
    assert_masked(mail)
    assert_audit_ok(world, case.id)


def test_a_catalog_arriving_after_the_last_day_is_flagged_for_beda(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    late = {**FIELDS, "jkc_ta_emot": {"mottagen_datum": "2024-06-18"}}
    walk(world, case.id, plan(late), stop_at="jkc_sen_katalog")
    flagged = world.service.show(case.id, JKC)
    assert flagged.instructions is not None
    assert "2024-06-18, efter sista dag 2024-06-16" in flagged.instructions
    assert "Sista dag för rapportering till Beda är 20 juni" in flagged.instructions
    visited = walk(world, case.id, plan(late, utskrift="nej"))
    assert visited == ["jkc_sen_katalog", *JKC_PART]
    assert world.service.show(case.id, SCHOOL).status == "done"
    assert_audit_ok(world, case.id)


def test_wrong_dates_make_jkc_unlock_and_the_school_send_the_catalog_again(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    walk(world, case.id, plan(jkc_ta_emot="felaktiga_datum"), stop_at="jkc_las_upp")
    world.service.do(case.id, "jkc_las_upp", {}, JKC)
    assert world.service.show(case.id, SCHOOL).state == "satt_betyg"
    visited = walk(world, case.id, plan(utskrift="nej"))
    assert visited == [*SCHOOL_PART, *JKC_PART]
    assert world.service.show(case.id, SCHOOL).status == "done"
    assert_audit_ok(world, case.id)


def test_a_grade_date_other_than_the_course_end_is_refused_and_the_case_stays(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    with pytest.raises(ActionRefused, match="Betygsdatum 2024-06-05 är inte kursens slutdatum 2024-06-07") as caught:
        world.service.do(case.id, "satt_betyg", {"betygsdatum": "2024-06-05"}, SCHOOL)
    assert caught.value.rule == "grading.grade_date_is_course_end"
    after = world.service.show(case.id, SCHOOL)
    assert after.state == "satt_betyg"
    assert "betygsdatum" not in after.data
    assert world.store.events(case.id)[-1].kind == "refused"
    walk(world, case.id, plan(utskrift="nej"))
    assert_audit_ok(world, case.id)


def test_a_stress_grade_dated_at_the_old_course_end_is_refused(world: World) -> None:
    case = world.service.start(PROC, STRESS, SCHOOL)
    world.service.do(case.id, "andra_slutdatum", {"nytt_slutdatum": EARLY_END}, SCHOOL)
    with pytest.raises(ActionRefused, match=f"inte kursens slutdatum {EARLY_END}"):
        world.service.do(case.id, "satt_betyg", {"betygsdatum": COURSE_END}, SCHOOL)
    assert world.service.show(case.id, SCHOOL).state == "satt_betyg"


def test_a_stress_grade_that_keeps_the_end_date_is_refused(world: World) -> None:
    case = world.service.start(PROC, STRESS, SCHOOL)
    with pytest.raises(ActionRefused, match="vid stressbetyg ska kursens slutdatum ändras") as caught:
        world.service.do(case.id, "andra_slutdatum", {"nytt_slutdatum": COURSE_END}, SCHOOL)
    assert caught.value.cite == "Alltså: Vid stressbetyg ska kursens slutdatum ändras."
    after = world.service.show(case.id, SCHOOL)
    assert after.state == "andra_slutdatum"
    assert mails(world, case.id) == [], "the student is told only once the end date has moved"


def test_a_catalog_signed_by_someone_else_is_refused(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    until(world, case.id, "underteckna")
    signed = {"undertecknad_av": "Ulla Utbildningsansvarig", "titel": "Utbildningsansvarig"}
    with pytest.raises(ActionRefused, match=r"signeras av .*Ulla Utbildningsansvarig.*beslutades av .*Karin Lind"):
        world.service.do(case.id, "underteckna", signed, SCHOOL)
    after = world.service.show(case.id, SCHOOL)
    assert after.state == "underteckna"
    assert "undertecknad_av" not in after.data
    assert not sandbox_says(world, "Post", "catalog_received", group=GROUP)


def test_a_catalog_is_not_printed_before_every_grade_is_locked(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    until(world, case.id, "las_betyg")
    with pytest.raises(ActionRefused, match="Bara 24 av 25 betyg"):
        world.service.do(case.id, "las_betyg", {"antal_betyg": "25", "antal_lasta": "24"}, SCHOOL)
    assert world.service.show(case.id, SCHOOL).state == "las_betyg"


def test_only_jkc_receives_and_approves_the_catalog(world: World) -> None:
    case = world.service.start(PROC, ORDINARY, SCHOOL)
    until(world, case.id, "jkc_ta_emot")
    with pytest.raises(ActionRefused, match="may not act at step 'jkc_ta_emot'"):
        world.service.do(case.id, "katalogen_stammer", FIELDS["jkc_ta_emot"], SCHOOL)
    assert world.service.show(case.id, SCHOOL).state == "jkc_ta_emot"
    with pytest.raises(ActionRefused, match="may not start"):
        world.service.start(PROC, ORDINARY, JKC)
