"""What auditors rely on: replaying a case from its events, verifying hash chains, exporting a history.

Replay re-derives the case from its first event through the pinned procedure version, with the same
pure functions that ran it, and compares every event it recomputes and the end result with what is
stored. Verify recomputes each stream's chain. Both name the first thing that disagrees.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.case import Case
from engine.comments import COMMENT, comment_event
from engine.errors import RutinError
from engine.history import ChainProblem, Event, compute_hash, verify_chain
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
    """`problems` in English (also in `to_json`, for scripts); `problems_sv` the same, in Swedish, for people."""

    case_id: str
    procedure_hash: str
    steps: list[ReplayedStep] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    problems_sv: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, en: str, sv: str) -> None:
        self.problems.append(en)
        self.problems_sv.append(sv)

    def localized(self, lang: str) -> list[str]:
        return self.problems_sv if lang == "sv" else self.problems

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
        report.problem(
            "the history does not begin with the case being started", "historiken börjar inte med att ärendet startas"
        )
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
            if compute_hash(event.payload()) != event.hash:  # changed after it was written: say that, not the symptom
                report.problem(*describe_difference(event, event, events))
            else:
                report.problem(
                    f"event {event.seq} ({event.kind}) cannot be replayed: {exc.message}",
                    f"händelse {event.seq} ({event.kind}) går inte att spela upp: {exc.localized('sv')[0]}",
                )
            break
        recomputed = outcome.events[0] if outcome.events else None
        matches = recomputed is not None and recomputed.hash == event.hash and recomputed.state == event.state
        if not matches:
            report.problem(*describe_difference(event, recomputed, events))
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
        for what, what_sv, stored, replayed in (
            ("step", "steg", case.state, current.state),
            ("status", "status", case.status, current.status),
            ("data", "uppgifter", case.data, current.data),
            ("version", "version", case.version, current.version),
            ("route", "väg", case.route, current.route),
        ):
            if stored != replayed:
                report.problem(
                    f"the stored case's {what} is {stored!r}, but its history gives {replayed!r}",
                    f"det sparade ärendets {what_sv} är {stored!r}, men historiken ger {replayed!r}",
                )
    return report


# The fields of an event an auditor can compare, in the order they are named: (field, English, Swedish).
_EVENT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("kind", "kind", "händelsetyp"),
    ("step", "step", "steg"),
    ("action", "action", "åtgärd"),
    ("state", "state after it", "steg efter den"),
    ("actor", "actor", "utförare"),
    ("at", "time", "tidpunkt"),
    ("data", "data", "uppgifter"),
    ("procedure_hash", "procedure version", "rutinversion"),
    ("prev_hash", "link to the event before", "länk till händelsen före"),
)
# Fields whose value when written may be another event's value (a time or data is not guessed).
_GUESSABLE = tuple(f for f in _EVENT_FIELDS if f[0] in ("actor", "kind", "step", "action", "state"))
_SHOWN = 80  # characters of a value shown in a difference; an auditor compares the rest in `audit export`


def _shown(value: object) -> str:
    text = value.isoformat() if isinstance(value, datetime) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def describe_difference(stored: Event, replayed: Event | None, history: Sequence[Event] = ()) -> tuple[str, str]:
    """Why a stored event and its replay disagree, in English and Swedish: each field that differs, with both values.

    Replay takes who and when from the stored event, so a changed actor or time gives the same fields and only a
    different hash: the stored event no longer matches its own hash. If putting back one value the history uses
    elsewhere (another actor, step, ...) gives the hash again, that field is named with the value it was written
    with; otherwise the message says the event was changed, without guessing which field.
    """
    where = f"event {stored.seq} ({stored.kind} at step {stored.step})"
    where_sv = f"händelse {stored.seq} ({stored.kind} vid steget {stored.step})"
    if replayed is None:
        return (
            f"{where} differs when replayed: the replay gives no event here",
            f"{where_sv} stämmer inte när historiken spelas upp: uppspelningen ger ingen händelse här",
        )
    differing = [
        (en, sv, getattr(stored, name), getattr(replayed, name))
        for name, en, sv in _EVENT_FIELDS
        if getattr(stored, name) != getattr(replayed, name)
    ]
    if differing:
        return (
            f"{where} differs when replayed: "
            + "; ".join(f"{en} stored {_shown(a)}, replayed {_shown(b)}" for en, _sv, a, b in differing),
            f"{where_sv} stämmer inte när historiken spelas upp: "
            + "; ".join(f"{sv} sparad {_shown(a)}, uppspelad {_shown(b)}" for _en, sv, a, b in differing),
        )
    restored = _written_value(stored, history)
    if restored is not None:
        en, sv, now, then = restored
        return (
            f"{where} was changed after it was written: its {en} is {_shown(now)}, but it was written with "
            f"{_shown(then)} (only that value gives back the event's hash)",
            f"{where_sv} har ändrats efter att den skrevs: {sv} är {_shown(now)}, men den skrevs med "
            f"{_shown(then)} (bara det värdet ger händelsens hash)",
        )
    as_stored = f"actor {_shown(stored.actor)}, time {_shown(stored.at)}, data {_shown(stored.data)}"
    as_stored_sv = f"utförare {_shown(stored.actor)}, tidpunkt {_shown(stored.at)}, uppgifter {_shown(stored.data)}"
    return (
        f"{where} was changed after it was written: its fields as stored ({as_stored}) no longer give its hash, so "
        "one of them (actor, time, data, ...) is not what was recorded",
        f"{where_sv} har ändrats efter att den skrevs: fälten som de är sparade ({as_stored_sv}) ger inte längre "
        "dess hash, så något av dem (utförare, tidpunkt, uppgifter, ...) är inte det som registrerades",
    )


def _written_value(stored: Event, history: Sequence[Event]) -> tuple[str, str, object, object] | None:
    """(field, field in Swedish, value now, value when written) when one value used elsewhere in the history,
    put back, gives the event's hash again; None when no single such value does."""
    payload = stored.payload()
    for name, en, sv in _GUESSABLE:
        now = getattr(stored, name)
        for candidate in dict.fromkeys(getattr(e, name) for e in history):
            if candidate != now and compute_hash({**payload, name: candidate}) == stored.hash:
                return en, sv, now, candidate
    return None


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
        report.problems.append(
            ChainProblem(
                where,
                None,
                "its text was changed after it was stored (hash mismatch)",
                "dess text har ändrats efter att den sparades (hashen stämmer inte)",
            )
        )
        return
    try:
        loaded = load_procedure_text(text, where)
    except ProcedureInvalid:
        report.problems.append(
            ChainProblem(where, None, "its stored text no longer validates", "dess sparade text är inte längre giltig")
        )
        return
    if json.loads(data) != loaded.data:
        report.problems.append(
            ChainProblem(
                where,
                None,
                "its stored data differs from its text",
                "dess sparade uppgifter skiljer sig från dess text",
            )
        )


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
