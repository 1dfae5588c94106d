"""Deadlines and their reminders for one case, computed from the case's dates: pure, replayable data.

A deadline falls at the end of its day in Sweden (23:59:59 Europe/Stockholm); reminders go out at 07:00
Swedish time the given number of days before. The service stores these as timers (one row each, keyed so
that recomputing is idempotent) and the worker fires the due ones; a deadline the case has met fires
nothing. Dates that are missing or not yet recorded give no timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from engine.calendar import add_days
from engine.case import Case
from engine.personnummer import SWEDEN
from engine.procedure import Deadline, Procedure

REMIND_AT = time(7, 0)
TimerKind = Literal["reminder", "deadline"]


@dataclass(frozen=True)
class Timer:
    key: str  # unique per case: deadline id, kind and, for reminders, the days before
    deadline: str
    kind: TimerKind
    fire_at: datetime
    due: datetime  # the deadline itself, for the message


def deadline_moment(deadline: Deadline, data: dict[str, object]) -> datetime | None:
    raw = data.get(deadline.date)
    if not isinstance(raw, str):
        return None
    try:
        base = date.fromisoformat(raw)
    except ValueError:
        return None
    day = add_days(base, deadline.offset, working=deadline.working_days)
    return datetime.combine(day, time(23, 59, 59), SWEDEN)


def plan_timers(procedure: Procedure, case: Case) -> list[Timer]:
    """Every timer the case's deadlines call for, met or not (the worker skips met ones when they fall due)."""
    timers: list[Timer] = []
    for deadline in procedure.deadlines:
        due = deadline_moment(deadline, dict(case.data))
        if due is None:
            continue
        timers.append(Timer(f"{deadline.id}.deadline", deadline.id, "deadline", due, due))
        for days in sorted(set(deadline.remind_before), reverse=True):
            day = due.date().toordinal() - days
            moment = datetime.combine(date.fromordinal(day), REMIND_AT, SWEDEN)
            timers.append(Timer(f"{deadline.id}.remind.{days}", deadline.id, "reminder", moment, due))
    return timers


def is_met(deadline: Deadline, case: Case, visited: set[str]) -> bool:
    """A deadline is met when the case has reached one of its `met_at` steps, or has ended."""
    return case.status == "done" or bool(visited & set(deadline.met_at))


def next_deadline(procedure: Procedure, case: Case) -> datetime | None:
    """The earliest deadline the case has not met: past it, the case counts as overdue."""
    reached = set(case.route)
    moments = [
        moment
        for deadline in procedure.deadlines
        if not is_met(deadline, case, reached)
        if (moment := deadline_moment(deadline, dict(case.data))) is not None
    ]
    return min(moments) if moments else None
