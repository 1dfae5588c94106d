"""One contract for the FallbackLog port: the store's system stream (SQLite, PostgreSQL) and its in-memory twin
tell the same state from the same records, so the fallback behaves alike whichever keeps its clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.fallback import HEALTHY, FallbackLog, FallbackState, MemoryFallbackLog, StoreFallbackLog
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from tests.conftest import T0
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FallbackLog]:
    if request.param == "memory":
        yield MemoryFallbackLog()
        return
    url = f"sqlite:///{tmp_path / 'rutin.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    ensure_schema(engine)
    yield StoreFallbackLog(SqlCaseStore(engine))
    engine.dispose()


def test_a_system_never_recorded_is_healthy(log: FallbackLog) -> None:
    assert log.state("BER") == HEALTHY and not log.engaged("BER")


def test_the_clock_runs_from_the_earliest_recorded_failure_whatever_the_order_of_writing(log: FallbackLog) -> None:
    log.record_failing("BER", T0 + timedelta(minutes=12), "HTTP 503")
    log.record_failing("BER", T0 + timedelta(minutes=10), "HTTP 503")

    assert log.state("BER") == FallbackState(False, T0 + timedelta(minutes=10))
    assert log.state("ED") == HEALTHY, "one system's failures are not another's"


def test_an_answer_stops_the_clock_and_a_new_failure_starts_it_again(log: FallbackLog) -> None:
    log.record_failing("BER", T0, "HTTP 500")
    log.record_answered("BER", T0 + timedelta(minutes=5), "answers again")
    assert log.state("BER") == HEALTHY

    log.record_failing("BER", T0 + timedelta(minutes=20), "timeout")
    assert log.state("BER").failing_since == T0 + timedelta(minutes=20)


def test_engaged_until_restored_keeping_when_the_failure_began(log: FallbackLog) -> None:
    log.record_failing("BER", T0, "HTTP 500")
    log.record("BER", True, T0 + timedelta(minutes=31), "unreachable since 08:00")

    assert log.state("BER") == FallbackState(True, T0) and log.engaged("BER")
    assert not log.engaged("ED")

    log.record("BER", False, T0 + timedelta(minutes=50), "answers again")
    assert log.state("BER") == HEALTHY and not log.engaged("BER")
