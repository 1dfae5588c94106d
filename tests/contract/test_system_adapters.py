"""One contract for every SystemAdapter, then the sandbox's own behaviour, named after the routine it simulates.

Every adapter is held to it: the sandbox, the manual adapter, the SS 12000 client against the local server
(alone, and behind the fallback both while the registry answers and once a person answers for it), and the
Ping Pong grade feed over a folder of feed documents.

The contract (engine.ports.SystemAdapter): an adapter names itself and says whether a person answers. One that
answers by itself answers every catalogue query it supports (`engine.systems.supports`; the sandbox supports them
all) with True/False, and refuses any other with AdapterError(retryable=False) naming the query, since asking
again cannot help (the fallback then hands it to a person); one where a person answers returns None for every
question, known or not: it does not interpret queries, the person reads the wait's instructions and answers.
Every catalogue action (and the premise 'fact') is accepted, and delivering the same outbox item twice changes
nothing anyone can see. An adapter that simulates refuses an unknown action for good; the others change nothing
whatever they are handed, since a person changes the real system.

Adapters that read a real system (SS 12000, the grade feed) promise more: a student the system does not know is a
non-retryable error, never a "no" ("no" is what some waits wait for: "the grade has disappeared"); a system that
cannot be reached is a retryable AdapterError, from `ask` and from `reachable` alike, never an answer.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from adapters.fallback import FallbackAdapter, MemoryFallbackLog
from adapters.manual import ManualAdapter
from adapters.pingpong_feed import PingPongFeedAdapter
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import ensure_schema, open_engine
from adapters.ss12000.adapter import Ss12000Adapter
from adapters.ss12000.client import Ss12000Settings
from adapters.ss12000.mirror import SyncPolicy
from adapters.ss12000.server import LocalServer, komvux_world
from engine.catalogue import ACTIONS, QUERIES
from engine.errors import AdapterError
from engine.ports import OutboxItem, SystemAdapter
from engine.systems import supports
from engine.values import JsonValue

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
SYSTEMS = ("BER", "ED")
STUDENT = "19121212-1212"
STRANGER = "19460823-9986"  # a valid personnummer that neither the local registry nor the feed folder knows
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
TOKEN = "contract-token-PLANTED"
# The registry is synced again only when asked about an earlier moment: the snapshots ask moment by moment.
ONCE_A_DAY = SyncPolicy(refresh=timedelta(days=1), overlap=timedelta(minutes=5), full_every=timedelta(days=1))

# One student's complete list in Ping Pong's feed: a grade on OLD, none on NEW.
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<betyg xmlns="http://pingpong.se/schemas/grades/v1.1" from="2024-06-01T00:00:00" tom="2024-06-02T00:00:00">
  <elev id="19121212-1212">
    <kursbetyg>
      <value>C</value>
      <datum>2024-05-30</datum>
      <prövning>false</prövning>
      <betygsgrupp>MA1A-HT24</betygsgrupp>
      <skola>S1</skola>
      <beslutsfattare roll="LÄRARE"><person>P1</person></beslutsfattare>
      <skolform>VUX</skolform>
      <kurskod>MATMAT01a</kurskod>
      <omdöme>false</omdöme>
    </kursbetyg>
  </elev>
</betyg>
"""


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
    """Every answer anyone could see: each supported query (on both groups), system and moment of interest."""
    answers: dict[tuple[str, str, str, datetime], bool | None] = {}
    for at in MOMENTS:
        for query, spec in QUERIES.items():
            if not adapter.answers_by_person and not supports(adapter, query):
                continue
            for group in (OLD, NEW):
                args = _args(spec.params, group=group)
                for system in SYSTEMS:
                    answers[(system, query, group, at)] = adapter.ask(system, query, args, at)
    return answers


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: a connection to it is refused


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxAdapter]:
    engine = open_engine(f"sqlite:///{tmp_path / 'sandbox.db'}")
    ensure_schema(engine)
    yield SandboxAdapter(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def registry_url() -> Iterator[str]:
    """The local SS 12000 server with the synthetic Komvux data, filled the day before T0."""
    world, _ = komvux_world(lambda: T0, at=T0 - timedelta(days=1))
    with LocalServer(world, token=TOKEN) as server:
        yield server.url


def _registry(url: str) -> Ss12000Adapter:
    from adapters.secret import Secret

    settings = Ss12000Settings(url, Secret(TOKEN, "contract"), timeout=10.0, page_size=500)
    return Ss12000Adapter(settings, system="BER", policy=ONCE_A_DAY)


@pytest.fixture
def registry(registry_url: str) -> Iterator[Ss12000Adapter]:
    adapter = _registry(registry_url)
    yield adapter
    adapter.close()


@pytest.fixture
def feed(tmp_path: Path) -> PingPongFeedAdapter:
    folder = tmp_path / "pingpong"
    folder.mkdir()
    (folder / "2024-06-02.xml").write_text(FEED, encoding="utf-8")
    return PingPongFeedAdapter(folder, system="Ping Pong")


ADAPTERS = ["sandbox", "manual", "ss12000", "pingpong_feed", "ss12000+fallback", "ss12000+fallback-engaged"]


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> SystemAdapter:
    kind: str = request.param
    if kind in ("sandbox", "pingpong_feed"):
        made: SystemAdapter = request.getfixturevalue("sandbox" if kind == "sandbox" else "feed")
        return made
    if kind == "manual":
        return ManualAdapter()
    registry: Ss12000Adapter = request.getfixturevalue("registry")
    if kind == "ss12000":
        return registry
    log = MemoryFallbackLog()
    if kind.endswith("engaged"):
        log.record("BER", True, T0 - timedelta(hours=1), "unreachable (planted)")
    return FallbackAdapter(registry, "BER", timedelta(minutes=30), log)


@pytest.fixture(params=["ss12000", "pingpong_feed"])
def reader(request: pytest.FixtureRequest) -> SystemAdapter:
    """An adapter that reads a real system."""
    made: SystemAdapter = request.getfixturevalue("registry" if request.param == "ss12000" else "feed")
    return made


@pytest.fixture(params=["ss12000", "pingpong_feed"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A reader whose system cannot be reached: nothing listens on the port, the feed folder is not there."""
    if request.param == "pingpong_feed":
        yield PingPongFeedAdapter(tmp_path / "not-mounted", system="Ping Pong")
        return
    adapter = _registry(f"http://127.0.0.1:{_closed_port()}/v2.0")
    yield adapter
    adapter.close()


# -- the contract, for every adapter ------------------------------------------------------------------------


def test_an_adapter_names_itself_and_says_whether_a_person_answers(adapter: SystemAdapter) -> None:
    assert isinstance(adapter.name, str) and adapter.name
    assert isinstance(adapter.answers_by_person, bool)
    assert isinstance(adapter.simulates, bool)


@pytest.mark.parametrize("query", list(QUERIES))
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_catalogue_query_is_answered_or_refused_for_good(adapter: SystemAdapter, query: str, system: str) -> None:
    args = _args(QUERIES[query].params)
    if adapter.answers_by_person:
        assert adapter.ask(system, query, args, T0) is None, "a person answers: the adapter must leave it to them"
        return
    if supports(adapter, query):
        assert isinstance(adapter.ask(system, query, args, T0), bool)
        return
    with pytest.raises(AdapterError, match=query) as caught:
        adapter.ask(system, query, args, T0)
    assert caught.value.retryable is False


def test_a_supported_question_about_a_known_subject_gets_yes_and_no(adapter: SystemAdapter) -> None:
    """Not one fixed answer: the grade on OLD is there, the one on NEW is not (in the sandbox once the premise
    says so). Where a person answers, both are theirs."""
    if adapter.answers_by_person:
        assert [adapter.ask("BER", "grade_registered", s, T0) for s in SUBJECTS] == [None, None]
        return
    if adapter.simulates:
        adapter.perform(_item("C1.premise.0", "BER", "fact", dict(SUBJECTS[0]), query="grade_registered", value=True))
    assert adapter.ask("BER", "grade_registered", SUBJECTS[0], T0) is True
    assert adapter.ask("BER", "grade_registered", SUBJECTS[1], T0) is False


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
    assert not supports(adapter, "grade_vanished")
    with pytest.raises(AdapterError, match="grade_vanished") as caught:
        adapter.ask("BER", "grade_vanished", {"student": STUDENT}, T0)
    assert caught.value.retryable is False


def test_an_unknown_action_is_refused_for_good_by_a_simulation_and_changes_nothing_elsewhere(
    adapter: SystemAdapter,
) -> None:
    item = _item("C1.2.p0.steg", "ED", "delete_student", {"student": STUDENT})
    if not adapter.simulates:
        before = _snapshot(adapter)
        adapter.perform(item)  # a person does whatever the instructions say in the real system
        assert _snapshot(adapter) == before
        return
    with pytest.raises(AdapterError, match="delete_student") as caught:
        adapter.perform(item)
    assert caught.value.retryable is False


# -- the contract of adapters that read a real system ---------------------------------------------------------


def test_a_reader_never_answers_no_about_a_student_it_does_not_know(reader: SystemAdapter) -> None:
    assert reader.ask("BER", "grade_registered", SUBJECTS[0], T0) is True  # the system answers

    with pytest.raises(AdapterError, match=r"1946\d{4}-?") as caught:
        reader.ask("BER", "grade_registered", {"student": STRANGER, "group": OLD}, T0)

    assert caught.value.retryable is False


def test_a_reader_says_when_its_system_answers(reader: Any) -> None:
    assert reader.reachable(T0) is None


def test_a_reader_whose_system_cannot_be_reached_fails_retryably_and_never_answers(unreachable: Any) -> None:
    with pytest.raises(AdapterError) as asked:
        unreachable.ask("BER", "grade_registered", SUBJECTS[0], T0)
    with pytest.raises(AdapterError) as probed:
        unreachable.reachable(T0)

    assert asked.value.retryable is True and probed.value.retryable is True
    assert asked.value.hint


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
