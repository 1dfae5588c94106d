"""Deadline timers: planned with a case's writes, claimed by a worker when due, closed as fired or met."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, and_, insert, or_, select, update

from adapters.sql.base_store import StoreBase
from adapters.sql.rows import from_iso, iso
from adapters.sql.tables import cases, timers
from engine.case import Case
from engine.deadlines import Timer
from engine.history import Event
from engine.ports import OutboxItem, TimerRow


class TimerStore(StoreBase):
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
