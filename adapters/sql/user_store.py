"""Users, and the system stream: the hash-chained log of changes that belong to no case (a user saved)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from adapters.sql.base_store import StoreBase
from adapters.sql.fastpath import transaction
from adapters.sql.rows import dumps, named, user_from_row
from adapters.sql.tables import streams, users
from engine.access import User
from engine.errors import StaleCase
from engine.history import GENESIS, seal
from engine.values import JsonValue

SYSTEM_STREAM = "system"


class UserStore(StoreBase):
    _user = staticmethod(user_from_row)

    def get_user(self, name: str) -> User | None:
        with transaction(self.engine, write=False) as cursor:
            row = self._hot.get_user.run(cursor, {"name": name}).fetchone()
            found = named(cursor, row) if row is not None else None
        return self._user(found) if found else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            return [self._user(r._mapping) for r in conn.execute(select(users).order_by(users.c.name))]

    def save_user(self, user: User, actor: str, at: datetime, *, only_if_first: bool = False) -> bool:
        values = {
            "display_name": user.display_name,
            "email": user.email,
            "roles": dumps(list(user.roles)),
            "tasks": dumps(list(user.tasks)),
            "admin": user.admin,
        }

        def work() -> bool:
            with self._write() as conn:
                if only_if_first and conn.execute(select(users.c.name).limit(1)).first() is not None:
                    return False
                exists = conn.execute(select(users.c.name).where(users.c.name == user.name)).first()
                if exists:
                    conn.execute(update(users).where(users.c.name == user.name).values(**values))
                else:
                    conn.execute(insert(users).values(name=user.name, **values))
                self._append_system(conn, actor, at, "user_saved", user.to_json())
            return True

        return self._retrying(work)

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
