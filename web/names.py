"""The words of a procedure version for pages: each step's title, each button's label and each input's or recorded
field's label (and its choices' labels), in the language shown.

Events and case data store step ids, action names, field names and choice values (stable, language-free); people read
titles, the buttons they pressed and the labels the form showed them.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.machine import NOT_YET
from engine.procedure import ChoiceStep, Input, LoadedProcedure, TaskStep, WaitStep
from engine.views import Lang, pick


@dataclass(frozen=True)
class Names:
    steps: dict[str, str]
    actions: dict[tuple[str, str], str]
    fields: dict[str, str]  # input or recorded field name -> label
    choices: dict[tuple[str, str], str]  # (field name, choice value) -> label
    yes_no: tuple[str, str]

    def field(self, name: str) -> str:
        return self.fields.get(name, name)

    def value(self, name: str, value: object) -> str:
        """A stored value as the form offered it: a choice's label, yes/no in words; anything else as stored."""
        if isinstance(value, bool):
            return self.yes_no[0] if value else self.yes_no[1]
        if value is None:
            return ""
        return self.choices.get((name, str(value)), str(value))

    def step(self, step_id: str | None) -> str:
        return self.steps.get(step_id or "", step_id or "")

    def action(self, step_id: str | None, action: str | None) -> str:
        return self.actions.get((step_id or "", action or ""), action or "")


def names_of(loaded: LoadedProcedure, lang: Lang) -> Names:
    steps: dict[str, str] = {}
    actions: dict[tuple[str, str], str] = {}
    fields: dict[str, str] = {}
    choices: dict[tuple[str, str], str] = {}

    def add(spec: Input) -> None:
        fields.setdefault(spec.name, pick(spec.label, spec.label_en, lang))  # an input's label wins over a field's
        for c in spec.choices or ():
            choices.setdefault((spec.name, c.value), pick(c.label, c.label_en, lang))

    for spec in loaded.procedure.inputs:
        add(spec)
    for step in loaded.procedure.steps:
        steps[step.id] = pick(step.title, step.title_en, lang)
        if isinstance(step, TaskStep):
            for spec in step.fields:
                add(spec)
            for a in step.actions:
                actions[(step.id, a.name)] = pick(a.label, a.label_en, lang)
            actions[(step.id, step.id)] = pick(step.done_label, step.done_label_en, lang)
        elif isinstance(step, ChoiceStep):
            for o in step.options:
                actions[(step.id, o.name)] = pick(o.label, o.label_en, lang)
        elif isinstance(step, WaitStep):
            actions[(step.id, step.id)] = pick(step.confirm_label, step.confirm_label_en, lang)
            actions[(step.id, NOT_YET)] = pick(step.not_yet_label, step.not_yet_label_en, lang)
    return Names(steps, actions, fields, choices, ("Ja", "Nej") if lang == "sv" else ("Yes", "No"))
