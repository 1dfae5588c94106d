"""Semantic checks on a procedure whose shape already validated: every reference must resolve.

transitions checks state and callback names only when an event fires, so everything that could go wrong
later is caught here, at load: unknown step targets, unreachable steps, steps with no way to an end,
unknown or mistyped names in conditions and templates, unknown queries and actions, duplicate ids.
Each problem is a Diagnostic located at the offending value.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from engine.catalogue import ACTIONS, QUERIES
from engine.diagnostics import Diagnostic, hint_for
from engine.expression import ExpressionError, check_names, parse_expression
from engine.procedure import (
    AnyStep,
    CheckStep,
    ChoiceStep,
    EndStep,
    Input,
    NotifyStep,
    Procedure,
    TaskStep,
    WaitStep,
)
from engine.source import SourceDoc
from engine.template import TemplateError, template_names

BUILTIN_NAMES = frozenset({"case_id"})
RESERVED_ACTIONS = frozenset({"inte_annu"})
Loc = tuple[str | int, ...]


@dataclass
class _Checker:
    procedure: Procedure
    doc: SourceDoc
    diagnostics: list[Diagnostic]

    def error(self, code: str, message: str, loc: Loc, hint: str | None = None, *, key: bool = False) -> None:
        self.diagnostics.append(Diagnostic(code, message, self.doc.locate(loc, key=key), hint))

    def warn(self, code: str, message: str, loc: Loc, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, self.doc.locate(loc), hint, severity="warning"))


def check_procedure(procedure: Procedure, doc: SourceDoc) -> list[Diagnostic]:
    checker = _Checker(procedure, doc, [])
    values = _check_names_unique(checker)
    step_ids = _check_step_ids(checker)
    if _check_targets(checker, step_ids):  # with a broken target, reachability would only repeat it
        _check_graph(checker, step_ids)
    _check_expressions(checker, values)
    _check_templates(checker, values)
    _check_queries_and_actions(checker, values)
    _check_deadlines(checker, values, step_ids)
    return checker.diagnostics


def value_names(procedure: Procedure) -> dict[str, Input]:
    """Every name a condition or template may use: the inputs, then the fields recorded by steps."""
    names = {i.name: i for i in procedure.inputs}
    for step in procedure.steps:
        if isinstance(step, TaskStep):
            for f in step.fields:
                names.setdefault(f.name, f)
    return names


def successors(step: AnyStep) -> list[tuple[str, Loc]]:
    """The steps reachable in one move, each with the path (below the step) of the key naming it."""
    if isinstance(step, TaskStep):
        if step.actions:
            return [(a.next, ("actions", i, "next")) for i, a in enumerate(step.actions)]
        return [(step.next, ("next",))] if step.next else []
    if isinstance(step, ChoiceStep):
        found: list[tuple[str, Loc]] = [(o.next, ("options", i, "next")) for i, o in enumerate(step.options)]
        found += [(r.next, ("routes", i, "next")) for i, r in enumerate(step.routes)]
        if step.otherwise:
            found.append((step.otherwise, ("otherwise",)))
        return found
    if isinstance(step, EndStep):
        return []
    return [(step.next, ("next",))]


def _check_names_unique(c: _Checker) -> dict[str, Input]:
    seen: dict[str, Loc] = {}
    for i, inp in enumerate(c.procedure.inputs):
        _note_unique(c, seen, inp.name, ("inputs", i, "name"), "input")
    for si, step in enumerate(c.procedure.steps):
        if isinstance(step, TaskStep):
            for fi, f in enumerate(step.fields):
                loc: Loc = ("steps", si, "fields", fi, "name")
                if f.name in seen:
                    first = c.doc.locate(seen[f.name])
                    c.error(
                        "duplicate-name",
                        f"the name '{f.name}' is already used (line {first.line}); fields and inputs share names",
                        loc,
                        "give the field its own name",
                    )
                else:
                    seen[f.name] = loc
    return value_names(c.procedure)


def _note_unique(c: _Checker, seen: dict[str, Loc], name: str, loc: Loc, what: str) -> None:
    if name in seen:
        first = c.doc.locate(seen[name])
        c.error(f"duplicate-{what}", f"the {what} '{name}' is declared twice (first at line {first.line})", loc)
    else:
        seen[name] = loc


def _check_step_ids(c: _Checker) -> set[str]:
    seen: dict[str, Loc] = {}
    for si, step in enumerate(c.procedure.steps):
        _note_unique(c, seen, step.id, ("steps", si, "id"), "step")
        names: dict[str, Loc] = {}
        actions = step.actions if isinstance(step, TaskStep) else step.options if isinstance(step, ChoiceStep) else []
        key = "actions" if isinstance(step, TaskStep) else "options"
        for ai, action in enumerate(actions):
            _note_unique(c, names, action.name, ("steps", si, key, ai, "name"), "action")
            if action.name in RESERVED_ACTIONS:
                c.error(
                    "reserved-action",
                    f"the action name '{action.name}' is reserved for waits answered by a person",
                    ("steps", si, key, ai, "name"),
                    "choose another name",
                )
    return set(seen)


def _check_targets(c: _Checker, step_ids: set[str]) -> bool:
    """Report targets that are not steps; True when every target resolves."""
    resolved = True
    for si, step in enumerate(c.procedure.steps):
        for target, sub in successors(step):
            if target not in step_ids:
                resolved = False
                c.error(
                    "unknown-step",
                    f"step '{step.id}' leads to '{target}', which is not a step in this procedure",
                    ("steps", si, *sub),
                    hint_for(target, step_ids),
                )
    if not any(isinstance(s, EndStep) for s in c.procedure.steps):
        c.error("no-end", "the procedure has no step of kind 'end'", ("steps",), "add a step with `kind: end`")
    return resolved


def _check_graph(c: _Checker, step_ids: set[str]) -> None:
    graph = {s.id: [t for t, _ in successors(s) if t in step_ids] for s in c.procedure.steps}
    reachable = _reach(graph, [c.procedure.first_step])
    ends = [s.id for s in c.procedure.steps if isinstance(s, EndStep)]
    reverse: dict[str, list[str]] = {sid: [] for sid in graph}
    for source, targets in graph.items():
        for t in targets:
            reverse[t].append(source)
    can_end = _reach(reverse, ends)
    for si, step in enumerate(c.procedure.steps):
        if step.id not in reachable:
            c.error(
                "unreachable-step",
                f"step '{step.id}' cannot be reached from the first step '{c.procedure.first_step}'",
                ("steps", si, "id"),
                "lead to it from another step with `next`, or remove it",
            )
        elif step.id not in can_end and ends:
            c.error(
                "dead-end",
                f"step '{step.id}' has no way to an end: every route from it loops without reaching an end step",
                ("steps", si, "id"),
                "give one of its routes a way on to an end step",
            )


def _reach(graph: dict[str, list[str]], start: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = [s for s in start if s in graph]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return seen


def _conditions(procedure: Procedure) -> Iterator[tuple[str, Loc]]:
    for ii, inp in enumerate(procedure.inputs):
        if inp.required_when:
            yield inp.required_when, ("inputs", ii, "required_when")
    for si, step in enumerate(procedure.steps):
        if isinstance(step, ChoiceStep):
            for ri, route in enumerate(step.routes):
                yield route.when, ("steps", si, "routes", ri, "when")
        elif isinstance(step, CheckStep) and step.condition is not None:
            yield step.condition, ("steps", si, "condition")
        elif isinstance(step, TaskStep):
            for fi, f in enumerate(step.fields):
                if f.required_when:
                    yield f.required_when, ("steps", si, "fields", fi, "required_when")


def _check_expressions(c: _Checker, values: dict[str, Input]) -> None:
    known = set(values) | BUILTIN_NAMES
    for text, loc in _conditions(c.procedure):
        try:
            expr = parse_expression(text)
        except ExpressionError as exc:
            c.error("bad-condition", f"the condition does not parse: {exc}", loc, exc.hint)
            continue
        for name, hint in check_names(expr, known):
            c.error(
                "unknown-name",
                f"the condition uses '{name}', which is neither an input nor a recorded field",
                loc,
                hint or hint_for(name, known),
            )
        for problem, hint in _type_problems(text, values):
            c.error("wrong-type", problem, loc, hint)


def _type_problems(text: str, values: dict[str, Input]) -> Iterator[tuple[str, str]]:
    """Comparisons of a typed name with a literal it can never equal (a misspelled choice, a bad date)."""
    tree = ast.parse(text.strip(), mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for left, right in itertools.pairwise(operands):
            for name_node, other in ((left, right), (right, left)):
                if isinstance(name_node, ast.Name) and name_node.id in values:
                    yield from _literal_fits(values[name_node.id], other)


def _literal_fits(spec: Input, other: ast.expr) -> Iterator[tuple[str, str]]:
    literals: list[object] = []
    if isinstance(other, ast.Constant):
        literals = [other.value]
    elif isinstance(other, ast.List | ast.Tuple):
        literals = [e.value for e in other.elts if isinstance(e, ast.Constant)]
    for value in literals:
        if value is None:
            continue
        if spec.type == "choice" and spec.choices is not None:
            allowed = [ch.value for ch in spec.choices]
            if value not in allowed:
                yield (
                    f"'{value}' is not one of the choices of '{spec.name}'",
                    hint_for(str(value), allowed),
                )
        elif spec.type == "yes_no" and not isinstance(value, bool):
            yield (f"'{spec.name}' is yes/no, so compare it with true or false, not {value!r}", "write true or false")
        elif spec.type == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
            yield (
                f"'{spec.name}' is a number, so compare it with a number, not {value!r}",
                "write a number such as 50",
            )
        elif spec.type == "date" and not _is_iso_date(value):
            yield (f"'{spec.name}' is a date, so compare it with a date written 'YYYY-MM-DD'", "e.g. '2024-06-30'")


def _is_iso_date(value: object) -> bool:
    from datetime import date

    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _templates(procedure: Procedure) -> Iterator[tuple[str, Loc]]:
    for si, step in enumerate(procedure.steps):
        base: Loc = ("steps", si)
        yield step.title, (*base, "title")
        if step.title_en:
            yield step.title_en, (*base, "title_en")
        if isinstance(step, TaskStep | WaitStep):
            yield step.instructions, (*base, "instructions")
            if step.instructions_en:
                yield step.instructions_en, (*base, "instructions_en")
        if isinstance(step, ChoiceStep):
            for key in ("question", "question_en"):
                if getattr(step, key):
                    yield getattr(step, key), (*base, key)
        if isinstance(step, CheckStep) and step.message:
            yield step.message, (*base, "message")
            if step.message_en:
                yield step.message_en, (*base, "message_en")
        if isinstance(step, EndStep) and step.outcome:
            yield step.outcome, (*base, "outcome")
        if isinstance(step, NotifyStep):
            yield step.subject, (*base, "subject")
            yield step.body, (*base, "body")


def _check_templates(c: _Checker, values: dict[str, Input]) -> None:
    known = set(values) | BUILTIN_NAMES
    for text, loc in _templates(c.procedure):
        try:
            names = template_names(text)
        except TemplateError as exc:
            c.error("bad-template", str(exc), loc)
            continue
        for name, _offset in names:
            if name not in known:
                c.error(
                    "unknown-name",
                    f"the text uses '{{{name}}}', which is neither an input nor a recorded field",
                    loc,
                    hint_for(name, known),
                )
    for si, step in enumerate(c.procedure.steps):
        if isinstance(step, NotifyStep) and "@" not in step.to:
            spec = values.get(step.to)
            if spec is None or spec.type != "email":
                c.error(
                    "bad-recipient",
                    f"'to' must be an e-mail address or the name of an e-mail input; '{step.to}' is neither",
                    ("steps", si, "to"),
                    hint_for(step.to, [n for n, s in values.items() if s.type == "email"]),
                )


def _check_queries_and_actions(c: _Checker, values: dict[str, Input]) -> None:
    premise = c.procedure.sandbox.premise if c.procedure.sandbox else []
    for fi, fact in enumerate(premise):
        loc: Loc = ("sandbox", "premise", fi)
        spec = QUERIES.get(fact.query)
        if spec is None:
            c.error("unknown-query", f"unknown query '{fact.query}'", (*loc, "query"), hint_for(fact.query, QUERIES))
        else:
            _check_args(c, fact.args, spec.params, (*loc, "args"), values)
    for si, step in enumerate(c.procedure.steps):
        if isinstance(step, CheckStep) and step.rule is not None:
            _check_rule(c, step, si, values)
        if isinstance(step, WaitStep):
            spec = QUERIES.get(step.until.query)
            if spec is None:
                c.error(
                    "unknown-query",
                    f"unknown query '{step.until.query}'",
                    ("steps", si, "until", "query"),
                    hint_for(step.until.query, QUERIES),
                )
            else:
                _check_args(c, step.until.args, spec.params, ("steps", si, "until", "args"), values)
        if isinstance(step, TaskStep) and step.performs is not None:
            action = ACTIONS.get(step.performs.action)
            if action is None:
                c.error(
                    "unknown-action",
                    f"unknown action '{step.performs.action}'",
                    ("steps", si, "performs", "action"),
                    hint_for(step.performs.action, ACTIONS),
                )
            else:
                _check_args(c, step.performs.args, action.params, ("steps", si, "performs", "args"), values)


def _check_deadlines(c: _Checker, values: dict[str, Input], step_ids: set[str]) -> None:
    seen: dict[str, Loc] = {}
    for di, deadline in enumerate(c.procedure.deadlines):
        loc: Loc = ("deadlines", di)
        _note_unique(c, seen, deadline.id, (*loc, "id"), "deadline")
        spec = values.get(deadline.date)
        if spec is None:
            c.error(
                "unknown-name",
                f"the deadline counts from '{deadline.date}', which is neither an input nor a field",
                (*loc, "date"),
                hint_for(deadline.date, [n for n, s in values.items() if s.type == "date"]),
            )
        elif spec.type != "date":
            c.error(
                "wrong-type",
                f"'{deadline.date}' is a {spec.type}, but a deadline counts from a date",
                (*loc, "date"),
                "name an input or field of type date",
            )
        for mi, step_id in enumerate(deadline.met_at):
            if step_id not in step_ids:
                c.error(
                    "unknown-step",
                    f"the deadline is met at '{step_id}', which is not a step",
                    (*loc, "met_at", mi),
                    hint_for(step_id, step_ids),
                )
        for ti, who in enumerate(deadline.to):
            if who != "handlaggare" and "@" not in who and getattr(values.get(who), "type", None) != "email":
                c.error(
                    "bad-recipient",
                    f"'{who}' is not 'handlaggare', an e-mail address or an e-mail input",
                    (*loc, "to", ti),
                    hint_for(who, ["handlaggare", *(n for n, s in values.items() if s.type == "email")]),
                )
        for ri, days in enumerate(deadline.remind_before):
            if days <= 0:
                c.error(
                    "bad-value",
                    "a reminder goes out a positive number of days before the deadline",
                    (*loc, "remind_before", ri),
                )
    for si, step in enumerate(c.procedure.steps):
        if isinstance(step, WaitStep):
            for ei, who in enumerate(step.escalate_to):
                if "@" not in who and getattr(values.get(who), "type", None) != "email":
                    c.error(
                        "bad-recipient",
                        f"'{who}' is not an e-mail address or an e-mail input",
                        ("steps", si, "escalate_to", ei),
                        hint_for(who, [n for n, s in values.items() if s.type == "email"]),
                    )


def _check_rule(c: _Checker, step: CheckStep, si: int, values: dict[str, Input]) -> None:
    from engine.rules import catalogue

    rules = catalogue()
    found = rules.get(step.rule or "")
    if found is None:
        c.error(
            "unknown-rule",
            f"unknown rule '{step.rule}'",
            ("steps", si, "rule"),
            hint_for(step.rule or "", rules) + " (see `rutin rules list`)",
        )
        return
    required = tuple(p.name for p in found.params if p.required)
    allowed = tuple(p.name for p in found.params)
    args = step.args or {}
    for param in required:
        if param not in args:
            c.error(
                "missing-argument",
                f"the rule '{found.id}' needs the argument '{param}'",
                ("steps", si, "args"),
                f"needed: {', '.join(required)}",
            )
    _check_args(c, {k: v for k, v in args.items()}, allowed, ("steps", si, "args"), values, require=False)


def _check_args(
    c: _Checker,
    args: dict[str, str],
    params: tuple[str, ...],
    loc: Loc,
    values: dict[str, Input],
    *,
    require: bool = True,
) -> None:
    for param in params if require else ():
        if param not in args:
            c.error("missing-argument", f"the argument '{param}' is missing", loc, f"needed: {', '.join(params)}")
    for param, name in args.items():
        if param not in params:
            c.error("unknown-argument", f"unknown argument '{param}'", (*loc, param), hint_for(param, params), key=True)
        elif name not in values and not name.startswith("="):
            c.error(
                "unknown-name",
                f"the argument '{param}' names '{name}', which is neither an input nor a recorded field",
                (*loc, param),
                hint_for(name, values) + " (write '=text' for a fixed value)",
            )
