"""The functional core: given a case and what someone did, the next case, its event and its effects.

Nothing here reads a clock, a file or a database: `now` and the actor come in, and what must happen out
there (mail to write to the outbox, an action a sandbox should simulate) goes out as data in `Outcome`.
The service performs it through the ports. Because every move is a pure function of the case and the
event, replaying a history through the pinned procedure version must reproduce the stored state.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from engine.case import Case, Status, Wait
from engine.duration import parse_duration
from engine.errors import ActionRefused, InvalidInputs, InvalidValue
from engine.expression import parse_expression
from engine.history import GENESIS, Event, seal
from engine.machine import AUTOMATIC, CHECK, NO_SWITCHES, NOT_YET, PASS, ROUTE, SATISFIED, CompiledMachine
from engine.personnummer import mask_personnummer, swedish_date
from engine.procedure import (
    AnyStep,
    CheckStep,
    ChoiceStep,
    EndStep,
    Input,
    LoadedProcedure,
    NotifyStep,
    Procedure,
    TaskStep,
    WaitStep,
)
from engine.rules.base import RuleSwitches
from engine.template import render
from engine.values import JsonValue, parse_value


@dataclass(frozen=True)
class MailDraft:
    to: str
    subject: str
    body: str
    step: str


@dataclass(frozen=True)
class PerformRequest:
    system: str
    action: str
    args: dict[str, JsonValue]
    step: str


@dataclass(frozen=True)
class Outcome:
    case: Case
    events: list[Event]
    mails: list[MailDraft] = field(default_factory=list)
    performs: list[PerformRequest] = field(default_factory=list)


@dataclass(frozen=True)
class Move:
    """Who did what: an action name (a button, a route, or an internal trigger) and the values entered."""

    action: str
    actor: str
    at: datetime
    fields: Mapping[str, object] = field(default_factory=dict)
    source: str | None = None  # which adapter answered, for automatic moves


def parse_inputs(
    specs: list[Input],
    raw: Mapping[str, object],
    known: Mapping[str, JsonValue] | None = None,
    *,
    what: str = "input",
    today: date | None = None,
) -> dict[str, JsonValue]:
    """Parse every given value and require what is required; all problems at once, nothing partial."""
    problems: list[InvalidValue] = []
    names = {s.name for s in specs}
    for name in raw:
        if name not in names:
            hint, hint_sv = _hints(name, names)
            sv_what = "okänd uppgift" if what == "input" else "okänt fält"
            problems.append(InvalidValue(name, f"unknown {what} '{name}'", hint, sv=(f"{sv_what} '{name}'", hint_sv)))
    parsed: dict[str, JsonValue] = {}
    for spec in specs:
        value = raw.get(spec.name)
        if value is None or value == "":
            continue
        try:
            parsed[spec.name] = parse_value(
                spec.name,
                spec.type,
                value,
                choices=[c.value for c in spec.choices] if spec.choices else None,
                today=today,
            )
        except InvalidValue as exc:
            problems.append(exc)
    env = {**(known or {}), **parsed}
    for spec in specs:
        if spec.name in parsed or any(p.name == spec.name for p in problems):
            continue
        condition = parse_expression(spec.required_when) if spec.required_when else None
        if condition.holds(env) if condition is not None else spec.required:
            # an administrator reads why in values, not in the procedure's condition syntax
            because = ", ".join(f"{n} = {env[n]!r}" for n in sorted(condition.names) if n in env) if condition else ""
            problems.append(
                InvalidValue(
                    spec.name,
                    f"'{spec.label_en or spec.label}' is required" + (f" (because {because})" if because else ""),
                    f"give it with --set {spec.name}=...",
                    sv=(
                        f"'{spec.label}' måste anges" + (f" (eftersom {because})" if because else ""),
                        f"ange den med --set {spec.name}=...",
                    ),
                )
            )
    if problems:
        raise InvalidInputs(problems)
    return parsed


def start_case(
    loaded: LoadedProcedure,
    machine: CompiledMachine,
    case_id: str,
    inputs: Mapping[str, object],
    actor: str,
    now: datetime,
    manual_systems: Container[str],
    *,
    switches: RuleSwitches = NO_SWITCHES,
) -> Outcome:
    data = parse_inputs(loaded.procedure.inputs, inputs, today=swedish_date(now))
    first = loaded.procedure.first_step
    state, path, mails, (status, wait) = _settle(loaded, machine, case_id, first, data, now, manual_systems, switches)
    event = seal(
        case_id,
        1,
        now,
        actor,
        "case_started",
        prev_hash=GENESIS,
        step=None,
        action=None,
        data=_with_rules_off({"inputs": data, "path": path}, loaded, path, switches),
        state=state,
        procedure_hash=loaded.hash,
    )
    route = (*path, state)
    case = Case(case_id, loaded.id, loaded.hash, state, status, data, 1, event.hash, now, now, actor, wait, route)
    return Outcome(_with_deadline(loaded, case), [event], mails)


def advance(
    loaded: LoadedProcedure,
    machine: CompiledMachine,
    case: Case,
    move: Move,
    manual_systems: Container[str],
    *,
    internal: bool = False,
    switches: RuleSwitches = NO_SWITCHES,
) -> Outcome:
    """Apply one move to the case: the action at its current step, then every automatic step after it."""
    procedure = loaded.procedure
    if case.status == "done":
        raise ActionRefused(
            f"case {case.id} is finished; nothing more can be done",
            state=case.state,
            sv=(f"ärendet {case.id} är avslutat; inget mer kan göras", None),
        )
    if move.at < case.updated_at:
        _refuse_time_going_back(case, move.at)
    step = procedure.step(case.state)
    trigger = _trigger_for(step, move.action, manual_systems, internal=internal)
    entered: dict[str, JsonValue] = {}
    if isinstance(step, TaskStep) and step.fields:
        entered = parse_inputs(step.fields, move.fields, case.data, what="field", today=swedish_date(move.at))
    elif move.fields:
        raise InvalidInputs(
            [
                InvalidValue(
                    n,
                    f"the step '{step.id}' records no field '{n}'",
                    sv=(f"steget '{step.id}' har inget fält '{n}'", None),
                )
                for n in move.fields
            ]
        )
    data = {**case.data, **entered} if entered else case.data  # unchanged: the same dict (the store sees it is)
    if trigger == NOT_YET:
        return _not_yet(loaded, case, step, move)
    target = machine.fire(case.state, trigger, data, switches)
    if target is None:
        raise ActionRefused(
            f"'{move.action}' is not possible at step '{step.id}'",
            state=case.state,
            sv=(f"'{move.action}' går inte att göra i steget '{step.id}'", None),
        )
    state, path, mails, (status, wait) = _settle(
        loaded, machine, case.id, target, data, move.at, manual_systems, switches
    )
    performs = _performs(step, data)
    kind = "wait_satisfied" if trigger == SATISFIED else "wait_confirmed" if isinstance(step, WaitStep) else "step_done"
    event_data: dict[str, Any] = _with_rules_off({"fields": entered, "path": path}, loaded, path, switches)
    if move.source:
        event_data["source"] = move.source
    event = _next_event(case, move, kind, step.id, trigger, event_data, state)
    # one copy of the case with everything the move changed (each copy costs as much as a small step of its own)
    moved = case.evolve(
        state=state,
        status=status,
        data=data,
        wait=wait,
        updated_at=move.at,
        route=(*case.route, *path, state),  # the steps just passed, and where the case stopped
        version=event.seq,
        head_hash=event.hash,
    )
    return Outcome(_with_deadline(loaded, moved), [event], mails, performs)


def _with_deadline(loaded: LoadedProcedure, case: Case) -> Case:
    """Recompute the case's next unmet deadline (a procedure without deadlines has none to recompute)."""
    if not loaded.procedure.deadlines:
        return case
    from engine.deadlines import next_deadline

    return case.evolve(deadline_at=next_deadline(loaded.procedure, case))


def _trigger_for(step: AnyStep, action: str, manual_systems: Container[str], *, internal: bool) -> str:
    possible = public_actions(step, manual_systems)
    if internal and action == SATISFIED and isinstance(step, WaitStep):
        return SATISFIED
    if action in possible:
        return action
    if isinstance(step, WaitStep) and action in (step.id, NOT_YET):
        hint = f"{step.system} answers by itself here; run the worker, or wait until it has"
        hint_sv = f"{step.system} svarar själv här; kör `rutin worker` eller vänta tills det har svarat"
    elif possible:
        hint, hint_sv = _hints(action, possible)
    else:
        hint = "nothing can be done at this step now"
        hint_sv = "inget går att göra i det här steget nu"
    raise ActionRefused(
        f"'{action}' is not possible at step '{step.id}'",
        hint,
        state=step.id,
        sv=(f"'{action}' går inte att göra i steget '{step.id}'", hint_sv),
    )


def _hints(word: str, allowed: Iterable[str]) -> tuple[str, str]:
    """'did you mean X?' when one is close, else what is allowed; in English and in Swedish."""
    from engine.diagnostics import did_you_mean

    pool = sorted(set(allowed))
    close = did_you_mean(word, pool)
    if close is not None:
        return close, close.replace("did you mean", "menade du")
    listed = ", ".join(pool)
    return f"allowed: {listed}", f"tillåtna: {listed}"


def public_actions(step: AnyStep, manual_systems: Container[str]) -> list[str]:
    """The action names a person may use at this step."""
    if isinstance(step, TaskStep):
        return [a.name for a in step.actions] or [step.id]
    if isinstance(step, ChoiceStep):
        return [o.name for o in step.options]
    if isinstance(step, WaitStep) and step.system in manual_systems:
        return [step.id, NOT_YET]
    return []


Stop = tuple[Status, Wait | None]  # the case's status where it stopped, and its wait if it waits


def _settle(
    loaded: LoadedProcedure,
    machine: CompiledMachine,
    case_id: str,
    state: str,
    data: dict[str, JsonValue],
    now: datetime,
    manual_systems: Container[str],
    switches: RuleSwitches,
) -> tuple[str, list[str], list[MailDraft], Stop]:
    """Run the automatic steps (routes, checks, notifications) from `state` until a person or another system is
    needed: where the case stops, the automatic steps passed, the mails written, and the status it stops in."""
    procedure = loaded.procedure
    path: list[str] = []
    mails: list[MailDraft] = []
    for _ in range(len(procedure.steps) + 1):
        step = procedure.step(state)
        trigger = _automatic_trigger(step)
        if trigger is None:
            return state, path, mails, _arrive(step, now, manual_systems)
        if isinstance(step, NotifyStep):
            mails.append(_draft(loaded, step, case_id, data))
        target = machine.fire(state, trigger, data, switches)
        if target is None:
            raise _blocked(step, data, switches)
        path.append(step.id)
        state = target
    raise ActionRefused("the procedure's automatic steps loop without stopping", state=state)


def _automatic_trigger(step: AnyStep) -> str | None:
    if isinstance(step, ChoiceStep) and step.routes:
        return ROUTE
    if isinstance(step, CheckStep):
        return CHECK
    if isinstance(step, NotifyStep):
        return PASS
    return None


def _with_rules_off(
    data: dict[str, Any], loaded: LoadedProcedure, path: list[str], switches: RuleSwitches
) -> dict[str, Any]:
    """Note in the event which rule checks passed only because the rule was switched off (replay needs it)."""
    if not switches.off:
        return data
    from engine.rules import get_rule

    off = []
    for step_id in path:
        step = loaded.procedure.step(step_id)
        if isinstance(step, CheckStep) and step.rule:
            found = get_rule(step.rule)
            if found is not None and not switches.is_on(found):
                off.append(step.rule)
    return {**data, "rules_off": off} if off else data


def _blocked(step: AnyStep, data: Mapping[str, JsonValue], switches: RuleSwitches) -> ActionRefused:
    if isinstance(step, CheckStep) and step.rule and step.args is not None:
        from engine.rules import get_rule, judge

        verdict, _ran = judge(step.rule, step.args, dict(data), switches)
        found = get_rule(step.rule)
        cite = found.cite if found else ""
        hint = verdict.fix or f"the routine says: ”{cite}”"
        hint_sv = verdict.fix or f"rutinen säger: ”{cite}”"
        refused = ActionRefused(
            verdict.message,
            hint,
            state=step.id,
            rule=step.rule,
            cite=cite,
            recorded=True,
            sv=(verdict.message, hint_sv),
        )
        refused.translations["en"] = verdict.message_en
        return refused
    if isinstance(step, CheckStep):
        message = render(step.message or "", data)
        refused = ActionRefused(
            message,
            f"the routine says: ”{step.cite}”",
            state=step.id,
            rule=step.id,
            cite=step.cite,
            recorded=True,
            sv=(message, f"rutinen säger: ”{step.cite}”"),
        )
        if step.message_en:
            refused.translations["en"] = render(step.message_en, data)
        return refused
    return ActionRefused(
        f"no route of the choice '{step.id}' fits this case",
        "the procedure needs an `otherwise`",
        state=step.id,
        recorded=True,
        sv=(f"ingen väg i valet '{step.title}' passar det här ärendet", "processägaren behöver lägga till `otherwise`"),
    )


def _arrive(step: AnyStep, now: datetime, manual_systems: Container[str]) -> Stop:
    if isinstance(step, EndStep):
        return "done", None
    if isinstance(step, WaitStep):
        by_person = step.system in manual_systems
        first_look = _duration(step.expected if by_person else step.check_every)
        wait = Wait(
            step.id,
            now,
            now + first_look,
            now + _duration(step.expected),
            now + _duration(step.overdue_after),
            by_person=by_person,
        )
        return "waiting", wait
    return "open", None


@lru_cache(maxsize=256)
def _duration(text: str) -> timedelta:
    """A step's duration, parsed once per text (they were validated at load; a step parses up to three)."""
    return parse_duration(text)


def _not_yet(loaded: LoadedProcedure, case: Case, step: AnyStep, move: Move) -> Outcome:
    assert isinstance(step, WaitStep) and case.wait is not None
    wait = Wait(
        case.wait.step,
        case.wait.started_at,
        move.at + _duration(step.check_every),
        case.wait.expected_by,
        case.wait.overdue_at,
        True,
        case.wait.overdue_marked,
    )
    event = _next_event(
        case, move, "wait_not_yet", step.id, NOT_YET, {"next_check_at": wait.next_check_at.isoformat()}, case.state
    )
    moved = case.evolve(wait=wait, updated_at=move.at, version=event.seq, head_hash=event.hash)
    return Outcome(moved, [event])


def _refuse_time_going_back(case: Case, at: datetime) -> None:
    """A history in which a step comes before the one it follows (a clock set back with --now) cannot be trusted."""
    from engine.notices import local

    raise ActionRefused(
        f"the clock reads {local(at)}, before the case's last step at {local(case.updated_at)}; "
        "the history keeps its events in time order",
        "do the step at the current time (leave out --now), or at a time after the last step",
        state=case.state,
        sv=(
            f"klockan står på {local(at)}, före ärendets senaste steg {local(case.updated_at)}; "
            "historiken håller händelserna i tidsordning",
            "gör steget med aktuell tid (utan --now), eller med en tid efter det senaste steget",
        ),
    )


def mark_overdue(case: Case, now: datetime, actor: str) -> Outcome:
    """Record once that a wait ran past its overdue moment."""
    assert case.wait is not None
    wait = Wait(
        case.wait.step,
        case.wait.started_at,
        case.wait.next_check_at,
        case.wait.expected_by,
        case.wait.overdue_at,
        case.wait.by_person,
        overdue_marked=True,
    )
    move = Move("overdue", actor, now)
    event = _next_event(
        case, move, "wait_overdue", case.state, None, {"overdue_at": case.wait.overdue_at.isoformat()}, case.state
    )
    return Outcome(case.evolve(wait=wait, version=event.seq, head_hash=event.hash), [event])


def refusal_event(case: Case, actor: str, now: datetime, action: str, reason: str, extra: Mapping[str, Any]) -> Event:
    """The history's record of a refused attempt (missing role, a rule that did not hold)."""
    move = Move(action, actor, now)
    return _next_event(case, move, "refused", case.state, action, {"reason": reason, **extra}, case.state)


def _next_event(
    case: Case, move: Move, kind: str, step: str | None, action: str | None, data: dict[str, Any], state: str
) -> Event:
    return seal(
        case.id,
        case.version + 1,
        move.at,
        move.actor,
        kind,
        prev_hash=case.head_hash,
        step=step,
        action=action,
        data=data,
        state=state,
        procedure_hash=case.procedure_hash,
    )


def _performs(step: AnyStep, data: Mapping[str, JsonValue]) -> list[PerformRequest]:
    if not isinstance(step, TaskStep) or step.performs is None:
        return []
    args = {param: resolve_arg(name, data) for param, name in step.performs.args.items()}
    return [PerformRequest(step.system, step.performs.action, args, step.id)]


def resolve_arg(name: str, data: Mapping[str, JsonValue]) -> JsonValue:
    """An argument names a case value, or is a fixed text written as '=text'."""
    return name[1:] if name.startswith("=") else data.get(name)


def draft_mail(loaded: LoadedProcedure, step: NotifyStep, case: Case) -> MailDraft:
    return _draft(loaded, step, case.id, case.data)


def _value_specs(procedure: Procedure) -> dict[str, Input]:
    """Every input and field of the procedure by name, made once per procedure version (a mail shows values by
    their kind: a personnummer masked, a choice by its label)."""
    held = _SPECS.get(id(procedure))
    if held is not None and held[0] is procedure:  # the entry holds the procedure, so its id cannot be reused
        return held[1]
    found = {i.name: i for i in procedure.inputs}
    for s in procedure.steps:
        if isinstance(s, TaskStep):
            found.update({f.name: f for f in s.fields})
    if len(_SPECS) >= 64:  # bounded, as the machines are: memory does not grow with versions in use
        _SPECS.clear()
    _SPECS[id(procedure)] = (procedure, found)
    return found


_SPECS: dict[int, tuple[Procedure, dict[str, Input]]] = {}


def _draft(loaded: LoadedProcedure, step: NotifyStep, case_id: str, data: Mapping[str, JsonValue]) -> MailDraft:
    specs = _value_specs(loaded.procedure)

    def show(name: str, value: object) -> str:
        spec = specs.get(name)
        if (
            spec is not None
            and spec.type in ("personnummer", "interim_or_personnummer")
            and not step.include_personnummer
        ):
            return mask_personnummer(str(value))
        if isinstance(value, bool):
            return "ja" if value else "nej"
        if spec is not None and spec.choices:
            return next((c.label for c in spec.choices if c.value == value), str(value))
        return str(value)

    values = {**data, "case_id": case_id}
    to = step.to if "@" in step.to else str(data.get(step.to, ""))
    return MailDraft(to, render(step.subject, values, show), render(step.body, values, show), step.id)


__all__ = ["AUTOMATIC", "Move", "Outcome", "advance", "mark_overdue", "start_case"]


def deadline_event(case: Case, now: datetime, actor: str, deadline_id: str, due: datetime) -> Outcome:
    """Record in the history that a deadline passed with the case not there yet."""
    move = Move("deadline", actor, now)
    data = {"deadline": deadline_id, "due": due.isoformat()}
    event = _next_event(case, move, "deadline_missed", case.state, None, data, case.state)
    return Outcome(case.evolve(version=event.seq, head_hash=event.hash), [event])


def migrate(case: Case, new: LoadedProcedure, new_state: str, actor: str, now: datetime, reason: str) -> Outcome:
    """Move a case to another version of its procedure: same data, route and wait times, the step renamed if it was."""
    wait = case.wait
    if wait is not None and wait.step != new_state:
        from dataclasses import replace

        wait = replace(wait, step=new_state)
    moved = case.evolve(procedure_hash=new.hash, state=new_state, wait=wait, updated_at=now)
    if new.procedure.deadlines:
        from engine.deadlines import next_deadline

        moved = moved.evolve(deadline_at=next_deadline(new.procedure, moved))
    data = {"from": case.procedure_hash, "to": new.hash, "reason": reason, "state": new_state}
    event = seal(
        case.id,
        case.version + 1,
        now,
        actor,
        "case_migrated",
        prev_hash=case.head_hash,
        step=case.state,
        data=data,
        state=new_state,
        procedure_hash=new.hash,
    )
    return Outcome(moved.evolve(version=event.seq, head_hash=event.hash), [event])
