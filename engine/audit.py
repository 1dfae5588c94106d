"""What auditors rely on: replaying a case from its events, verifying hash chains, exporting a history.

Replay re-derives the case from its first event through the pinned procedure version, with the same
pure functions that ran it, and compares every event it recomputes and the end result with what is
stored. Verify recomputes each stream's chain. Both name the first thing that disagrees.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.case import Case
from engine.comments import COMMENT, comment_event
from engine.errors import RutinError
from engine.history import ChainProblem, Event, verify_chain
from engine.machine import NOT_YET, SATISFIED, CompiledMachine
from engine.procedure import LoadedProcedure
from engine.rules.base import RuleSwitches
from engine.step import Move, Outcome, advance, deadline_event, mark_overdue, migrate, start_case
from engine.systems import EverySystem


@dataclass(frozen=True)
class ReplayedStep:
    seq: int
    at: str
    actor: str
    kind: str
    step: str | None
    action: str | None
    state: str | None
    detail: dict[str, Any]
    matches: bool


@dataclass
class ReplayReport:
    case_id: str
    procedure_hash: str
    steps: list[ReplayedStep] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "procedure_version": self.procedure_hash,
            "ok": self.ok,
            "problems": self.problems,
            "steps": [s.__dict__ for s in self.steps],
        }


VersionLoader = Callable[[str], tuple[LoadedProcedure, CompiledMachine]]


def replay_case(case: Case, events: list[Event], load: VersionLoader) -> ReplayReport:
    """Replay from the version the case started on, switching version where the history records a migration."""
    report = ReplayReport(case.id, case.procedure_hash)
    if not events or events[0].kind != "case_started":
        report.problems.append("the history does not begin with the case being started")
        return report
    manual = EverySystem()
    # the rules that were switched off when the case ran, as its events recorded them
    switches = RuleSwitches(frozenset(r for e in events for r in e.data.get("rules_off", ())))
    current: Case | None = None
    loaded, machine = load(events[0].procedure_hash or case.procedure_hash)
    for event in events:
        try:
            if event.kind == "case_migrated" and current is not None:
                loaded, machine = load(str(event.data["to"]))
                outcome = migrate(
                    current, loaded, str(event.data["state"]), event.actor, event.at, str(event.data.get("reason", ""))
                )
            else:
                outcome = _reapply(event, current, loaded, machine, manual, case.id, switches)
        except RutinError as exc:
            report.problems.append(f"event {event.seq} ({event.kind}) cannot be replayed: {exc.message}")
            break
        recomputed = outcome.events[0] if outcome.events else None
        matches = recomputed is not None and recomputed.hash == event.hash and recomputed.state == event.state
        if not matches:
            report.problems.append(
                f"event {event.seq} ({event.kind} at step {event.step}) differs when replayed: stored state "
                f"'{event.state}', replayed '{recomputed.state if recomputed else None}'"
            )
        current = outcome.case
        report.steps.append(
            ReplayedStep(
                event.seq,
                event.at.isoformat(),
                event.actor,
                event.kind,
                event.step,
                event.action,
                event.state,
                dict(event.data),
                matches,
            )
        )
        if not matches:
            break
    if current is not None and not report.problems:
        for what, stored, replayed in (
            ("step", case.state, current.state),
            ("status", case.status, current.status),
            ("data", case.data, current.data),
            ("version", case.version, current.version),
            ("route", case.route, current.route),
        ):
            if stored != replayed:
                report.problems.append(f"the stored case's {what} is {stored!r}, but its history gives {replayed!r}")
    return report


def _reapply(
    event: Event,
    current: Case | None,
    loaded: LoadedProcedure,
    machine: CompiledMachine,
    manual: EverySystem,
    case_id: str,
    switches: RuleSwitches,
) -> Outcome:
    if event.kind == "case_started":
        inputs = event.data.get("inputs", {})
        return start_case(loaded, machine, case_id, inputs, event.actor, event.at, manual, switches=switches)
    if current is None:
        raise RutinError("an event comes before the case was started")
    if event.kind == COMMENT:  # re-sealed from its text: the chain is checked, the case's state stays
        comment = comment_event(current, event.actor, event.at, str(event.data.get("text", "")))
        return Outcome(current.evolve(version=comment.seq, head_hash=comment.hash), [comment])
    if event.kind == "refused":
        from engine.step import refusal_event

        refusal = refusal_event(
            current,
            event.actor,
            event.at,
            event.action or "",
            str(event.data.get("reason")),
            {k: v for k, v in event.data.items() if k != "reason"},
        )
        return Outcome(current.evolve(version=refusal.seq, head_hash=refusal.hash), [refusal])
    if event.kind == "wait_overdue":
        return mark_overdue(current, event.at, event.actor)
    if event.kind == "deadline_missed":
        due = datetime.fromisoformat(str(event.data["due"]))
        return deadline_event(current, event.at, event.actor, str(event.data["deadline"]), due)
    fields = event.data.get("fields", {}) if event.kind == "step_done" else {}
    action = {"wait_satisfied": SATISFIED, "wait_not_yet": NOT_YET}.get(event.kind, event.action or "")
    move = Move(action, event.actor, event.at, fields, source=event.data.get("source"))
    internal = event.kind == "wait_satisfied"
    return advance(loaded, machine, current, move, manual, internal=internal, switches=switches)


@dataclass
class VerifyReport:
    streams: int = 0
    events: int = 0
    procedures: int = 0
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "streams": self.streams,
            "events": self.events,
            "procedures": self.procedures,
            "problems": [{"stream": p.stream, "seq": p.seq, "problem": p.problem} for p in self.problems],
        }


def verify_stream(report: VerifyReport, stream: str, events: list[Event], version: int, head: str) -> None:
    report.streams += 1
    report.events += len(events)
    report.problems.extend(verify_chain(stream, events, version, head))


def verify_procedure_version(report: VerifyReport, procedure_hash: str, text: str, data: str) -> None:
    """A stored version's text must still hash to its name, and its stored data must be what the text gives."""
    from engine.errors import ProcedureInvalid
    from engine.loader import load_procedure_text, text_hash

    report.procedures += 1
    where = f"procedure version {procedure_hash[:12]}"
    if text_hash(text) != procedure_hash:
        report.problems.append(ChainProblem(where, None, "its text was changed after it was stored (hash mismatch)"))
        return
    try:
        loaded = load_procedure_text(text, where)
    except ProcedureInvalid:
        report.problems.append(ChainProblem(where, None, "its stored text no longer validates"))
        return
    if json.loads(data) != loaded.data:
        report.problems.append(ChainProblem(where, None, "its stored data differs from its text"))


def export_history(case: Case, events: list[Event], fmt: str) -> str:
    if fmt == "json":
        body = {
            "case": {
                "id": case.id,
                "procedure": case.procedure_id,
                "procedure_version": case.procedure_hash,
                "state": case.state,
                "status": case.status,
                "version": case.version,
                "head_hash": case.head_hash,
            },
            "events": [e.to_json() for e in events],
        }
        return json.dumps(body, ensure_ascii=False, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "case",
                "seq",
                "at",
                "actor",
                "kind",
                "step",
                "action",
                "state",
                "data",
                "procedure_version",
                "prev_hash",
                "hash",
            ]
        )
        for e in events:
            writer.writerow(
                [
                    e.stream,
                    e.seq,
                    e.at.isoformat(),
                    e.actor,
                    e.kind,
                    e.step or "",
                    e.action or "",
                    e.state or "",
                    json.dumps(e.data, ensure_ascii=False, sort_keys=True),
                    e.procedure_hash or "",
                    e.prev_hash,
                    e.hash,
                ]
            )
        return out.getvalue()
    raise RutinError(f"unknown export format '{fmt}'", "use --format json or --format csv")
