"""What every part of the SQL case store shares: the engine, write transactions with retry, the hot statements.

On SQLite a transient "database is locked" is retried here with backoff, so it never reaches a user. The
parts of the store (outbox, timers, workers, users) are mixins over `StoreBase`; `SqlCaseStore` joins them.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, and_, bindparam, insert, select, update
from sqlalchemy.exc import OperationalError

from adapters.sql.fastpath import Prepared
from adapters.sql.rows import CASE_COLUMNS, USER_COLUMNS, ReadTexts, case_from_row, case_row, event_row, outbox_row
from adapters.sql.tables import cases, events, outbox, procedure_versions, streams, users
from engine.case import Case
from engine.errors import RutinError, StaleCase
from engine.history import Event
from engine.ports import OutboxItem

T = TypeVar("T")

_CASE_ROW = (
    "procedure_hash",
    "state",
    "status",
    "data",
    "wait",
    "due_at",
    "overdue_at",
    "updated_at",
    "route",
    "deadline_at",
    "lease_owner",
    "lease_until",
)
_EVENT_ROW = (
    "stream",
    "seq",
    "at",
    "actor",
    "kind",
    "step",
    "action",
    "data",
    "state",
    "procedure_hash",
    "prev_hash",
    "hash",
)
_OUTBOX_ROW = ("case_id", "seq", "kind", "payload", "created_at", "key", "status", "attempts", "next_attempt_at")


class _Hot:
    """The statements of a person's step, compiled once for the engine (see fastpath.py)."""

    def __init__(self, engine: Engine) -> None:
        p = bindparam
        case_columns = (*(cases.c[name] for name in CASE_COLUMNS), streams.c.version, streams.c.head_hash)
        self.load_case = Prepared(
            engine,
            select(*case_columns).join(streams, streams.c.id == cases.c.id).where(cases.c.id == p("case_id")),
        )
        self.get_user = Prepared(engine, select(users).where(users.c.name == p("name")))
        self.load_step = Prepared(  # the case (CASE_WIDTH columns by position), then the user's USER_COLUMNS
            engine,
            select(*case_columns, *(users.c[name].label(f"u_{name}") for name in USER_COLUMNS))
            .select_from(cases.join(streams, streams.c.id == cases.c.id).outerjoin(users, users.c.name == p("actor")))
            .where(cases.c.id == p("case_id")),
        )
        self.bump = Prepared(
            engine,
            update(streams)
            .where(and_(streams.c.id == p("sid"), streams.c.version == p("before")))
            .values(version=p("after"), head_hash=p("head")),
        )
        self.stream_state = Prepared(
            engine,
            select(streams.c.version, cases.c.state)
            .join(cases, cases.c.id == streams.c.id, isouter=True)
            .where(streams.c.id == p("sid")),
        )
        self.stream_version = Prepared(
            engine, select(streams.c.version).where(streams.c.id == p("sid")).with_for_update()
        )
        self.procedure_version = Prepared(  # the version a case runs on, read once per process and version
            engine,
            select(procedure_versions.c.text, procedure_versions.c.data).where(procedure_versions.c.hash == p("hash")),
        )
        self.update_case = Prepared(
            engine, update(cases).where(cases.c.id == p("cid")).values({c: p(f"v_{c}") for c in _CASE_ROW})
        )
        self.insert_event = Prepared(engine, insert(events).values({c: p(f"v_{c}") for c in _EVENT_ROW}))
        self.insert_outbox = Prepared(engine, insert(outbox).values({c: p(f"v_{c}") for c in _OUTBOX_ROW}))


class StoreBase:
    """The engine, the write transaction, the retry loop and the few writes several parts of the store make."""

    _case_row = staticmethod(case_row)
    _case = staticmethod(case_from_row)
    _event_row = staticmethod(event_row)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._hot = _Hot(engine)
        self._texts = ReadTexts()  # the JSON the hot path read, written back unencoded when unchanged

    # -- transactions ------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(rutin_write=True) as conn, conn.begin():
            yield conn

    def _retrying(self, work: Callable[[], T]) -> T:
        """Run a write, retrying while SQLite reports a lock (rare with WAL and BEGIN IMMEDIATE)."""
        deadline = time.monotonic() + 60
        delay = 0.01
        while True:
            try:
                return work()
            except (OperationalError, sqlite3.OperationalError) as exc:
                if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                    raise
                if time.monotonic() > deadline:
                    raise RutinError(
                        "the database stayed busy for a minute; nothing was saved",
                        "try again; if it persists, check for a stuck process holding the database",
                    ) from exc
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

    # -- shared writes -----------------------------------------------------------------------------

    def _bump(self, conn: Connection, before: Case, version: int, head_hash: str) -> None:
        result = conn.execute(
            update(streams)
            .where(and_(streams.c.id == before.id, streams.c.version == before.version))
            .values(version=version, head_hash=head_hash)
        )
        if result.rowcount != 1:
            found = conn.execute(select(streams.c.version).where(streams.c.id == before.id)).scalar()
            state = conn.execute(select(cases.c.state).where(cases.c.id == before.id)).scalar()
            raise StaleCase(before.id, before.version, found, state)

    def _insert_events(self, conn: Connection, new_events: Sequence[Event]) -> None:
        if new_events:
            conn.execute(insert(events), [self._event_row(e) for e in new_events])

    def _insert_outbox(self, conn: Connection, items: Sequence[OutboxItem]) -> None:
        if items:
            conn.execute(insert(outbox), [outbox_row(i) for i in items])

    def _claim(self, table: Any, key: Any, due: Any, owner: str, until: str) -> list[Any]:
        def work() -> list[Any]:
            with self._write() as conn:
                ids = [r[0] for r in conn.execute(due)]
                if ids:
                    conn.execute(update(table).where(key.in_(ids)).values(lease_owner=owner, lease_until=until))
                return ids

        return self._retrying(work)
