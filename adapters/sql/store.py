"""The case store on SQLAlchemy Core: one short transaction per step, optimistic locking on the stream.

A step is: bump the stream's version and head hash where the version is still the one read (else
StaleCase), update the case row, insert the event and any outbox rows. On SQLite a transient
"database is locked" is retried here with backoff, so it never reaches a user.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.exc import OperationalError

from adapters.sql.fastpath import Prepared, transaction
from adapters.sql.tables import cases, events, outbox, procedure_versions, streams, timers, users, workers
from engine.access import User
from engine.case import Case, DisplayStatus, Wait
from engine.deadlines import Timer
from engine.errors import NotFound, RutinError, StaleCase
from engine.history import GENESIS, Event, seal
from engine.ports import CaseFilter, OutboxItem, TimerRow
from engine.values import JsonValue

T = TypeVar("T")
SYSTEM_STREAM = "system"


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in every database."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder, not one per call


def _dumps(value: Any) -> str:
    """JSON for a column. Unsorted: hashes are computed over the canonical form elsewhere (history.canonical)."""
    return _ENCODE(value)


def _outbox_row(i: OutboxItem) -> dict[str, Any]:
    return {
        "case_id": i.case_id,
        "seq": i.seq,
        "kind": i.kind,
        "payload": _dumps(i.payload),
        "created_at": iso(i.created_at),
        "key": i.key,
        "status": i.status,
        "attempts": i.attempts,
        "next_attempt_at": iso(i.created_at),
    }


_CASE_ROW = (
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
        self.load_case = Prepared(
            engine,
            select(cases, streams.c.version, streams.c.head_hash)
            .join(streams, streams.c.id == cases.c.id)
            .where(cases.c.id == p("case_id")),
        )
        self.get_user = Prepared(engine, select(users).where(users.c.name == p("name")))
        self.load_step = Prepared(
            engine,
            select(cases, streams.c.version, streams.c.head_hash, *(c.label(f"u_{c.name}") for c in users.c))
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
        self.update_case = Prepared(
            engine, update(cases).where(cases.c.id == p("cid")).values({c: p(f"v_{c}") for c in _CASE_ROW})
        )
        self.insert_event = Prepared(engine, insert(events).values({c: p(f"v_{c}") for c in _EVENT_ROW}))
        self.insert_outbox = Prepared(engine, insert(outbox).values({c: p(f"v_{c}") for c in _OUTBOX_ROW}))


def _prefixed(row: Mapping[str, Any]) -> dict[str, Any]:
    return {f"v_{k}": v for k, v in row.items()}


def _named(cursor: Any, row: Sequence[Any]) -> dict[str, Any]:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


class SqlCaseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._hot = _Hot(engine)

    @property
    def supports_many_workers(self) -> bool:
        return not self._sqlite

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

    # -- procedures ---------------------------------------------------------------------------------

    def save_procedure_version(
        self, procedure_hash: str, procedure_id: str, text: str, data: str, at: datetime
    ) -> None:
        def work() -> None:
            with self._write() as conn:
                found = conn.execute(
                    select(procedure_versions.c.hash).where(procedure_versions.c.hash == procedure_hash)
                ).first()
                if found is None:
                    conn.execute(
                        insert(procedure_versions).values(
                            hash=procedure_hash, procedure_id=procedure_id, text=text, data=data, stored_at=iso(at)
                        )
                    )

        self._retrying(work)

    def procedure_hashes(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(procedure_versions.c.hash).order_by(procedure_versions.c.hash)).scalars())

    def procedure_version(self, procedure_hash: str) -> tuple[str, str]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(procedure_versions.c.text, procedure_versions.c.data).where(
                    procedure_versions.c.hash == procedure_hash
                )
            ).first()
        if row is None:
            raise NotFound(f"procedure version {procedure_hash[:12]} is not stored")
        return str(row.text), str(row.data)

    def procedure_versions(self, procedure_id: str) -> list[tuple[str, datetime]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(procedure_versions.c.hash, procedure_versions.c.stored_at)
                .where(procedure_versions.c.procedure_id == procedure_id)
                .order_by(procedure_versions.c.stored_at)
            ).all()
        return [(r.hash, from_iso(r.stored_at)) for r in rows]

    # -- cases --------------------------------------------------------------------------------------

    def create_case(
        self, case: Case, new_events: Sequence[Event], items: Sequence[OutboxItem], planned: Sequence[Timer] = ()
    ) -> None:
        def work() -> None:
            with self._write() as conn:
                conn.execute(insert(streams).values(id=case.id, version=case.version, head_hash=case.head_hash))
                conn.execute(
                    insert(cases).values(
                        **self._case_row(case),
                        id=case.id,
                        procedure_id=case.procedure_id,
                        procedure_hash=case.procedure_hash,
                        created_at=iso(case.created_at),
                        created_by=case.created_by,
                    )
                )
                self._insert_events(conn, new_events)
                self._insert_outbox(conn, items)
                self._upsert_timers(conn, case.id, planned)

        try:
            self._retrying(work)
        except DbIntegrityError as exc:
            raise RutinError(f"a case with id {case.id} already exists", "start it again to get a new id") from exc

    def load_case(self, case_id: str) -> Case:
        with transaction(self.engine, write=False) as cursor:
            row = self._hot.load_case.run(cursor, {"case_id": case_id}).fetchone()
            found = _named(cursor, row) if row is not None else None
        if found is None:
            raise NotFound(
                f"there is no case '{case_id}'",
                "see the cases with `rutin case list`",
                sv=(f"det finns inget ärende '{case_id}'", "se ärendena med `rutin case list`"),
            )
        return self._case(found)

    def commit(
        self,
        before: Case,
        after: Case,
        new_events: Sequence[Event],
        items: Sequence[OutboxItem],
        planned: Sequence[Timer] = (),
        *,
        keep_lease: bool = False,
    ) -> None:
        if planned or keep_lease:  # rare (deadline timers, a worker's own write mid-sweep): the general path

            def general() -> None:
                row = self._case_row(after)
                if keep_lease:
                    del row["lease_owner"], row["lease_until"]
                with self._write() as conn:
                    self._bump(conn, before, after.version, after.head_hash)
                    conn.execute(update(cases).where(cases.c.id == before.id).values(**row))
                    self._insert_events(conn, new_events)
                    self._insert_outbox(conn, items)
                    self._upsert_timers(conn, before.id, planned)

            self._retrying(general)
            return
        hot = self._hot

        def work() -> None:
            with transaction(self.engine, write=True) as cursor:
                bumped = hot.bump.run(
                    cursor,
                    {"sid": before.id, "before": before.version, "after": after.version, "head": after.head_hash},
                )
                if bumped.rowcount != 1:
                    row = hot.stream_state.run(cursor, {"sid": before.id}).fetchone()
                    raise StaleCase(before.id, before.version, row[0] if row else None, row[1] if row else None)
                hot.update_case.run(cursor, {"cid": before.id, **_prefixed(self._case_row(after))})
                for event in new_events:
                    hot.insert_event.run(cursor, _prefixed(self._event_row(event)))
                for item in items:
                    hot.insert_outbox.run(cursor, _prefixed(_outbox_row(item)))

        self._retrying(work)

    def append_refusal(self, before: Case, event: Event) -> None:
        def work() -> None:
            with self._write() as conn:
                self._bump(conn, before, event.seq, event.hash)
                self._insert_events(conn, [event])

        self._retrying(work)

    def update_wait(self, before: Case, after: Case) -> bool:
        hot = self._hot

        def work() -> bool:
            with transaction(self.engine, write=True) as cursor:
                # FOR UPDATE: on PostgreSQL no step may slip in between this check and the write below
                row = hot.stream_version.run(cursor, {"sid": before.id}).fetchone()
                if row is None or row[0] != before.version:
                    return False
                hot.update_case.run(cursor, {"cid": before.id, **_prefixed(self._case_row(after))})
                return True

        return self._retrying(work)

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
            conn.execute(insert(outbox), [_outbox_row(i) for i in items])

    @staticmethod
    def _case_row(case: Case) -> dict[str, Any]:
        wait = case.wait
        due = wait.due_at() if wait else None
        overdue_at = case.overdue_at if case.status != "done" else None
        return {
            "state": case.state,
            "status": case.status,
            "data": _dumps(case.data),
            "wait": _dumps(_wait_json(wait)) if wait else None,
            "due_at": iso(due) if due else None,
            "overdue_at": iso(overdue_at) if overdue_at else None,
            "updated_at": iso(case.updated_at),
            "route": _dumps(list(case.route)),
            "deadline_at": iso(case.deadline_at) if case.deadline_at else None,
            "lease_owner": None,  # every write of the case ends a worker's claim on it
            "lease_until": None,
        }

    @staticmethod
    def _case(row: Any) -> Case:
        return Case(
            id=row["id"],
            procedure_id=row["procedure_id"],
            procedure_hash=row["procedure_hash"],
            state=row["state"],
            status=row["status"],
            data=json.loads(row["data"]),
            version=row["version"],
            head_hash=row["head_hash"],
            created_at=from_iso(row["created_at"]),
            updated_at=from_iso(row["updated_at"]),
            created_by=row["created_by"],
            wait=_wait_from(json.loads(row["wait"])) if row["wait"] else None,
            route=tuple(json.loads(row["route"])) if row["route"] else (),
            deadline_at=from_iso(row["deadline_at"]) if row["deadline_at"] else None,
        )

    @staticmethod
    def _event_row(e: Event) -> dict[str, Any]:
        return {
            "stream": e.stream,
            "seq": e.seq,
            "at": e.at.isoformat(),
            "actor": e.actor,
            "kind": e.kind,
            "step": e.step,
            "action": e.action,
            "data": _dumps(e.data),
            "state": e.state,
            "procedure_hash": e.procedure_hash,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
        }

    def events(self, stream: str) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.stream == stream).order_by(events.c.seq)).all()
        return [
            Event(
                r.stream,
                r.seq,
                from_iso(r.at),
                r.actor,
                r.kind,
                r.step,
                r.action,
                json.loads(r.data),
                r.state,
                r.procedure_hash,
                r.prev_hash,
                r.hash,
            )
            for r in rows
        ]

    def streams(self) -> list[tuple[str, int, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(streams.c.id, streams.c.version, streams.c.head_hash).order_by(streams.c.id))
            return [(r.id, r.version, r.head_hash) for r in rows]

    def stream_head(self, stream: str) -> tuple[int, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(streams.c.version, streams.c.head_hash).where(streams.c.id == stream)).first()
        return (row.version, row.head_hash) if row else None

    def list_cases(self, flt: CaseFilter, now: datetime) -> list[Case]:
        query = select(cases, streams.c.version, streams.c.head_hash).join(streams, streams.c.id == cases.c.id)
        stamp = iso(now)
        on_time = or_(cases.c.overdue_at.is_(None), cases.c.overdue_at > stamp)
        if flt.status == "overdue":
            query = query.where(and_(cases.c.status != "done", cases.c.overdue_at <= stamp))
        elif flt.status in ("waiting", "open"):
            query = query.where(and_(cases.c.status == flt.status, on_time))
        elif flt.status is not None:
            query = query.where(cases.c.status == flt.status)
        if flt.procedure_id:
            query = query.where(cases.c.procedure_id == flt.procedure_id)
        query = query.order_by(cases.c.updated_at.desc(), cases.c.id).limit(flt.limit)
        with self.engine.connect() as conn:
            return [self._case(r._mapping) for r in conn.execute(query)]

    def count_cases(self, now: datetime) -> dict[DisplayStatus, int]:
        counts: dict[DisplayStatus, int] = {"open": 0, "waiting": 0, "overdue": 0, "done": 0}
        with self.engine.connect() as conn:
            for status, n in conn.execute(select(cases.c.status, func.count()).group_by(cases.c.status)):
                counts[status] = n
            late = and_(cases.c.status != "done", cases.c.overdue_at <= iso(now))
            for status, n in conn.execute(select(cases.c.status, func.count()).where(late).group_by(cases.c.status)):
                counts[status] -= n
                counts["overdue"] += n
        return counts

    def due_cases(self, now: datetime, limit: int) -> list[str]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(cases.c.id).where(cases.c.due_at <= iso(now)).order_by(cases.c.due_at).limit(limit)
            )
            return [r.id for r in rows]

    def claim_due_cases(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[str]:
        """Lease the waiting cases that are due to this worker; another worker skips them until the lease ends."""
        stamp = iso(now)
        free = or_(cases.c.lease_until.is_(None), cases.c.lease_until < stamp)
        due = (
            select(cases.c.id)
            .where(and_(cases.c.due_at <= stamp, free))
            .order_by(cases.c.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return self._claim(cases, cases.c.id, due, owner, iso(now + lease))

    def _claim(self, table: Any, key: Any, due: Any, owner: str, until: str) -> list[Any]:
        def work() -> list[Any]:
            with self._write() as conn:
                ids = [r[0] for r in conn.execute(due)]
                if ids:
                    conn.execute(update(table).where(key.in_(ids)).values(lease_owner=owner, lease_until=until))
                return ids

        return self._retrying(work)

    # -- outbox -------------------------------------------------------------------------------------

    @staticmethod
    def _item(r: Any) -> OutboxItem:
        return OutboxItem(
            r.id, r.case_id, r.seq, r.kind, json.loads(r.payload), from_iso(r.created_at), r.key, r.status, r.attempts
        )

    def pending_outbox(self, kind: str, now: datetime, limit: int, case_id: str | None = None) -> list[OutboxItem]:
        query = select(outbox).where(
            and_(outbox.c.status == "pending", outbox.c.kind == kind, outbox.c.next_attempt_at <= iso(now))
        )
        if case_id is not None:
            query = query.where(outbox.c.case_id == case_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(outbox.c.id).limit(limit)).all()
        return [self._item(r) for r in rows]

    def claim_outbox(self, kind: str, now: datetime, owner: str, lease: timedelta, limit: int) -> list[OutboxItem]:
        """Lease pending items of a kind whose time has come; an expired lease (a crashed worker) frees them."""
        stamp = iso(now)
        free = or_(outbox.c.lease_until.is_(None), outbox.c.lease_until < stamp)
        due = (
            select(outbox.c.id)
            .where(and_(outbox.c.status == "pending", outbox.c.kind == kind, outbox.c.next_attempt_at <= stamp, free))
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = self._claim(outbox, outbox.c.id, due, owner, iso(now + lease))
        if not ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)).all()
        return [self._item(r) for r in rows]

    def outbox_items(self, case_id: str | None = None) -> list[OutboxItem]:
        query = select(outbox).order_by(outbox.c.id)
        if case_id is not None:
            query = query.where(outbox.c.case_id == case_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._item(r) for r in rows]

    def mark_outbox(self, item_id: int, status: Literal["done", "failed", "pending"], attempts: int) -> None:
        def work() -> None:
            with self._write() as conn:
                conn.execute(update(outbox).where(outbox.c.id == item_id).values(status=status, attempts=attempts))

        self._retrying(work)

    def renew_outbox_lease(self, item_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        def work() -> bool:
            with self._write() as conn:
                mine = and_(outbox.c.id == item_id, outbox.c.status == "pending", outbox.c.lease_owner == owner)
                done = conn.execute(update(outbox).where(mine).values(lease_until=iso(now + lease)))
                return bool(done.rowcount == 1)

        return self._retrying(work)

    def mark_sent(self, item_id: int, at: datetime, attempts: int) -> None:
        def work() -> None:
            with self._write() as conn:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == item_id)
                    .values(status="done", attempts=attempts, sent_at=iso(at), lease_owner=None, lease_until=None)
                )

        self._retrying(work)

    def retry_later(self, item_id: int, attempts: int, at: datetime, error: str, *, give_up: bool = False) -> None:
        def work() -> None:
            with self._write() as conn:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.id == item_id)
                    .values(
                        status="failed" if give_up else "pending",
                        attempts=attempts,
                        next_attempt_at=iso(at),
                        last_error=error[:2000],
                        lease_owner=None,
                        lease_until=None,
                    )
                )

        self._retrying(work)

    def add_outbox_once(self, items: Sequence[OutboxItem]) -> int:
        """Insert the items whose key is new (a digest already written today is not written again)."""

        def work() -> int:
            with self._write() as conn:
                keys = [i.key for i in items]
                existing = (
                    set(conn.execute(select(outbox.c.key).where(outbox.c.key.in_(keys))).scalars()) if keys else set()
                )
                fresh = [i for i in items if i.key not in existing]
                self._insert_outbox(conn, fresh)
                return len(fresh)

        return self._retrying(work)

    def open_cases_of(self, actor: str) -> list[Case]:
        """The cases not done that the person started or acted on."""
        acted = select(events.c.stream).where(events.c.actor == actor).distinct()
        query = (
            select(cases, streams.c.version, streams.c.head_hash)
            .join(streams, streams.c.id == cases.c.id)
            .where(and_(cases.c.status != "done", or_(cases.c.created_by == actor, cases.c.id.in_(acted))))
            .order_by(cases.c.overdue_at, cases.c.id)
        )
        with self.engine.connect() as conn:
            return [self._case(r._mapping) for r in conn.execute(query)]

    def outbox_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.kind, outbox.c.status, func.count()).group_by(outbox.c.kind, outbox.c.status)
            )
            return {f"{kind}:{status}": n for kind, status, n in rows}

    # -- timers -------------------------------------------------------------------------------------

    def _upsert_timers(self, conn: Connection, case_id: str, planned: Sequence[Timer]) -> None:
        """Insert new timers and move pending ones whose date changed; fired ones stay as they are."""
        if not planned:
            return
        existing = {
            r.key: r
            for r in conn.execute(
                select(timers.c.key, timers.c.status, timers.c.fire_at).where(timers.c.case_id == case_id)
            )
        }
        for t in planned:
            row = {"deadline": t.deadline, "kind": t.kind, "fire_at": iso(t.fire_at), "due_at": iso(t.due)}
            found = existing.get(t.key)
            if found is None:
                conn.execute(insert(timers).values(case_id=case_id, key=t.key, status="pending", **row))
            elif found.status == "pending" and found.fire_at != row["fire_at"]:
                conn.execute(
                    update(timers).where(and_(timers.c.case_id == case_id, timers.c.key == t.key)).values(**row)
                )

    def claim_due_timers(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[TimerRow]:
        stamp = iso(now)
        free = or_(timers.c.lease_until.is_(None), timers.c.lease_until < stamp)
        due = (
            select(timers.c.case_id, timers.c.key)
            .where(and_(timers.c.status == "pending", timers.c.fire_at <= stamp, free))
            .order_by(timers.c.fire_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )

        def work() -> list[TimerRow]:
            with self._write() as conn:
                keys = [(r.case_id, r.key) for r in conn.execute(due)]
                claimed = []
                for case_id, key in keys:
                    where = and_(timers.c.case_id == case_id, timers.c.key == key)
                    conn.execute(update(timers).where(where).values(lease_owner=owner, lease_until=iso(now + lease)))
                    r = conn.execute(select(timers).where(where)).one()
                    claimed.append(
                        TimerRow(r.case_id, r.key, r.deadline, r.kind, from_iso(r.fire_at), from_iso(r.due_at))
                    )
                return claimed

        return self._retrying(work)

    def close_timer(
        self,
        timer: TimerRow,
        status: Literal["fired", "met"],
        at: datetime,
        items: Sequence[OutboxItem] = (),
        before: Case | None = None,
        after: Case | None = None,
        new_events: Sequence[Event] = (),
    ) -> None:
        """Mark a timer fired (with its mail, and the case's event when a deadline passed) or met, in one go."""

        def work() -> None:
            with self._write() as conn:
                if before is not None and after is not None:
                    self._bump(conn, before, after.version, after.head_hash)
                    conn.execute(update(cases).where(cases.c.id == before.id).values(**self._case_row(after)))
                    self._insert_events(conn, new_events)
                where = and_(timers.c.case_id == timer.case_id, timers.c.key == timer.key, timers.c.status == "pending")
                done = conn.execute(
                    update(timers).where(where).values(status=status, fired_at=iso(at), lease_owner=None)
                )
                if done.rowcount == 1:  # nobody closed it meanwhile: only then its mail goes out
                    self._insert_outbox(conn, items)

        self._retrying(work)

    def timers_of(self, case_id: str) -> list[tuple[str, str, datetime]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(timers.c.key, timers.c.status, timers.c.fire_at).where(timers.c.case_id == case_id)
            )
            return [(r.key, r.status, from_iso(r.fire_at)) for r in rows]

    # -- workers ------------------------------------------------------------------------------------

    def register_worker(self, worker: str, now: datetime, *, single_only: bool, stale_after: timedelta) -> None:
        """Record a running worker; with `single_only` (SQLite) refuse while another one is alive."""
        import os
        import socket

        def work() -> None:
            with self._write() as conn:
                here = socket.gethostname()
                for row in conn.execute(select(workers.c.id, workers.c.host, workers.c.pid)).all():
                    if row.host == here and not _process_alive(row.pid):  # killed without saying goodbye
                        conn.execute(delete(workers).where(workers.c.id == row.id))
                alive = conn.execute(
                    select(workers.c.id, workers.c.host, workers.c.pid).where(
                        workers.c.heartbeat_at > iso(now - stale_after)
                    )
                ).first()
                if single_only and alive is not None:
                    raise RutinError(
                        f"another worker is running on this SQLite database ({alive.host}, process {alive.pid})",
                        "SQLite supports one worker at a time: stop the other one, or use PostgreSQL for several",
                    )
                conn.execute(
                    insert(workers).values(
                        id=worker,
                        host=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=iso(now),
                        heartbeat_at=iso(now),
                    )
                )

        self._retrying(work)

    def heartbeat(self, worker: str, now: datetime) -> None:
        def work() -> None:
            with self._write() as conn:
                conn.execute(update(workers).where(workers.c.id == worker).values(heartbeat_at=iso(now)))

        self._retrying(work)

    def unregister_worker(self, worker: str) -> None:
        def work() -> None:
            with self._write() as conn:
                conn.execute(delete(workers).where(workers.c.id == worker))

        self._retrying(work)

    # -- users and the system stream ----------------------------------------------------------------

    def load_step(self, case_id: str, actor: str) -> tuple[User | None, Case]:
        with transaction(self.engine, write=False) as cursor:  # one statement: the case, and the user beside it
            row = self._hot.load_step.run(cursor, {"case_id": case_id, "actor": actor}).fetchone()
            found = _named(cursor, row) if row is not None else None
        if found is None:
            if self.get_user(actor) is None:
                return None, self.load_case(case_id)  # the service reports the unknown user first
            raise NotFound(
                f"there is no case '{case_id}'",
                "see the cases with `rutin case list`",
                sv=(f"det finns inget ärende '{case_id}'", "se ärendena med `rutin case list`"),
            )
        user = None
        if found["u_name"] is not None:
            user = self._user({k[2:]: v for k, v in found.items() if k.startswith("u_")})
        return user, self._case(found)

    def get_user(self, name: str) -> User | None:
        with transaction(self.engine, write=False) as cursor:
            row = self._hot.get_user.run(cursor, {"name": name}).fetchone()
            found = _named(cursor, row) if row is not None else None
        return self._user(found) if found else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            return [self._user(r._mapping) for r in conn.execute(select(users).order_by(users.c.name))]

    @staticmethod
    def _user(row: Any) -> User:
        return User(
            row["name"],
            tuple(json.loads(row["roles"])),
            tuple(json.loads(row["tasks"])),
            row["display_name"],
            row["email"],
            bool(row["admin"]),
        )

    def save_user(self, user: User, actor: str, at: datetime) -> None:
        values = {
            "display_name": user.display_name,
            "email": user.email,
            "roles": _dumps(list(user.roles)),
            "tasks": _dumps(list(user.tasks)),
            "admin": user.admin,
        }

        def work() -> None:
            with self._write() as conn:
                exists = conn.execute(select(users.c.name).where(users.c.name == user.name)).first()
                if exists:
                    conn.execute(update(users).where(users.c.name == user.name).values(**values))
                else:
                    conn.execute(insert(users).values(name=user.name, **values))
                self._append_system(conn, actor, at, "user_saved", user.to_json())

        self._retrying(work)

    def append_system_event(self, actor: str, at: datetime, kind: str, data: Mapping[str, JsonValue]) -> None:
        def work() -> None:
            with self._write() as conn:
                self._append_system(conn, actor, at, kind, dict(data))

        self._retrying(work)

    def _append_system(self, conn: Connection, actor: str, at: datetime, kind: str, data: dict[str, Any]) -> None:
        # FOR UPDATE serialises writers of the one system stream on PostgreSQL (SQLite's BEGIN IMMEDIATE already does)
        head = conn.execute(
            select(streams.c.version, streams.c.head_hash).where(streams.c.id == SYSTEM_STREAM).with_for_update()
        ).first()
        if head is None:  # the migration creates the row; this only serves a database made without it
            conn.execute(insert(streams).values(id=SYSTEM_STREAM, version=0, head_hash=GENESIS))
            version, prev = 0, GENESIS
        else:
            version, prev = head.version, head.head_hash
        event = seal(SYSTEM_STREAM, version + 1, at, actor, kind, prev_hash=prev, data=data)
        result = conn.execute(
            update(streams)
            .where(and_(streams.c.id == SYSTEM_STREAM, streams.c.version == version))
            .values(version=event.seq, head_hash=event.hash)
        )
        if result.rowcount != 1:
            raise StaleCase(SYSTEM_STREAM, version, None)
        self._insert_events(conn, [event])


def _process_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_json(wait: Wait) -> dict[str, Any]:
    return {
        "step": wait.step,
        "started_at": iso(wait.started_at),
        "next_check_at": iso(wait.next_check_at),
        "expected_by": iso(wait.expected_by),
        "overdue_at": iso(wait.overdue_at),
        "by_person": wait.by_person,
        "overdue_marked": wait.overdue_marked,
    }


def _wait_from(data: dict[str, Any]) -> Wait:
    return Wait(
        data["step"],
        from_iso(data["started_at"]),
        from_iso(data["next_check_at"]),
        from_iso(data["expected_by"]),
        from_iso(data["overdue_at"]),
        data["by_person"],
        data["overdue_marked"],
    )
