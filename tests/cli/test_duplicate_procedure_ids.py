"""Two files in a procedures folder with one id: never a silent choice between them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.loader import duplicate_ids, load_procedure_text
from tests.cli.helpers import Cli
from tests.conftest import PROCEDURES

SHIPPED = PROCEDURES / "avregistrering-betyg.yaml"
ROLE = ["--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "rutiner"
    made.mkdir()
    shutil.copy(SHIPPED, made / "a.yaml")
    text = SHIPPED.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    (made / "b.yaml").write_text(text.replace(title, "title: Andra filen", 1), encoding="utf-8")
    return made


def test_the_later_file_is_refused_with_a_duplicate_id_error_at_its_id_line(folder: Path) -> None:
    found = [load_procedure_text(p.read_text(encoding="utf-8"), str(p)) for p in sorted(folder.iterdir())]

    refused = duplicate_ids(found)

    assert list(refused) == [str(folder / "b.yaml")]
    [diagnostic] = refused[str(folder / "b.yaml")].diagnostics
    assert diagnostic.code == "duplicate-id"
    id_line = SHIPPED.read_text(encoding="utf-8").splitlines().index("id: avregistrering-betyg") + 1
    assert str(diagnostic.location) == f"{folder / 'b.yaml'}:{id_line}:1"
    assert f"already used by {folder / 'a.yaml'}" in diagnostic.message


def test_a_case_is_not_started_on_either_file_and_nothing_is_written(tmp_path: Path, folder: Path) -> None:
    cli = Cli(tmp_path, procedures=folder, lang=None)
    assert cli("users", "add", "anna", *ROLE).returncode == 0
    before = cli.dump()

    done = cli("case", "start", "avregistrering-betyg", "--set", "personnummer=19121212-1212")

    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "två filer anger rutinens id 'avregistrering-betyg': a.yaml, b.yaml" in done.stderr
    assert cli.dump() == before


def test_the_list_shows_the_later_file_as_invalid(tmp_path: Path, folder: Path) -> None:
    cli = Cli(tmp_path, procedures=folder)

    listed = json.loads(cli("procedures", "list", "--json").stdout)

    assert [(Path(p["path"]).name, p["valid"]) for p in listed] == [("a.yaml", True), ("b.yaml", False)]


def test_an_id_no_file_may_have_is_not_found_without_touching_the_file_system(tmp_path: Path) -> None:
    cli = Cli(tmp_path)
    assert cli("users", "add", "anna", *ROLE).returncode == 0

    for odd in ("x" * 5000, "../procedures/avregistrering-betyg", "avregistrering betyg"):
        done = cli("case", "start", odd)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert "there is no procedure" in done.stderr


def test_validate_reports_the_duplicate_with_its_place_and_exits_1(tmp_path: Path, folder: Path) -> None:
    done = Cli(tmp_path, procedures=folder)("procedures", "validate")

    assert done.returncode == 1
    assert f"{folder / 'b.yaml'}:4:1: error: the id 'avregistrering-betyg' is already used by" in done.stderr
    assert "[duplicate-id]" in done.stderr and not (tmp_path / "rutin.db").exists()
