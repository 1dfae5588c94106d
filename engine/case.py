"""A case: one run of one procedure version, as plain immutable data the store persists.

The state is a step id; `data` holds the case's inputs and the fields recorded so far (JSON values);
`version` counts the events in its history and is the optimistic lock; `wait` is set while the case
waits on another system. "Overdue" is not stored as a status: it is a waiting case past `overdue_at`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from engine.values import JsonValue

Status = Literal["open", "waiting", "done"]
DisplayStatus = Literal["open", "waiting", "overdue", "done"]
STATUSES: tuple[DisplayStatus, ...] = ("open", "waiting", "overdue", "done")


@dataclass(frozen=True)
class Wait:
    step: str
    started_at: datetime
    next_check_at: datetime  # when the adapter (or the person) should look next
    expected_by: datetime
    overdue_at: datetime
    by_person: bool = False  # answered by the manual adapter: the person confirms
    overdue_marked: bool = False

    def due_at(self) -> datetime | None:
        """When the worker must look at this case next: its next automatic check, or the overdue moment."""
        moments = []
        if not self.by_person:
            moments.append(self.next_check_at)
        if not self.overdue_marked:
            moments.append(self.overdue_at)
        return min(moments) if moments else None


@dataclass(frozen=True)
class Case:
    id: str
    procedure_id: str
    procedure_hash: str
    state: str
    status: Status
    data: dict[str, JsonValue]
    version: int
    head_hash: str
    created_at: datetime
    updated_at: datetime
    created_by: str
    wait: Wait | None = None
    route: tuple[str, ...] = ()  # every step the case has been at, in order (automatic ones too)
    deadline_at: datetime | None = None  # the earliest deadline of the procedure the case has not met yet

    @property
    def overdue_at(self) -> datetime | None:
        """When the case becomes overdue: its wait runs past its time, or a deadline passes unmet."""
        waited = self.wait.overdue_at if self.wait is not None else None
        deadline = self.deadline_at
        if waited is None or deadline is None:
            return deadline if waited is None else waited
        return min(waited, deadline)

    def display_status(self, now: datetime) -> DisplayStatus:
        overdue_at = self.overdue_at
        if self.status != "done" and overdue_at is not None and now >= overdue_at:
            return "overdue"
        return self.status

    def evolve(self, **changes: object) -> Case:
        """A copy with some fields changed. Not dataclasses.replace: that re-runs __init__, and a step makes a
        handful of these (Case has no validation to re-run)."""
        if not changes.keys() <= _FIELDS:
            unknown = sorted(changes.keys() - _FIELDS)
            raise TypeError(f"Case has no field {unknown[0]!r}")
        copy = object.__new__(Case)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy


_FIELDS = frozenset(Case.__dataclass_fields__)
