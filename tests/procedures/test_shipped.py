"""Every shipped procedure validates, and the JSON Schema beside them is the one the code exports."""

from __future__ import annotations

import json

import pytest

from engine.loader import load_procedure_text
from engine.procedure import procedure_from_data
from engine.schema import procedure_json_schema
from tests.conftest import PROCEDURES

SHIPPED = sorted(PROCEDURES.glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_procedure_loads_without_errors_or_warnings(path) -> None:  # type: ignore[no-untyped-def]
    loaded = load_procedure_text(path.read_text(encoding="utf-8"), str(path))
    assert loaded.warnings == []
    assert loaded.id == path.stem


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_stored_procedure_rebuilds_equal_without_validation(path) -> None:  # type: ignore[no-untyped-def]
    loaded = load_procedure_text(path.read_text(encoding="utf-8"), str(path))
    stored = json.loads(json.dumps(loaded.data))
    assert procedure_from_data(stored) == loaded.procedure


def test_the_schema_file_is_current() -> None:
    on_disk = json.loads((PROCEDURES / "schema.json").read_text(encoding="utf-8"))
    assert on_disk == procedure_json_schema(), "run: rutin procedures schema > procedures/schema.json"
