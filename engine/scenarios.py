"""Scenarios: a process owner's executable examples of a procedure, and what they prove and leave unproven.

A scenario file sits beside a procedure (`procedures/scenarios/<id>.scenarios.yaml`) and lists cases to run:
the inputs, who acts, what they do and choose, what the other systems answer and how the clock moves, and
what must come out. This module is the pure part: the format as frozen dataclasses, loading with located
diagnostics, comparing what was expected with what happened, and step and route coverage. It never runs a
case, opens a database or reads a clock; `adapters.scenario_runner` does that through the application layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from engine.checks import successors
from engine.diagnostics import Diagnostic, Location, did_you_mean, sort_diagnostics
from engine.duration import parse_duration
from engine.errors import ProcedureInvalid
from engine.procedure import ChoiceStep, Procedure, TaskStep, WaitStep
from engine.source import SourceDoc, parse_yaml
from engine.values import JsonValue

Path = tuple[str | int, ...]
DEFAULT_ACTOR = "handlaggare"
NOT_YET = "not_yet"


class ScenarioFileInvalid(ProcedureInvalid):
    """A scenario file that cannot be run, with every problem found, located to line and column."""


# -- the format -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Do:
    action: str
    fields: dict[str, JsonValue]
    actor: str | None
    location: Location


@dataclass(frozen=True)
class Wait:
    minutes: float
    text: str
    location: Location


@dataclass(frozen=True)
class Answer:
    """An explicit answer from another system: from now on `query` on `system` with `args` gives `value`."""

    system: str
    query: str
    args: dict[str, JsonValue]
    value: bool
    location: Location


@dataclass(frozen=True)
class ExpectRefused:
    do: Do
    message_contains: str | None
    location: Location


Action = Do | Wait | Answer | ExpectRefused


@dataclass(frozen=True)
class ExpectedMail:
    to: str | None
    subject_contains: str | None
    body_contains: str | None


@dataclass(frozen=True)
class Expect:
    route: tuple[str, ...] | None = None
    route_starts: tuple[str, ...] | None = None
    state: str | None = None
    status: str | None = None
    mails: tuple[ExpectedMail, ...] | None = None
    refused: str | None = None  # the start itself is refused, with a message containing this
    data: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    inputs: dict[str, JsonValue]
    actor: str
    steps: tuple[Action, ...]
    expect: Expect
    location: Location


@dataclass(frozen=True)
class ScenarioFile:
    path: str
    procedure: str
    scenarios: tuple[Scenario, ...]


# -- what happened, as the runner reports it ---------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class Outcome:
    route: tuple[str, ...] = ()
    state: str | None = None
    status: str | None = None
    mails: tuple[Mail, ...] = ()
    data: dict[str, JsonValue] = field(default_factory=dict)
    refused: str | None = None  # the start's refusal message, when the start was refused
    failures: tuple[str, ...] = ()  # problems met while running (a refused step that should not be, ...)


@dataclass(frozen=True)
class ScenarioResult:
    scenario: Scenario
    outcome: Outcome
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


# -- loading ------------------------------------------------------------------------------------------------

_FILE_KEYS = ("procedure", "scenarios")
_SCENARIO_KEYS = ("name", "inputs", "as", "steps", "expect")
_STEP_KINDS = ("do", "wait", "answer", "expect_refused")
_DO_KEYS = ("do", "set", "as")
_ANSWER_KEYS = ("system", "query", "args", "value")
_REFUSED_KEYS = ("do", "set", "as", "message_contains")
_EXPECT_KEYS = ("route", "route_starts", "state", "status", "mails", "refused", "data")
_MAIL_KEYS = ("to", "subject_contains", "body_contains")
_STATUSES = ("open", "waiting", "overdue", "done")


class _Reader:
    """Turns the plain data of a scenario file into dataclasses, collecting a diagnostic per problem."""

    def __init__(self, doc: SourceDoc, procedure: Procedure | None) -> None:
        self.doc = doc
        self.procedure = procedure
        self.diagnostics: list[Diagnostic] = []
        self.step_ids = [s.id for s in procedure.steps] if procedure else []
        self.actions = sorted(action_names(procedure)) if procedure else []

    def error(self, code: str, message: str, path: Path, hint: str | None = None, *, key: bool = False) -> None:
        self.diagnostics.append(Diagnostic(code, message, self.doc.locate(path, key=key), hint))

    def mapping(self, value: object, path: Path, allowed: Sequence[str], what: str) -> dict[str, object] | None:
        if not isinstance(value, dict):
            self.error("scenario-type", f"{what} must be a mapping", path)
            return None
        for key in value:
            if key not in allowed:
                hint = did_you_mean(key, allowed) or "allowed: " + ", ".join(allowed)
                self.error("scenario-unknown-key", f"unknown key '{key}' in {what}", (*path, key), hint, key=True)
        return value

    def text(self, value: object, path: Path, what: str) -> str | None:
        if not isinstance(value, str) or not value:
            self.error("scenario-type", f"{what} must be a text", path)
            return None
        return value

    def texts(self, value: object, path: Path, what: str) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error("scenario-type", f"{what} must be a list of texts", path)
            return None
        return tuple(str(v) for v in value)

    def values(self, value: object, path: Path, what: str) -> dict[str, JsonValue]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.error("scenario-type", f"{what} must be a mapping of names to values", path)
            return {}
        return {str(k): _json(v) for k, v in value.items()}

    def read_file(self) -> ScenarioFile:
        top = self.mapping(self.doc.data, (), _FILE_KEYS, "the scenario file") or {}
        procedure = self.text(top.get("procedure"), ("procedure",), "procedure") or "?"
        if self.procedure is not None and procedure not in ("?", self.procedure.id):
            self.error(
                "scenario-procedure",
                f"the file is for '{procedure}', not '{self.procedure.id}'",
                ("procedure",),
                f"write procedure: {self.procedure.id}",
            )
        raw = top.get("scenarios")
        scenarios: list[Scenario] = []
        if not isinstance(raw, list) or not raw:
            self.error("scenario-type", "scenarios must be a list with at least one scenario", ("scenarios",))
        else:
            names: dict[str, int] = {}
            for i, item in enumerate(raw):
                scenario = self.read_scenario(item, ("scenarios", i))
                if scenario is None:
                    continue
                if scenario.name in names:
                    self.error(
                        "scenario-duplicate",
                        f"two scenarios are named '{scenario.name}' (the first is scenario {names[scenario.name] + 1})",
                        ("scenarios", i, "name"),
                    )
                names.setdefault(scenario.name, i)
                scenarios.append(scenario)
        return ScenarioFile(self.doc.path, procedure, tuple(scenarios))

    def read_scenario(self, item: object, path: Path) -> Scenario | None:
        body = self.mapping(item, path, _SCENARIO_KEYS, "a scenario")
        if body is None:
            return None
        name = self.text(body.get("name"), (*path, "name"), "a scenario's name") or f"scenario {int(path[1]) + 1}"
        inputs = self.values(body.get("inputs"), (*path, "inputs"), "inputs")
        actor = self.text(body.get("as", DEFAULT_ACTOR), (*path, "as"), "as") or DEFAULT_ACTOR
        raw_steps = body.get("steps", [])
        steps: list[Action] = []
        if not isinstance(raw_steps, list):
            self.error("scenario-type", "steps must be a list", (*path, "steps"))
        else:
            for j, raw in enumerate(raw_steps):
                step = self.read_step(raw, (*path, "steps", j))
                if step is not None:
                    steps.append(step)
        expect = self.read_expect(body.get("expect"), (*path, "expect"))
        return Scenario(name, inputs, actor, tuple(steps), expect, self.doc.locate(path))

    def read_step(self, raw: object, path: Path) -> Action | None:
        kind = next((k for k in _STEP_KINDS if isinstance(raw, dict) and k in raw), None)
        if kind is None:
            self.error(
                "scenario-step",
                "a scenario step must say what happens",
                path,
                "write one of: " + ", ".join(_STEP_KINDS),
            )
            return None
        assert isinstance(raw, dict)
        if kind == "wait":
            self.mapping(raw, path, ("wait",), "a wait")
            return self.read_wait(raw["wait"], (*path, "wait"))
        if kind == "answer":
            self.mapping(raw, path, ("answer",), "an answer")
            return self.read_answer(raw["answer"], (*path, "answer"))
        if kind == "expect_refused":
            self.mapping(raw, path, ("expect_refused",), "a step")
            inner = self.mapping(raw["expect_refused"], (*path, "expect_refused"), _REFUSED_KEYS, "expect_refused")
            if inner is None:
                return None
            do = self.read_do(inner, (*path, "expect_refused"))
            contains = inner.get("message_contains")
            if contains is not None:
                contains = self.text(contains, (*path, "expect_refused", "message_contains"), "message_contains")
            return ExpectRefused(do, contains, self.doc.locate(path)) if do else None
        body = self.mapping(raw, path, _DO_KEYS, "a step")
        return self.read_do(body, path) if body is not None else None

    def read_do(self, body: Mapping[str, object], path: Path) -> Do | None:
        action = self.text(body.get("do"), (*path, "do"), "do")
        if action is None:
            return None
        if self.actions and action not in self.actions:
            hint = did_you_mean(action, self.actions) or "the actions are: " + ", ".join(self.actions)
            self.error("scenario-action", f"the procedure has no action '{action}'", (*path, "do"), hint)
        fields = self.values(body.get("set"), (*path, "set"), "set")
        actor = body.get("as")
        who = self.text(actor, (*path, "as"), "as") if actor is not None else None
        return Do(action, fields, who, self.doc.locate((*path, "do")))

    def read_wait(self, raw: object, path: Path) -> Wait | None:
        if not isinstance(raw, str):
            self.error("scenario-type", "wait must be a duration such as 16m or 2h", path)
            return None
        try:
            delta = parse_duration(raw)
        except ValueError as exc:
            self.error("scenario-duration", str(exc), path)
            return None
        return Wait(delta.total_seconds() / 60, raw, self.doc.locate(path))

    def read_answer(self, raw: object, path: Path) -> Answer | None:
        body = self.mapping(raw, path, _ANSWER_KEYS, "an answer")
        if body is None:
            return None
        system = self.text(body.get("system"), (*path, "system"), "system")
        query = self.text(body.get("query"), (*path, "query"), "query")
        value = body.get("value", True)
        if not isinstance(value, bool):
            self.error("scenario-type", "value must be true or false", (*path, "value"))
            return None
        if system is None or query is None:
            return None
        return Answer(
            system, query, self.values(body.get("args"), (*path, "args"), "args"), value, self.doc.locate(path)
        )

    def read_expect(self, raw: object, path: Path) -> Expect:
        if raw is None:
            self.error("scenario-expect", "a scenario must say what it expects", path, "add expect: {state: ...}")
            return Expect()
        body = self.mapping(raw, path, _EXPECT_KEYS, "expect")
        if body is None:
            return Expect()
        route = self.route(body, "route", path)
        starts = self.route(body, "route_starts", path)
        state = body.get("state")
        if state is not None and self.text(state, (*path, "state"), "state") and self.step_ids:
            self.known_step(str(state), (*path, "state"))
        status = body.get("status")
        if status is not None and status not in _STATUSES:
            self.error(
                "scenario-status", f"unknown status '{status}'", (*path, "status"), "one of: " + ", ".join(_STATUSES)
            )
        mails = self.read_mails(body.get("mails"), (*path, "mails"))
        refused = body.get("refused")
        if refused is not None:
            refused = self.text(refused, (*path, "refused"), "refused")
        data = self.values(body.get("data"), (*path, "data"), "data")
        return Expect(
            route,
            starts,
            str(state) if isinstance(state, str) else None,
            str(status) if isinstance(status, str) else None,
            mails,
            refused,
            data,
        )

    def route(self, body: Mapping[str, object], key: str, path: Path) -> tuple[str, ...] | None:
        if key not in body:
            return None
        steps = self.texts(body[key], (*path, key), key)
        for i, step in enumerate(steps or ()):
            self.known_step(step, (*path, key, i))
        return steps

    def known_step(self, step: str, path: Path) -> None:
        if self.step_ids and step not in self.step_ids:
            hint = did_you_mean(step, self.step_ids)
            self.error("scenario-step-unknown", f"the procedure has no step '{step}'", path, hint)

    def read_mails(self, raw: object, path: Path) -> tuple[ExpectedMail, ...] | None:
        if raw is None:
            return None
        if not isinstance(raw, list):
            self.error("scenario-type", "mails must be a list", path)
            return None
        found = []
        for i, item in enumerate(raw):
            body = self.mapping(item, (*path, i), _MAIL_KEYS, "a mail")
            if body is not None:
                parts = [body.get(k) for k in _MAIL_KEYS]
                found.append(ExpectedMail(*(str(p) if p is not None else None for p in parts)))
        return tuple(found)


def _json(value: object) -> JsonValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def action_names(procedure: Procedure) -> set[str]:
    """Every action a person may take somewhere in the procedure (what `do:` may name)."""
    names: set[str] = set()
    for step in procedure.steps:
        if isinstance(step, TaskStep):
            names.update(a.name for a in step.actions) if step.actions else names.add(step.id)
        elif isinstance(step, ChoiceStep):
            names.update(o.name for o in step.options)
        elif isinstance(step, WaitStep):
            names.update((step.id, NOT_YET))
    return names


def load_scenarios(text: str, path: str, procedure: Procedure | None = None) -> ScenarioFile:
    """Read a scenario file; with the procedure, step and action names are checked too.

    Raises `ScenarioFileInvalid` with every problem, each at its file:line:col.
    """
    try:
        doc = parse_yaml(text, path)
    except ProcedureInvalid as exc:
        raise ScenarioFileInvalid(exc.diagnostics) from None
    reader = _Reader(doc, procedure)
    loaded = reader.read_file()
    if reader.diagnostics:
        raise ScenarioFileInvalid(sort_diagnostics(reader.diagnostics))
    return loaded


def procedure_named(text: str, path: str) -> str | None:
    """The procedure id a scenario file names, if it names one; raises `ScenarioFileInvalid` for broken YAML."""
    try:
        data = parse_yaml(text, path).data
    except ProcedureInvalid as exc:
        raise ScenarioFileInvalid(exc.diagnostics) from None
    found = data.get("procedure") if isinstance(data, dict) else None
    return found if isinstance(found, str) and found else None


def scenario_path_for(procedure_id: str) -> str:
    """Where the scenarios of a procedure live, relative to the procedure folder."""
    return f"scenarios/{procedure_id}.scenarios.yaml"


# -- comparing ----------------------------------------------------------------------------------------------


def compare(expect: Expect, outcome: Outcome) -> list[str]:
    """Every way the outcome differs from what was expected, each readable on its own."""
    problems = list(outcome.failures)
    if expect.refused is not None:
        if outcome.refused is None:
            problems.append(f"expected the start to be refused with '{expect.refused}', but the case started")
        elif expect.refused not in outcome.refused:
            problems.append(f"the start was refused, but the message lacks '{expect.refused}':\n  {outcome.refused}")
        return problems
    if outcome.refused is not None:
        return [*problems, f"the start was refused: {outcome.refused}"]
    if expect.route is not None and expect.route != outcome.route:
        problems.append("route differs:\n" + route_diff(expect.route, outcome.route))
    if expect.route_starts is not None and outcome.route[: len(expect.route_starts)] != expect.route_starts:
        problems.append("route does not start as expected:\n" + route_diff(expect.route_starts, outcome.route))
    for what, wanted, got in (("state", expect.state, outcome.state), ("status", expect.status, outcome.status)):
        if wanted is not None and wanted != got:
            problems.append(f"{what}: expected '{wanted}', got '{got}'")
    for name, wanted_value in expect.data.items():
        if outcome.data.get(name) != wanted_value:
            problems.append(f"data '{name}': expected {wanted_value!r}, got {outcome.data.get(name)!r}")
    if expect.mails is not None:
        problems += _compare_mails(expect.mails, outcome.mails)
    return problems


def route_diff(expected: Sequence[str], actual: Sequence[str]) -> str:
    """A line diff of two routes, `-` for expected only and `+` for actual only, as pytest shows lists."""
    lines = difflib.ndiff(list(expected), list(actual))
    shown = ["  " + line for line in lines if not line.startswith("?")]
    return "\n".join(["  (- expected, + actual)", *shown])


def _matches(wanted: ExpectedMail, mail: Mail) -> bool:
    return (
        (wanted.to is None or wanted.to == mail.to)
        and (wanted.subject_contains is None or wanted.subject_contains in mail.subject)
        and (wanted.body_contains is None or wanted.body_contains in mail.body)
    )


def _describe(wanted: ExpectedMail) -> str:
    parts = [f"to {wanted.to}"] if wanted.to else []
    parts += [f"subject containing '{wanted.subject_contains}'"] if wanted.subject_contains else []
    parts += [f"body containing '{wanted.body_contains}'"] if wanted.body_contains else []
    return "a mail " + (", ".join(parts) or "of any kind")


def _compare_mails(expected: Sequence[ExpectedMail], actual: Sequence[Mail]) -> list[str]:
    problems: list[str] = []
    left = list(actual)
    for wanted in expected:
        found = next((m for m in left if _matches(wanted, m)), None)
        if found is None:
            problems.append(f"expected {_describe(wanted)}; the mails written were:\n{_list_mails(actual)}")
        else:
            left.remove(found)
    if left:
        problems.append(f"{len(left)} mail(s) written that no expectation names:\n{_list_mails(left)}")
    return problems


def _list_mails(mails: Iterable[Mail]) -> str:
    shown = [f"  to {m.to}: {m.subject}" for m in mails]
    return "\n".join(shown) or "  (none)"


# -- coverage -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    steps: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    missing_steps: tuple[str, ...]
    missing_edges: tuple[tuple[str, str], ...]

    @property
    def complete(self) -> bool:
        return not self.missing_steps and not self.missing_edges

    def summary(self) -> str:
        reached_steps = len(self.steps) - len(self.missing_steps)
        reached_edges = len(self.edges) - len(self.missing_edges)
        return f"steps {reached_steps}/{len(self.steps)}, routes {reached_edges}/{len(self.edges)}"

    def report(self) -> str:
        lines = [self.summary()]
        if self.missing_steps:
            lines.append("steps no scenario reaches: " + ", ".join(self.missing_steps))
        if self.missing_edges:
            lines.append("routes no scenario takes: " + ", ".join(f"{a} -> {b}" for a, b in self.missing_edges))
        return "\n".join(lines)


def coverage(procedure: Procedure, routes: Iterable[Sequence[str]]) -> Coverage:
    """Which steps and which edges (one per `successors` target) the given routes reach, in procedure order."""
    steps = tuple(s.id for s in procedure.steps)
    edges = tuple(dict.fromkeys((s.id, target) for s in procedure.steps for target, _ in successors(s)))
    seen_steps: set[str] = set()
    seen_edges: set[tuple[str, str]] = set()
    for route in routes:
        seen_steps.update(route)
        seen_edges.update(pairwise(route))
    return Coverage(
        steps,
        edges,
        tuple(s for s in steps if s not in seen_steps),
        tuple(e for e in edges if e not in seen_edges),
    )
