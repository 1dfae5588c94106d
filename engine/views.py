"""What a person sees of a case: the current step, its system and instructions, the buttons, the wait.

Views are plain data built from a case and its pinned procedure, in Swedish or English, with `to_json()`
for `--json` and the web. Building one reads nothing but its arguments.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from engine.case import Case, DisplayStatus
from engine.machine import NOT_YET
from engine.procedure import AnyStep, ChoiceStep, EndStep, Input, LoadedProcedure, TaskStep, WaitStep
from engine.step import public_actions
from engine.template import render

Lang = Literal["sv", "en"]


def pick(sv: str, en: str | None, lang: Lang) -> str:
    return en if lang == "en" and en else sv


@dataclass(frozen=True)
class FieldView:
    name: str
    type: str
    label: str
    required: bool
    required_when: str | None = None
    choices: list[dict[str, str]] | None = None
    help: str | None = None


@dataclass(frozen=True)
class ActionView:
    name: str
    label: str
    fields: list[FieldView] = field(default_factory=list)


@dataclass(frozen=True)
class WaitView:
    step: str
    system: str
    what: str
    instructions: str
    since: datetime
    next_check_at: datetime
    expected_by: datetime
    overdue_at: datetime
    overdue: bool
    answered_by: Literal["person", "system"]


@dataclass(frozen=True)
class CaseView:
    id: str
    procedure: str
    procedure_title: str
    version: str
    revision: str | None
    state: str
    status: DisplayStatus
    step_kind: str
    step_title: str
    system: str | None
    instructions: str | None
    source: dict[str, Any] | None
    actions: list[ActionView]
    waiting: WaitView | None
    data: dict[str, Any]
    events: int
    route: list[str]  # every step the case has been at, in order (diagrams, timelines)
    created_at: datetime
    created_by: str
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        body = asdict(self)
        for key in ("created_at", "updated_at"):
            body[key] = body[key].isoformat()
        if self.waiting is not None:
            for key in ("since", "next_check_at", "expected_by", "overdue_at"):
                body["waiting"][key] = body["waiting"][key].isoformat()
        return body


def field_view(spec: Input, lang: Lang) -> FieldView:
    choices = (
        [{"value": c.value, "label": pick(c.label, c.label_en, lang)} for c in spec.choices] if spec.choices else None
    )
    required = spec.required if spec.required_when is None else False
    return FieldView(
        spec.name, spec.type, pick(spec.label, spec.label_en, lang), required, spec.required_when, choices, spec.help
    )


def action_views(step: AnyStep, manual: Container[str], lang: Lang) -> list[ActionView]:
    names = public_actions(step, manual)
    if isinstance(step, TaskStep):
        fields = [field_view(f, lang) for f in step.fields]
        if step.actions:
            return [ActionView(a.name, pick(a.label, a.label_en, lang), fields) for a in step.actions]
        return [ActionView(step.id, pick(step.done_label, step.done_label_en, lang), fields)]
    if isinstance(step, ChoiceStep):
        return [ActionView(o.name, pick(o.label, o.label_en, lang)) for o in step.options]
    if isinstance(step, WaitStep) and names:
        return [
            ActionView(step.id, pick(step.confirm_label, step.confirm_label_en, lang)),
            ActionView(NOT_YET, pick(step.not_yet_label, step.not_yet_label_en, lang)),
        ]
    return []


def case_view(loaded: LoadedProcedure, case: Case, now: datetime, manual: Container[str], lang: Lang) -> CaseView:
    procedure = loaded.procedure
    step = procedure.step(case.state)
    values = {**case.data, "case_id": case.id}
    system = getattr(step, "system", None)
    instructions = _instructions(step, lang)
    waiting = None
    if isinstance(step, WaitStep) and case.wait is not None:
        w = case.wait
        waiting = WaitView(
            step.id,
            step.system,
            render(pick(step.title, step.title_en, lang), values),
            render(instructions or "", values),
            w.started_at,
            w.next_check_at,
            w.expected_by,
            w.overdue_at,
            now >= w.overdue_at,
            "person" if w.by_person else "system",
        )
    return CaseView(
        id=case.id,
        procedure=procedure.id,
        procedure_title=pick(procedure.title, procedure.title_en, lang),
        version=loaded.hash,
        revision=procedure.revision,
        state=case.state,
        status=case.display_status(now),
        step_kind=step.kind,
        step_title=render(pick(step.title, step.title_en, lang), values),
        system=system,
        instructions=render(instructions, values) if instructions else None,
        source=step.source.as_dict() if step.source else None,
        actions=[] if case.status == "done" else action_views(step, manual, lang),
        waiting=waiting,
        data=dict(case.data),
        events=case.version,
        route=list(case.route),
        created_at=case.created_at,
        created_by=case.created_by,
        updated_at=case.updated_at,
    )


def _instructions(step: AnyStep, lang: Lang) -> str | None:
    if isinstance(step, TaskStep | WaitStep):
        return pick(step.instructions, step.instructions_en, lang)
    if isinstance(step, ChoiceStep) and step.question:
        return pick(step.question, step.question_en, lang)
    if isinstance(step, EndStep):
        return step.outcome
    return None


def procedure_json(loaded: LoadedProcedure) -> dict[str, Any]:
    """A procedure as `procedures show --json` gives it: id, title, version, inputs and steps."""
    from engine.checks import successors

    procedure = loaded.procedure
    return {
        "id": procedure.id,
        "title": procedure.title,
        "title_en": procedure.title_en,
        "version": loaded.hash,
        "revision": procedure.revision,
        "path": loaded.path,
        "routine": procedure.routine.as_dict() if procedure.routine else None,
        "access": {"roles": procedure.access.roles, "tasks": procedure.access.tasks},
        "inputs": [
            {
                "name": i.name,
                "type": i.type,
                "label": i.label,
                "required": i.required and i.required_when is None,
                "required_when": i.required_when,
                **({"choices": [{"value": c.value, "label": c.label} for c in i.choices]} if i.choices else {}),
            }
            for i in procedure.inputs
        ],
        "steps": [
            {
                "id": s.id,
                "kind": s.kind,
                "system": getattr(s, "system", None),
                "title": s.title,
                "next": [t for t, _ in successors(s)],
                "source": s.source.as_dict() if s.source else None,
            }
            for s in procedure.steps
        ],
    }
