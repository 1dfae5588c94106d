"""The fallback log reads the 'system' stream on from where it stopped, and still tells what a full fold tells.

The stream also holds user changes, refusals and sign-ins, so `StoreFallbackLog.state` keeps every system's state
folded with the head it reached and asks the store only for the fallback's events after it
(`system_events_after`, filtered by kind in SQL). Here: the port's contract on SQLite and PostgreSQL; that the
log transfers only new fallback events; that a stream replaced under a running log (a restored backup) is folded
anew; that the query runs on the primary key's index; and, over random interleavings of appends and reads by two
logs on two engines over one SQLite file, that each read equals a full fold of the stream as stored.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Collection, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import Engine, event

from adapters.fallback import (
    ANSWERED,
    ENGAGED,
    FAILING,
    HEALTHY,
    KINDS,
    FallbackState,
    StoreFallbackLog,
    fold,
)
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from engine.access import WORKER
from engine.ports import SystemEvents
from tests.conftest import T0
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)

SYSTEMS = ("BER", "ED", "PingPong")
OTHER_KINDS = ("user_saved", "password_changed", "action_refused", "signed_in")


def full_fold(store: SqlCaseStore, system: str) -> FallbackState:
    """The reference: every event of the stream, folded from the start (what `state` did before)."""
    return fold(system, ((e.kind, str(e.data.get("system")), e.at) for e in store.events("system")))


def unrelated(store: SqlCaseStore, n: int, at: datetime = T0) -> None:
    for i in range(n):
        store.append_system_event("admin", at, OTHER_KINDS[i % len(OTHER_KINDS)], {"user": f"u{i}", "system": "BER"})


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlCaseStore]:
    url = f"sqlite:///{tmp_path / 'rutin.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    ensure_schema(engine)
    yield SqlCaseStore(engine)
    engine.dispose()


# -- the port -------------------------------------------------------------------------------------------------


def test_an_empty_system_stream_reads_as_head_zero_with_nothing_seen(store: SqlCaseStore) -> None:
    assert store.system_events_after(0, KINDS) == SystemEvents(head=0, head_hash=None, events=[], seen_hash=None)


def test_only_the_asked_kinds_after_the_given_seq_are_returned_oldest_first(store: SqlCaseStore) -> None:
    unrelated(store, 3)
    store.append_system_event(WORKER, T0, FAILING, {"system": "BER", "reason": "HTTP 503"})
    unrelated(store, 2)
    store.append_system_event(WORKER, T0, ENGAGED, {"system": "BER", "reason": "down"})
    unrelated(store, 1)
    every = store.events("system")

    read = store.system_events_after(0, KINDS)

    assert [(e.seq, e.kind) for e in read.events] == [(4, FAILING), (7, ENGAGED)]
    assert read.events == [e for e in every if e.kind in KINDS], "the same events as the full read, field by field"
    assert (read.head, read.head_hash, read.seen_hash) == (8, every[-1].hash, None)

    on = store.system_events_after(4, KINDS)
    assert [e.seq for e in on.events] == [7] and on.seen_hash == every[3].hash
    assert store.system_events_after(8, KINDS) == SystemEvents(8, every[-1].hash, [], every[-1].hash)
    assert store.system_events_after(0, ()).events == [], "no kinds asked, none returned"


def test_a_seq_beyond_the_head_reads_nothing_and_sees_no_event_there(store: SqlCaseStore) -> None:
    unrelated(store, 2)

    read = store.system_events_after(50, KINDS)

    assert (read.head, read.events, read.seen_hash) == (2, [], None)


# -- the log ------------------------------------------------------------------------------------------------------


class CountingStore:
    """The store, noting every read of the system stream: from which seq, and how many events came back."""

    def __init__(self, store: SqlCaseStore) -> None:
        self.store = store
        self.reads: list[tuple[int, int]] = []

    def system_events_after(self, seq: int, kinds: Collection[str]) -> SystemEvents:
        read = self.store.system_events_after(seq, kinds)
        self.reads.append((seq, len(read.events)))
        return read

    def append_system_event(self, actor: str, at: datetime, kind: str, data: Any) -> None:
        self.store.append_system_event(actor, at, kind, data)


def test_each_state_reads_only_the_fallback_events_added_since_the_last(store: SqlCaseStore) -> None:
    counting = CountingStore(store)
    log = StoreFallbackLog(counting)
    unrelated(store, 40)
    log.record_failing("BER", T0, "HTTP 502")
    unrelated(store, 40)

    assert log.state("BER") == FallbackState(False, T0)
    assert counting.reads == [(0, 1)], "40 + 40 other events stayed in the database"

    assert log.state("ED") == HEALTHY and log.state("BER") == FallbackState(False, T0)
    assert counting.reads[1:] == [(81, 0), (81, 0)], "nothing new: read on from the head, nothing transferred"

    other = StoreFallbackLog(store)  # another process records the hand-over
    unrelated(store, 10)
    other.record("BER", True, T0 + timedelta(minutes=31), "down since 08:00")

    assert log.state("BER") == FallbackState(True, T0) == full_fold(store, "BER")
    assert counting.reads[-1] == (81, 1)


def test_a_stream_replaced_under_a_running_log_is_folded_anew(tmp_path: Path) -> None:
    engines = [open_engine(f"sqlite:///{tmp_path / name}") for name in ("live.db", "restored.db")]
    for engine in engines:
        ensure_schema(engine)
    live, restored = (SqlCaseStore(e) for e in engines)
    switch = CountingStore(live)
    log = StoreFallbackLog(switch)
    live.append_system_event(WORKER, T0, FAILING, {"system": "BER", "reason": "HTTP 503"})
    live.append_system_event(WORKER, T0, ENGAGED, {"system": "BER", "reason": "down"})
    unrelated(live, 3)
    assert log.state("BER") == FallbackState(True, T0)

    # a backup from before the fallback engaged, which has since grown past the head the log reached
    restored.append_system_event(WORKER, T0 + timedelta(minutes=5), FAILING, {"system": "ED", "reason": "timeout"})
    unrelated(restored, 6)
    switch.store = restored

    assert log.state("BER") == HEALTHY == full_fold(restored, "BER")
    assert log.state("ED") == FallbackState(False, T0 + timedelta(minutes=5)) == full_fold(restored, "ED")
    assert switch.reads[-3:] == [(5, 0), (0, 1), (7, 0)], "the hash at the old head differed: read again from 0"

    switch.store = live  # and back to a stream shorter than the head the log reached
    assert log.state("BER") == FallbackState(True, T0) and log.state("ED") == HEALTHY
    assert switch.reads[-3:-1] == [(7, 0), (0, 2)]
    for engine in engines:
        engine.dispose()


def test_the_read_runs_on_the_primary_key_index_not_a_scan_of_the_events(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'rutin.db'}")
    ensure_schema(engine)
    store = SqlCaseStore(engine)
    unrelated(store, 5)
    plans = _plans_of_event_reads(engine, lambda: store.system_events_after(2, KINDS))

    # the hash at the old head (a point look-up), then the range after it up to the head
    assert plans == [
        "SEARCH events USING INDEX sqlite_autoindex_events_1 (stream=? AND seq=?)",
        "SEARCH events USING INDEX sqlite_autoindex_events_1 (stream=? AND seq>? AND seq<?)",
    ]
    engine.dispose()


def _plans_of_event_reads(engine: Engine, read: Any) -> list[str]:
    """SQLite's plan of every statement on the events table that `read` runs, with its own parameters."""
    seen: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if "FROM events" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    plans = []
    with engine.connect() as conn:
        for statement, parameters in seen:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.append(" | ".join(str(r[-1]) for r in rows))
    return plans


# -- random interleavings of two processes ------------------------------------------------------------------------

_TEMPLATE: list[Path] = []  # a migrated database, made once: copying it is much faster than migrating per example


def _fresh_database(folder: Path) -> Path:
    if not _TEMPLATE:
        kept = tempfile.mkdtemp(prefix="rutin-fallback-")
        atexit.register(shutil.rmtree, kept, True)  # no fixture reaches a state machine: removed at exit
        template = Path(kept) / "template.db"
        engine = open_engine(f"sqlite:///{template}")
        ensure_schema(engine)
        engine.dispose()
        _TEMPLATE.append(template)
    path = folder / "rutin.db"
    shutil.copyfile(_TEMPLATE[0], path)
    return path


class TwoProcesses(RuleBasedStateMachine):
    """Two logs, each on its own engine over one SQLite file, append and read in any order, with other events of
    the system stream in between. Every read must equal the full fold of what is stored at that moment."""

    @initialize()
    def open(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{_fresh_database(Path(self._tmp.name))}"
        self.engines = [open_engine(url), open_engine(url)]
        self.stores = [SqlCaseStore(e) for e in self.engines]
        self.logs = [StoreFallbackLog(s) for s in self.stores]

    def teardown(self) -> None:
        if hasattr(self, "engines"):
            for engine in self.engines:
                engine.dispose()
            self._tmp.cleanup()

    @precondition(lambda self: hasattr(self, "logs"))
    @rule(
        who=st.integers(0, 1),
        kind=st.sampled_from(sorted(KINDS)),
        system=st.sampled_from(SYSTEMS),
        minutes=st.integers(0, 90),
    )
    def record(self, who: int, kind: str, system: str, minutes: int) -> None:
        log, at = self.logs[who], T0 + timedelta(minutes=minutes)
        if kind == FAILING:
            log.record_failing(system, at, "HTTP 503")
        elif kind == ANSWERED:
            log.record_answered(system, at, "answers")
        else:
            log.record(system, kind == ENGAGED, at, "hand-over" if kind == ENGAGED else "answers again")

    @precondition(lambda self: hasattr(self, "logs"))
    @rule(who=st.integers(0, 1), n=st.integers(1, 5), about=st.sampled_from(SYSTEMS))
    def other_events(self, who: int, n: int, about: str) -> None:
        for i in range(n):  # a `system` field too, so only the kind tells them apart
            self.stores[who].append_system_event("admin", T0, OTHER_KINDS[i % len(OTHER_KINDS)], {"system": about})

    @precondition(lambda self: hasattr(self, "logs"))
    @rule(who=st.integers(0, 1), system=st.sampled_from(SYSTEMS))
    def read(self, who: int, system: str) -> None:
        assert self.logs[who].state(system) == full_fold(self.stores[1 - who], system)

    @precondition(lambda self: hasattr(self, "logs"))
    @rule(who=st.integers(0, 1), system=st.sampled_from(SYSTEMS))
    def read_engaged(self, who: int, system: str) -> None:
        assert self.logs[who].engaged(system) == full_fold(self.stores[who], system).engaged

    @invariant()
    def a_new_log_tells_the_same(self) -> None:
        if hasattr(self, "logs"):
            fresh = StoreFallbackLog(self.stores[0])
            for system in SYSTEMS:
                assert fresh.state(system) == full_fold(self.stores[0], system)


TwoProcesses.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_two_processes_appending_and_reading_always_see_the_full_fold = TwoProcesses.TestCase
