"""The pure core: starting a case and moving it on, with `now` and the actor as inputs and effects as data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.case import Case
from engine.errors import ActionRefused, InvalidInputs
from engine.history import GENESIS, verify_chain
from engine.loader import load_procedure_text
from engine.machine import NOT_YET, SATISFIED, CompiledMachine
from engine.personnummer import luhn_check_digit
from engine.procedure import LoadedProcedure
from engine.step import Move, Outcome, PerformRequest, advance, mark_overdue, public_actions, start_case

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
STUDENT = "19121212-1212"
NONE: frozenset[str] = frozenset()  # no system is answered by a person
BER_BY_PERSON = frozenset({"BER"})

TEXT = """
id: liten-rutin
title: Liten rutin
access: {roles: [Handläggare]}
inputs:
  - {name: personnummer, type: personnummer, label: Elevens personnummer}
  - name: niva
    type: choice
    label: Nivå
    choices:
      - {value: hog, label: Hög nivå}
      - {value: lag, label: Låg nivå}
  - {name: antal, type: number, label: Antal}
  - {name: grupp, type: group, label: Grupp}
  - {name: bradskande, type: yes_no, label: Brådskande, required: false}
steps:
  - id: kontroll
    kind: check
    title: Antalet är positivt
    condition: "antal > 0"
    message: "Antalet {antal} för {grupp} är inte positivt"
    message_en: "The number {antal} for {grupp} is not positive"
    cite: "Antalet ska vara positivt"
    next: vagval
  - id: vagval
    kind: choice
    title: Vägval
    routes:
      - {when: "antal > 5", next: stor}
      - {when: "antal > 2", next: mellan}
    otherwise: liten
  - id: stor
    kind: task
    system: ED
    title: Stor
    instructions: Gör det stora
    next: meddela
  - id: mellan
    kind: task
    system: ED
    title: Mellan
    instructions: Bedöm
    fields:
      - {name: kommentar, type: text, label: Kommentar}
    actions:
      - {name: godkann, label: Godkänn, next: kontroll_kommentar}
      - {name: avsla, label: Avslå, next: meddela}
  - id: kontroll_kommentar
    kind: check
    title: Kommentaren duger
    condition: "kommentar != 'fel'"
    message: "Kommentaren '{kommentar}' duger inte för {grupp}"
    cite: "Kommentaren ska vara riktig"
    next: vanta
  - id: liten
    kind: task
    system: ED
    title: Liten
    instructions: Ta bort betyget
    performs:
      action: remove_grade
      args: {student: personnummer, group: grupp}
    next: vanta
  - id: vanta
    kind: wait
    system: BER
    title: Vänta på BER
    instructions: Kontrollera i BER
    until:
      query: grade_registered
      args: {student: personnummer, group: grupp}
      equals: false
    check_every: 2m
    expected: 15m
    overdue_after: 1h
    next: meddela
  - id: meddela
    kind: notify
    title: Meddela
    to: kansli@example.se
    subject: "Klart för {personnummer}"
    body: "Elev {personnummer} på {niva} i {grupp}, bradskande: {bradskande}, ärende {case_id}"
    next: klart
  - id: klart
    kind: end
    title: Klart
"""


def _inputs(antal: int, **more: object) -> dict[str, object]:
    return {"personnummer": STUDENT, "niva": "hog", "antal": antal, "grupp": "MA1A-HT24", **more}


@pytest.fixture(scope="module")
def loaded() -> LoadedProcedure:
    return load_procedure_text(TEXT)


@pytest.fixture(scope="module")
def machine(loaded: LoadedProcedure) -> CompiledMachine:
    return CompiledMachine(loaded.procedure)


def _start(
    loaded: LoadedProcedure, machine: CompiledMachine, antal: int, manual: frozenset[str] = NONE, **more: object
) -> Case:
    return start_case(loaded, machine, "C1", _inputs(antal, **more), "anna", T0, manual).case


def _do(
    loaded: LoadedProcedure,
    machine: CompiledMachine,
    case: Case,
    action: str,
    minutes: float = 1,
    manual: frozenset[str] = NONE,
    **fields: object,
) -> Outcome:
    move = Move(action, "anna", case.updated_at + timedelta(minutes=minutes), fields)
    return advance(loaded, machine, case, move, manual)


# -- starting ---------------------------------------------------------------------------------------------


def test_starting_runs_the_automatic_steps_until_a_person_is_needed(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    outcome = start_case(loaded, machine, "C1", _inputs(9), "anna", T0, NONE)
    assert outcome.case.state == "stor"
    assert outcome.case.status == "open"
    assert outcome.case.version == 1
    [event] = outcome.events
    assert event.kind == "case_started"
    assert event.prev_hash == GENESIS
    assert event.data["path"] == ["kontroll", "vagval"]
    assert event.data["inputs"] == {"personnummer": STUDENT, "niva": "hog", "antal": 9, "grupp": "MA1A-HT24"}
    assert outcome.case.head_hash == event.hash
    assert outcome.mails == [] and outcome.performs == []


@pytest.mark.parametrize(("antal", "state"), [(9, "stor"), (6, "stor"), (4, "mellan"), (3, "mellan")])
def test_a_choice_routes_by_the_first_condition_that_holds(
    loaded: LoadedProcedure, machine: CompiledMachine, antal: int, state: str
) -> None:
    assert _start(loaded, machine, antal).state == state


@pytest.mark.parametrize("antal", [1, 2])
def test_a_choice_takes_otherwise_when_no_route_holds(
    loaded: LoadedProcedure, machine: CompiledMachine, antal: int
) -> None:
    assert _start(loaded, machine, antal).state == "liten"


def test_a_failing_check_refuses_the_start_with_its_message_in_the_case_values(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    with pytest.raises(ActionRefused, match="inte positivt") as caught:
        start_case(loaded, machine, "C1", _inputs(0), "anna", T0, NONE)
    refused = caught.value
    assert refused.message == "Antalet 0 för MA1A-HT24 är inte positivt"
    assert refused.translations == {"en": "The number 0 for MA1A-HT24 is not positive"}
    assert refused.recorded is True
    assert refused.rule == "kontroll"
    assert refused.cite == "Antalet ska vara positivt"
    assert refused.state == "kontroll"


def test_missing_inputs_are_refused_together_before_anything_happens(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    with pytest.raises(InvalidInputs, match="required") as caught:
        start_case(loaded, machine, "C1", {"niva": "mitten"}, "anna", T0, NONE)
    assert {p.name for p in caught.value.problems} == {"personnummer", "niva", "antal", "grupp"}


def _born_2000() -> str:
    nine = "000101123"
    return f"20000101-123{luhn_check_digit(nine)}"


def test_a_personnummer_is_judged_against_the_moment_of_the_step_not_the_wall_clock(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    before_birth = datetime(1995, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputs, match="future") as caught:
        start_case(loaded, machine, "C1", _inputs(9, personnummer=_born_2000()), "anna", before_birth, NONE)
    assert [p.name for p in caught.value.problems] == ["personnummer"]


def test_a_child_born_today_in_sweden_is_accepted_just_after_swedish_midnight(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    born = f"20240604-123{luhn_check_digit('240604123')}"
    half_past_midnight_in_stockholm = datetime(2024, 6, 3, 22, 30, tzinfo=UTC)
    outcome = start_case(
        loaded, machine, "C1", _inputs(9, personnummer=born), "anna", half_past_midnight_in_stockholm, NONE
    )
    assert outcome.case.data["personnummer"] == born


# -- tasks ------------------------------------------------------------------------------------------------


def test_a_task_without_actions_has_one_button_named_after_its_step(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    case = _start(loaded, machine, 9)
    assert public_actions(loaded.procedure.step("stor"), NONE) == ["stor"]
    outcome = _do(loaded, machine, case, "stor")
    assert outcome.case.state == "klart"
    assert outcome.case.status == "done"
    [event] = outcome.events
    assert (event.kind, event.step, event.action) == ("step_done", "stor", "stor")
    assert event.data["path"] == ["meddela"]


def test_an_action_that_does_not_belong_to_the_step_is_refused_without_being_recorded(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    case = _start(loaded, machine, 9)
    with pytest.raises(ActionRefused, match="'stro' is not possible at step 'stor'") as caught:
        _do(loaded, machine, case, "stro")
    assert caught.value.recorded is False
    assert caught.value.state == "stor"
    assert caught.value.hint is not None and "stor" in caught.value.hint


def test_a_task_with_actions_records_its_fields(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    case = _start(loaded, machine, 4)
    assert public_actions(loaded.procedure.step("mellan"), NONE) == ["godkann", "avsla"]
    outcome = _do(loaded, machine, case, "avsla", kommentar="Fel grupp")
    assert outcome.case.data["kommentar"] == "Fel grupp"
    assert outcome.events[0].data["fields"] == {"kommentar": "Fel grupp"}
    assert outcome.case.status == "done"


def test_a_field_the_step_does_not_record_is_refused(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    case = _start(loaded, machine, 9)
    with pytest.raises(InvalidInputs, match="records no field 'kommentar'"):
        _do(loaded, machine, case, "stor", kommentar="x")
    with pytest.raises(InvalidInputs, match="unknown field 'komentar'") as caught:
        _do(loaded, machine, _start(loaded, machine, 4), "avsla", komentar="x")
    assert caught.value.problems[0].hint is not None and "kommentar" in caught.value.problems[0].hint


def test_a_check_after_a_task_refuses_the_task_with_the_rendered_message_and_records_it(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    case = _start(loaded, machine, 4)
    with pytest.raises(ActionRefused, match="duger inte") as caught:
        _do(loaded, machine, case, "godkann", kommentar="fel")
    assert caught.value.message == "Kommentaren 'fel' duger inte för MA1A-HT24"
    assert caught.value.recorded is True
    assert caught.value.rule == "kontroll_kommentar"
    assert caught.value.cite == "Kommentaren ska vara riktig"


def test_a_task_that_performs_an_action_asks_for_it_with_the_case_values(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    outcome = _do(loaded, machine, _start(loaded, machine, 1), "liten")
    assert outcome.performs == [
        PerformRequest("ED", "remove_grade", {"student": STUDENT, "group": "MA1A-HT24"}, "liten")
    ]


def test_the_same_move_on_the_same_case_gives_the_same_event(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    case = _start(loaded, machine, 4)
    first = _do(loaded, machine, case, "avsla", kommentar="x")
    again = _do(loaded, machine, case, "avsla", kommentar="x")
    assert first == again
    assert first.events[0].prev_hash == case.head_hash


# -- notifications --------------------------------------------------------------------------------------


def test_a_notification_masks_the_personnummer_and_shows_labels(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    case = _start(loaded, machine, 9, bradskande="ja")
    [mail] = _do(loaded, machine, case, "stor").mails
    assert mail.to == "kansli@example.se"
    assert mail.subject == "Klart för 19121212-****"
    assert mail.body == "Elev 19121212-**** på Hög nivå i MA1A-HT24, bradskande: ja, ärende C1"
    assert STUDENT not in mail.subject + mail.body
    assert mail.step == "meddela"


def test_a_notification_that_includes_the_personnummer_shows_it_in_full(machine: CompiledMachine) -> None:
    text = TEXT.replace("    to: kansli@example.se\n", "    to: kansli@example.se\n    include_personnummer: true\n")
    loaded = load_procedure_text(text)
    machine = CompiledMachine(loaded.procedure)
    [mail] = _do(loaded, machine, _start(loaded, machine, 9), "stor").mails
    assert mail.subject == f"Klart för {STUDENT}"


# -- waits ------------------------------------------------------------------------------------------------


def test_a_wait_on_a_system_is_first_checked_after_check_every(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    outcome = _do(loaded, machine, _start(loaded, machine, 1), "liten", minutes=5)
    at = T0 + timedelta(minutes=5)
    case = outcome.case
    assert (case.state, case.status) == ("vanta", "waiting")
    assert case.wait is not None
    assert case.wait.started_at == at
    assert case.wait.next_check_at == at + timedelta(minutes=2)
    assert case.wait.expected_by == at + timedelta(minutes=15)
    assert case.wait.overdue_at == at + timedelta(hours=1)
    assert case.wait.by_person is False
    assert public_actions(loaded.procedure.step("vanta"), NONE) == []


def test_a_wait_answered_by_a_person_is_first_looked_at_when_it_is_expected(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    start = _start(loaded, machine, 1, BER_BY_PERSON)
    case = _do(loaded, machine, start, "liten", minutes=5, manual=BER_BY_PERSON).case
    at = T0 + timedelta(minutes=5)
    assert case.wait is not None
    assert case.wait.next_check_at == at + timedelta(minutes=15)
    assert case.wait.by_person is True
    assert public_actions(loaded.procedure.step("vanta"), BER_BY_PERSON) == ["vanta", NOT_YET]


def test_not_yet_keeps_the_wait_and_looks_again_after_check_every(
    loaded: LoadedProcedure, machine: CompiledMachine
) -> None:
    start = _start(loaded, machine, 1, BER_BY_PERSON)
    waiting = _do(loaded, machine, start, "liten", manual=BER_BY_PERSON).case
    outcome = _do(loaded, machine, waiting, NOT_YET, minutes=20, manual=BER_BY_PERSON)
    later = waiting.updated_at + timedelta(minutes=20)
    assert outcome.case.state == "vanta"
    assert outcome.case.status == "waiting"
    assert outcome.case.wait is not None and waiting.wait is not None
    assert outcome.case.wait.next_check_at == later + timedelta(minutes=2)
    assert outcome.case.wait.started_at == waiting.wait.started_at
    assert outcome.case.wait.overdue_at == waiting.wait.overdue_at
    [event] = outcome.events
    assert (event.kind, event.action) == ("wait_not_yet", NOT_YET)
    assert outcome.case.version == waiting.version + 1


def test_a_person_confirms_a_wait_by_its_step_name(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    start = _start(loaded, machine, 1, BER_BY_PERSON)
    waiting = _do(loaded, machine, start, "liten", manual=BER_BY_PERSON).case
    outcome = _do(loaded, machine, waiting, "vanta", manual=BER_BY_PERSON)
    assert outcome.events[0].kind == "wait_confirmed"
    assert outcome.case.status == "done"
    assert outcome.case.wait is None


@pytest.mark.parametrize("action", ["vanta", NOT_YET, SATISFIED])
def test_a_wait_a_system_answers_cannot_be_confirmed_by_a_person(
    loaded: LoadedProcedure, machine: CompiledMachine, action: str
) -> None:
    waiting = _do(loaded, machine, _start(loaded, machine, 1), "liten").case
    with pytest.raises(ActionRefused, match="not possible at step 'vanta'") as caught:
        _do(loaded, machine, waiting, action)
    assert caught.value.recorded is False


def test_a_wait_ends_when_the_system_answers(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    waiting = _do(loaded, machine, _start(loaded, machine, 1), "liten").case
    move = Move(SATISFIED, "worker", waiting.updated_at + timedelta(minutes=16), source="sandbox:BER")
    outcome = advance(loaded, machine, waiting, move, NONE, internal=True)
    [event] = outcome.events
    assert event.kind == "wait_satisfied"
    assert event.data["source"] == "sandbox:BER"
    assert outcome.case.state == "klart"
    assert len(outcome.mails) == 1


def test_an_overdue_wait_is_marked_with_an_event(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    waiting = _do(loaded, machine, _start(loaded, machine, 1), "liten").case
    assert waiting.wait is not None
    outcome = mark_overdue(waiting, waiting.wait.overdue_at, "worker")
    assert outcome.case.wait is not None and outcome.case.wait.overdue_marked
    assert outcome.case.state == "vanta"
    assert outcome.events[0].kind == "wait_overdue"
    assert outcome.case.wait.due_at() == waiting.wait.next_check_at


# -- finished cases and the chain --------------------------------------------------------------------------


def test_advancing_a_finished_case_is_refused(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    done = _do(loaded, machine, _start(loaded, machine, 9), "stor").case
    with pytest.raises(ActionRefused, match="is finished") as caught:
        _do(loaded, machine, done, "stor")
    assert caught.value.state == "klart"
    assert caught.value.recorded is False


def test_the_events_of_a_run_form_an_intact_chain(loaded: LoadedProcedure, machine: CompiledMachine) -> None:
    started = start_case(loaded, machine, "C1", _inputs(4), "anna", T0, BER_BY_PERSON)
    events = list(started.events)
    case = started.case
    moves: list[tuple[str, dict[str, Any]]] = [("godkann", {"kommentar": "ok"}), (NOT_YET, {}), ("vanta", {})]
    for action, fields in moves:
        outcome = _do(loaded, machine, case, action, manual=BER_BY_PERSON, **fields)
        events += outcome.events
        case = outcome.case
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert verify_chain("C1", events, case.version, case.head_hash) == []
