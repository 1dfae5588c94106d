"""The words of a change: the `Change` record and the Swedish and English sentences it is told in.

The sentence helpers name a step's facets (`_FACET_NAMES`), quote values short (`_show`) and join a
subject, a verb and the parts that changed into one sentence per language (`_sentence`). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from engine.procedure import AnyStep

ChangeKind = Literal[
    "step_added",
    "step_removed",
    "step_renamed",
    "step_moved",
    "kind_changed",
    "title_changed",
    "instructions_changed",
    "source_changed",
    "system_changed",
    "next_changed",
    "fields_changed",
    "access_changed",
    "rule_changed",
    "wait_changed",
    "notify_changed",
    "performs_changed",
    "input_added",
    "input_removed",
    "input_changed",
    "deadline_added",
    "deadline_removed",
    "deadline_changed",
]
_TEXT_MAX = 70


@dataclass(frozen=True)
class Change:
    """One difference between two versions, in Swedish and English.

    `step_id` is the step's id in the old version (the new id for `step_added`), None for the procedure's
    own title, access, inputs and deadlines (`subject` then names the input or deadline). `affects_cases`
    is False when the change cannot alter how an open case goes on: wording, citations, file order alone,
    an optional new input, a removed input, deadlines and the procedure's access (both apply from the move on).
    """

    kind: ChangeKind
    step_id: str | None
    detail_sv: str
    detail_en: str
    new_step_id: str | None = None
    subject: str | None = None
    affects_cases: bool = True


_FACET_NAMES: dict[str, tuple[str, str]] = {
    "title": ("rubriken", "the title"),
    "title_en": ("den engelska rubriken", "the English title"),
    "instructions": ("instruktionen", "the instructions"),
    "instructions_en": ("den engelska instruktionen", "the English instructions"),
    "question": ("frågan", "the question"),
    "question_en": ("den engelska frågan", "the English question"),
    "done_label": ("knapptexten", "the button label"),
    "done_label_en": ("den engelska knapptexten", "the English button label"),
    "confirm_label": ("texten för klart", "the confirm label"),
    "confirm_label_en": ("den engelska texten för klart", "the English confirm label"),
    "not_yet_label": ("texten för inte ännu", "the not-yet label"),
    "not_yet_label_en": ("den engelska texten för inte ännu", "the English not-yet label"),
    "outcome": ("utfallet", "the outcome"),
    "labels": ("knapparnas texter", "the buttons' labels"),
    "source": ("hänvisningen till rutinen", "the reference to the routine"),
    "system": ("systemet", "the system"),
    "rule": ("regeln", "the rule"),
    "args": ("regelns argument", "the rule's arguments"),
    "condition": ("villkoret", "the condition"),
    "message": ("meddelandet", "the message"),
    "message_en": ("det engelska meddelandet", "the English message"),
    "cite": ("citatet ur rutinen", "the cited sentence"),
    "query": ("frågan till systemet", "the query to the system"),
    "query_args": ("frågans argument", "the query's arguments"),
    "equals": ("svaret som väntas", "the awaited answer"),
    "check_every": ("hur ofta systemet frågas", "how often the system is asked"),
    "expected": ("den förväntade tiden", "the expected time"),
    "overdue_after": ("tiden till försenat", "the time until overdue"),
    "escalate_to": ("vem som får veta vid försening", "who is told when overdue"),
    "to": ("mottagaren", "the recipient"),
    "subject": ("ämnesraden", "the subject"),
    "body": ("brödtexten", "the body"),
    "include_personnummer": ("fullständigt personnummer", "the full personnummer"),
    "performs_action": ("ändringen i systemet", "the change made in the system"),
    "performs_args": ("ändringens argument", "the change's arguments"),
    "type": ("typen", "the type"),
    "required": ("krävs", "required"),
    "required_when": ("krävs när", "required when"),
    "label": ("etiketten", "the label"),
    "label_en": ("den engelska etiketten", "the English label"),
    "help": ("hjälptexten", "the help text"),
    "choices": ("valen", "the choices"),
    "choice_labels": ("valens texter", "the choices' labels"),
    "date": ("datumet", "the date"),
    "offset": ("antalet dagar", "the number of days"),
    "working_days": ("bara arbetsdagar", "working days only"),
    "remind_before": ("påminnelserna", "the reminders"),
    "met_at": ("stegen som uppfyller den", "the steps that meet it"),
}
_KIND_NAMES = {
    "task": ("en uppgift", "a task"),
    "choice": ("ett val", "a choice"),
    "wait": ("en väntan", "a wait"),
    "check": ("en kontroll", "a check"),
    "notify": ("ett meddelande", "a notification"),
    "end": ("ett slut", "an end"),
}


def _show(value: object, en: bool) -> str:
    if isinstance(value, bool):
        return ("yes" if value else "no") if en else ("ja" if value else "nej")
    if isinstance(value, str):
        flat = " ".join(value.split())
        return '"' + (flat if len(flat) <= _TEXT_MAX else flat[: _TEXT_MAX - 1].rstrip() + "…") + '"'
    if isinstance(value, dict):
        return _show(", ".join(f"{k}: {v}" for k, v in value.items()), en)
    if isinstance(value, list | tuple) and all(isinstance(v, str | int) for v in value):
        return _show(", ".join(str(v) for v in value), en) if value else ("nothing" if en else "inget")
    return ""


def _is_empty(value: object) -> bool:
    return value in ("", [], (), {}) if isinstance(value, str | list | tuple | dict) else False


def _value_part(name: str, old: object, new: object) -> tuple[str, str]:
    """'villkoret "a" ersattes av "b"', or just 'knapparnas texter har ändrats' for values not worth quoting."""
    sv, en = _FACET_NAMES[name]
    old, new = (None if _is_empty(v) else v for v in (old, new))
    old_sv, new_sv, old_en, new_en = _show(old, False), _show(new, False), _show(old, True), _show(new, True)
    if old is None and new_sv:
        return f"{sv} {new_sv} har lagts till", f"{en} {new_en} was added"
    if new is None and old_sv:
        return f"{sv} {old_sv} har tagits bort", f"{en} {old_en} was removed"
    if old_sv and new_sv:
        return f"{sv} {old_sv} ersattes av {new_sv}", f"{en} {old_en} became {new_en}"
    return f"{sv} har ändrats", f"{en} changed"


def _sentence(subject: tuple[str, str], verb: tuple[str, str], parts: Sequence[tuple[str, str]]) -> tuple[str, str]:
    sv = f"{subject[0]} {verb[0]}"
    en = f"{subject[1]} {verb[1]}"
    if parts:
        sv += ": " + "; ".join(p[0] for p in parts)
        en += ": " + "; ".join(p[1] for p in parts)
    return sv, en


def _step_subject(step: AnyStep) -> tuple[str, str]:
    return f"Steget '{step.id}' ({step.title})", f"Step '{step.id}' ({step.title_en or step.title})"
