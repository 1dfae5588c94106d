"""Moving open cases to a new version of their procedure: safe ones move (and replay), unsafe ones are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.errors import ActionRefused
from tests.conftest import PROCEDURES, World, make_world, remove_step_spara
from tests.integration.test_grade_revocation import PROC, ROUTES, walk


@pytest.fixture
def edited(tmp_path: Path) -> tuple[World, Path]:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, folder)
    return make_world(tmp_path, procedures=folder), folder


def test_a_case_before_the_changed_step_moves_and_replays_across_the_move(edited: tuple[World, Path]) -> None:
    world, folder = edited
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    world.service.do(case.id, "ed_sok_elev", {}, "anna")
    remove_step_spara(folder)

    moved = world.service.migrate(case.id, "admin", "Steget Spara ingår nu i Bekräfta")

    assert moved.version != case.version
    last = world.store.events(case.id)[-1]
    assert (last.kind, last.actor, last.data["reason"]) == (
        "case_migrated",
        "admin",
        "Steget Spara ingår nu i Bekräfta",
    )
    assert "ed_spara" not in walk(world, case.id)
    assert world.service.replay(case.id, "anna").ok
    assert world.service.verify("anna", case.id).ok


def test_a_case_that_passed_the_changed_step_is_refused_with_the_reason(edited: tuple[World, Path]) -> None:
    world, folder = edited
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    for action, fields in (
        ("ed_sok_elev", {}),
        ("ed_las_upp", {}),
        ("ed_beslutad_av", {"beslutande_larare": "K"}),
        ("ed_spara", {}),
    ):
        world.service.do(case.id, action, fields, "anna")
    remove_step_spara(folder)

    with pytest.raises(ActionRefused, match="cannot move safely") as caught:
        world.service.migrate(case.id, "admin", "försök")

    assert caught.value.recorded
    assert "ed_spara" in caught.value.message
    assert world.service.show(case.id, "anna").version == case.version
    assert world.store.events(case.id)[-1].kind == "refused"
    assert world.service.replay(case.id, "anna").ok


def test_only_a_process_owner_moves_cases(edited: tuple[World, Path]) -> None:
    world, folder = edited
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    remove_step_spara(folder)
    with pytest.raises(ActionRefused, match="may not move cases"):
        world.service.migrate(case.id, "anna", "varför inte")


def test_the_history_shows_the_routine_version_in_force_for_each_event(edited: tuple[World, Path]) -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    world, folder = edited
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    remove_step_spara(folder)
    path = folder / f"{PROC}.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace('revision: "1"', 'revision: "2"'), encoding="utf-8")
    world.service.migrate(case.id, "admin", "ny revision av rutinen")
    logged = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "--db",
            str(world.db_path),
            "--as",
            "anna",
            "audit",
            "log",
            case.id,
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    versions = [e["routine_version"] for e in json.loads(logged.stdout)]
    assert versions == ["seeds/000_297afb207e83de0e.txt"] * 2
    hashes = {e["procedure_hash"] for e in json.loads(logged.stdout)}
    assert len(hashes) == 2  # each event names the procedure version it ran under
