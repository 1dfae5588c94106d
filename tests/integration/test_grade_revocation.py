"""The grade-revocation routine, every route, end to end on the sandbox with a moved clock (never sleeping)."""

from __future__ import annotations

import pytest

from engine.errors import ActionRefused, InvalidInputs
from tests.conftest import World

PROC = "avregistrering-betyg"
STUDENT = "19121212-1212"
BASE = {"personnummer": STUDENT, "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"}
ROUTES = {
    "ej_last": {**BASE, "orsak": "ej_last"},
    "fel_betygsgrupp": {**BASE, "orsak": "fel_betygsgrupp", "ny_betygsgrupp": "MA1B-HT24"},
    "fel_kurs": {**BASE, "orsak": "fel_kurs", "ny_betygsgrupp": "MA2A-HT24", "ny_kurskod": "MATMAT02a"},
}
FIELDS = {
    "ed_beslutad_av": {"beslutande_larare": "Karin Lind"},
    "ed_registrera": {"betyg": "c"},
    "ber_avbrott": {"status": "ej_borjat"},
}


def walk(world: World, case_id: str, *, same_year: bool = True, actor: str = "anna") -> list[str]:
    """Do every step as a person would, moving the clock a minute at a time through the waits."""
    visited: list[str] = []
    for _ in range(400):
        view = world.service.show(case_id, actor)
        if view.status == "done":
            return visited
        visited.append(view.state)
        if view.actions:
            names = [a.name for a in view.actions]
            action = ("ja" if same_year else "nej") if "ja" in names else names[0]
            world.service.do(case_id, action, FIELDS.get(view.state, {}), actor)
        else:
            assert view.waiting is not None
            world.advance(1)
            world.service.sweep()
    raise AssertionError("the case did not finish")


@pytest.mark.parametrize("reason", list(ROUTES))
def test_every_reason_runs_to_the_end_and_tells_vuxenutbildningscentrum(world: World, reason: str) -> None:
    case = world.service.start(PROC, ROUTES[reason], "anna")
    visited = walk(world, case.id)
    final = world.service.show(case.id, "anna")
    assert final.status == "done"
    assert final.state == "klart"
    mails = [i for i in world.store.outbox_items(case.id) if i.kind == "mail"]
    assert len(mails) == 1
    assert mails[0].payload["to"] == "support.systemadmin.amf@edu.stockholm.se"
    expected = {
        "ej_last": "helt borttaget",
        "fel_betygsgrupp": "från grupp till grupp",
        "fel_kurs": "från kurs till kurs",
    }
    assert expected[reason] in str(mails[0].payload["subject"])
    assert STUDENT not in str(mails[0].payload["body"]), "the full personnummer must not be mailed"
    assert "19121212-****" in str(mails[0].payload["body"])
    assert visited[:6] == [
        "ed_sok_elev",
        "ed_las_upp",
        "ed_beslutad_av",
        "ed_spara",
        "ed_bekrafta",
        "ber_vanta_borttaget",
    ]
    if reason == "ej_last":
        assert "ber_avbrott" in visited and "ed_katalog_felaktig" in visited
        assert "ed_vanta_ny" not in visited
    else:
        assert {"ed_vanta_borta", "ed_vanta_ny", "ed_registrera", "ber_vanta_ny", "ed_katalog_bada"} <= set(visited)
        assert ("ber_byt_kurs" if reason == "fel_kurs" else "ber_byt_grupp") in visited


def test_catalogs_from_another_year_are_not_posted(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    visited = walk(world, case.id, same_year=False)
    assert "posta_kataloger" not in visited
    assert world.service.show(case.id, "anna").status == "done"


def test_the_grade_stays_in_ber_for_fifteen_minutes_after_removal_in_ed(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    for _ in range(4):
        state = world.service.show(case.id, "anna").state
        world.service.do(case.id, state, FIELDS.get(state, {}), "anna")
    view = world.service.do(case.id, "ed_bekrafta", {}, "anna")  # the grade is removed in ED now
    assert view.state == "ber_vanta_borttaget"
    assert view.status == "waiting"
    assert view.waiting is not None and view.waiting.system == "BER"
    assert (view.waiting.expected_by - view.waiting.since).total_seconds() == 15 * 60
    for _ in range(14):
        world.advance(1)
        world.service.sweep()
        assert world.service.show(case.id, "anna").state == "ber_vanta_borttaget"
    world.advance(2)  # checks run every 2 minutes: the one at 16 minutes finds the grade gone
    report = world.service.sweep()
    assert case.id in report.advanced
    assert world.service.show(case.id, "anna").state == "ber_avbrott"


def test_missing_required_inputs_are_all_reported_and_nothing_is_saved(world: World) -> None:
    with pytest.raises(InvalidInputs) as caught:
        world.service.start(PROC, {"personnummer": "19121212-1213", "orsak": "fel_kurs"}, "anna")
    names = {p.name for p in caught.value.problems}
    assert {"personnummer", "kurskod", "betygsgrupp", "ny_betygsgrupp", "ny_kurskod"} <= names
    assert world.store.list_cases.__self__ is world.store  # the store is the real one
    assert world.service.list_cases("anna") == []


def test_moving_to_the_same_group_is_refused_with_the_routines_words(world: World) -> None:
    with pytest.raises(ActionRefused, match="samma som den felaktiga") as caught:
        world.service.start(PROC, {**ROUTES["fel_betygsgrupp"], "ny_betygsgrupp": "MA1A-HT24"}, "anna")
    assert caught.value.cite == "Betyg är registrerat på fel betygsgrupp"
    assert world.service.list_cases("anna") == []
    system = world.store.events("system")
    assert system[-1].kind == "start_refused"


def test_a_field_with_a_bad_value_is_refused_and_the_case_stays(world: World) -> None:
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    world.service.do(case.id, "ed_sok_elev", {}, "anna")
    world.service.do(case.id, "ed_las_upp", {}, "anna")
    with pytest.raises(InvalidInputs, match="required"):
        world.service.do(case.id, "ed_beslutad_av", {}, "anna")
    after = world.service.show(case.id, "anna")
    assert after.state == "ed_beslutad_av"
    assert after.events == 3
