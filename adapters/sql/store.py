"""The case store on SQLAlchemy Core: one short transaction per step, optimistic locking on the stream.

A step is: bump the stream's version and head hash where the version is still the one read (else
StaleCase), update the case row, insert the event and any outbox rows. On SQLite a transient
"database is locked" is retried with backoff (base_store.py), so it never reaches a user. This module
holds cases, events, streams and procedure versions; the outbox, timers, workers and users are the
mixins it joins.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from adapters.sql.fastpath import transaction
from adapters.sql.outbox_store import OutboxStore
from adapters.sql.rows import (
    CASE_WIDTH,
    case_from_values,
    case_row,
    event_from_row,
    from_iso,
    iso,
    outbox_row,
    user_from_values,
)
from adapters.sql.tables import cases, events, procedure_versions, streams
from adapters.sql.timer_store import TimerStore
from adapters.sql.user_store import SYSTEM_STREAM, UserStore
from adapters.sql.web_store import WebStore
from adapters.sql.worker_registry import WorkerRegistry
from engine.access import User
from engine.case import Case, DisplayStatus
from engine.deadlines import Timer
from engine.errors import NotFound, RutinError, StaleCase
from engine.history import Event
from engine.ports import CaseFilter, OutboxItem, SystemEvents

__all__ = ["SqlCaseStore", "from_iso", "iso"]


class SqlCaseStore(OutboxStore, TimerStore, WorkerRegistry, UserStore, WebStore):
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
        with transaction(self.engine, write=False) as cursor:  # a CLI step's first read: the hot path's connection
            row = self._hot.procedure_version.run(cursor, {"hash": procedure_hash}).fetchone()
        if row is None:
            raise NotFound(f"procedure version {procedure_hash[:12]} is not stored")
        return str(row[0]), str(row[1])

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
        if row is None:
            raise NotFound(
                f"there is no case '{case_id}'",
                "see the cases with `rutin case list`",
                sv=(f"det finns inget ärende '{case_id}'", "se ärendena med `rutin case list`"),
            )
        return case_from_values(row, self._texts)

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
        # the rows are built before the transaction begins: the write lock is held for the statements alone
        bump = {"sid": before.id, "before": before.version, "after": after.version, "head": after.head_hash}
        case = case_row(after, self._texts)
        case["cid"] = before.id
        event_rows = [self._event_row(e) for e in new_events]
        item_rows = [outbox_row(i) for i in items]

        def work() -> None:
            with transaction(self.engine, write=True) as cursor:
                bumped = hot.bump.run_row(cursor, bump)
                if bumped.rowcount != 1:
                    row = hot.stream_state.run(cursor, {"sid": before.id}).fetchone()
                    raise StaleCase(before.id, before.version, row[0] if row else None, row[1] if row else None)
                hot.update_case.run_row(cursor, case)
                for event in event_rows:
                    hot.insert_event.run_row(cursor, event)
                for item in item_rows:
                    hot.insert_outbox.run_row(cursor, item)

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
                hot.update_case.run_row(cursor, {**case_row(after, self._texts), "cid": before.id})
                return True

        return self._retrying(work)

    def load_step(self, case_id: str, actor: str) -> tuple[User | None, Case]:
        with transaction(self.engine, write=False) as cursor:  # one statement: the case, and the user beside it
            row = self._hot.load_step.run(cursor, {"case_id": case_id, "actor": actor}).fetchone()
        if row is None:
            if self.get_user(actor) is None:
                return None, self.load_case(case_id)  # the service reports the unknown user first
            raise NotFound(
                f"there is no case '{case_id}'",
                "see the cases with `rutin case list`",
                sv=(f"det finns inget ärende '{case_id}'", "se ärendena med `rutin case list`"),
            )
        user = user_from_values(row[CASE_WIDTH:]) if row[CASE_WIDTH] is not None else None  # by position
        return user, case_from_values(row, self._texts)

    # -- events, streams and lists of cases ---------------------------------------------------------

    def events(self, stream: str) -> list[Event]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events).where(events.c.stream == stream).order_by(events.c.seq)).all()
        return [event_from_row(r) for r in rows]

    def system_events_after(self, seq: int, kinds: Collection[str]) -> SystemEvents:
        """Served by the events table's primary key (stream, seq): a range from `seq` to the head, `kind` checked
        on the rows in that range. The head is read first, and it is bumped in the transaction that inserts its
        event, so every event up to it is committed and seen here, whatever the isolation level.

        Sorted here rather than in SQL: an ORDER BY seq would keep SQLite's planner on the primary key even if an
        index on (stream, kind, seq) were added, and the rows are few."""
        with self.engine.connect() as conn:
            head = conn.execute(
                select(streams.c.version, streams.c.head_hash).where(streams.c.id == SYSTEM_STREAM)
            ).first()
            seen = conn.execute(
                select(events.c.hash).where(and_(events.c.stream == SYSTEM_STREAM, events.c.seq == seq))
            ).scalar()
            version = head.version if head is not None else 0
            rows = conn.execute(
                select(events).where(
                    and_(
                        events.c.stream == SYSTEM_STREAM,
                        events.c.seq > seq,
                        events.c.seq <= version,
                        events.c.kind.in_(sorted(kinds)),
                    )
                )
            ).all()
        return SystemEvents(
            head=version,
            head_hash=head.head_hash if head is not None and version > 0 else None,
            events=sorted((event_from_row(r) for r in rows), key=lambda e: e.seq),
            seen_hash=seen,
        )

    def streams(self) -> list[tuple[str, int, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(streams.c.id, streams.c.version, streams.c.head_hash).order_by(streams.c.id))
            return [(r.id, r.version, r.head_hash) for r in rows]

    def stream_head(self, stream: str) -> tuple[int, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(streams.c.version, streams.c.head_hash).where(streams.c.id == stream)).first()
        return (row.version, row.head_hash) if row else None

    def list_cases(self, flt: CaseFilter, now: datetime) -> list[Case]:
        from adapters.sql.listing import extra_conditions, ordering, status_condition

        stamp = iso(now)
        wanted = extra_conditions(flt, stamp, self.engine.dialect.name)
        if flt.status is not None:
            wanted.append(status_condition(flt.status, stamp))
        if flt.procedure_id:
            wanted.append(cases.c.procedure_id == flt.procedure_id)
        # the page's ids first, sorted on narrow columns; then only those rows with their JSON
        page = select(cases.c.id).where(*wanted).order_by(*ordering(flt)).limit(flt.limit).offset(flt.offset)
        query = (
            select(cases, streams.c.version, streams.c.head_hash)
            .join(streams, streams.c.id == cases.c.id)
            .where(cases.c.id.in_(page.scalar_subquery()))
            .order_by(*ordering(flt))
        )
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
