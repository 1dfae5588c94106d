"""One contract for every SystemAdapter, then the sandbox's own behaviour, named after the routine it simulates.

The contract (engine.ports.SystemAdapter): every catalogue query gets an answer, True/False from an adapter
that answers by itself or None from one where a person answers (`answers_by_person`); every catalogue action
(and the premise 'fact') is accepted; delivering the same outbox item twice changes nothing anyone can see.
An unknown query is a programming error on the engine's side (procedures are checked against the catalogue
at load), so an adapter that answers by itself refuses it with AdapterError(retryable=False): asking again
cannot help. The manual adapter returns None for it like for any other question: it does not interpret
queries, the person reads the wait's instructions and answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from adapters.manual import ManualAdapter
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import ensure_schema, open_engine
from engine.catalogue import ACTIONS, QUERIES
from engine.errors import AdapterError
from engine.ports import OutboxItem, SystemAdapter
from engine.values import JsonValue

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
SYSTEMS = ("BER", "ED")
STUDENT = "19121212-1212"
OLD, NEW = "MA1A-HT24", "MA1B-HT24"
# Values for the catalogue's parameters, so that actions and queries talk about the same things; a parameter
# added to the catalogue later gets a value of its own.
VALUES: dict[str, JsonValue] = {
    "student": STUDENT,
    "group": OLD,
    "from_group": OLD,
    "to_group": NEW,
    "status": "avbrott",
    "teacher": "Karin Lind",
    "list": "L-4711",
    "subject": "19121212-1212",
}
SUBJECTS: list[dict[str, JsonValue]] = [{"student": STUDENT, "group": OLD}, {"student": STUDENT, "group": NEW}]
MOMENTS = [T0, T0 + timedelta(minutes=10), T0 + timedelta(minutes=15), T0 + timedelta(hours=5)]  # every delay passed


def _item(
    key: str, system: str, action: str, args: dict[str, JsonValue], at: datetime = T0, **extra: JsonValue
) -> OutboxItem:
    payload: dict[str, Any] = {"system": system, "action": action, "args": args, **extra}
    return OutboxItem(None, "C1", 1, "perform", payload, at, key)


def _args(params: tuple[str, ...], **given: JsonValue) -> dict[str, JsonValue]:
    return {p: given.get(p, VALUES.get(p, f"{p}-1")) for p in params}


def _catalogue_items() -> list[OutboxItem]:
    """Every catalogue action on the shared subjects, plus a premise fact, each under its own key."""
    items = [
        _item(f"C1.1.p{i}.{system}.{spec.name}", system, spec.name, _args(spec.params))
        for i, spec in enumerate(ACTIONS.values())
        for system in SYSTEMS
    ]
    items.append(_item("C1.premise.0", "ED", "fact", dict(SUBJECTS[0]), query="grade_registered", value=True))
    return items


def _snapshot(adapter: SystemAdapter) -> dict[tuple[str, str, str, datetime], bool | None]:
    """Every answer anyone could see: each query (on both groups), system and moment of interest."""
    answers: dict[tuple[str, str, str, datetime], bool | None] = {}
    for query, spec in QUERIES.items():
        for group in (OLD, NEW):
            args = _args(spec.params, group=group)
            for system in SYSTEMS:
                for at in MOMENTS:
                    answers[(system, query, group, at)] = adapter.ask(system, query, args, at)
    return answers


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxAdapter]:
    engine = open_engine(f"sqlite:///{tmp_path / 'sandbox.db'}")
    ensure_schema(engine)
    yield SandboxAdapter(engine)
    engine.dispose()


@pytest.fixture(params=["sandbox", "manual"])
def adapter(request: pytest.FixtureRequest) -> SystemAdapter:
    if request.param == "sandbox":
        adapter: SystemAdapter = request.getfixturevalue("sandbox")
        return adapter
    return ManualAdapter()


# -- the contract, for every adapter ------------------------------------------------------------------------


def test_an_adapter_names_itself_and_says_whether_a_person_answers(adapter: SystemAdapter) -> None:
    assert isinstance(adapter.name, str) and adapter.name
    assert isinstance(adapter.answers_by_person, bool)


@pytest.mark.parametrize("query", list(QUERIES))
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_catalogue_query_is_answered(adapter: SystemAdapter, query: str, system: str) -> None:
    answer = adapter.ask(system, query, _args(QUERIES[query].params), T0)
    if adapter.answers_by_person:
        assert answer is None, "a person answers: the adapter must leave the question to them"
    else:
        assert isinstance(answer, bool)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_catalogue_action_is_accepted(adapter: SystemAdapter, action: str, system: str) -> None:
    adapter.perform(_item("C1.2.p0.steg", system, action, _args(ACTIONS[action].params)))


def test_a_premise_fact_is_accepted(adapter: SystemAdapter) -> None:
    adapter.perform(_item("C1.premise.0", "BER", "fact", dict(SUBJECTS[0]), query="in_group", value=True))


def test_delivering_the_same_item_again_changes_nothing_visible(adapter: SystemAdapter) -> None:
    items = _catalogue_items()
    for item in items:
        adapter.perform(item)
    before = _snapshot(adapter)
    # Each item alone again: a second write of an early item (say remove_grade after register_grade at the
    # same moment) would flip the newest fact back, so this catches any non-idempotent delivery.
    for item in items:
        adapter.perform(item)
        assert _snapshot(adapter) == before, item.key


def test_an_unknown_query_is_refused_for_good_or_left_to_the_person(adapter: SystemAdapter) -> None:
    if adapter.answers_by_person:
        assert adapter.ask("BER", "grade_vanished", {"student": STUDENT}, T0) is None
        return
    with pytest.raises(AdapterError, match="grade_vanished") as caught:
        adapter.ask("BER", "grade_vanished", {"student": STUDENT}, T0)
    assert caught.value.retryable is False


def test_an_unknown_action_is_refused_for_good_or_left_to_the_person(adapter: SystemAdapter) -> None:
    item = _item("C1.2.p0.steg", "ED", "delete_student", {"student": STUDENT})
    if adapter.answers_by_person:
        adapter.perform(item)  # the person does whatever the instructions say; nothing to refuse
        return
    with pytest.raises(AdapterError, match="delete_student") as caught:
        adapter.perform(item)
    assert caught.value.retryable is False


# -- the sandbox, as the routine describes BER and ED ---------------------------------------------------------


def _premise(sandbox: SandboxAdapter, at: datetime = T0) -> None:
    """A student with a locked grade on OLD in both systems, enrolled in OLD in both."""
    facts = [
        ("ED", "grade_registered"),
        ("ED", "grade_locked"),
        ("ED", "in_group"),
        ("BER", "grade_registered"),
        ("BER", "in_group"),
    ]
    for i, (system, query) in enumerate(facts):
        sandbox.perform(_item(f"C1.premise.{i}", system, "fact", dict(SUBJECTS[0]), at, query=query, value=True))


def test_a_fact_never_written_is_false(sandbox: SandboxAdapter) -> None:
    for system in SYSTEMS:
        for query in QUERIES:
            assert sandbox.ask(system, query, SUBJECTS[0], T0) is False


def test_premise_facts_hold_at_once_and_not_before(sandbox: SandboxAdapter) -> None:
    _premise(sandbox)
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[0], T0) is True
    assert sandbox.ask("ED", "grade_locked", SUBJECTS[0], T0) is True
    assert sandbox.ask("ED", "grade_locked", SUBJECTS[0], T0 - timedelta(microseconds=1)) is False
    assert sandbox.ask("ED", "grade_locked", SUBJECTS[1], T0) is False, "another group is another subject"
    assert sandbox.ask("BER", "grade_locked", SUBJECTS[0], T0) is False, "another system is another world"


def test_a_premise_fact_can_say_something_is_false(sandbox: SandboxAdapter) -> None:
    _premise(sandbox)
    later = T0 + timedelta(minutes=1)
    item = _item("C2.premise.0", "BER", "fact", dict(SUBJECTS[0]), later, query="in_group", value=False)
    sandbox.perform(item)
    assert sandbox.ask("BER", "in_group", SUBJECTS[0], T0) is True
    assert sandbox.ask("BER", "in_group", SUBJECTS[0], later) is False


def test_a_grade_removed_in_ed_is_gone_from_ed_at_once_and_from_ber_only_after_15_minutes(
    sandbox: SandboxAdapter,
) -> None:
    _premise(sandbox)
    removed_at = T0 + timedelta(minutes=3)
    sandbox.perform(_item("C1.6.p0.ed_bekrafta", "ED", "remove_grade", dict(SUBJECTS[0]), removed_at))
    assert sandbox.ask("ED", "grade_registered", SUBJECTS[0], removed_at) is False
    assert sandbox.ask("ED", "grade_locked", SUBJECTS[0], removed_at) is False
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[0], removed_at) is True
    just_before = removed_at + timedelta(minutes=15) - timedelta(microseconds=1)
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[0], just_before) is True
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[0], removed_at + timedelta(minutes=15)) is False
    assert sandbox.ask("ED", "in_group", SUBJECTS[0], removed_at) is True, "removing a grade keeps the student"


def test_a_group_change_in_ber_reaches_ed_after_10_minutes(sandbox: SandboxAdapter) -> None:
    _premise(sandbox)
    moved_at = T0 + timedelta(minutes=20)
    args: dict[str, JsonValue] = {"student": STUDENT, "from_group": OLD, "to_group": NEW}
    sandbox.perform(_item("C1.9.p0.ber_byt_grupp", "BER", "change_group", args, moved_at))
    assert sandbox.ask("BER", "in_group", SUBJECTS[0], moved_at) is False
    assert sandbox.ask("BER", "in_group", SUBJECTS[1], moved_at) is True
    for minutes in (0, 5, 9):
        at = moved_at + timedelta(minutes=minutes)
        assert sandbox.ask("ED", "in_group", SUBJECTS[0], at) is True
        assert sandbox.ask("ED", "in_group", SUBJECTS[1], at) is False
    arrived = moved_at + timedelta(minutes=10)
    assert sandbox.ask("ED", "in_group", SUBJECTS[0], arrived) is False
    assert sandbox.ask("ED", "in_group", SUBJECTS[1], arrived) is True


def test_register_grade_is_locked_in_ed_at_once_and_reaches_ber_after_the_delay(sandbox: SandboxAdapter) -> None:
    registered_at = T0 + timedelta(minutes=40)
    sandbox.perform(_item("C1.12.p0.ed_registrera", "ED", "register_grade", dict(SUBJECTS[1]), registered_at))
    assert sandbox.ask("ED", "grade_registered", SUBJECTS[1], registered_at) is True
    assert sandbox.ask("ED", "grade_locked", SUBJECTS[1], registered_at) is True
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[1], registered_at + timedelta(minutes=14)) is False
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[1], registered_at + timedelta(minutes=15)) is True


def test_a_status_registered_in_ber_answers_no_catalogue_question(sandbox: SandboxAdapter) -> None:
    _premise(sandbox)
    args: dict[str, JsonValue] = {"student": STUDENT, "group": OLD, "status": "avbrott"}
    sandbox.perform(_item("C1.8.p0.ber_avbrott", "BER", "register_status", args))
    assert sandbox.ask("BER", "in_group", SUBJECTS[0], T0 + timedelta(hours=1)) is True
    assert sandbox.ask("BER", "grade_registered", SUBJECTS[0], T0 + timedelta(hours=1)) is True


def test_a_question_asked_in_swedish_summer_time_sees_the_same_facts_as_in_utc(sandbox: SandboxAdapter) -> None:
    _premise(sandbox)
    sandbox.perform(_item("C1.6.p0.ed_bekrafta", "ED", "remove_grade", dict(SUBJECTS[0])))
    cest = timezone(timedelta(hours=2))
    for minutes in (14, 15):
        at = T0 + timedelta(minutes=minutes)
        utc = sandbox.ask("BER", "grade_registered", SUBJECTS[0], at)
        assert sandbox.ask("BER", "grade_registered", SUBJECTS[0], at.astimezone(cest)) is utc


def test_arguments_are_the_same_subject_whatever_their_order(sandbox: SandboxAdapter) -> None:
    _premise(sandbox)
    assert sandbox.ask("ED", "in_group", {"group": OLD, "student": STUDENT}, T0) is True
