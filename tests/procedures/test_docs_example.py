"""The annotated example in docs/procedure-format.md is a real procedure: it loads clean, so the doc cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

from engine.loader import load_procedure_text
from engine.procedure import STEP_KINDS

DOC = Path(__file__).resolve().parents[2] / "docs" / "procedure-format.md"


def first_yaml_block() -> str:
    found = re.search(r"^```yaml\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    assert found is not None, f"{DOC} has no ```yaml block"
    return found.group(1)


def test_the_documented_example_loads_without_errors_or_warnings() -> None:
    loaded = load_procedure_text(first_yaml_block(), f"{DOC.name} (first yaml block)")

    assert loaded.warnings == []


def test_the_documented_example_shows_every_step_kind_and_the_schema_modeline() -> None:
    text = first_yaml_block()

    loaded = load_procedure_text(text, DOC.name)

    assert {step.kind for step in loaded.procedure.steps} == set(STEP_KINDS)
    assert text.startswith("# yaml-language-server: $schema=./schema.json\n")


def test_the_readme_excerpt_is_a_procedure_that_loads() -> None:
    readme = DOC.parents[1] / "README.md"
    found = re.search(r"^```yaml\n(.*?)^```", readme.read_text(encoding="utf-8"), re.DOTALL | re.MULTILINE)
    assert found is not None

    loaded = load_procedure_text(found.group(1), "README.md")

    assert [s.kind for s in loaded.procedure.steps] == ["task", "wait", "end"]
