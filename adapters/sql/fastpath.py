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
from collections.abc import Callable, Mapping
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.sql import ClauseElement


class Prepared:
    """One statement, compiled for one dialect on first use; `run` takes named values and executes it.

    `run_row` takes a row as the rows module builds it, keyed by column name: a parameter named `v_<column>`
    (the name SQLAlchemy needs for a value in SET or VALUES) takes the row's `<column>`, any other its own name.
    Compiling waits for the first use: a CLI command is a fresh process that runs a few of a store's statements.
    """

    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        self._engine = engine
        self._statement = statement
        self._sql: str | None = None  # set last by _compile: once it is set, so is everything else

    def _compile(self) -> str:
        compiled = self._statement.compile(dialect=self._engine.dialect)
        order = getattr(compiled, "positiontup", None)  # set for positional paramstyles (SQLite: qmark)
        positional: tuple[str, ...] | None = tuple(order) if order else None
        self._positional = positional
        # values fixed in the statement itself (a LIMIT 1, a literal): used when the caller does not give them
        binds = getattr(compiled, "binds", {})
        self._fixed = {name: bind.value for name, bind in binds.items() if bind.value is not None}
        names: tuple[str, ...] = positional if positional is not None else tuple(binds)
        self._names = names
        # `run` with every value given by the caller (no fixed ones): picked in the statement's order in C
        picks = positional is not None and len(names) > 1 and not self._fixed
        self._given: Callable[[Mapping[str, Any]], Any] | None = itemgetter(*names) if picks else None
        keys = tuple(name[2:] if name.startswith("v_") else name for name in names)
        self._keys = keys
        # itemgetter picks a row's values in the statement's order in C; it gives a bare value for one key
        self._pick: Callable[[Mapping[str, Any]], Any] = (
            itemgetter(*keys) if len(keys) > 1 else (lambda row: tuple(row[k] for k in keys))
        )
        self._sql = sql = compiled.string
        return sql

    def _args(self, values: Mapping[str, Any]) -> Any:
        if self._positional is None:
            return {**self._fixed, **values}
        if self._given is not None:
            return self._given(values)
        fixed = self._fixed
        return tuple(values[name] if name in values else fixed[name] for name in self._positional)

    def run(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        sql = self._sql if self._sql is not None else self._compile()
        cursor.execute(sql, self._args(values))
        return cursor

    def run_row(self, cursor: Any, row: Mapping[str, Any]) -> Any:
        """Execute with a row keyed by column name (see the class); every parameter must be in it."""
        sql = self._sql if self._sql is not None else self._compile()
        if self._positional is not None:
            cursor.execute(sql, self._pick(row))
        else:
            cursor.execute(sql, {name: row[key] for name, key in zip(self._names, self._keys, strict=True)})
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


class transaction:  # named as the function it replaced: `with transaction(engine, write=True) as cursor:`
    """A driver cursor in a transaction: BEGIN IMMEDIATE for SQLite writes (see database.py), commit or roll back.

    A class rather than a @contextmanager generator: a step opens two or three of these, and the generator's
    machinery cost more than the BEGIN it wraps.
    """

    __slots__ = ("_cursor", "_engine", "_raw", "_sqlite", "_write")

    def __init__(self, engine: Engine, *, write: bool) -> None:
        self._engine = engine
        self._write = write
        self._sqlite = engine.dialect.name == "sqlite"

    def __enter__(self) -> Any:
        held = _held(self._engine)
        self._raw, cursor = held.connection, held.cursor
        self._cursor = cursor
        if self._sqlite and self._write:  # a read is one statement: SQLite's autocommit is consistent enough for it
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._roll_back()
                raise
        return cursor

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if kind is not None:
            self._roll_back()
            return
        try:
            if self._sqlite:
                if self._write:
                    self._cursor.execute("COMMIT")
            else:
                self._raw.commit()
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        raw = self._raw
        try:
            if self._sqlite:
                if raw.driver_connection is not None and raw.driver_connection.in_transaction:
                    self._cursor.execute("ROLLBACK")
            else:
                raw.rollback()
        except Exception:  # the connection itself is broken: drop it, the next call opens a new one
            release(self._engine)


def is_locked(error: BaseException) -> bool:
    """A transient lock (SQLite's 'database is locked' / busy), worth trying again."""
    text = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and ("locked" in text or "busy" in text)
