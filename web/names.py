"""The words of a procedure version for timelines: each step's title and each button's label, in the language shown.

Events store step ids and action names (stable, language-free); people read titles and the buttons they pressed.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.machine import NOT_YET
from engine.procedure import ChoiceStep, LoadedProcedure, TaskStep, WaitStep
from engine.views import Lang, pick


@dataclass(frozen=True)
class Names:
    steps: dict[str, str]
    actions: dict[tuple[str, str], str]

    def step(self, step_id: str | None) -> str:
        return self.steps.get(step_id or "", step_id or "")

    def action(self, step_id: str | None, action: str | None) -> str:
        return self.actions.get((step_id or "", action or ""), action or "")


def names_of(loaded: LoadedProcedure, lang: Lang) -> Names:
    steps: dict[str, str] = {}
    actions: dict[tuple[str, str], str] = {}
    for step in loaded.procedure.steps:
        steps[step.id] = pick(step.title, step.title_en, lang)
        if isinstance(step, TaskStep):
            for a in step.actions:
                actions[(step.id, a.name)] = pick(a.label, a.label_en, lang)
            actions[(step.id, step.id)] = pick(step.done_label, step.done_label_en, lang)
        elif isinstance(step, ChoiceStep):
            for o in step.options:
                actions[(step.id, o.name)] = pick(o.label, o.label_en, lang)
        elif isinstance(step, WaitStep):
            actions[(step.id, step.id)] = pick(step.confirm_label, step.confirm_label_en, lang)
            actions[(step.id, NOT_YET)] = pick(step.not_yet_label, step.not_yet_label_en, lang)
    return Names(steps, actions)
