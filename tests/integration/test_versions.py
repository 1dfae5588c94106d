"""A case runs to its end on the procedure version it started with, whatever happens to the file."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import PROCEDURES, make_world, remove_step_spara
from tests.integration.test_grade_revocation import PROC, ROUTES, walk


def test_editing_the_yaml_does_not_change_an_open_cases_route(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, folder)
    world = make_world(tmp_path, procedures=folder)
    old = world.service.start(PROC, ROUTES["ej_last"], "anna")
    world.service.do(old.id, "ed_sok_elev", {}, "anna")

    remove_step_spara(folder)  # the process owner removes the step "Spara"

    new = world.service.start(PROC, ROUTES["ej_last"], "anna")
    assert new.version != old.version
    assert "ed_spara" in walk(world, old.id)
    assert "ed_spara" not in walk(world, new.id)
    assert world.service.show(old.id, "anna").version == old.version
    assert world.service.replay(old.id, "anna").ok


def test_deleting_the_file_does_not_strand_open_cases(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, folder)
    world = make_world(tmp_path, procedures=folder)
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    (folder / f"{PROC}.yaml").unlink()
    walk(world, case.id)
    assert world.service.show(case.id, "anna").status == "done"


def test_the_same_text_is_stored_once(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    a = world.service.start(PROC, ROUTES["ej_last"], "anna")
    b = world.service.start(PROC, ROUTES["ej_last"], "anna")
    assert a.version == b.version
    assert len(world.store.procedure_versions(PROC)) == 1
