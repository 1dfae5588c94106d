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
from engine.history import Event, compact_json
from engine.ports import OutboxItem
from engine.values import JsonValue


def iso(moment: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order in every database."""
    if moment.tzinfo is not UTC:  # the service's times are UTC already; a conversion costs half of this call
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


_ENCODE = compact_json(sort_keys=False)  # one encoder, not one per call


def dumps(value: Any) -> str:
    """JSON for a column. Unsorted: hashes are computed over the canonical form elsewhere (history.canonical)."""
    return _ENCODE(value)


_RAW_DECODE = json.JSONDecoder().raw_decode


def loads(text: str) -> Any:
    """A JSON column's value: `json.loads` without its whitespace scans (columns hold compact JSON), as strict."""
    try:
        value, end = _RAW_DECODE(text)
    except json.JSONDecodeError:
        end = -1
    if end != len(text):
        return json.loads(text)  # surrounding whitespace is allowed, anything else raises as json.loads does
    return value


def named(cursor: Any, row: Sequence[Any]) -> dict[str, Any]:
    """A DBAPI row as a mapping from column name to value."""
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


# -- cases --------------------------------------------------------------------------------------------


def case_row(case: Case, texts: ReadTexts | None = None) -> dict[str, Any]:
    """The case's columns to write; `texts` (the store's) spares encoding again what the case was read with."""
    wait = case.wait
    overdue_at = case.overdue_at if case.status != "done" else None
    # the moments of a wait are written in its JSON too: each is formatted once (`stamp` finds them by identity)
    stamped = wait_json(wait) if wait is not None else None
    return {
        "procedure_hash": case.procedure_hash,  # changes only when a process owner migrates the case
        "state": case.state,
        "status": case.status,
        "data": texts.data(case.data) if texts is not None else dumps(case.data),
        "wait": dumps(stamped) if stamped is not None else None,
        "due_at": _stamp(wait.due_at(), wait, stamped) if wait is not None and stamped is not None else None,
        "overdue_at": _stamp(overdue_at, wait, stamped),
        "updated_at": _stamp(case.updated_at, wait, stamped),
        "route": texts.route(case.id, case.route) if texts is not None else dumps(list(case.route)),
        "deadline_at": iso(case.deadline_at) if case.deadline_at else None,
        "lease_owner": None,  # every write of the case ends a worker's claim on it
        "lease_until": None,
    }


def _stamp(moment: datetime | None, wait: Wait | None, stamped: dict[str, Any] | None) -> str | None:
    """`iso(moment)`, taken from the wait's JSON when the moment is one of the wait's own."""
    if moment is None:
        return None
    if wait is not None and stamped is not None:
        for name in ("next_check_at", "overdue_at", "started_at"):
            if moment is getattr(wait, name):
                return str(stamped[name])
    return iso(moment)


class ReadTexts:
    """The JSON texts of the cases a store read last, so that writing a case back does not encode what is unchanged.

    `data` is found by the identity of the dict that was read (a step that records no field keeps that very dict);
    `route` by the case's id, extended when the route only grew (a step appends to it). Each entry holds what its
    text was read with, so a reused id or a changed route is never taken for a hit. Bounded: memory stays flat, and
    a miss only costs the encoding it would have cost anyway.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._data: dict[int, tuple[dict[str, JsonValue], str]] = {}
        self._routes: dict[str, tuple[tuple[str, ...], str]] = {}

    def remember(self, case: Case, data_text: str, route_text: str | None) -> None:
        if len(self._data) >= self._size or len(self._routes) >= self._size:
            self._data.clear()
            self._routes.clear()
        self._data[id(case.data)] = (case.data, data_text)
        if route_text is not None:
            self._routes[case.id] = (case.route, route_text)

    def data(self, data: dict[str, JsonValue]) -> str:
        held = self._data.get(id(data))
        if held is not None and held[0] is data:
            return held[1]
        return dumps(data)

    def route(self, case_id: str, route: tuple[str, ...]) -> str:
        held = self._routes.get(case_id)
        if held is not None:
            before, text = held
            n = len(before)
            if n and route[:n] == before and text.endswith("]"):
                if len(route) == n:
                    return text
                return text[:-1] + "," + dumps(list(route[n:]))[1:]  # '["a","b"]' + ["c"] -> '["a","b","c"]'
        return dumps(list(route))


# A step reads a case by position, not by name: these columns in this order, then its stream's version and head
# hash (see base_store._Hot). Not the lease or the derived times (due_at, overdue_at): a Case has no field for them.
CASE_COLUMNS = (
    "id",
    "procedure_id",
    "procedure_hash",
    "state",
    "status",
    "data",
    "wait",
    "created_at",
    "updated_at",
    "created_by",
    "route",
    "deadline_at",
)
CASE_WIDTH = len(CASE_COLUMNS) + 2  # and streams.version, streams.head_hash


def case_from_values(v: Sequence[Any], texts: ReadTexts | None = None) -> Case:
    """A Case from a row that starts with CASE_COLUMNS, the version and the head hash; `texts` keeps its JSON."""
    wait, route, deadline_at = v[6], v[10], v[11]
    case = Case(
        v[0],
        v[1],
        v[2],
        v[3],
        v[4],
        loads(v[5]),
        v[12],
        v[13],
        from_iso(v[7]),
        from_iso(v[8]),
        v[9],
        wait_from(loads(wait)) if wait else None,
        tuple(loads(route)) if route else (),
        from_iso(deadline_at) if deadline_at else None,
    )
    if texts is not None:
        texts.remember(case, v[5], route)
    return case


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
    created = iso(i.created_at)
    return {
        "case_id": i.case_id,
        "seq": i.seq,
        "kind": i.kind,
        "payload": dumps(i.payload),
        "created_at": created,
        "key": i.key,
        "status": i.status,
        "attempts": i.attempts,
        "next_attempt_at": created,
    }


def item_from_row(r: Any) -> OutboxItem:
    return OutboxItem(
        r.id, r.case_id, r.seq, r.kind, json.loads(r.payload), from_iso(r.created_at), r.key, r.status, r.attempts
    )


# The user columns a step reads beside the case (everything a User holds; not the password hash)
USER_COLUMNS = ("name", "display_name", "email", "roles", "tasks", "admin")
_USERS: dict[tuple[Any, ...], User] = {}


def user_from_values(values: Sequence[Any]) -> User:
    """A User from USER_COLUMNS' values. Users are immutable and a handful act all day: the same stored values
    give the same User, so it is made once per set of values (the row itself is still read at every step)."""
    key = tuple(values)
    user = _USERS.get(key)
    if user is None:
        user = user_from_row(dict(zip(USER_COLUMNS, key, strict=True)))
        if len(_USERS) >= 256:
            _USERS.clear()
        _USERS[key] = user
    return user


def user_from_row(row: Any) -> User:
    return User(
        row["name"],
        tuple(json.loads(row["roles"])),
        tuple(json.loads(row["tasks"])),
        row["display_name"],
        row["email"],
        bool(row["admin"]),
    )
