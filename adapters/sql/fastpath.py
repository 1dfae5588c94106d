"""The hot path of a step: Core statements compiled once for the dialect, run on the driver's own cursor.

A person's step is a read of the user and the case, then one short write transaction. Building and
compiling SQLAlchemy statements on every call costs several times what SQLite itself spends, so these few
statements are written with Core (portable SQL, the same for SQLite and PostgreSQL), compiled once per
engine, and executed with the DBAPI cursor inside a transaction this module opens and ends.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql import ClauseElement


class Prepared:
    """One statement, compiled for one dialect; `run` takes named values and executes it."""

    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = compiled.string
        order = getattr(compiled, "positiontup", None)  # set for positional paramstyles (SQLite: qmark)
        self.positional: tuple[str, ...] | None = tuple(order) if order else None
        # values fixed in the statement itself (a LIMIT 1, a literal): used when the caller does not give them
        binds = getattr(compiled, "binds", {})
        self.fixed = {name: bind.value for name, bind in binds.items() if bind.value is not None}

    def args(self, values: Mapping[str, Any]) -> Any:
        if self.positional is None:
            return {**self.fixed, **values}
        fixed = self.fixed
        return tuple(values[name] if name in values else fixed[name] for name in self.positional)

    def run(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self.args(values))
        return cursor


class _Held(threading.local):
    connection: Any = None
    cursor: Any = None


_HELD: weakref.WeakKeyDictionary[Engine, _Held] = weakref.WeakKeyDictionary()


def _held(engine: Engine) -> _Held:
    """This thread's own driver connection to the engine's database, kept open: a pool checkout per statement
    group costs as much as SQLite's own work for a step."""
    held = _HELD.get(engine)
    if held is None:
        held = _HELD.setdefault(engine, _Held())
        event.listen(engine, "engine_disposed", release)
    if held.connection is None:
        held.connection = engine.raw_connection()
        held.cursor = held.connection.cursor()
    return held


def release(engine: Engine) -> None:
    """Give this thread's held connection back; runs when the engine is disposed."""
    held = _HELD.get(engine)
    if held is not None and held.connection is not None:
        held.cursor.close()
        held.connection.detach()  # out of the pool (which dispose() may have replaced already), then really closed
        held.connection.close()
        held.connection = held.cursor = None


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Any]:
    """A driver cursor in a transaction: BEGIN IMMEDIATE for SQLite writes (see database.py), commit or roll back."""
    held = _held(engine)
    raw, cursor = held.connection, held.cursor
    sqlite = engine.dialect.name == "sqlite"
    try:
        if sqlite and write:  # a read is one statement: SQLite's autocommit is consistent enough for it
            cursor.execute("BEGIN IMMEDIATE")
        yield cursor
        if sqlite:
            if write:
                cursor.execute("COMMIT")
        else:
            raw.commit()
    except BaseException:
        try:
            if sqlite:
                if raw.driver_connection is not None and raw.driver_connection.in_transaction:
                    cursor.execute("ROLLBACK")
            else:
                raw.rollback()
        except Exception:  # the connection itself is broken: drop it, the next call opens a new one
            release(engine)
        raise


def is_locked(error: BaseException) -> bool:
    """A transient lock (SQLite's 'database is locked' / busy), worth trying again."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
