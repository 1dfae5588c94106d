"""Migration 0004: the sign-in throttle's table comes and goes over existing data, and the migrated schema is the
one adapters/sql/tables.py declares (on SQLite here; on PostgreSQL in test_throttle_postgres.py)."""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from adapters.identity import SqlSignInThrottle
from adapters.sql.database import SCHEMA_HEAD, migrate, open_engine, schema_version
from adapters.sql.tables import metadata
from tests.conftest import T0, make_world
from tests.web.test_migration import downgrade


def schema_differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match tables.py (nothing, when they agree)."""
    with warnings.catch_warnings():
        # the expression indexes of migration 0003 on cases.data cannot be reflected; tables.py names them in a comment
        warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")
        with engine.connect() as conn:
            found = compare_metadata(MigrationContext.configure(conn), metadata)
    # PostgreSQL reflects those expression indexes, which tables.py does not declare: they are expected there
    return [d for d in found if not (d[0] == "remove_index" and d[1].name.startswith("ix_cases_data_"))]


def test_0004_adds_the_throttle_table_over_a_0003_database_and_downgrades_again(tmp_path: Path) -> None:
    assert SCHEMA_HEAD == "0004"
    world = make_world(tmp_path)
    engine = world.store.engine
    throttle = SqlSignInThrottle(engine)
    users = world.service.users("admin")
    assert throttle.admit("anna", "192.0.2.1", T0) is None

    downgrade(engine, "0003")
    assert schema_version(engine) == "0003"
    assert "sign_in_throttle" not in inspect(engine).get_table_names()
    migrate(engine)

    assert schema_version(engine) == "0004"
    assert throttle.failures("anna", "192.0.2.1", T0) == {"name": 0, "address": 0}  # a new, empty table
    assert {i["name"] for i in inspect(engine).get_indexes("sign_in_throttle")} == {"ix_sign_in_throttle_window"}
    assert world.service.users("admin") == users
    for _ in range(5):
        assert throttle.admit("anna", "192.0.2.1", T0 + timedelta(minutes=1)) is None
    assert throttle.admit("anna", "192.0.2.1", T0 + timedelta(minutes=1)) is not None
    assert world.service.verify("admin").ok
    engine.dispose()


def test_the_migrated_schema_is_the_one_tables_py_declares(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'ny.db'}")
    migrate(engine)
    assert schema_differences(engine) == []
    engine.dispose()
