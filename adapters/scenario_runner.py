"""Runs scenarios: each against its own throwaway SQLite database, a fixed clock and the sandbox.

Everything goes through the application layer (`Rutin.start`, `do`, `sweep`), as a person at the CLI would,
so a scenario proves what the service enforces, not what the core alone does. Users are made for each scenario
with every role and task the procedure asks for. Comparison and coverage are `engine.scenarios`'.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from adapters.clock import FixedClock
from adapters.procedure_folder import ProcedureFolder
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from engine.access import User
from engine.errors import RutinError
from engine.loader import load_procedure_text
from engine.ports import OutboxItem
from engine.procedure import Procedure
from engine.scenarios import (
    Answer,
    Coverage,
    Do,
    ExpectRefused,
    Mail,
    Outcome,
    Scenario,
    ScenarioFile,
    ScenarioResult,
    Wait,
    compare,
    coverage,
    load_scenarios,
    procedure_named,
    scenario_path_for,
)
from engine.service import Rutin
from engine.systems import Systems

START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)  # a Monday morning: waits and deadlines fall in working hours
ADMIN = "scenario-admin"


@dataclass(frozen=True)
class FileResult:
    file: ScenarioFile
    results: tuple[ScenarioResult, ...]
    coverage: Coverage

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


@dataclass
class _World:
    service: Rutin
    clock: FixedClock
    store: SqlCaseStore
    sandbox: SandboxAdapter


@contextmanager
def _world(procedures: Path) -> Iterator[_World]:
    with tempfile.TemporaryDirectory(prefix="rutin-scenario-") as tmp:
        engine = open_engine(f"sqlite:///{Path(tmp) / 'scenario.db'}")
        try:
            ensure_schema(engine)
            store = SqlCaseStore(engine)
            clock = FixedClock(START)
            sandbox = SandboxAdapter(engine)
            counter = iter(range(1, 1_000_000))
            service = Rutin(
                store, ProcedureFolder(procedures), Systems(sandbox), clock, new_id=lambda: f"S{next(counter)}"
            )
            service.save_user(User(ADMIN, admin=True), ADMIN)
            yield _World(service, clock, store, sandbox)
        finally:
            engine.dispose()


def _actors(scenario: Scenario) -> set[str]:
    names = {scenario.actor}
    for step in scenario.steps:
        do = step.do if isinstance(step, ExpectRefused) else step if isinstance(step, Do) else None
        if do is not None and do.actor:
            names.add(do.actor)
    return names


def _grants(procedure: Procedure) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every role and task the procedure names anywhere, so a scenario's people may do every step."""
    roles = list(procedure.access.roles) if procedure.access else []
    tasks = list(procedure.access.tasks) if procedure.access else []
    for step in procedure.steps:
        access = getattr(step, "access", None)
        if access is not None:
            roles += access.roles
            tasks += access.tasks
    return tuple(dict.fromkeys(roles)), tuple(dict.fromkeys(tasks))


def run_scenario(scenario: Scenario, procedure_id: str, procedures: Path) -> ScenarioResult:
    with _world(procedures) as w:
        loaded = w.service.current(procedure_id)
        roles, tasks = _grants(loaded.procedure)
        for name in sorted(_actors(scenario)):
            w.service.save_user(User(name, roles, tasks, name, f"{name}@example.invalid"), ADMIN)
        outcome = _play(w, scenario, procedure_id)
    return ScenarioResult(scenario, outcome, tuple(compare(scenario.expect, outcome)))


def _play(w: _World, scenario: Scenario, procedure_id: str) -> Outcome:
    try:
        case_id = w.service.start(procedure_id, scenario.inputs, scenario.actor).id
    except RutinError as refused:
        return Outcome(refused=refused.message)
    failures: list[str] = []
    for step in scenario.steps:
        problem = _perform(w, scenario, case_id, step)
        if problem is not None:
            failures.append(problem)
            break  # what follows a failed step would only report echoes of it
    view = w.service.show(case_id, scenario.actor)
    mails = tuple(
        Mail(str(i.payload["to"]), str(i.payload["subject"]), str(i.payload["body"]))
        for i in w.store.outbox_items(case_id)
        if i.kind == "mail"
    )
    return Outcome(tuple(view.route), view.state, view.status, mails, dict(view.data), None, tuple(failures))


def _perform(w: _World, scenario: Scenario, case_id: str, step: Do | Wait | Answer | ExpectRefused) -> str | None:
    if isinstance(step, Wait):
        w.clock.advance(timedelta(minutes=step.minutes))
        w.service.sweep()
        return None
    if isinstance(step, Answer):
        payload: dict[str, Any] = {
            "system": step.system,
            "action": "fact",
            "query": step.query,
            "args": step.args,
            "value": step.value,
        }
        key = f"{case_id}.scenario.{step.location.line}.{step.location.column}"
        w.sandbox.perform(OutboxItem(None, case_id, 0, "perform", payload, w.service.now(), key))
        w.service.sweep()
        return None
    do = step.do if isinstance(step, ExpectRefused) else step
    at = w.service.show(case_id, scenario.actor).state
    try:
        w.service.do(case_id, do.action, do.fields, do.actor or scenario.actor)
    except RutinError as refused:
        if isinstance(step, ExpectRefused):
            if step.message_contains and step.message_contains not in refused.message:
                lacks = f"'{do.action}' was refused, but the message lacks '{step.message_contains}'"
                return f"{step.location}: {lacks}:\n  {refused.message}"
            return None
        return f"{do.location}: '{do.action}' at step '{at}' was refused: {refused.message}"
    if isinstance(step, ExpectRefused):
        return f"{step.location}: expected '{do.action}' at step '{at}' to be refused, but it was done"
    return None


def run_file(path: Path, procedures: Path) -> FileResult:
    """Load and run one scenario file; raises `ScenarioFileInvalid` when it cannot be read."""
    text = path.read_text(encoding="utf-8")
    named = procedure_named(text, str(path))
    procedure = load_procedure_text(*ProcedureFolder(procedures).text(named)).procedure if named else None
    loaded = load_scenarios(text, str(path), procedure)  # without a procedure this raises: `procedure:` is missing
    assert procedure is not None
    results = tuple(run_scenario(s, loaded.procedure, procedures) for s in loaded.scenarios)
    return FileResult(loaded, results, coverage(procedure, [r.outcome.route for r in results]))


def scenario_files(procedures: Path, procedure_id: str | None = None) -> list[Path]:
    """The scenario files in the procedure folder, or the one for `procedure_id`."""
    if procedure_id is not None:
        return [procedures / scenario_path_for(procedure_id)]
    return sorted((procedures / "scenarios").glob("*.scenarios.yaml"))
