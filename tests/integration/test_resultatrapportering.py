"""Result reporting in Ladok (BTH): T33 per test code and T34 for a whole course, every route end to end.

The sandbox answers Ladok's waits, the clock is moved, never slept. Each step is done by the person the
routine names: the one entering results, the examiner, Utbildningsstöd or Institutionsstöd; a step done by
anyone else is refused and leaves the case where it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from engine.access import User
from engine.errors import ActionRefused, InvalidInputs
from engine.loader import load_procedure_text
from tests.conftest import PROCEDURES, SHARED, World, make_world

T33 = "resultatrapportering-t33"
T34 = "resultatrapportering-t34"
EXAMINER_MAIL = "eva.examinator@bth.se"
T33_INPUTS = {"kurskod": "DV1553", "provkod": "2010", "examinator": "Eva Examinator", "examinator_epost": EXAMINER_MAIL}
T34_INPUTS = {"kurskod": "DV1553"}
FIELDS: dict[str, dict[str, str]] = {
    "ladok_resultatlista": {"listnr": "480123"},
    "ladok_hamta_studenter": {"urval": "tentamen"},
    "ladok_mata_in_betyg": {"betygsdatum": "2024-06-03", "skrivningspoang": "ja"},
    "examinator_godkanner": {"godkand_med_kod": "ja"},
    "examinator_skriver_under": {"underskriven_datum": "2024-06-20"},
    "ladok_skapa_lista": {"listnr": "480777"},
    "ladok_ta_bort": {"antal_borttagna": "2"},
    "ladok_fyll_i_betyg": {"betygsdatum": "2024-06-03", "ects": "ja"},
}
# Who acts at a step, when it is not the one who started the case.
ACTORS = {
    "examinator_godkanner": "eva",
    "examinator_skriver_under": "eva",
    "skriv_ut_arkivlista": "ulla",
    "definitiv_inlaggning": "ulla",
}
T34_ACTORS = {"definitiv_inlaggning": "ivar"}


@pytest.fixture
def ladok(tmp_path: Path) -> Iterator[World]:
    world = make_world(tmp_path)
    for user in (
        User("ida", (), ("Inmatare",), "Ida Inmatare"),
        User("eva", (), ("Inmatare", "Examinator"), "Eva Examinator"),
        User("ulla", (), ("Utbildningsstöd",), "Ulla Utbildningsstöd"),
        User("ivar", (), ("Institutionsstöd",), "Ivar Institutionsstöd"),
    ):
        world.service.save_user(user, "admin")
    yield world
    world.store.engine.dispose()


def walk(
    world: World,
    case_id: str,
    starter: str,
    answers: Mapping[str, str] | None = None,
    *,
    actors: Mapping[str, str] = ACTORS,
    until: str | None = None,
) -> list[str]:
    """Do every step as the person the routine names would, moving the clock a minute at a time."""
    visited: list[str] = []
    for _ in range(600):
        view = world.service.show(case_id, starter)
        if view.status == "done" or view.state == until:
            return visited
        if not visited or visited[-1] != view.state:  # a wait is visited once, however long it lasts
            visited.append(view.state)
        if view.actions:
            action = (answers or {}).get(view.state, view.actions[0].name)
            world.service.do(case_id, action, FIELDS.get(view.state, {}), actors.get(view.state, starter))
        else:
            assert view.waiting is not None and view.waiting.system == "Ladok"
            world.advance(1)
            world.service.sweep()
    raise AssertionError("the case did not finish")


def performed(world: World, case_id: str) -> list[str]:
    return [str(i.payload["action"]) for i in world.store.outbox_items(case_id) if i.kind == "perform"]


def mails(world: World, case_id: str) -> list[Mapping[str, object]]:
    return [i.payload for i in world.store.outbox_items(case_id) if i.kind == "mail"]


def assert_audit_ok(world: World, case_id: str) -> None:
    verified = world.service.verify("admin", case_id)
    assert verified.ok, verified.problems
    replayed = world.service.replay(case_id, "admin")
    assert replayed.ok, replayed.problems


def assert_stayed(world: World, case_id: str, state: str, events: int, outbox: int) -> None:
    view = world.service.show(case_id, "admin")
    assert view.state == state
    assert view.events == events + 1  # only the refusal is recorded
    assert world.store.events(case_id)[-1].kind == "refused"
    assert len(world.store.outbox_items(case_id)) == outbox


# -- T33: per test code -------------------------------------------------------------------------------


@pytest.mark.parametrize(("starter", "is_examiner"), [("eva", "ja"), ("ida", "nej")], ids=["examiner", "not_examiner"])
def test_t33_every_route_is_approved_entered_and_signed(ladok: World, starter: str, is_examiner: str) -> None:
    case = ladok.service.start(T33, T33_INPUTS, starter)
    visited = walk(ladok, case.id, starter, {"ar_examinator": is_examiner})
    final = ladok.service.show(case.id, "admin")
    assert (final.status, final.state) == ("done", "klart")
    assert ("spara_skicka" in visited) == (is_examiner == "nej")
    assert visited[-4:] == ["skriv_ut_arkivlista", "definitiv_inlaggning", "vanta_inlagd", "examinator_skriver_under"]
    sent = ["send_list"] if is_examiner == "nej" else []
    assert performed(ladok, case.id) == [*sent, "approve_list", "register_list"]
    assert [m["to"] for m in mails(ladok, case.id)] == [EXAMINER_MAIL, "utbildningsstod@bth.se"]
    assert all("480123" in str(m["subject"]) for m in mails(ladok, case.id))
    actors = {e.step: e.actor for e in ladok.store.events(case.id) if e.kind == "step_done"}
    assert actors["examinator_godkanner"] == actors["examinator_skriver_under"] == "eva"
    assert actors["definitiv_inlaggning"] == "ulla"
    assert actors["ladok_mata_in_betyg"] == starter
    assert final.data["betygsdatum"] == "2024-06-03"
    assert_audit_ok(ladok, case.id)


def test_t33_a_grade_date_not_written_as_a_date_is_refused(ladok: World) -> None:
    case = ladok.service.start(T33, T33_INPUTS, "ida")
    walk(ladok, case.id, "ida", until="ladok_mata_in_betyg")
    before = ladok.service.show(case.id, "ida").events
    with pytest.raises(InvalidInputs) as caught:
        ladok.service.do(case.id, "ladok_mata_in_betyg", {"betygsdatum": "03/06/2024"}, "ida")
    assert [p.name for p in caught.value.problems] == ["betygsdatum"]
    view = ladok.service.do(case.id, "ladok_mata_in_betyg", {"betygsdatum": "20240603"}, "ida")
    assert view.data["betygsdatum"] == "2024-06-03"  # stored as ÅÅÅÅ-MM-DD
    assert view.events == before + 1


def test_t33_students_of_a_term_need_the_term(ladok: World) -> None:
    case = ladok.service.start(T33, T33_INPUTS, "ida")
    walk(ladok, case.id, "ida", until="ladok_hamta_studenter")
    with pytest.raises(InvalidInputs, match=r"is required \(because urval = 'termin'\)"):
        ladok.service.do(case.id, "ladok_hamta_studenter", {"urval": "termin"}, "ida")
    view = ladok.service.do(case.id, "ladok_hamta_studenter", {"urval": "termin", "termin": "VT24"}, "ida")
    assert view.state == "ladok_mata_in_betyg"


def test_t33_the_list_waits_for_the_examiner_after_it_is_sent(ladok: World) -> None:
    case = ladok.service.start(T33, T33_INPUTS, "ida")
    walk(ladok, case.id, "ida", {"ar_examinator": "nej"}, until="examinator_godkanner")
    ladok.advance(60)
    ladok.service.sweep()
    assert ladok.service.show(case.id, "ida").state == "examinator_godkanner"
    events = ladok.service.show(case.id, "ida").events
    outbox = len(ladok.store.outbox_items(case.id))
    with pytest.raises(ActionRefused, match="ida may not act at step 'examinator_godkanner'") as caught:
        ladok.service.do(case.id, "examinator_godkanner", FIELDS["examinator_godkanner"], "ida")
    assert "'Examinator'" in caught.value.message
    assert_stayed(ladok, case.id, "examinator_godkanner", events, outbox)
    walk(ladok, case.id, "ida")
    assert_audit_ok(ladok, case.id)


def test_t33_approval_without_the_code_is_refused_and_the_case_stays(ladok: World) -> None:
    case = ladok.service.start(T33, T33_INPUTS, "eva")
    walk(ladok, case.id, "eva", {"ar_examinator": "ja"}, until="examinator_godkanner")
    events = ladok.service.show(case.id, "eva").events
    outbox = len(ladok.store.outbox_items(case.id))
    with pytest.raises(ActionRefused) as caught:
        ladok.service.do(case.id, "examinator_godkanner", {"godkand_med_kod": "nej"}, "eva")
    assert caught.value.message.startswith("Listan är inte godkänd: examinator godkänner den med koden")
    assert caught.value.cite is not None and "kod till Examinators mobiltelefon" in caught.value.cite
    assert_stayed(ladok, case.id, "examinator_godkanner", events, outbox)
    assert "approve_list" not in performed(ladok, case.id)
    walk(ladok, case.id, "eva")
    assert_audit_ok(ladok, case.id)


def test_t33_only_utbildningsstod_enters_the_list_for_good(ladok: World) -> None:
    case = ladok.service.start(T33, T33_INPUTS, "eva")
    walk(ladok, case.id, "eva", {"ar_examinator": "ja"}, until="skriv_ut_arkivlista")
    events = ladok.service.show(case.id, "eva").events
    outbox = len(ladok.store.outbox_items(case.id))
    with pytest.raises(ActionRefused, match=r"eva may not act at step 'skriv_ut_arkivlista'.*'Utbildningsstöd'"):
        ladok.service.do(case.id, "skriv_ut_arkivlista", {}, "eva")
    assert_stayed(ladok, case.id, "skriv_ut_arkivlista", events, outbox)
    walk(ladok, case.id, "eva")
    assert_audit_ok(ladok, case.id)


def test_t33_only_the_examiner_signs_the_archive_list(ladok: World) -> None:
    case = ladok.service.start(T33, T33_INPUTS, "ida")
    walk(ladok, case.id, "ida", {"ar_examinator": "nej"}, until="examinator_skriver_under")
    events = ladok.service.show(case.id, "ida").events
    outbox = len(ladok.store.outbox_items(case.id))
    with pytest.raises(ActionRefused, match="ulla may not act at step 'examinator_skriver_under'"):
        ladok.service.do(case.id, "examinator_skriver_under", FIELDS["examinator_skriver_under"], "ulla")
    assert_stayed(ladok, case.id, "examinator_skriver_under", events, outbox)
    walk(ladok, case.id, "ida")
    assert_audit_ok(ladok, case.id)


def test_t33_cannot_be_started_without_the_right_to_enter_results(ladok: World) -> None:
    with pytest.raises(ActionRefused, match="ulla may not start 'resultatrapportering-t33'"):
        ladok.service.start(T33, T33_INPUTS, "ulla")
    assert ladok.service.list_cases("admin") == []


# -- T34: whole course ----------------------------------------------------------------------------------


@pytest.mark.parametrize("remove", ["ja", "nej"], ids=["students_removed", "none_removed"])
def test_t34_every_route_is_entered_and_signed(ladok: World, remove: str) -> None:
    case = ladok.service.start(T34, T34_INPUTS, "eva")
    visited = walk(ladok, case.id, "eva", {"ta_bort_studenter": remove}, actors=T34_ACTORS)
    final = ladok.service.show(case.id, "admin")
    assert (final.status, final.state) == ("done", "klart")
    assert ("ladok_ta_bort" in visited) == (remove == "ja")
    assert visited[:3] == ["ladok_skapa_lista", "ladok_granska_lista", "ta_bort_studenter"]
    assert visited[-3:] == ["definitiv_inlaggning", "vanta_inlagd", "examinator_skriver_under"]
    assert performed(ladok, case.id) == ["approve_list", "register_list"]
    actors = {e.step: e.actor for e in ladok.store.events(case.id) if e.kind == "step_done"}
    assert actors["definitiv_inlaggning"] == "ivar"
    assert actors["examinator_skriver_under"] == actors["ladok_fyll_i_betyg"] == "eva"
    assert_audit_ok(ladok, case.id)


def test_t34_the_examiner_cannot_make_the_definitive_entry(ladok: World) -> None:
    case = ladok.service.start(T34, T34_INPUTS, "eva")
    walk(ladok, case.id, "eva", {"ta_bort_studenter": "nej"}, actors=T34_ACTORS, until="definitiv_inlaggning")
    events = ladok.service.show(case.id, "eva").events
    outbox = len(ladok.store.outbox_items(case.id))
    with pytest.raises(ActionRefused, match=r"eva may not act at step 'definitiv_inlaggning'.*'Institutionsstöd'"):
        ladok.service.do(case.id, "definitiv_inlaggning", {}, "eva")
    assert_stayed(ladok, case.id, "definitiv_inlaggning", events, outbox)
    walk(ladok, case.id, "eva", actors=T34_ACTORS)
    assert_audit_ok(ladok, case.id)


def test_t34_a_grade_date_not_written_as_a_date_is_refused(ladok: World) -> None:
    case = ladok.service.start(T34, T34_INPUTS, "eva")
    walk(ladok, case.id, "eva", {"ta_bort_studenter": "nej"}, actors=T34_ACTORS, until="ladok_fyll_i_betyg")
    with pytest.raises(InvalidInputs, match="betygsdatum"):
        ladok.service.do(case.id, "ladok_fyll_i_betyg", {"betygsdatum": "3 juni 2024"}, "eva")
    assert ladok.service.show(case.id, "eva").state == "ladok_fyll_i_betyg"


def test_t34_is_started_by_the_examiner_only(ladok: World) -> None:
    with pytest.raises(ActionRefused, match="ida may not start 'resultatrapportering-t34'"):
        ladok.service.start(T34, T34_INPUTS, "ida")
    assert ladok.service.list_cases("admin") == []


@pytest.mark.parametrize("procedure", [T33, T34])
def test_every_quote_is_the_routines_own_words(procedure: str) -> None:
    seed = SHARED / "seeds" / "003_31aceec6bcc7ac55.txt"
    if not seed.exists():
        pytest.skip("the routines are not beside the repository")
    text = " ".join(line.strip().lstrip("• ").strip() for line in seed.read_text(encoding="utf-8").splitlines())
    text = " ".join(text.split())
    path = PROCEDURES / f"{procedure}.yaml"
    loaded = load_procedure_text(path.read_text(encoding="utf-8"), str(path)).procedure
    for step in loaded.steps:
        assert step.source is not None and step.source.quote, step.id
        assert " ".join(step.source.quote.split()) in text, step.id
