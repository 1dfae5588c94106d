"""Järfälla's Alvis routines (seed 004): what every one of them shares, and the walker their tests use.

The procedures load clean (validated as the CLI does, in one subprocess) and every step cites a sentence that
stands, as written, in the seed. The walker does each step as a person would; at a wait it moves the clock to
the next check and runs the worker's sweep, so the sandbox answers: nothing ever sleeps.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.access import User
from engine.loader import load_procedure_text
from engine.procedure import CheckStep
from engine.rules import get_rule
from tests.conftest import PROCEDURES, ROOT, SHARED, World, read_seed

FILES = ["betygskatalog-alvis", "kurs-startar-inte", "villkorad-antagning", "studieforsakran"]
SEED = SHARED / "seeds" / "004_b95a9f073a0234d6.txt"
KONTAKT = "kontakt@jarfalla.se"
STUDENT = "19121212-1212"
MASKED = "19121212-****"
STUDENT_MAIL = "elev@example.se"

SCHOOL = "skola"  # a school administrator in Järfälla's Alvis
TEACHER = "larare"
SYV = "syv"
JKC = "jkc"  # an officer at Järfälla Kompetenscentrum
USERS = (
    User(SCHOOL, ("Skoladministratör Alvis Järfälla",), (), "Sara Skola"),
    User(TEACHER, ("Lärare Alvis Järfälla",), (), "Karin Lind"),
    User(SYV, ("Studie- och yrkesvägledare Alvis Järfälla",), (), "Sven Vägledare"),
    User(JKC, ("Handläggare JKC Järfälla",), (), "Jonas Kompetenscentrum"),
)


def add_jarfalla_users(world: World) -> None:
    for user in USERS:
        world.service.save_user(user, "admin")


@dataclass
class Plan:
    """How a person answers at each step: the button, the fields recorded, and who presses it."""

    actions: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    actors: Mapping[str, str] = field(default_factory=dict)
    actor: str = SCHOOL


def walk(world: World, case_id: str, plan: Plan, *, stop_at: str | None = None) -> list[str]:
    """Do every step until the case ends (or reaches `stop_at`); return the steps a person or the worker met."""
    visited: list[str] = []
    for _ in range(200):
        view = world.service.show(case_id, plan.actor)
        if view.status == "done" or view.state == stop_at:
            return visited
        if not visited or visited[-1] != view.state:  # a wait checked several times counts once
            visited.append(view.state)
        if view.actions:
            names = [a.name for a in view.actions]
            action = plan.actions.get(view.state, names[0])
            actor = plan.actors.get(view.state, plan.actor)
            world.service.do(case_id, action, dict(plan.fields.get(view.state, {})), actor)
        else:
            assert view.waiting is not None, f"{view.state} is neither a person's step nor a wait"
            world.clock.set(max(view.waiting.next_check_at, world.clock.now()))
            world.service.sweep()
    raise AssertionError("the case did not finish")


def mails(world: World, case_id: str) -> list[dict[str, Any]]:
    return [dict(i.payload) for i in world.store.outbox_items(case_id) if i.kind == "mail"]


def assert_masked(mail: Mapping[str, Any]) -> None:
    text = f"{mail['subject']}\n{mail['body']}"
    assert STUDENT not in text, "the full personnummer must not be mailed"
    assert MASKED in text


def assert_audit_ok(world: World, case_id: str) -> None:
    """What `rutin audit verify` and `rutin audit replay` report for the case."""
    verified = world.service.verify("admin", case_id)
    assert verified.ok, verified.problems
    replayed = world.service.replay(case_id, "admin")
    assert replayed.ok, replayed.problems
    assert all(step.matches for step in replayed.steps)


def sandbox_says(world: World, system: str, query: str, **args: str) -> bool | None:
    return world.service.systems.default.ask(system, query, args, world.clock.now())


def words(text: str) -> str:
    """Every run of whitespace as one space: the seed breaks sentences over lines."""
    return re.sub(r"\s+", " ", text).strip()


def test_the_procedures_validate_without_errors_or_warnings() -> None:
    paths = [str(PROCEDURES / f"{name}.yaml") for name in FILES]
    done = subprocess.run(
        [str(Path(sys.executable).with_name("rutin")), "procedures", "validate", *paths],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stdout + done.stderr
    assert f"{len(FILES)} file(s) checked, {len(FILES)} valid" in done.stdout


@pytest.mark.parametrize("name", FILES)
def test_every_step_cites_a_sentence_of_the_routine_as_written(name: str) -> None:
    text = words(read_seed(SEED.name))
    loaded = load_procedure_text((PROCEDURES / f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")
    for step in loaded.procedure.steps:
        assert step.source is not None and step.source.quote, f"{step.id} has no source quote"
        assert words(step.source.quote) in text, f"{step.id}: {step.source.quote!r} is not in the seed"
        if isinstance(step, CheckStep) and step.cite:
            assert words(step.cite) in text, f"{step.id}: the cite is not in the seed"
        if isinstance(step, CheckStep) and step.rule:
            assert get_rule(step.rule) is not None, f"{step.id}: unknown rule {step.rule}"
