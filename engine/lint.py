"""Lint: what a procedure should say for the people who run it, beyond what it must say to load.

`checks` makes a procedure loadable (every reference resolves, every step can reach an end); lint reads a
loadable procedure as a reviewing process owner would and warns where the routine's practice is missing:
a human step without its system or anyone allowed to do it, a change in another system that nothing
confirms, an irreversible change with no rule before it, a wait with no slack before it is overdue, steps
not traced to the routine or left untranslated. It only ever warns (codes `lint-...`), never refuses a
file, and it runs only on a procedure that has no errors, so it may trust every step reference.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from engine.checks import Loc, successors
from engine.diagnostics import Diagnostic
from engine.duration import parse_duration
from engine.expression import ExpressionError, parse_expression
from engine.procedure import (
    AnyStep,
    CheckStep,
    ChoiceStep,
    EndStep,
    Procedure,
    TaskStep,
    WaitStep,
)
from engine.source import SourceDoc


@dataclass(frozen=True)
class Confirmation:
    """A step that shows an action took effect: a wait on `query` answering `equals`, or a check of `rule`.

    A wait confirms only when it asks about the same things the action changed: each of its arguments
    must name the value the action gave the parameter of the same name, or the one `renamed` maps it to.
    """

    query: str | None = None
    equals: bool = True
    rule: str | None = None
    renamed: tuple[tuple[str, str], ...] = ()  # (query parameter, action parameter)


def _wait(query: str, *, equals: bool = True, renamed: tuple[tuple[str, str], ...] = ()) -> Confirmation:
    return Confirmation(query=query, equals=equals, renamed=renamed)


# Which waits (or rule checks) confirm each action of the catalogue took effect. A test keeps every action
# listed, so a new action needs a decision here. Some answers imply the change: a grader can be linked only
# to a group that exists, only an approved list is entered for good, only approved grades are exported.
CONFIRMED_BY: Mapping[str, tuple[Confirmation, ...]] = {
    "remove_grade": (_wait("grade_registered", equals=False),),
    "register_grade": (_wait("grade_registered"), _wait("grade_locked")),
    "change_group": (
        _wait("in_group", renamed=(("group", "to_group"),)),
        _wait("in_group", equals=False, renamed=(("group", "from_group"),)),
    ),
    "place_student": (_wait("in_group"),),
    "register_status": (),  # no query of the catalogue can tell a registered status yet
    "create_group": (_wait("group_exists"), _wait("has_grader")),
    "link_grader": (_wait("has_grader"),),
    "lock_group_grades": (_wait("group_grades_locked"), Confirmation(rule="catalog.all_grades_locked")),
    "send_list": (_wait("list_approved"),),
    "approve_list": (_wait("list_approved"), _wait("list_registered")),
    "register_list": (_wait("list_registered"),),
    "post_catalog": (_wait("catalog_received"),),
    "approve_grades": (_wait("grades_approved"), _wait("grades_exported")),
    "export_grades": (_wait("grades_exported"),),
    "send_request": (_wait("request_answered"),),
}

# Changes that cannot be taken back by the procedure: a rule must have been checked before them.
IRREVERSIBLE = frozenset({"remove_grade", "register_status", "register_list", "export_grades"})

MAX_STATES = 100_000  # a bound on the route search; real procedures need a few hundred states


def lint_procedure(procedure: Procedure, doc: SourceDoc) -> list[Diagnostic]:
    """Every lint warning of a procedure that loaded without errors, in the order of `RULES`."""
    lint = _Lint(procedure, doc)
    return [found for rule in RULES for found in rule(lint)]


@dataclass(frozen=True)
class _Lint:
    procedure: Procedure
    doc: SourceDoc

    def warn(self, code: str, message: str, loc: Loc, hint: str, *, key: bool = False) -> Diagnostic:
        return Diagnostic(code, message, self.doc.locate(loc, key=key), hint, severity="warning")

    def steps(self) -> Iterator[tuple[Loc, AnyStep]]:
        for si, step in enumerate(self.procedure.steps):
            yield ("steps", si), step

    @cached_property
    def input_names(self) -> frozenset[str]:
        return frozenset(i.name for i in self.procedure.inputs)

    @cached_property
    def systems(self) -> list[str]:
        named = (getattr(s, "system", None) for s in self.procedure.steps)
        return sorted({name.strip() for name in named if name and name.strip()})


def is_human(step: AnyStep) -> bool:
    """A person acts here: a task, a question with options, or a wait a person may answer."""
    return isinstance(step, TaskStep | WaitStep) or (isinstance(step, ChoiceStep) and bool(step.options))


# --- who and where ---------------------------------------------------------------------------------------


def _no_system(lint: _Lint) -> Iterator[Diagnostic]:
    for loc, step in lint.steps():
        if isinstance(step, TaskStep | WaitStep) and not step.system.strip():
            yield lint.warn(
                "lint-no-system",
                f"step '{step.id}' does not say in which system the person works",
                (*loc, "system"),
                _system_hint(lint),
            )
        elif isinstance(step, ChoiceStep) and step.options and not (step.system or "").strip():
            named = _systems_named(step, lint.systems)
            if step.system is not None or named:
                mention = f", though its question sends the person to {named[0]}" if named else ""
                yield lint.warn(
                    "lint-no-system",
                    f"the question '{step.id}' does not say in which system it is answered{mention}",
                    (*loc, "id"),
                    f"add `system: {named[0]}`" if named else _system_hint(lint),
                )


def _systems_named(step: ChoiceStep, systems: list[str]) -> list[str]:
    """The procedure's systems that the question's texts name, as whole words (BER, Ping Pong, Alvis...)."""
    text = " ".join(t for t in (step.title, step.title_en, step.question, step.question_en) if t)
    return [s for s in systems if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]


def _system_hint(lint: _Lint) -> str:
    known = ", ".join(lint.systems)
    return f"add `system:` naming where the person works ({known})" if known else "add `system:`, e.g. BER"


def _no_access(lint: _Lint) -> Iterator[Diagnostic]:
    if _grants(lint.procedure.access.roles, lint.procedure.access.tasks):
        return
    for loc, step in lint.steps():
        own = getattr(step, "access", None)
        if is_human(step) and not (own and _grants(own.roles, own.tasks)):
            yield lint.warn(
                "lint-no-access-for-step",
                f"anyone may act at step '{step.id}': neither the procedure's `access` nor the step's names a role "
                "or staff task",
                (*loc, "id"),
                "give the procedure (or the step) `access:` with `roles:` or `tasks:`",
            )


def _grants(roles: list[str], tasks: list[str]) -> bool:
    return bool(roles or tasks)


# --- changes: confirmed, and guarded when irreversible -----------------------------------------------------

Known = frozenset[tuple[str, bool]]  # route conditions decided earlier on the route, with their value
Pending = frozenset[tuple[int, bool]]  # changes not yet confirmed: (step index, a person acted since)


def _unconfirmed_change(lint: _Lint) -> Iterator[Diagnostic]:
    for si in sorted(_unconfirmed(lint)):
        step = lint.procedure.steps[si]
        assert isinstance(step, TaskStep) and step.performs is not None
        action = step.performs.action
        queries = [c.query or f"a check of the rule {c.rule}" for c in CONFIRMED_BY[action]]
        yield lint.warn(
            "lint-unconfirmed-change",
            f"step '{step.id}' performs {action}, but a route goes on to other work and ends without confirming "
            "that the change took effect",
            ("steps", si, "performs", "action"),
            f"follow it, on every route, with a wait on {' or '.join(dict.fromkeys(queries))} about the same values",
        )


def _unconfirmed(lint: _Lint) -> set[int]:
    """Steps whose change some route carries past other human work to an end without confirming it.

    The search follows routes with what each route choice decided (a condition over inputs keeps its value,
    so a later choice on the same condition goes the same way). A change right before an end, with only
    automatic steps between, counts as confirmed by the person's own "done": nothing later builds on it.
    An action nothing in the catalogue can confirm (`CONFIRMED_BY` is empty for it) is not asked about.
    """
    steps = lint.procedure.steps
    index = {s.id: i for i, s in enumerate(steps)}
    todo: list[tuple[int, Known, Pending]] = [(0, frozenset(), frozenset())]
    seen: set[tuple[int, Known, Pending]] = set()
    found: set[int] = set()
    while todo and len(seen) < MAX_STATES:
        state = todo.pop()
        if state in seen:
            continue
        seen.add(state)
        si, known, pending = state
        step = steps[si]
        pending = frozenset(p for p in pending if not _confirms(step, steps[p[0]]))
        if is_human(step):
            pending = frozenset((p, True) for p, _ in pending)
        if isinstance(step, EndStep):
            found.update(p for p, acted in pending if acted)
            continue
        if isinstance(step, TaskStep) and step.performs is not None and CONFIRMED_BY.get(step.performs.action):
            pending = frozenset(p for p in pending if p[0] != si) | {(si, False)}
        for target, after in _next(lint, step, known):
            todo.append((index[target], after, pending))
    return found


def _next(lint: _Lint, step: AnyStep, known: Known) -> Iterator[tuple[str, Known]]:
    if not (isinstance(step, ChoiceStep) and step.routes):
        for target, _ in successors(step):
            yield target, known
        return
    decided = dict(known)
    for route in step.routes:
        when = route.when.strip()
        if decided.get(when) is False:
            continue
        if decided.get(when) is True:
            yield route.next, known
            return
        yield route.next, _assume(lint, known, when, value=True)
        known = _assume(lint, known, when, value=False)
    if step.otherwise:
        yield step.otherwise, known


def _assume(lint: _Lint, known: Known, when: str, *, value: bool) -> Known:
    """Remember a condition's value for the rest of the route when it reads only inputs, which never change."""
    try:
        names = parse_expression(when).names
    except ExpressionError:
        return known
    return known | {(when, value)} if names <= lint.input_names else known


def _confirms(step: AnyStep, change: AnyStep) -> bool:
    if not (isinstance(change, TaskStep) and change.performs is not None):
        return False
    performs = change.performs
    for way in CONFIRMED_BY.get(performs.action, ()):
        if isinstance(step, CheckStep) and way.rule is not None and step.rule == way.rule:
            return True
        if isinstance(step, WaitStep) and way.query == step.until.query and way.equals == step.until.equals:
            renamed = dict(way.renamed)
            if all(performs.args.get(renamed.get(p, p), v) == v for p, v in step.until.args.items()):
                return True
    return False


def _irreversible_unguarded(lint: _Lint) -> Iterator[Diagnostic]:
    unchecked = _reach_without_checks(lint.procedure)
    for loc, step in lint.steps():
        if not (isinstance(step, TaskStep) and step.performs and step.performs.action in IRREVERSIBLE):
            continue
        own = step.access
        if step.id in unchecked and not (own and _grants(own.roles, own.tasks)):
            yield lint.warn(
                "lint-irreversible-unguarded",
                f"step '{step.id}' performs {step.performs.action}, which cannot be undone, but a route from the "
                "first step reaches it without passing any check",
                (*loc, "performs", "action"),
                "put a check (a `rule` of the library, or a `condition` with its `cite`) before it on every route, "
                "or give the step its own `access` naming who may authorise it",
            )


def _reach_without_checks(procedure: Procedure) -> set[str]:
    seen: set[str] = set()
    todo = [procedure.first_step]
    while todo:
        step_id = todo.pop()
        if step_id in seen:
            continue
        seen.add(step_id)
        step = procedure.step(step_id)
        if not isinstance(step, CheckStep):
            todo.extend(target for target, _ in successors(step))
    return seen


# --- waits ---------------------------------------------------------------------------------------------


def _overdue_equals_expected(lint: _Lint) -> Iterator[Diagnostic]:
    for loc, step in lint.steps():
        if isinstance(step, WaitStep) and parse_duration(step.overdue_after) == parse_duration(step.expected):
            yield lint.warn(
                "lint-wait-overdue-equals-expected",
                f"the wait '{step.id}' is overdue the moment it takes as long as expected ({step.expected})",
                (*loc, "overdue_after"),
                f"leave some slack: an `overdue_after` longer than `expected: {step.expected}`, e.g. twice as long",
            )


# --- traceability and translation ----------------------------------------------------------------------


def _is_traced(step: AnyStep) -> bool:
    """A check is traced by its `cite` or by its library rule's citation; other steps by `source`."""
    if isinstance(step, CheckStep):
        return True
    return step.source is not None


def _missing_source(lint: _Lint) -> Iterator[Diagnostic]:
    # An end is where the routine stops, not a sentence of it. Until most steps cite the routine, the
    # procedure is a draft that does not trace step by step, and a warning on each step would only be noise.
    steps = [(loc, s) for loc, s in lint.steps() if not isinstance(s, EndStep)]
    traced = sum(1 for _, s in steps if _is_traced(s))
    if traced * 2 < len(steps):
        return
    for loc, step in steps:
        if not _is_traced(step):
            yield lint.warn(
                "lint-missing-source",
                f"step '{step.id}' does not say which part of the routine it implements",
                (*loc, "id"),
                'add `source: {section: "...", quote: "..."}` with the routine\'s sentence',
            )


def _english_pairs(step: AnyStep) -> Iterator[tuple[str, str | None]]:
    """(Swedish key, its English text) for each text a person reads at the step.

    A check speaks to people only when it refuses, so its `message` is what needs English (a library rule
    brings its own); its title is a label for the history.
    """
    if isinstance(step, CheckStep):
        if step.message is not None:
            yield "message", step.message_en
        return
    yield "title", step.title_en
    if isinstance(step, TaskStep | WaitStep):
        yield "instructions", step.instructions_en
    if isinstance(step, ChoiceStep) and step.question is not None:
        yield "question", step.question_en


def _missing_translation(lint: _Lint) -> Iterator[Diagnostic]:
    # Only a procedure that is in English somewhere is expected to be in English everywhere.
    pairs = [(loc, step, key, en) for loc, step in lint.steps() for key, en in _english_pairs(step)]
    if not any(en for *_, en in pairs):
        return
    for loc, step, key, en in pairs:
        if not en:
            yield lint.warn(
                "lint-missing-translation",
                f"step '{step.id}' has no `{key}_en`, though the procedure is in English elsewhere",
                (*loc, key),
                f"add `{key}_en:` beside `{key}:`",
                key=True,
            )


RULES: tuple[Callable[[_Lint], Iterator[Diagnostic]], ...] = (
    _no_system,
    _no_access,
    _unconfirmed_change,
    _irreversible_unguarded,
    _overdue_equals_expected,
    _missing_source,
    _missing_translation,
)
CODES = (
    "lint-no-system",
    "lint-no-access-for-step",
    "lint-unconfirmed-change",
    "lint-irreversible-unguarded",
    "lint-wait-overdue-equals-expected",
    "lint-missing-source",
    "lint-missing-translation",
)
