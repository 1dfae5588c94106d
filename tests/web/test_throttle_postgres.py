"""The sign-in throttle on PostgreSQL: the same portable statements, the count held under concurrent attempts."""

from __future__ import annotations

import threading
from datetime import timedelta

from adapters.identity import SqlSignInThrottle
from adapters.sql.database import open_engine
from tests.integration.test_postgres import make_pg_world
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)
from tests.web.test_migration_0004 import schema_differences


def test_the_throttle_counts_locks_and_clears_on_postgresql(postgres_url: str) -> None:  # noqa: F811
    world = make_pg_world(postgres_url)
    engine = world.store.engine
    try:
        assert schema_differences(engine) == []
        throttle = SqlSignInThrottle(engine)
        now = world.clock.now()
        for _ in range(4):
            assert throttle.admit("Anna", "192.0.2.1", now) is None
        throttle.succeeded("anna", "192.0.2.1", now)
        assert throttle.failures("anna", "192.0.2.1", now) == {"name": 0, "address": 3}
        for _ in range(5):
            assert throttle.admit("anna", "192.0.2.1", now) is None
        lock = throttle.admit("ANNA", "192.0.2.2", now + timedelta(minutes=5))
        assert lock is not None
        assert (lock.scope, lock.until, lock.first) == ("name", now + timedelta(minutes=15), True)
        again = throttle.admit("anna", "192.0.2.2", now + timedelta(minutes=6))
        assert again is not None
        assert not again.first
        assert throttle.admit("anna", "192.0.2.2", now + timedelta(minutes=15)) is None
    finally:
        engine.dispose()


def test_parallel_first_attempts_on_postgresql_admit_exactly_the_bound(postgres_url: str) -> None:  # noqa: F811
    """Rows that do not exist yet cannot be locked: concurrent inserts of one key collide and are retried."""
    world = make_pg_world(postgres_url)
    engines = [open_engine(postgres_url) for _ in range(4)]
    throttles = [SqlSignInThrottle(e) for e in engines]
    now = world.clock.now()
    admitted: list[bool] = []
    start = threading.Barrier(24)

    def attempt(i: int) -> None:
        start.wait()
        admitted.append(throttles[i % 4].admit("anna", f"192.0.2.{i % 3}", now) is None)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(24)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert admitted.count(True) == 5
        assert throttles[0].failures("anna", "192.0.2.0", now)["name"] == 5
    finally:
        for e in engines:
            e.dispose()
        world.store.engine.dispose()
