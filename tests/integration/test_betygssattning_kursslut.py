"""Course-end grading in Ping Pong (Stockholm), every route end to end on the sandbox with a moved clock.

Each refusal a rule of the routine causes is tried on the way: grades registered outside the window around
the course end, a catalog with grades still unlocked, a catalog signed by someone other than the deciding
teacher, a step done by someone without the permission. A refused action leaves the case where it was.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from engine.errors import ActionRefused
from engine.loader import load_procedure_text
from tests.conftest import PROCEDURES, ROOT, SHARED, World

PROC = "betygssattning-kursslut"
STUDENT = "19121212-1212"
TEACHER = "Karin Lind"
GROUP = "MA1A-VT24"
INPUTS = {
    "betygsgrupp": GROUP,
    "kurskod": "MATMAT01a",
    "kursslut": "2024-05-31",
    "antal_antagna": "20",
    "betygssattande_larare": TEACHER,
    "kontrollelev": STUDENT,
}
FIELDS: dict[str, dict[str, str]] = {
    "pp_ange_betyg": {"registreringsdatum": "2024-06-03"},
    "pp_katalog_kontroll": {"antal_lasta": "20"},
    "signera_katalog": {"signerad_av": TEACHER, "signerad_av_titel": "Lärare"},
}
ROUTES = list(itertools.product(["ja", "nej"], ["sok_larare", "sok_grupp"], ["ja", "nej"]))


def walk(
    world: World,
    case_id: str,
    answers: Mapping[str, str] | None = None,
    *,
    until: str | None = None,
    actor: str = "anna",
) -> list[str]:
    """Do every step as the administrator would, moving the clock a minute at a time through the waits."""
    visited: list[str] = []
    for _ in range(600):
        view = world.service.show(case_id, actor)
        if view.status == "done" or view.state == until:
            return visited
        if not visited or visited[-1] != view.state:  # a wait is visited once, however long it lasts
            visited.append(view.state)
        if view.actions:
            action = (answers or {}).get(view.state, view.actions[0].name)
            world.service.do(case_id, action, FIELDS.get(view.state, {}), actor)
        else:
            assert view.waiting is not None
            world.advance(1)
            world.service.sweep()
    raise AssertionError("the case did not finish")


def performed(world: World, case_id: str) -> list[str]:
    return [str(i.payload["action"]) for i in world.store.outbox_items(case_id) if i.kind == "perform"]


def assert_audit_ok(world: World, case_id: str) -> None:
    verified = world.service.verify("anna", case_id)
    assert verified.ok, verified.problems
    replayed = world.service.replay(case_id, "anna")
    assert replayed.ok, replayed.problems


def assert_refused_in_place(world: World, case_id: str, state: str, field: str, before: int) -> None:
    view = world.service.show(case_id, "anna")
    assert view.state == state
    assert field not in view.data
    assert len(world.store.outbox_items(case_id)) == before
    assert world.store.events(case_id)[-1].kind == "refused"


@pytest.mark.parametrize(("linked", "search", "preview"), ROUTES, ids=str)
def test_every_route_grades_locks_prints_signs_and_posts(world: World, linked: str, search: str, preview: str) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    visited = walk(world, case.id, {"larare_kopplad": linked, "pp_sokvag": search, "forhandsgranska": preview})
    final = world.service.show(case.id, "anna")
    assert (final.status, final.state) == ("done", "klart")
    assert ("ber_koppla_larare" in visited) == (linked == "nej")
    assert search.replace("sok_", "pp_sok_") in visited
    assert ("pp_forhandsgranska" in visited) == (preview == "ja")
    assert visited.index("pp_vanta_sokbar") < visited.index("pp_ange_betyg")
    assert (
        visited.index("pp_vanta_alla_lasta") < visited.index("pp_katalog_kontroll") < visited.index("signera_katalog")
    )
    expected = ["register_grade", "lock_group_grades", "post_catalog"]
    assert performed(world, case.id)[-3:] == expected
    assert ("link_grader" in performed(world, case.id)) == (linked == "nej")
    assert final.data["signerad_av"] == TEACHER
    assert_audit_ok(world, case.id)


def test_grades_show_in_ber_only_fifteen_minutes_after_they_are_locked(world: World) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="pp_bocka_larare")
    world.service.do(case.id, "pp_bocka_larare", {}, "anna")
    view = world.service.do(case.id, "pp_spara_las", {}, "anna")
    assert (view.state, view.status) == ("ber_vanta_betyg", "waiting")
    assert view.waiting is not None and view.waiting.system == "BER"
    for _ in range(14):
        world.advance(1)
        world.service.sweep()
        assert world.service.show(case.id, "anna").state == "ber_vanta_betyg"
    world.advance(2)
    report = world.service.sweep()
    assert case.id in report.advanced
    assert world.service.show(case.id, "anna").state == "pp_vanta_alla_lasta"
    walk(world, case.id)
    assert_audit_ok(world, case.id)


@pytest.mark.parametrize(
    ("registered", "message"),
    [
        ("2024-05-30", "Betygen registrerades 2024-05-30, före kursslutsdagen 2024-05-31."),
        ("2024-06-15", "Betygen registrerades 2024-06-15, 15 dagar efter kursslut 2024-05-31; senast 2024-06-14"),
    ],
    ids=["before_the_last_day", "fifteen_days_after"],
)
def test_grades_registered_outside_the_window_are_refused_and_the_case_stays(
    world: World, registered: str, message: str
) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="pp_ange_betyg")
    before = len(world.store.outbox_items(case.id))
    with pytest.raises(ActionRefused) as caught:
        world.service.do(case.id, "pp_ange_betyg", {"registreringsdatum": registered}, "anna")
    assert caught.value.message.startswith(message)
    assert caught.value.rule == "grading.window"
    assert "som tidigast på kursslutsdagen och som senast två veckor efter kursslut" in (caught.value.cite or "")
    assert_refused_in_place(world, case.id, "pp_ange_betyg", "registreringsdatum", before)
    walk(world, case.id)
    assert world.service.show(case.id, "anna").status == "done"
    assert_audit_ok(world, case.id)


@pytest.mark.parametrize("registered", ["2024-05-31", "2024-06-14"], ids=["the_last_day", "fourteen_days_after"])
def test_the_window_includes_the_last_day_and_two_weeks_after(world: World, registered: str) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="pp_ange_betyg")
    view = world.service.do(case.id, "pp_ange_betyg", {"registreringsdatum": registered}, "anna")
    assert view.state == "pp_las_betyg"


def test_a_catalog_with_18_of_20_grades_locked_is_refused_and_the_case_stays(world: World) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="pp_katalog_kontroll")
    before = len(world.store.outbox_items(case.id))
    with pytest.raises(ActionRefused) as caught:
        world.service.do(case.id, "pp_katalog_kontroll", {"antal_lasta": "18"}, "anna")
    assert caught.value.message == "Bara 18 av 20 betyg är registrerade och låsta."
    assert caught.value.rule == "catalog.all_grades_locked"
    assert_refused_in_place(world, case.id, "pp_katalog_kontroll", "antal_lasta", before)
    walk(world, case.id)
    assert world.service.show(case.id, "anna").status == "done"
    assert_audit_ok(world, case.id)


def test_the_catalog_waits_until_someone_sees_every_grade_locked_in_ping_pong(manual_world: World) -> None:
    world = manual_world  # the systems are answered by the person: "not yet" keeps the case waiting
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="pp_vanta_alla_lasta")
    view = world.service.do(case.id, "inte_annu", {}, "anna")
    assert view.state == "pp_vanta_alla_lasta"
    assert [a.name for a in view.actions] == ["pp_vanta_alla_lasta", "inte_annu"]
    view = world.service.do(case.id, "pp_vanta_alla_lasta", {}, "anna")
    assert view.state == "pp_katalog_kontroll"
    walk(world, case.id)
    assert world.service.show(case.id, "anna").status == "done"
    assert_audit_ok(world, case.id)


def test_a_catalog_signed_by_someone_other_than_the_deciding_teacher_is_refused(world: World) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="signera_katalog")
    before = len(world.store.outbox_items(case.id))
    with pytest.raises(ActionRefused) as caught:
        world.service.do(case.id, "signera_katalog", {"signerad_av": "Bo Ek", "signerad_av_titel": "Rektor"}, "anna")
    assert "Katalogen signeras av" in caught.value.message
    assert "Bo Ek" in caught.value.message and TEACHER in caught.value.message
    assert caught.value.rule == "catalog.signed_by_decider"
    assert_refused_in_place(world, case.id, "signera_katalog", "signerad_av", before)
    walk(world, case.id)
    assert world.service.show(case.id, "anna").status == "done"
    assert_audit_ok(world, case.id)


def test_a_step_by_someone_without_the_ping_pong_permission_is_refused(world: World) -> None:
    case = world.service.start(PROC, INPUTS, "anna")
    walk(world, case.id, until="pp_logga_in")
    before = world.service.show(case.id, "anna")
    with pytest.raises(ActionRefused, match="roll_utan_uppgift may not act at step 'pp_logga_in'") as caught:
        world.service.do(case.id, "pp_logga_in", {}, "roll_utan_uppgift")
    assert "Betygsadministratör" in caught.value.message
    after = world.service.show(case.id, "anna")
    assert (after.state, after.events) == ("pp_logga_in", before.events + 1)
    assert world.store.events(case.id)[-1].kind == "refused"
    walk(world, case.id, actor="bo")  # another administrator may carry on
    assert_audit_ok(world, case.id)


def test_starting_without_the_permission_is_refused(world: World) -> None:
    with pytest.raises(ActionRefused, match="erik may not start 'betygssattning-kursslut'"):
        world.service.start(PROC, INPUTS, "erik")
    assert world.service.list_cases("anna") == []


def test_a_group_without_admitted_students_is_refused_at_the_start(world: World) -> None:
    with pytest.raises(ActionRefused, match="inga elever med status ”Antagen”"):
        world.service.start(PROC, {**INPUTS, "antal_antagna": "0"}, "anna")
    assert world.service.list_cases("anna") == []


def test_every_quote_is_the_routines_own_words() -> None:
    seed = SHARED / "seeds" / "002_416cf54fac3dc786.txt"
    if not seed.exists():
        pytest.skip("the routines are not beside the repository")
    text = " ".join(line.strip().lstrip("•o ").strip() for line in seed.read_text(encoding="utf-8").splitlines())
    text = " ".join(text.split())
    path = PROCEDURES / f"{PROC}.yaml"
    procedure = load_procedure_text(path.read_text(encoding="utf-8"), str(path)).procedure
    for step in procedure.steps:
        assert step.source is not None and step.source.quote, step.id
        assert " ".join(step.source.quote.split()) in text, step.id


def test_the_new_procedures_validate_without_warnings() -> None:
    files = [
        Path("procedures") / f"{name}.yaml" for name in (PROC, "resultatrapportering-t33", "resultatrapportering-t34")
    ]
    done = subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", "procedures", "validate", *map(str, files)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower()
    assert "3 file(s) checked, 3 valid" in done.stdout
