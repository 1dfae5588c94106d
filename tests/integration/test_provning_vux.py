"""The prövning routine (Vux, Stockholm), every route and every rule refusal, end to end on the sandbox.

The clock is moved, never slept: a wait is skipped to its next check, then the worker's sweep asks the sandbox.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import ActionRefused
from engine.rules import get_rule
from tests.conftest import PROCEDURES, ROOT, SHARED, World, read_seed

PROC = "provning-vux"
FILE = PROCEDURES / "provning-vux.yaml"
STUDENT = "19121212-1212"
TEST_DATE = "2024-06-10"
GROUP = "PRÖ:KC24VTMAT03B"
ADMINKONTAKT = "adminkontakt@vuc.example.se"
SEEDS = SHARED / "seeds"

BASE = {
    "personnummer": STUDENT,
    "kurskod": "MATMAT03b",
    "provningsdatum": TEST_DATE,
    "provningsgrupp": GROUP,
    "betygsattande_larare": "Karin Lind",
}
NEW_GROUP = {"grupp_atgard": "skapa", "grupp_startdatum": "2024-01-08", "grupp_slutdatum": "2024-06-30"}
ENROLLED = {"inskriven": "ja"}
NEVER_ENROLLED = {"inskriven": "nej", "adminkontakt_epost": ADMINKONTAKT}
ROUTES = {
    "skapa_inskriven": {**BASE, **NEW_GROUP, **ENROLLED},
    "ateranvand_inskriven": {**BASE, "grupp_atgard": "ateranvand", **ENROLLED},
    "skapa_aldrig_inskriven": {**BASE, **NEW_GROUP, **NEVER_ENROLLED},
    "ateranvand_aldrig_inskriven": {**BASE, "grupp_atgard": "ateranvand", **NEVER_ENROLLED},
}
PLACEMENT = {"fran_och_med": TEST_DATE, "till_och_med": TEST_DATE, "status": "provning", "studieaktiv": "ja"}
GRADE = {"betyg": "c", "betygsdatum": TEST_DATE}
FIELDS = {"ber_kursdeltagare": PLACEMENT, "pingpong_betyg": GRADE}

CREATE = ["ber_grupphantering", "ber_skapa_grupp"]
REUSE = ["ber_grupp_finns"]
PLACE = ["ber_sok_elev", "ber_lagg_till_kurs", "ber_kursdeltagare"]
REQUEST = ["vuc_skicka", "vuc_svar"]
LINK = ["ber_koppla_larare", "pingpong_grupp_sokbar"]
GRADING = ["pingpong_betyg", "ber_betyg_syns", "pingpong_betygskatalog", "posta_original"]
EXPECTED = {
    "skapa_inskriven": CREATE + PLACE + LINK + ["pingpong_elev_syns"] + GRADING,
    "ateranvand_inskriven": REUSE + PLACE + LINK + ["pingpong_elev_syns"] + GRADING,
    "skapa_aldrig_inskriven": CREATE + REQUEST + LINK + GRADING,
    "ateranvand_aldrig_inskriven": REUSE + REQUEST + LINK + GRADING,
}


def words(text: str) -> str:
    """The text with every run of whitespace as one space (the seed breaks sentences over lines).

    Quotation marks around a whole cite (”...”) are not part of the sentence.
    """
    return re.sub(r"\s+", " ", text).strip().strip('”“"')


def seed(name: str) -> str:
    return words(read_seed(f"{name}_"))


def is_quoted_from(cite: str, text: str) -> bool:
    """Every part of the cite (parts left out are marked […]) stands in the text as written."""
    return all(words(part) in text for part in cite.split("[…]"))


def until_done(world: World, case_id: str, actor: str = "anna", *, stop_at: str | None = None) -> list[str]:
    """Do every step as a person would; at a wait, move the clock to its next check and run the worker."""
    visited: list[str] = []
    for _ in range(200):
        view = world.service.show(case_id, actor)
        if view.status == "done" or view.state == stop_at:
            return visited
        if not visited or visited[-1] != view.state:
            visited.append(view.state)
        if view.actions:
            world.service.do(case_id, view.actions[0].name, FIELDS.get(view.state, {}), actor)
        else:
            assert view.waiting is not None
            world.clock.set(max(world.clock.now(), view.waiting.next_check_at))
            world.service.sweep()
    raise AssertionError("the case did not finish")


def assert_audit_ok(world: World, case_id: str) -> None:
    assert world.service.verify("anna", case_id).ok
    replayed = world.service.replay(case_id, "anna")
    assert replayed.ok, replayed.problems


def assert_refused_in_place(world: World, case_id: str, step: str, action_fields: dict[str, str]) -> ActionRefused:
    before = world.service.show(case_id, "anna")
    outbox = len(world.store.outbox_items(case_id))
    with pytest.raises(ActionRefused) as caught:
        world.service.do(case_id, step, action_fields, "anna")
    after = world.service.show(case_id, "anna")
    assert after.state == step == before.state
    assert after.data == before.data, "a refused step saves none of its values"
    assert world.store.events(case_id)[-1].kind == "refused"
    assert len(world.store.outbox_items(case_id)) == outbox, "nothing is mailed or simulated"
    return caught.value


def assert_cites_routine(refused: ActionRefused, rule_id: str, routine: str = "001") -> None:
    """The refusal names the rule and cites, as written, the sentence of the routine it comes from."""
    found = get_rule(rule_id)
    assert found is not None
    assert refused.rule == rule_id
    assert refused.cite == found.cite
    assert refused.cite and is_quoted_from(refused.cite, seed(routine))
    assert refused.hint, "the person is told how to put it right"


# -- the file ----------------------------------------------------------------------------------------


def test_the_procedure_validates_without_errors_or_warnings() -> None:
    rutin = Path(sys.executable).parent / "rutin"
    done = subprocess.run(
        [str(rutin), "procedures", "validate", str(FILE)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr)
    assert "1 valid" in done.stdout


def test_every_step_cites_a_sentence_of_the_routine_as_written(world: World) -> None:
    procedure = world.service.current(PROC).procedure
    texts = {"001": seed("001"), "002": seed("002")}
    for step in procedure.steps:
        assert step.source is not None and step.source.quote, step.id
        document = "002" if step.source.document and "002_" in step.source.document else "001"
        assert words(step.source.quote) in texts[document], step.id
        cite = getattr(step, "cite", None)
        if cite is not None:
            assert is_quoted_from(cite, texts["001"]), step.id


# -- every route -------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", list(ROUTES))
def test_every_route_runs_to_the_end_and_the_history_verifies_and_replays(world: World, route: str) -> None:
    case = world.service.start(PROC, ROUTES[route], "anna")
    visited = until_done(world, case.id)
    final = world.service.show(case.id, "anna")
    assert final.status == "done"
    assert final.state == "klart"
    assert visited == EXPECTED[route]
    assert final.data["betygsdatum"] == TEST_DATE
    assert_audit_ok(world, case.id)


def test_the_never_enrolled_student_is_mailed_with_the_full_personnummer(world: World) -> None:
    case = world.service.start(PROC, ROUTES["skapa_aldrig_inskriven"], "anna")
    until_done(world, case.id, stop_at="vuc_skicka")
    assert [i for i in world.store.outbox_items(case.id) if i.kind == "mail"] == []
    world.service.do(case.id, "vuc_skicka", {}, "anna")
    mails = [i for i in world.store.outbox_items(case.id) if i.kind == "mail"]
    assert len(mails) == 1
    mail = mails[0].payload
    assert mail["to"] == ADMINKONTAKT
    assert GROUP in str(mail["subject"])
    body = str(mail["body"])
    assert f"Personnummer: {STUDENT}" in body, "Vuxenutbildningscentrum registers the student by personnummer"
    assert f"Prövningsgrupp: {GROUP}" in body
    assert f"Prövningsdatum: {TEST_DATE}" in body
    until_done(world, case.id)
    assert_audit_ok(world, case.id)


def test_the_enrolled_route_sends_no_mail(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ateranvand_inskriven"], "anna")
    until_done(world, case.id)
    assert [i for i in world.store.outbox_items(case.id) if i.kind == "mail"] == []


def test_the_answer_from_vuxenutbildningscentrum_is_awaited(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ateranvand_aldrig_inskriven"], "anna")
    until_done(world, case.id, stop_at="vuc_skicka")
    view = world.service.do(case.id, "vuc_skicka", {}, "anna")
    assert view.state == "vuc_svar"
    assert view.waiting is not None and view.waiting.system == "Vuxenutbildningscentrum"
    world.advance(3 * 60 + 59)  # the sandbox's adminkontakt answers after four hours
    world.service.sweep()
    assert world.service.show(case.id, "anna").state == "vuc_svar"
    world.advance(31)
    world.service.sweep()
    assert world.service.show(case.id, "anna").state == "ber_koppla_larare"


def test_the_group_is_searched_in_ping_pong_only_once_a_grader_is_linked(world: World) -> None:
    case = world.service.start(PROC, ROUTES["skapa_inskriven"], "anna")
    until_done(world, case.id, stop_at="ber_koppla_larare")
    view = world.service.do(case.id, "ber_koppla_larare", {}, "anna")
    assert view.state == "pingpong_grupp_sokbar"
    for _ in range(4):
        world.advance(2)
        world.service.sweep()
        assert world.service.show(case.id, "anna").state == "pingpong_grupp_sokbar"
    world.advance(4)  # BER reaches Ping Pong after ten minutes
    world.service.sweep()
    assert world.service.show(case.id, "anna").state == "pingpong_elev_syns"


def test_the_grade_reaches_ber_up_to_fifteen_minutes_after_ping_pong(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ateranvand_inskriven"], "anna")
    until_done(world, case.id, stop_at="pingpong_betyg")
    view = world.service.do(case.id, "pingpong_betyg", GRADE, "anna")
    assert view.state == "ber_betyg_syns"
    assert view.waiting is not None and view.waiting.system == "BER"
    assert (view.waiting.expected_by - view.waiting.since).total_seconds() == 15 * 60
    for _ in range(7):
        world.advance(2)
        world.service.sweep()
        assert world.service.show(case.id, "anna").state == "ber_betyg_syns"
    world.advance(2)
    world.service.sweep()
    assert world.service.show(case.id, "anna").state == "pingpong_betygskatalog"


def test_a_second_grading_teachers_group_with_a_digit_is_accepted(world: World) -> None:
    case = world.service.start(PROC, {**ROUTES["skapa_inskriven"], "provningsgrupp": f"{GROUP}2"}, "anna")
    assert case.state == "ber_grupphantering"
    until_done(world, case.id)
    assert world.service.show(case.id, "anna").status == "done"
    assert_audit_ok(world, case.id)


# -- refusals: each rule, with the routine's sentence, and nothing moved -----------------------------


@pytest.mark.parametrize(
    "name",
    [
        "KC24VTMAT03B",  # no PRÖ: prefix
        "PRÖ:KC24VTMAT02B",  # another course
        "PRÖ:KC24HTMAT03B",  # a June test date is in the spring term
        "PRÖ:KC23VTMAT03B",  # last year's group
    ],
)
@pytest.mark.parametrize("group_choice", ["skapa", "ateranvand"])
def test_a_wrong_group_name_refuses_the_start(world: World, name: str, group_choice: str) -> None:
    inputs = {
        **ROUTES["skapa_inskriven" if group_choice == "skapa" else "ateranvand_inskriven"],
        "provningsgrupp": name,
    }
    with pytest.raises(ActionRefused) as caught:
        world.service.start(PROC, inputs, "anna")
    assert_cites_routine(caught.value, "provning.group_name")
    assert world.service.list_cases("anna") == []
    refusal = world.store.events("system")[-1]
    assert refusal.kind == "start_refused"
    assert refusal.data["rule"] == "provning.group_name"


def test_a_spring_group_ending_after_30_june_refuses_the_start(world: World) -> None:
    inputs = {**ROUTES["skapa_inskriven"], "grupp_slutdatum": "2024-07-02"}
    with pytest.raises(ActionRefused) as caught:
        world.service.start(PROC, inputs, "anna")
    assert_cites_routine(caught.value, "provning.end_date_in_term")
    assert world.service.list_cases("anna") == []
    assert world.store.events("system")[-1].data["rule"] == "provning.end_date_in_term"


def test_a_group_whose_start_is_in_another_term_than_its_name_refuses_the_start(world: World) -> None:
    inputs = {**ROUTES["skapa_inskriven"], "grupp_startdatum": "2023-08-21", "grupp_slutdatum": "2023-12-22"}
    with pytest.raises(ActionRefused) as caught:
        world.service.start(PROC, inputs, "anna")
    assert_cites_routine(caught.value, "provning.group_name")
    assert world.service.list_cases("anna") == []


def test_an_autumn_group_may_end_on_31_december(world: World) -> None:
    inputs = {
        **ROUTES["skapa_inskriven"],
        "provningsdatum": "2024-11-15",
        "provningsgrupp": "PRÖ:KC24HTMAT03B",
        "grupp_startdatum": "2024-08-19",
        "grupp_slutdatum": "2024-12-31",
    }
    case = world.service.start(PROC, inputs, "anna")
    assert case.state == "ber_grupphantering"


def test_from_and_to_that_differ_are_refused_and_the_student_stays_unplaced(world: World) -> None:
    case = world.service.start(PROC, ROUTES["skapa_inskriven"], "anna")
    until_done(world, case.id, stop_at="ber_kursdeltagare")
    refused = assert_refused_in_place(world, case.id, "ber_kursdeltagare", {**PLACEMENT, "till_och_med": "2024-06-11"})
    assert_cites_routine(refused, "provning.same_dates", routine="004")  # Järfälla's words for the same rule
    world.advance(30)
    world.service.sweep()
    assert world.service.show(case.id, "anna").state == "ber_kursdeltagare"
    until_done(world, case.id)
    assert_audit_ok(world, case.id)


def test_from_and_to_on_another_day_than_the_test_date_are_refused(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ateranvand_inskriven"], "anna")
    until_done(world, case.id, stop_at="ber_kursdeltagare")
    other_day = {**PLACEMENT, "fran_och_med": "2024-06-11", "till_och_med": "2024-06-11"}
    refused = assert_refused_in_place(world, case.id, "ber_kursdeltagare", other_day)
    assert refused.rule == "kontroll_provningsdatum"
    assert refused.cite is not None and is_quoted_from(refused.cite, seed("001"))
    assert "prövningsdatum" in refused.message
    until_done(world, case.id)
    assert_audit_ok(world, case.id)


@pytest.mark.parametrize(
    ("change", "check"),
    [({"status": "antagen"}, "kontroll_status"), ({"studieaktiv": "nej"}, "kontroll_studieaktiv")],
)
def test_a_placement_without_status_provning_and_studieaktiv_ja_is_refused(
    world: World, change: dict[str, str], check: str
) -> None:
    case = world.service.start(PROC, ROUTES["skapa_inskriven"], "anna")
    until_done(world, case.id, stop_at="ber_kursdeltagare")
    refused = assert_refused_in_place(world, case.id, "ber_kursdeltagare", {**PLACEMENT, **change})
    assert refused.rule == check
    assert refused.cite is not None and is_quoted_from(refused.cite, seed("001"))


@pytest.mark.parametrize("route", ["skapa_inskriven", "ateranvand_aldrig_inskriven"])
def test_a_grade_date_other_than_the_test_date_is_refused_and_no_grade_is_registered(world: World, route: str) -> None:
    case = world.service.start(PROC, ROUTES[route], "anna")
    until_done(world, case.id, stop_at="pingpong_betyg")
    refused = assert_refused_in_place(world, case.id, "pingpong_betyg", {**GRADE, "betygsdatum": "2024-06-12"})
    assert_cites_routine(refused, "grading.grade_date_is_test_date")
    assert "fel i rapporter till andra myndigheter" in (refused.hint or "")
    actions = [i.payload.get("action") for i in world.store.outbox_items(case.id) if i.kind == "perform"]
    assert "register_grade" not in actions
    until_done(world, case.id)
    final = world.service.show(case.id, "anna")
    assert final.status == "done"
    assert final.data["betygsdatum"] == TEST_DATE
    assert_audit_ok(world, case.id)
