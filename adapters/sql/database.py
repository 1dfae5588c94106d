"""Opening a database: URL handling, SQLite's durability settings, and the schema kept at Alembic's head.

SQLite runs in WAL mode with synchronous=NORMAL and a busy timeout, and every write transaction starts
with BEGIN IMMEDIATE: two processes that both read and then write would otherwise deadlock on the lock
upgrade and one would get "database is locked" at once, whatever the timeout. PostgreSQL needs none of
this; the same Core statements run on both.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from engine.errors import RutinError

SCHEMA_HEAD = "0004"  # the newest Alembic revision; tests assert it matches migrations/versions
BUSY_TIMEOUT_S = 30.0


def database_url(value: str | None) -> str:
    """A SQLAlchemy URL from --db/RUTIN_DB; a plain path means a SQLite file."""
    if not value:
        value = os.environ.get("RUTIN_DB") or str(Path.cwd() / "rutin.db")
    if "://" in value:
        scheme = value.split("://", 1)[0]
        if scheme.split("+")[0] not in ("sqlite", "postgresql"):
            raise RutinError(
                f"--db: Rutin runs on SQLite or PostgreSQL, not '{scheme}'",
                "give a SQLite file path, or postgresql://USER@HOST/DATABASE",
                sv=(
                    f"--db: Rutin kör på SQLite eller PostgreSQL, inte '{scheme}'",
                    "ange sökvägen till en SQLite-fil, eller postgresql://ANVÄNDARE@VÄRD/DATABAS",
                ),
            )
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and for SQLite in memory."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    return Path(path) if path and path != ":memory:" and "///" in url else None


def open_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        parent = Path(path).parent
        if not parent.is_dir():
            raise RutinError(
                f"the folder for the database does not exist: {parent}",
                "create it, or give --db another path",
                sv=(f"mappen för databasen finns inte: {parent}", "skapa den, eller ange en annan sökväg med --db"),
            )
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "isolation_level": None})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("rutin_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def schema_version(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


def ensure_schema(engine: Engine) -> None:
    """Bring the schema to head; cheap when it already is (Alembic is imported only to migrate)."""
    if schema_version(engine) == SCHEMA_HEAD:
        return
    migrate(engine)


def migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.connect().execution_options(rutin_write=True) as conn:
        if conn.dialect.name == "postgresql":  # several workers starting at once: one migrates, the rest wait
            conn.execute(text("SELECT pg_advisory_xact_lock(7275746)"))
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
        conn.commit()
