"""The same service on a real PostgreSQL server: every route, audit, overdue marking, and the same-step race.

The server is started once per session by tests/pg.py (skipped, saying why, where it cannot be); each test
gets an empty database of its own, brought to the schema's head by the same Alembic migrations as SQLite.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import text

from adapters.clock import FixedClock
from adapters.manual import ManualAdapter
from adapters.procedure_folder import ProcedureFolder
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import SCHEMA_HEAD, ensure_schema, open_engine, schema_version
from adapters.sql.store import SqlCaseStore
from engine.access import User
from engine.service import Rutin
from engine.systems import Systems
from tests.conftest import ADMIN_ROLES, ADMIN_TASKS, PROCEDURES, T0
from tests.integration.test_concurrency import attempt_all
from tests.integration.test_grade_revocation import PROC, ROUTES, walk
from tests.integration.test_manual_adapter import to_first_wait
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)

WORKERS = 4
CASES = 30


@dataclass
class PgWorld:
    """What tests.conftest.World offers, on a PostgreSQL URL instead of a SQLite file."""

    service: Rutin
    clock: FixedClock
    store: SqlCaseStore
    url: str

    def advance(self, minutes: float) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    def sql(self, statement: str, **params: object) -> None:
        with self.store.engine.begin() as conn:
            conn.execute(text(statement), params)


def make_pg_world(url: str, *, manual: bool = False) -> PgWorld:
    engine = open_engine(url)
    ensure_schema(engine)
    store = SqlCaseStore(engine)
    clock = FixedClock(T0)
    systems = Systems(ManualAdapter() if manual else SandboxAdapter(engine))
    counter = iter(f"C{i}" for i in range(1, 100_000))
    service = Rutin(store, ProcedureFolder(PROCEDURES), systems, clock, new_id=lambda: next(counter))
    service.save_user(User("admin", admin=True), "admin")
    service.save_user(User("anna", ADMIN_ROLES, ADMIN_TASKS, "Anna Berg"), "admin")
    service.save_user(User("bo", ADMIN_ROLES, ADMIN_TASKS, "Bo Ek"), "admin")
    return PgWorld(service, clock, store, url)


@pytest.fixture
def pg_world(postgres_url: str) -> Iterator[PgWorld]:  # noqa: F811
    world = make_pg_world(postgres_url)
    yield world
    world.store.engine.dispose()


@pytest.fixture
def pg_manual_world(postgres_url: str) -> Iterator[PgWorld]:  # noqa: F811
    world = make_pg_world(postgres_url, manual=True)
    yield world
    world.store.engine.dispose()


def test_the_migrations_bring_an_empty_postgresql_database_to_the_schema_head(pg_world: PgWorld) -> None:
    assert pg_world.store.engine.dialect.name == "postgresql"
    assert pg_world.store.engine.dialect.driver == "psycopg"
    assert schema_version(pg_world.store.engine) == SCHEMA_HEAD


@pytest.mark.parametrize("reason", list(ROUTES))
def test_every_route_runs_to_the_end_on_postgresql(pg_world: PgWorld, reason: str) -> None:
    case = pg_world.service.start(PROC, ROUTES[reason], "anna")
    walk(pg_world, case.id)
    final = pg_world.service.show(case.id, "anna")
    assert (final.status, final.state) == ("done", "klart")
    mails = [i for i in pg_world.store.outbox_items(case.id) if i.kind == "mail"]
    assert [m.payload["to"] for m in mails] == ["support.systemadmin.amf@edu.stockholm.se"]
    assert [v.id for v in pg_world.service.list_cases("anna", "done")] == [case.id]
    assert pg_world.service.counts("anna")["done"] == 1


def test_replay_and_verify_pass_and_a_changed_actor_is_caught(pg_world: PgWorld) -> None:
    case = pg_world.service.start(PROC, ROUTES["fel_betygsgrupp"], "anna")
    walk(pg_world, case.id)
    replay = pg_world.service.replay(case.id, "anna")
    assert replay.ok, replay.problems
    assert all(step.matches for step in replay.steps)
    report = pg_world.service.verify("anna")
    assert report.ok, report.problems
    assert report.streams == 2  # the case and the system stream

    pg_world.sql("UPDATE events SET actor = 'bnna' WHERE stream = :stream AND seq = 4", stream=case.id)
    tampered = pg_world.service.verify("anna", case.id)
    assert not tampered.ok
    assert (tampered.problems[0].stream, tampered.problems[0].seq) == (case.id, 4)
    assert "altered" in tampered.problems[0].problem


def test_the_worker_marks_a_manual_wait_overdue_once_on_postgresql(pg_manual_world: PgWorld) -> None:
    case_id = to_first_wait(pg_manual_world)
    pg_manual_world.advance(30)
    assert pg_manual_world.service.sweep().advanced == []
    pg_manual_world.advance(31)
    first = pg_manual_world.service.sweep()
    second = pg_manual_world.service.sweep()
    assert (first.overdue, second.overdue) == ([case_id], [])
    assert [v.id for v in pg_manual_world.service.list_cases("anna", "overdue")] == [case_id]
    assert pg_manual_world.service.list_cases("anna", "waiting") == []
    kinds = [e.kind for e in pg_manual_world.store.events(case_id)]
    assert kinds.count("wait_overdue") == 1


@pytest.mark.slow
def test_the_same_step_from_four_processes_succeeds_once_per_case_on_postgresql(pg_world: PgWorld) -> None:
    case_ids = [pg_world.service.start(PROC, ROUTES["ej_last"], "anna").id for _ in range(CASES)]
    pg_world.store.engine.dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    people = ["anna", "bo", "anna", "bo"][:WORKERS]
    args = [(pg_world.url, case_ids, barrier, results, p) for p in people]
    procs = [ctx.Process(target=attempt_all, args=a) for a in args]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in range(WORKERS * CASES)]
    for p in procs:
        p.join(timeout=60)

    assert [o for o in outcomes if o[2] == "ERROR"] == []
    for case_id in case_ids:
        mine = [o for o in outcomes if o[0] == case_id]
        assert [o[2] for o in mine].count("ok") == 1, mine
        for refused in (o for o in mine if o[2] != "ok"):
            assert "moved on" in refused[3], refused
    for case_id in case_ids:
        assert [e.kind for e in pg_world.store.events(case_id)] == ["case_started", "step_done"]
        assert pg_world.store.load_case(case_id).state == "ed_las_upp"
