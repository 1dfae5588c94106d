"""The worker registry: which workers run, with a heartbeat; SQLite allows one at a time."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from adapters.sql.base_store import StoreBase
from adapters.sql.rows import iso
from adapters.sql.tables import workers
from engine.errors import RutinError


class WorkerRegistry(StoreBase):
    @property
    def supports_many_workers(self) -> bool:
        return not self._sqlite

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


def _process_alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
