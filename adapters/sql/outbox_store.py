"""The outbox: mail and system actions written with a step, then leased, sent and retried by a worker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import and_, func, or_, select, update

from adapters.sql.base_store import StoreBase
from adapters.sql.rows import iso, item_from_row
from adapters.sql.tables import outbox
from engine.ports import OutboxItem


class OutboxStore(StoreBase):
    _item = staticmethod(item_from_row)

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

    def outbox_counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.kind, outbox.c.status, func.count()).group_by(outbox.c.kind, outbox.c.status)
            )
            return {f"{kind}:{status}": n for kind, status, n in rows}
