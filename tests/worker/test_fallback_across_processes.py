"""The fallback's failure clock lives in the system history, not in one process's memory.

A worker run from cron is one `rutin worker --once` per run: each process alone sees a failing registry once, so a
clock kept in memory would never reach `fallback_after` and the case would stay stuck while the server is down.
Here real `rutin worker --once` processes, on one SQLite file, with `--now` moved forward run by run, hand the wait
to a person once the registry has failed for longer than `fallback_after`, and hand it back when it answers.
Then, in process over SQLite and PostgreSQL, each "process" a fresh adapter and store: an answer in between stops
the clock, and two workers that both saw the first failure keep the earliest moment.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.clock import FixedClock
from adapters.fallback import ANSWERED, ENGAGED, FAILING, RESTORED, FallbackAdapter, StoreFallbackLog
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from adapters.ss12000.adapter import Ss12000Adapter
from adapters.ss12000.server import LocalServer, komvux_world
from engine.errors import AdapterError
from engine.values import JsonValue
from tests.adapters.ss12000_support import FAST, TOKEN, settings
from tests.conftest import T0
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)
from tests.worker.registry_cli import one_wait, rutin_with_registry

FALLBACK_KINDS = (FAILING, ANSWERED, ENGAGED, RESTORED)


def _fallback_events(store: SqlCaseStore) -> list[tuple[str, datetime]]:
    return [(e.kind, e.at) for e in store.events("system") if e.kind in FALLBACK_KINDS]


def test_repeated_worker_once_runs_hand_a_failing_registry_to_a_person_and_back(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    world, demo = komvux_world(clock.now, at=T0 - timedelta(days=1))
    with LocalServer(world, token=TOKEN) as server:
        processes = rutin_with_registry(tmp_path, server.url, one_wait("5m", "1d"), 'fallback_after = "30m"\n')

        def rutin(minutes: int, *args: str) -> subprocess.CompletedProcess[str]:
            return processes.run("--now", (T0 + timedelta(minutes=minutes)).isoformat(), *args)

        def worker_once(minutes: int) -> dict[str, Any]:
            done = rutin(minutes, "worker", "--once", "--no-mail", "--json")
            assert done.returncode == 0, done.stderr
            report: dict[str, Any] = json.loads(done.stdout)
            return report

        def shown(minutes: int) -> dict[str, Any]:
            done = rutin(minutes, "case", "show", case_id, "--json")
            assert done.returncode == 0, done.stderr
            view: dict[str, Any] = json.loads(done.stdout)
            return view

        case_id = processes.start_case("--now", T0.isoformat())
        server.fail_next("status", status=503, times=100_000)

        # Each run is its own process and sees the registry fail once: only the history can tell how long.
        for minutes in (5, 20):
            report = worker_once(minutes)
            assert [e["case"] for e in report["errors"]] == [case_id]
            assert "HTTP 503" in report["errors"][0]["error"]
            assert report["asked_person"] == []
            assert shown(minutes)["waiting"]["answered_by"] == "system"

        report = worker_once(36)  # 31 minutes after the first failure, recorded at 5
        assert report["asked_person"] == [case_id]
        view = shown(37)  # another process offers the person's buttons
        assert view["waiting"]["answered_by"] == "person"
        assert [a["name"] for a in view["actions"]] == ["ber_vanta", "inte_annu"]
        report = worker_once(45)  # still down: the probe fails quietly, the person keeps the wait
        assert report["restored"] == [] and report["errors"] == []
        assert shown(45)["waiting"]["answered_by"] == "person"

        server.faults.clear()
        report = worker_once(50)
        assert report["restored"] == ["BER"]
        assert shown(50)["waiting"]["answered_by"] == "system"
        world.delete("grades", demo.grade, clock.now())
        report = worker_once(56)
        assert report["advanced"] == [case_id]
        assert shown(56)["status"] == "done"

    engine = open_engine(f"sqlite:///{processes.db}")
    try:
        store = SqlCaseStore(engine)
        at = [(kind, moment - T0) for kind, moment in _fallback_events(store)]
        satisfied = [e.data.get("source") for e in store.events(case_id) if e.kind == "wait_satisfied"]
        system_events = [e.data for e in store.events("system") if e.kind in FALLBACK_KINDS]
    finally:
        engine.dispose()
    assert at == [
        (FAILING, timedelta(minutes=5)),
        (ENGAGED, timedelta(minutes=36)),
        (RESTORED, timedelta(minutes=50)),
    ]
    assert satisfied == ["ss12000:BER"]
    assert all(TOKEN not in str(data) for data in system_events)
    assert "HTTP 503" in system_events[0]["reason"]


# -- in process, each run a fresh adapter and store: what a separate process would have ---------------------------

ARGS: dict[str, JsonValue] = {"student": "19121212-1212", "group": "MA1A-HT24"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rutin.db'}"
        return
    yield request.getfixturevalue("postgres_url")


@pytest.fixture
def server() -> Iterator[LocalServer]:
    world, _ = komvux_world(FixedClock(T0).now, at=T0 - timedelta(days=1))
    with LocalServer(world, token=TOKEN) as running:
        yield running


class _Run:
    """One worker process: its own engine, store, log and adapter, nothing carried over in memory."""

    def __init__(self, url: str, server: LocalServer) -> None:
        self.engine = open_engine(url)
        ensure_schema(self.engine)
        self.store = SqlCaseStore(self.engine)
        self.real = Ss12000Adapter(settings(server.url), system="BER", policy=FAST)
        self.adapter = FallbackAdapter(self.real, "BER", timedelta(minutes=30), StoreFallbackLog(self.store))

    def ask(self, minutes: int) -> bool | str | None:
        try:
            return self.adapter.ask("BER", "grade_registered", ARGS, T0 + timedelta(minutes=minutes))
        except AdapterError as exc:
            return f"error: {exc.message}"
        finally:
            self.real.close()
            self.engine.dispose()


def test_an_answer_between_failures_stops_the_recorded_clock(database: str, server: LocalServer) -> None:
    server.fail_next("status", status=500, times=1)
    assert "HTTP 500" in str(_Run(database, server).ask(5))
    assert _Run(database, server).ask(15) is True  # answers: the clock stops
    server.fail_next("status", status=500, times=2)
    # 35 minutes after the first failure, but only just after the second: still the system's question
    assert "HTTP 500" in str(_Run(database, server).ask(40))
    assert "HTTP 500" in str(_Run(database, server).ask(60))
    server.fail_next("status", status=500, times=1)
    assert _Run(database, server).ask(71) is None  # 31 minutes of failing since 40: a person answers

    engine = open_engine(database)
    try:
        kinds = [(kind, moment - T0) for kind, moment in _fallback_events(SqlCaseStore(engine))]
    finally:
        engine.dispose()
    assert kinds == [
        (FAILING, timedelta(minutes=5)),
        (ANSWERED, timedelta(minutes=15)),
        (FAILING, timedelta(minutes=40)),
        (ENGAGED, timedelta(minutes=71)),
    ]


def test_two_workers_that_both_saw_the_first_failure_keep_the_earliest_moment(
    database: str, server: LocalServer
) -> None:
    # Two workers each read the history (nothing yet), saw the registry fail and wrote: the one with the later
    # moment happened to write first. The clock runs from the earlier moment, whatever the order of writing.
    for minutes in (12, 10):
        engine = open_engine(database)
        ensure_schema(engine)
        try:
            StoreFallbackLog(SqlCaseStore(engine)).record_failing("BER", T0 + timedelta(minutes=minutes), "HTTP 502")
        finally:
            engine.dispose()

    server.fail_next("status", status=502, times=1)
    assert _Run(database, server).ask(40) is None  # 30 minutes after 10 (only 28 after 12): a person answers
