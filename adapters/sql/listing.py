"""The parts of listing cases that the web's "Mina ärenden" adds: several statuses, a set of procedures,
a student or group inside the case's data, urgent-first order and paging.

Students and groups live in `cases.data` (JSON text) under the names the procedures give their inputs. Each
name becomes `json_extract(data, '$.name')` on SQLite and `(data::jsonb) ->> 'name'` on PostgreSQL: exactly
the expressions migration 0003 indexes for KEYED_FIELDS, so the planner finds those indexes. A name outside
that list still filters correctly, by a scan.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal_column, or_, true

from adapters.sql.tables import cases
from engine.ports import CaseFilter

# the student and group inputs of the shipped procedures, indexed by migration 0003
KEYED_FIELDS = (
    "personnummer",
    "elev_utskrift",
    "kontrollelev",
    "betygsgrupp",
    "ny_betygsgrupp",
    "grupp",
    "provningsgrupp",
)
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")  # engine.procedure.IDENTIFIER: safe to write into SQL text


def data_field(name: str, dialect: str) -> ColumnElement[Any]:
    """The value of one input or field inside `cases.data`, as the index expression spells it."""
    if not _NAME.match(name):
        raise ValueError(f"not an input name: {name!r}")
    if dialect == "postgresql":
        return literal_column(f"((cases.data::jsonb) ->> '{name}')")
    return literal_column(f"json_extract(cases.data, '$.{name}')")


def _any_field(names: tuple[str, ...], value: str, dialect: str) -> ColumnElement[bool]:
    if not names:
        return false()
    return or_(*(data_field(n, dialect) == value for n in names))


def status_condition(status: str, stamp: str) -> ColumnElement[bool]:
    """The display status as stored columns: a case past its overdue moment is overdue, not waiting."""
    on_time = or_(cases.c.overdue_at.is_(None), cases.c.overdue_at > stamp)
    if status == "overdue":
        return and_(cases.c.status != "done", cases.c.overdue_at <= stamp)
    if status in ("waiting", "open"):
        return and_(cases.c.status == status, on_time)
    return cases.c.status == status


def extra_conditions(flt: CaseFilter, stamp: str, dialect: str) -> list[ColumnElement[bool]]:
    """The conditions of the fields after `limit` (none when they are left at their defaults)."""
    found: list[ColumnElement[bool]] = []
    if flt.status is None and flt.statuses:
        found.append(or_(*(status_condition(s, stamp) for s in flt.statuses)))
    if flt.procedure_ids is not None:
        # The procedures a person may see are most of them, and one procedure can hold every case: `|| ''` keeps
        # the planner (SQLite has no statistics) off ix_cases_steps and on the status, overdue, student and group
        # indexes, checking the procedure row by row. A chosen procedure (`procedure_id`) does use the index.
        column = cases.c.procedure_id.concat("")
        found.append(column.in_(flt.procedure_ids) if flt.procedure_ids else false())
    if flt.student:
        found.append(_any_field(flt.student_fields, flt.student, dialect))
    if flt.group:
        found.append(_any_field(flt.group_fields, flt.group, dialect))
    return found or [true()]


def ordering(flt: CaseFilter) -> list[Any]:
    if flt.urgent_first:  # an overdue case's overdue_at is in the past, so it sorts before every one on time
        return [cases.c.overdue_at.asc().nulls_last(), cases.c.updated_at.desc(), cases.c.id]
    return [cases.c.updated_at.desc(), cases.c.id]
