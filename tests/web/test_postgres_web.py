"""What the web app adds to the store, on PostgreSQL: filters on the JSON inputs, comments, sessions, passwords."""

from __future__ import annotations

from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import text

from adapters.identity import PasswordAuthenticator, SqlSessions
from engine.ports import Identity
from tests.integration.test_postgres import make_pg_world
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)
from tests.web.conftest import INPUTS, PROC

OTHER = {**INPUTS, "personnummer": "20000229-2399", "betygsgrupp": "EN5A-HT24", "ny_betygsgrupp": "EN5B-HT24"}


def test_filters_comments_and_overview_work_on_postgresql(postgres_url: str) -> None:  # noqa: F811
    world = make_pg_world(postgres_url)
    try:
        first = world.service.start(PROC, INPUTS, "anna").id
        second = world.service.start(PROC, OTHER, "anna").id
        by_student = world.service.my_cases("anna", student="200002292399")
        assert [c.view.id for c in by_student.cases] == [second]
        by_group = world.service.my_cases("anna", group="MA1B-HT24")
        assert [c.view.id for c in by_group.cases] == [first]
        world.service.comment(first, "på PostgreSQL", "anna")
        assert world.service.verify("anna", first).ok
        assert world.service.replay(first, "anna").ok
        [summary] = [s for s in world.service.procedure_overview("admin") if s.id == PROC]
        assert summary.versions[0].open_cases == 2
        with world.store.engine.connect() as conn:
            indexes = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'")).scalars())
        assert {"ix_cases_data_personnummer", "ix_cases_data_betygsgrupp", "ix_cases_overdue"} <= indexes
    finally:
        world.store.engine.dispose()


def test_sessions_and_passwords_work_on_postgresql(postgres_url: str) -> None:  # noqa: F811
    world = make_pg_world(postgres_url)
    try:
        engine = world.store.engine
        authenticator = PasswordAuthenticator(engine, PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
        authenticator.set_password("anna", "ett långt lösenord")
        assert authenticator.authenticate("anna", "ett långt lösenord") == Identity("anna", "password")
        assert authenticator.authenticate("anna", "fel lösenord!") is None
        sessions = SqlSessions(engine, timedelta(minutes=30), timedelta(hours=8))
        opened = sessions.open(Identity("anna", "password"), world.clock.now())
        assert sessions.resume(opened.token, world.clock.now() + timedelta(minutes=29)) is not None
        assert sessions.resume(opened.token, world.clock.now() + timedelta(minutes=61)) is None
    finally:
        world.store.engine.dispose()
