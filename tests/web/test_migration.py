"""Migration 0003: password hashes, sessions and the listing indexes come and go cleanly over existing data."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

import adapters.sql.database as database
from adapters.sql.database import SCHEMA_HEAD, migrate, open_engine, schema_version
from engine.service import Rutin
from tests.conftest import make_world


def downgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(database.__file__).parent / "migrations"))
    with engine.connect().execution_options(rutin_write=True) as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
        conn.commit()


def test_0003_upgrades_a_0002_database_with_its_users_and_cases_and_downgrades_again(tmp_path: Path) -> None:
    world = make_world(tmp_path)  # at head, with users; a case to carry over
    case_id = world.service.start(
        "avregistrering-betyg",
        {"personnummer": "19121212-1212", "orsak": "ej_last", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"},
        "anna",
    ).id
    engine = world.store.engine
    downgrade(engine, "0002")
    assert schema_version(engine) == "0002"
    assert "sessions" not in inspect(engine).get_table_names()
    assert "password_hash" not in {c["name"] for c in inspect(engine).get_columns("users")}
    migrate(engine, "0003")
    assert schema_version(engine) == "0003"
    with engine.connect() as conn:  # from sqlite_master: SQLAlchemy does not reflect expression indexes
        indexes = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
    assert {"ix_cases_overdue", "ix_cases_steps", "ix_cases_data_personnummer", "ix_cases_data_betygsgrupp"} <= indexes
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users WHERE password_hash IS NULL")).scalar_one() == 5
    service: Rutin = world.service
    assert service.user("anna").tasks == ("Betygsadministratör",)  # users keep their roles and tasks
    assert [c.view.id for c in service.my_cases("anna", student="19121212-1212").cases] == [case_id]
    assert service.verify("anna", case_id).ok
    engine.dispose()


def test_a_new_database_is_made_at_head(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'ny.db'}")
    migrate(engine)
    assert schema_version(engine) == SCHEMA_HEAD
    assert "sessions" in inspect(engine).get_table_names()
    engine.dispose()
