"""What changed between two versions of a procedure, in plain words, and whether an open case may move.

`diff_procedures` matches the steps of two validated versions (by id, then renamed steps by title or
content) and returns one `Change` per thing that changed, each with a Swedish sentence for process owners
and an English one. `assess_migration` applies issue 6's rule to one case: it may move when none of the
steps whose behaviour changed has run for it (its current step counts as run). Pure: no files, no store,
no clock; the CLI reads the versions and the cases and prints what comes back.

This module holds the comparison; the record and its sentences live in `engine.change_words`, the
migration rule in `engine.migration_rules`. Both are re-exported here, so callers import from one place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import TypeVar

from engine.change_words import _KIND_NAMES, Change, ChangeKind, _sentence, _step_subject, _value_part
from engine.migration_rules import Assessment, assess_migration
from engine.procedure import Access, AnyStep, ChoiceStep, Deadline, Input, Procedure, TaskStep

__all__ = ["Assessment", "Change", "ChangeKind", "assess_migration", "changed_steps", "diff_procedures"]

RENAME_SIMILARITY = 0.75  # how alike two steps' texts must be to count as one step under a new id


# -- what a step is made of, as comparable facets --------------------------------------------------------

Exit = tuple[str, str, str]  # how (action, when, otherwise, next), its button or condition, the target


def _exits(step: AnyStep, rename: Mapping[str, str]) -> tuple[Exit, ...]:
    """Every way on from a step as (how, label, target), targets in the new version's ids."""
    to = rename.get
    if isinstance(step, TaskStep):
        if step.actions:
            return tuple(("action", a.name, to(a.next, a.next)) for a in step.actions)
        return (("next", "", to(step.next, step.next)),) if step.next else ()
    if isinstance(step, ChoiceStep):
        found = [("action", o.name, to(o.next, o.next)) for o in step.options]
        found += [("when", r.when, to(r.next, r.next)) for r in step.routes]
        if step.otherwise:
            found.append(("otherwise", "", to(step.otherwise, step.otherwise)))
        return tuple(found)
    nxt = getattr(step, "next", None)
    return (("next", "", to(nxt, nxt)),) if nxt else ()


def _facets(step: AnyStep) -> dict[str, object]:
    """The step's comparable values by name (its ways on, fields and access are compared on their own)."""
    facets: dict[str, object] = {name: getattr(step, name, None) for name in _STEP_ATTRS}
    buttons = getattr(step, "actions", None) or getattr(step, "options", None) or []
    facets["labels"] = tuple((a.name, a.label, a.label_en) for a in buttons)
    facets["source"] = step.source.as_dict() if step.source else None
    until = getattr(step, "until", None)
    facets["query"] = until.query if until else None
    facets["query_args"] = until.args if until else None
    facets["equals"] = until.equals if until else None
    performs = getattr(step, "performs", None)
    facets["performs_action"] = performs.action if performs else None
    facets["performs_args"] = performs.args if performs else None
    return facets


_TEXTS = tuple(
    f"{k}{lang}"
    for k in ("instructions", "question", "done_label", "confirm_label", "not_yet_label")
    for lang in ("", "_en")
)
_TEXTS += ("labels", "outcome")


@dataclass(frozen=True)
class _Aspect:
    kind: ChangeKind
    verb: tuple[str, str]
    behaviour: tuple[str, ...]  # facets whose change alters what a case does
    wording: tuple[str, ...] = ()  # facets people only read


_ASPECTS = (
    _Aspect("title_changed", ("har fått ny rubrik", "has a new title"), (), ("title", "title_en")),
    _Aspect("instructions_changed", ("har fått nya texter", "has new texts"), (), _TEXTS),
    _Aspect(
        "source_changed", ("har fått en ny hänvisning till rutinen", "cites the routine differently"), (), ("source",)
    ),
    _Aspect("system_changed", ("görs nu i ett annat system", "now happens in another system"), ("system",)),
    _Aspect(
        "rule_changed",
        ("har bytt regel", "has a changed rule"),
        ("rule", "args", "condition"),
        ("message", "message_en", "cite"),
    ),
    _Aspect(
        "wait_changed",
        ("väntar på ett nytt sätt", "waits differently"),
        ("query", "query_args", "equals", "check_every", "expected", "overdue_after", "escalate_to"),
    ),
    _Aspect(
        "notify_changed",
        ("skickar ett ändrat meddelande", "sends a changed message"),
        ("to", "subject", "body", "include_personnummer"),
    ),
    _Aspect(
        "performs_changed",
        ("gör en annan ändring i systemet", "makes a different change in the system"),
        ("performs_action", "performs_args"),
    ),
)


_DERIVED = ("labels", "source", "query", "query_args", "equals", "performs_action", "performs_args")
# read from a step as they are (a kind without the attribute gives None)
_STEP_ATTRS = tuple(k for a in _ASPECTS for k in (*a.behaviour, *a.wording) if k not in _DERIVED)


# -- comparing the parts --------------------------------------------------------------------------------


def _exit_parts(old: Sequence[Exit], new: Sequence[Exit]) -> list[tuple[str, str]]:
    def how(kind: str, label: str) -> tuple[str, str]:
        return {
            "action": (f"knappen '{label}' ", f"the button '{label}' "),
            "when": (f'när "{label}" ', f'when "{label}" '),
            "otherwise": ("annars ", "otherwise "),
        }.get(kind, ("", ""))

    def goes(kind: str) -> tuple[str, str]:
        return ("går", "goes") if kind == "next" else ("leder", "leads")

    before = {(k, lbl): t for k, lbl, t in old}
    after = {(k, lbl): t for k, lbl, t in new}
    parts: list[tuple[str, str]] = []
    for key, target in after.items():
        (sv, en), (go_sv, go_en), was = how(*key), goes(key[0]), before.get(key)
        if was is None:
            parts.append((f"ny väg: {sv}{go_sv} till '{target}'", f"new way: {en}{go_en} to '{target}'"))
        elif was != target:
            parts.append(
                (f"{sv}{go_sv} nu till '{target}' (förut '{was}')", f"{en}now {go_en} to '{target}' (was '{was}')")
            )
    for key, target in before.items():
        if key not in after:
            sv, en = how(*key)
            parts.append((f"vägen {sv}till '{target}' har tagits bort", f"the way {en}to '{target}' was removed"))
    if not parts and tuple(old) != tuple(new):
        parts.append(("vägarnas ordning har ändrats", "the order of the ways on changed"))
    return parts


def _input_parts(old: Input, new: Input) -> tuple[list[tuple[str, str]], bool]:
    """What changed in one input or field, and whether it was only wording."""
    parts: list[tuple[str, str]] = []
    behaviour = False
    for name in ("type", "required", "required_when"):
        if getattr(old, name) != getattr(new, name):
            parts.append(_value_part(name, getattr(old, name), getattr(new, name)))
            behaviour = True
    old_values = [c.value for c in old.choices or []]
    new_values = [c.value for c in new.choices or []]
    if old_values != new_values:
        parts.append(_value_part("choices", old_values, new_values))
        behaviour = True
    for name in ("label", "label_en", "help"):
        if getattr(old, name) != getattr(new, name):
            parts.append(_value_part(name, getattr(old, name), getattr(new, name)))
    if old_values == new_values and old.choices != new.choices:
        parts.append(_value_part("choice_labels", None, None))
    return parts, not behaviour


def _fields_parts(old: Sequence[Input], new: Sequence[Input]) -> tuple[list[tuple[str, str]], bool]:
    before = {f.name: f for f in old}
    after = {f.name: f for f in new}
    parts: list[tuple[str, str]] = []
    wording_only = True
    for name, field in after.items():
        if name not in before:
            parts.append(
                (f"nytt fält '{name}' ({field.label})", f"new field '{name}' ({field.label_en or field.label})")
            )
            wording_only = False
        elif before[name] != field:
            inner, only_words = _input_parts(before[name], field)
            sv, en = _sentence((f"fältet '{name}'", f"the field '{name}'"), ("har ändrats", "changed"), inner)
            parts.append((sv, en))
            wording_only = wording_only and only_words
    for name in before:
        if name not in after:
            parts.append((f"fältet '{name}' har tagits bort", f"the field '{name}' was removed"))
            wording_only = False
    return parts, wording_only


def _access_parts(old: Access | None, new: Access | None) -> list[tuple[str, str]]:
    if new is None:
        return [("behörigheten är nu densamma som rutinens", "access is now the procedure's")]
    if old is None:
        who = ", ".join(f"'{x}'" for x in (*new.roles, *new.tasks))
        return [(f"steget har fått en egen behörighet: {who}", f"the step has its own access now: {who}")]
    parts: list[tuple[str, str]] = []
    for attr, sv, en in (("roles", "rollen", "the role"), ("tasks", "arbetsuppgiften", "the staff task")):
        before, after = getattr(old, attr), getattr(new, attr)
        parts += [(f"{sv} '{x}' har lagts till", f"{en} '{x}' was added") for x in after if x not in before]
        parts += [(f"{sv} '{x}' har tagits bort", f"{en} '{x}' was removed") for x in before if x not in after]
    return parts


# -- matching the steps of two versions -----------------------------------------------------------------


def _text_of(step: AnyStep) -> str:
    return "\n".join(str(v) for k, v in _facets(step).items() if v and k != "title_en")


def _renames(old: Procedure, new: Procedure) -> dict[str, str]:
    """Old id -> new id for steps that lost their id: same kind and same title, or much the same content."""
    new_ids = {s.id for s in new.steps}
    old_ids = {s.id for s in old.steps}
    gone = [s for s in old.steps if s.id not in new_ids]
    came = [s for s in new.steps if s.id not in old_ids]
    scored: list[tuple[float, AnyStep, AnyStep]] = []
    for a in gone:
        for b in came:
            same_system = getattr(a, "system", None) == getattr(b, "system", None)
            if a.kind != b.kind or not (same_system or a.title == b.title):
                continue
            score = 2.0 if a.title == b.title else SequenceMatcher(None, _text_of(a), _text_of(b)).ratio()
            if score >= RENAME_SIMILARITY:
                scored.append((score, a, b))
    mapping: dict[str, str] = {}
    for _score, a, b in sorted(scored, key=lambda t: -t[0]):  # stable: ties go in file order
        if a.id not in mapping and b.id not in mapping.values():
            mapping[a.id] = b.id
    return mapping


def _predecessors(procedure: Procedure, rename: Mapping[str, str]) -> dict[str, list[str]]:
    """For every step (in new ids), the steps that lead to it."""
    found: dict[str, list[str]] = {}
    for step in procedure.steps:
        for _how, _label, target in _exits(step, rename):
            found.setdefault(target, []).append(rename.get(step.id, step.id))
    return found


def _ids(ids: Sequence[str], en: bool) -> str:
    return ", ".join(f"'{i}'" for i in ids) if ids else ("no step" if en else "inget steg")


def _moved(old: Procedure, new: Procedure, rename: Mapping[str, str]) -> list[str]:
    """The steps (new ids) out of their place in the file: those outside the longest common order."""
    new_ids = {s.id for s in new.steps}
    before = [rename.get(s.id, s.id) for s in old.steps if rename.get(s.id, s.id) in new_ids]
    kept = set(before)
    after = [s.id for s in new.steps if s.id in kept]
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    in_place = {x for block in matcher.get_matching_blocks() for x in before[block.a : block.a + block.size]}
    return [i for i in after if i not in in_place]


def _moved_change(
    old_step: AnyStep, new_step: AnyStep, old: Procedure, new: Procedure, rename: Mapping[str, str]
) -> Change:
    preds_old = sorted(_predecessors(old, rename).get(new_step.id, []))
    preds_new = sorted(_predecessors(new, {}).get(new_step.id, []))
    was_sv, was_en = _ids(preds_old, False), _ids(preds_old, True)
    parts: list[tuple[str, str]] = []
    is_first = new.first_step == new_step.id
    if is_first and old.first_step != old_step.id:
        parts.append(
            (f"det är nu det första steget (förut efter {was_sv})", f"it is now the first step (was after {was_en})")
        )
    elif preds_old != preds_new:
        now_sv, now_en = _ids(preds_new, False), _ids(preds_new, True)
        parts.append(
            (
                f"det kommer nu efter {now_sv} (förut efter {was_sv})",
                f"it now comes after {now_en} (was after {was_en})",
            )
        )
    if old.first_step == old_step.id and not is_first:
        parts.append(("det är inte längre det första steget", "it is no longer the first step"))
    parts += _exit_parts(_exits(old_step, rename), _exits(new_step, {}))
    subject = _step_subject(old_step)
    if parts:
        sv, en = _sentence(subject, ("har flyttats", "was moved"), parts)
    else:
        sv, en = (
            f"{subject[0]} har flyttats i filen; vägen genom rutinen är densamma",
            f"{subject[1]} was moved in the file; the way through the procedure is the same",
        )
    return Change("step_moved", old_step.id, sv, en, new_step.id, affects_cases=bool(parts))


def _step_changes(old_step: AnyStep, new_step: AnyStep, rename: Mapping[str, str], moved: bool) -> list[Change]:
    subject = _step_subject(old_step)

    def change(kind: ChangeKind, verb: tuple[str, str], parts: list[tuple[str, str]], affects: bool) -> Change:
        sv, en = _sentence(subject, verb, parts)
        return Change(kind, old_step.id, sv, en, new_step.id, affects_cases=affects)

    if old_step.kind != new_step.kind:
        (old_sv, old_en), (new_sv, new_en) = _KIND_NAMES[old_step.kind], _KIND_NAMES[new_step.kind]
        verb = (f"är nu {new_sv} (förut {old_sv})", f"is now {new_en} (was {old_en})")
        return [change("kind_changed", verb, [], True)]
    before, after = _facets(old_step), _facets(new_step)
    found: list[Change] = []
    for aspect in _ASPECTS:
        changed = [k for k in (*aspect.behaviour, *aspect.wording) if before[k] != after[k]]
        if changed:
            parts = [_value_part(k, before[k], after[k]) for k in changed]
            found.append(change(aspect.kind, aspect.verb, parts, any(k in aspect.behaviour for k in changed)))
    exits_old, exits_new = _exits(old_step, rename), _exits(new_step, {})
    if exits_old != exits_new and not moved:
        verb = ("har fått en ny väg vidare", "has a new way on")
        found.append(change("next_changed", verb, _exit_parts(exits_old, exits_new), True))
    fields_old: list[Input] = getattr(old_step, "fields", [])
    fields_new: list[Input] = getattr(new_step, "fields", [])
    if fields_old != fields_new:
        parts, wording_only = _fields_parts(fields_old, fields_new)
        found.append(change("fields_changed", ("har fått ändrade fält", "has changed fields"), parts, not wording_only))
    access_old: Access | None = getattr(old_step, "access", None)
    access_new: Access | None = getattr(new_step, "access", None)
    if access_old != access_new:
        parts = _access_parts(access_old, access_new)
        found.append(change("access_changed", ("har fått ändrad behörighet", "has changed access"), parts, True))
    return found


# -- the procedure's own parts ---------------------------------------------------------------------------


def _procedure_changes(old: Procedure, new: Procedure, rename: Mapping[str, str]) -> list[Change]:
    subject = ("Rutinen", "The procedure")
    found: list[Change] = []
    titles = [k for k in ("title", "title_en") if getattr(old, k) != getattr(new, k)]
    if titles:
        parts = [_value_part(k, getattr(old, k), getattr(new, k)) for k in titles]
        sv, en = _sentence(subject, ("har fått ny rubrik", "has a new title"), parts)
        found.append(Change("title_changed", None, sv, en, affects_cases=False))
    if old.routine != new.routine:
        part = _value_part(
            "source", old.routine.as_dict() if old.routine else None, new.routine.as_dict() if new.routine else None
        )
        sv, en = _sentence(subject, ("hänvisar till rutinen på nytt sätt", "cites the routine differently"), [part])
        found.append(Change("source_changed", None, sv, en, affects_cases=False))
    if old.access != new.access:
        parts = _access_parts(old.access, new.access)
        sv, en = _sentence(subject, ("har fått ändrad behörighet", "has changed access"), parts)
        found.append(Change("access_changed", None, sv, en, affects_cases=False))
    found += _named_changes(old.inputs, new.inputs, _input_change)
    renamed_met = [replace(d, met_at=[rename.get(s, s) for s in d.met_at]) for d in old.deadlines]
    found += _named_changes(renamed_met, new.deadlines, _deadline_change)
    return found


_Named = TypeVar("_Named", Input, Deadline)


def _named_changes(
    old: Sequence[_Named], new: Sequence[_Named], compare: Callable[[_Named | None, _Named | None], Change | None]
) -> list[Change]:
    """Inputs by name, deadlines by id: one change (or none) for each name found in either version."""

    def key(item: Input | Deadline) -> str:
        return item.name if isinstance(item, Input) else item.id

    before: dict[str, _Named] = {key(x): x for x in old}
    after: dict[str, _Named] = {key(x): x for x in new}
    pairs = [(before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after])]
    return [c for a, b in pairs if (c := compare(a, b)) is not None]


def _input_change(old: Input | None, new: Input | None) -> Change | None:
    if old == new:
        return None
    if old is None and new is not None:
        needed = new.required or new.required_when is not None
        sv = f"Uppgiften '{new.name}' ({new.label}) har lagts till" + (
            ", och den krävs" if needed else ", och den är valfri"
        )
        en = f"The input '{new.name}' ({new.label_en or new.label}) was added" + (
            ", and it is required" if needed else ", optional"
        )
        return Change("input_added", None, sv, en, subject=new.name, affects_cases=needed)
    if new is None and old is not None:
        sv, en = f"Uppgiften '{old.name}' ({old.label}) har tagits bort", f"The input '{old.name}' was removed"
        return Change("input_removed", None, sv, en, subject=old.name, affects_cases=False)
    assert old is not None and new is not None
    parts, wording_only = _input_parts(old, new)
    sv, en = _sentence((f"Uppgiften '{old.name}'", f"The input '{old.name}'"), ("har ändrats", "changed"), parts)
    return Change("input_changed", None, sv, en, subject=old.name, affects_cases=not wording_only)


def _deadline_change(old: Deadline | None, new: Deadline | None) -> Change | None:
    if old == new:
        return None
    if old is None and new is not None:
        sv, en = f"Tidsgränsen '{new.id}' ({new.title}) har lagts till", f"The deadline '{new.id}' was added"
        return Change("deadline_added", None, sv, en, subject=new.id, affects_cases=False)
    if new is None and old is not None:
        sv, en = f"Tidsgränsen '{old.id}' ({old.title}) har tagits bort", f"The deadline '{old.id}' was removed"
        return Change("deadline_removed", None, sv, en, subject=old.id, affects_cases=False)
    assert old is not None and new is not None
    names = ("date", "offset", "working_days", "remind_before", "to", "met_at", "title", "title_en", "cite")
    parts = [_value_part(k, getattr(old, k), getattr(new, k)) for k in names if getattr(old, k) != getattr(new, k)]
    sv, en = _sentence((f"Tidsgränsen '{old.id}'", f"The deadline '{old.id}'"), ("har ändrats", "changed"), parts)
    return Change("deadline_changed", None, sv, en, subject=old.id, affects_cases=False)


# -- the public functions -------------------------------------------------------------------------------


def diff_procedures(old: Procedure, new: Procedure) -> list[Change]:
    """Every change from `old` to `new`: the procedure's own first, then the steps in the new file's order
    (a removed step where it stood). A renamed step is reported once as renamed, plus whatever else changed
    in it; a step moved in the flow carries its new way on in its `step_moved` sentence."""
    rename = _renames(old, new)
    back = {v: k for k, v in rename.items()}
    old_ids = {s.id for s in old.steps}
    new_ids = {s.id for s in new.steps}
    moved = set(_moved(old, new, rename))
    ordered: list[tuple[float, Change]] = []
    for index, step in enumerate(new.steps):
        old_id = back.get(step.id, step.id)
        if old_id not in old_ids:
            sv, en = _step_subject(step)
            ordered.append((index, Change("step_added", step.id, f"{sv} har lagts till", f"{en} was added", step.id)))
            continue
        old_step = old.step(old_id)
        if old_id != step.id:
            verb = (f"har bytt namn till '{step.id}'", f"was renamed to '{step.id}'")
            sv, en = _sentence(_step_subject(old_step), verb, [])
            ordered.append((index, Change("step_renamed", old_id, sv, en, step.id)))
        if step.id in moved:
            ordered.append((index, _moved_change(old_step, step, old, new, rename)))
        ordered += [(index, c) for c in _step_changes(old_step, step, rename, step.id in moved)]
    place = -0.5
    for step in old.steps:
        mapped = rename.get(step.id, step.id)
        if mapped in new_ids:
            place = new.steps.index(new.step(mapped)) + 0.5
            continue
        sv, en = _step_subject(step)
        ordered.append((place, Change("step_removed", step.id, f"{sv} har tagits bort", f"{en} was removed")))
    ordered.sort(key=lambda pair: pair[0])
    return _procedure_changes(old, new, rename) + [c for _place, c in ordered]


def changed_steps(changes: Sequence[Change]) -> set[str]:
    """The old ids of the steps whose behaviour changed, or that were removed or renamed (their old id is gone).
    Wording, citations and a move in the file alone do not count."""
    return {c.step_id for c in changes if c.step_id and c.affects_cases and c.kind != "step_added"}
