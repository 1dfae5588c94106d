"""The compiled machine: which trigger leads where from which step, decided by transitions and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import transitions.core

from engine.loader import load_procedure_text
from engine.machine import CHECK, NOT_YET, PASS, ROUTE, SATISFIED, CompiledMachine, MachineCache

PROCEDURES = Path(__file__).resolve().parents[2] / "procedures"

TEXT = """
id: maskin
title: Maskin
access: {roles: [Handläggare]}
inputs:
  - {name: antal, type: number, label: Antal}
  - {name: grupp, type: group, label: Grupp}
steps:
  - id: kontroll
    kind: check
    title: Antalet är positivt
    condition: "antal > 0"
    message: "Antalet {antal} är inte positivt"
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
    next: fraga
  - id: mellan
    kind: task
    system: ED
    title: Mellan
    instructions: Välj
    actions:
      - {name: godkann, label: Godkänn, next: vanta}
      - {name: avsla, label: Avslå, next: meddela}
  - id: liten
    kind: task
    system: ED
    title: Liten
    instructions: Gör det lilla
    next: vanta
  - id: vanta
    kind: wait
    system: BER
    title: Vänta på BER
    instructions: Kontrollera i BER
    until:
      query: grade_registered
      args: {student: grupp, group: grupp}
    check_every: 2m
    expected: 15m
    overdue_after: 1h
    next: meddela
  - id: fraga
    kind: choice
    title: Fråga
    question: Samma år?
    options:
      - {name: ja, label: Ja, next: meddela}
      - {name: nej, label: Nej, next: klart}
  - id: meddela
    kind: notify
    title: Meddela
    to: kansli@example.se
    subject: "Klart"
    body: "Klart för {grupp}"
    next: klart
  - id: klart
    kind: end
    title: Klart
"""


@pytest.fixture(scope="module")
def machine() -> CompiledMachine:
    return CompiledMachine(load_procedure_text(TEXT).procedure)


def test_a_task_without_actions_has_one_button_named_after_its_step(machine: CompiledMachine) -> None:
    assert machine.triggers("stor") == ["stor"]
    assert machine.fire("stor", "stor", {}) == "fraga"


def test_a_task_with_actions_has_their_names_as_buttons_and_not_its_own(machine: CompiledMachine) -> None:
    assert sorted(machine.triggers("mellan")) == ["avsla", "godkann"]
    assert machine.fire("mellan", "godkann", {}) == "vanta"
    assert machine.fire("mellan", "avsla", {}) == "meddela"
    assert machine.fire("mellan", "mellan", {}) is None


@pytest.mark.parametrize(
    ("antal", "target"),
    [(9, "stor"), (6, "stor"), (5, "mellan"), (3, "mellan")],
)
def test_a_choice_takes_the_first_route_whose_condition_holds(
    machine: CompiledMachine, antal: int, target: str
) -> None:
    # 9 satisfies both `antal > 5` and `antal > 2`: the first route listed wins.
    assert machine.fire("vagval", ROUTE, {"antal": antal}) == target


@pytest.mark.parametrize("data", [{"antal": 2}, {"antal": 0}, {}], ids=["two", "zero", "missing"])
def test_a_choice_takes_otherwise_when_no_route_holds(machine: CompiledMachine, data: dict[str, int]) -> None:
    assert machine.fire("vagval", ROUTE, data) == "liten"


def test_a_choice_without_otherwise_and_no_route_holding_goes_nowhere() -> None:
    text = TEXT.replace("    otherwise: liten\n", "").replace(
        '      - {when: "antal > 2", next: mellan}\n',
        '      - {when: "antal > 2", next: mellan}\n      - {when: "antal <= 2", next: liten}\n',
    )
    machine = CompiledMachine(load_procedure_text(text).procedure)
    assert machine.fire("vagval", ROUTE, {"antal": 1}) == "liten"
    assert machine.fire("vagval", ROUTE, {}) is None


def test_a_check_passes_only_when_its_condition_holds(machine: CompiledMachine) -> None:
    assert machine.fire("kontroll", CHECK, {"antal": 1}) == "vagval"
    assert machine.fire("kontroll", CHECK, {"antal": 0}) is None
    assert machine.fire("kontroll", CHECK, {}) is None


def test_a_wait_ends_when_the_system_answers_or_the_person_confirms(machine: CompiledMachine) -> None:
    assert machine.fire("vanta", SATISFIED, {}) == "meddela"
    assert machine.fire("vanta", "vanta", {}) == "meddela"


def test_not_yet_keeps_a_wait_where_it_is(machine: CompiledMachine) -> None:
    assert machine.fire("vanta", NOT_YET, {}) == "vanta"


def test_a_question_choice_follows_the_option_chosen(machine: CompiledMachine) -> None:
    assert machine.fire("fraga", "ja", {}) == "meddela"
    assert machine.fire("fraga", "nej", {}) == "klart"
    assert machine.fire("fraga", ROUTE, {}) is None


def test_a_notification_passes_on(machine: CompiledMachine) -> None:
    assert machine.fire("meddela", PASS, {}) == "klart"


@pytest.mark.parametrize(
    ("state", "trigger"),
    [("stor", "godkann"), ("klart", "klart"), ("kontroll", ROUTE), ("stor", "finns_inte"), ("vanta", PASS)],
)
def test_a_trigger_that_does_not_belong_to_the_step_goes_nowhere(
    machine: CompiledMachine, state: str, trigger: str
) -> None:
    assert machine.fire(state, trigger, {"antal": 9}) is None


def test_an_end_step_has_no_buttons(machine: CompiledMachine) -> None:
    assert machine.triggers("klart") == []


def test_the_machine_cache_gives_the_same_machine_per_version_and_forgets_the_oldest() -> None:
    procedure = load_procedure_text(TEXT).procedure
    cache = MachineCache(size=2)
    first = cache.get("a", procedure)
    assert cache.get("a", procedure) is first
    cache.get("b", procedure)
    cache.get("a", procedure)  # "a" is now the most recently used
    cache.get("c", procedure)  # so "b" is forgotten, not "a"
    assert cache.get("a", procedure) is first
    second_b = cache.get("b", procedure)
    assert second_b is not first


@pytest.fixture
def fired(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The triggers transitions itself fires from now on."""
    seen: list[str] = []
    trigger = transitions.core.Event.trigger

    def counting(event: transitions.core.Event, model: object, *args: object, **kwargs: object) -> bool:
        seen.append(event.name)
        return trigger(event, model, *args, **kwargs)

    monkeypatch.setattr(transitions.core.Event, "trigger", counting)
    return seen


def test_a_move_without_a_condition_is_decided_by_transitions_once(fired: list[str]) -> None:
    machine = CompiledMachine(load_procedure_text(TEXT).procedure)
    assert [machine.fire("mellan", "godkann", {"antal": n}) for n in range(4)] == ["vanta"] * 4
    assert [machine.fire("vanta", NOT_YET, {}) for _ in range(3)] == ["vanta"] * 3
    assert fired == ["godkann", NOT_YET]


def test_a_move_whose_answer_depends_on_the_case_is_decided_by_transitions_every_time(fired: list[str]) -> None:
    machine = CompiledMachine(load_procedure_text(TEXT).procedure)
    answers = [machine.fire("vagval", ROUTE, {"antal": n}) for n in (9, 3, 1, 9)]
    assert answers == ["stor", "mellan", "liten", "stor"]
    assert [machine.fire("kontroll", CHECK, {"antal": n}) for n in (1, 0)] == ["vagval", None]
    assert fired == [ROUTE] * 4 + [CHECK] * 2


def test_a_trigger_not_possible_is_never_remembered_as_possible(fired: list[str]) -> None:
    machine = CompiledMachine(load_procedure_text(TEXT).procedure)
    assert [machine.fire("stor", "godkann", {}) for _ in range(2)] == [None, None]
    assert fired == []


@pytest.mark.parametrize("path", sorted(PROCEDURES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_remembered_answer_of_a_shipped_procedure_is_the_machines_own(path: Path) -> None:
    procedure = load_procedure_text(path.read_text(encoding="utf-8"), str(path)).procedure
    remembering = CompiledMachine(procedure)
    moves = {(state, name) for name, event in remembering._machine.events.items() for state in event.transitions}
    assert moves, "a procedure has moves"
    for data in ({}, {"antal": 1}):
        fresh = CompiledMachine(procedure)  # each move's first answer here comes from transitions
        for state, trigger in sorted(moves):
            first = remembering.fire(state, trigger, data)
            again = remembering.fire(state, trigger, data)
            assert first == again == fresh.fire(state, trigger, data), (state, trigger)
