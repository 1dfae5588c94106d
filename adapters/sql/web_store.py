"""What the web app adds to the case store: comments (events that leave the case row as it is) and open cases
counted per procedure version and step (the process owner's overview)."""

from __future__ import annotations

from sqlalchemy import func, select

from adapters.sql.base_store import StoreBase
from adapters.sql.tables import cases
from engine.case import Case
from engine.history import Event


class WebStore(StoreBase):
    def append_note(self, before: Case, event: Event) -> None:
        def work() -> None:
            with self._write() as conn:
                self._bump(conn, before, event.seq, event.hash)  # StaleCase when someone moved the case meanwhile
                self._insert_events(conn, [event])

        self._retrying(work)

    def open_cases_by_step(self, procedure_id: str | None = None) -> list[tuple[str, str, str, int]]:
        """(procedure id, version hash, step, how many) of the cases not done; an index-only scan of ix_cases_steps."""
        wanted = [cases.c.status != "done"]
        if procedure_id is not None:
            wanted.append(cases.c.procedure_id == procedure_id)
        query = (
            select(cases.c.procedure_id, cases.c.procedure_hash, cases.c.state, func.count())
            .where(*wanted)
            .group_by(cases.c.procedure_id, cases.c.procedure_hash, cases.c.state)
            .order_by(cases.c.procedure_id, cases.c.procedure_hash, cases.c.state)
        )
        with self.engine.connect() as conn:
            return [(r[0], r[1], r[2], int(r[3])) for r in conn.execute(query)]
