"""Rows and the domain: how a Case, an Event, a User and an OutboxItem become column values, and back.

Times are stored as fixed-width UTC text (`iso`), JSON columns with one shared compact encoder.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from engine.access import User
from engine.case import Case, Wait
from engine.history import Event
from engine.ports import OutboxItem


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in every database."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # one encoder, not one per call


def dumps(value: Any) -> str:
    """JSON for a column. Unsorted: hashes are computed over the canonical form elsewhere (history.canonical)."""
    return _ENCODE(value)


def named(cursor: Any, row: Sequence[Any]) -> dict[str, Any]:
    """A DBAPI row as a mapping from column name to value."""
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


# -- cases --------------------------------------------------------------------------------------------


def case_row(case: Case) -> dict[str, Any]:
    wait = case.wait
    due = wait.due_at() if wait else None
    overdue_at = case.overdue_at if case.status != "done" else None
    return {
        "procedure_hash": case.procedure_hash,  # changes only when a process owner migrates the case
        "state": case.state,
        "status": case.status,
        "data": dumps(case.data),
        "wait": dumps(wait_json(wait)) if wait else None,
        "due_at": iso(due) if due else None,
        "overdue_at": iso(overdue_at) if overdue_at else None,
        "updated_at": iso(case.updated_at),
        "route": dumps(list(case.route)),
        "deadline_at": iso(case.deadline_at) if case.deadline_at else None,
        "lease_owner": None,  # every write of the case ends a worker's claim on it
        "lease_until": None,
    }


def case_from_row(row: Any) -> Case:
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
        wait=wait_from(json.loads(row["wait"])) if row["wait"] else None,
        route=tuple(json.loads(row["route"])) if row["route"] else (),
        deadline_at=from_iso(row["deadline_at"]) if row["deadline_at"] else None,
    )


def wait_json(wait: Wait) -> dict[str, Any]:
    return {
        "step": wait.step,
        "started_at": iso(wait.started_at),
        "next_check_at": iso(wait.next_check_at),
        "expected_by": iso(wait.expected_by),
        "overdue_at": iso(wait.overdue_at),
        "by_person": wait.by_person,
        "overdue_marked": wait.overdue_marked,
    }


def wait_from(data: dict[str, Any]) -> Wait:
    return Wait(
        data["step"],
        from_iso(data["started_at"]),
        from_iso(data["next_check_at"]),
        from_iso(data["expected_by"]),
        from_iso(data["overdue_at"]),
        data["by_person"],
        data["overdue_marked"],
    )


# -- events -------------------------------------------------------------------------------------------


def event_row(e: Event) -> dict[str, Any]:
    return {
        "stream": e.stream,
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "kind": e.kind,
        "step": e.step,
        "action": e.action,
        "data": dumps(e.data),
        "state": e.state,
        "procedure_hash": e.procedure_hash,
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def event_from_row(r: Any) -> Event:
    return Event(
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


# -- outbox and users ---------------------------------------------------------------------------------


def outbox_row(i: OutboxItem) -> dict[str, Any]:
    return {
        "case_id": i.case_id,
        "seq": i.seq,
        "kind": i.kind,
        "payload": dumps(i.payload),
        "created_at": iso(i.created_at),
        "key": i.key,
        "status": i.status,
        "attempts": i.attempts,
        "next_attempt_at": iso(i.created_at),
    }


def item_from_row(r: Any) -> OutboxItem:
    return OutboxItem(
        r.id, r.case_id, r.seq, r.kind, json.loads(r.payload), from_iso(r.created_at), r.key, r.status, r.attempts
    )


def user_from_row(row: Any) -> User:
    return User(
        row["name"],
        tuple(json.loads(row["roles"])),
        tuple(json.loads(row["tasks"])),
        row["display_name"],
        row["email"],
        bool(row["admin"]),
    )
