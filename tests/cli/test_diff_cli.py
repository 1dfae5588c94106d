"""`rutin procedures diff`: what changed between the versions open cases run on and the file, in plain words."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.helpers import Cli
from tests.conftest import PROCEDURES, remove_step_spara

ADMIN = ("users", "add", "admin", "--admin", "--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör")
START = (
    *("case", "start", "avregistrering-betyg"),
    *("--set", "personnummer=19121212-1212", "--set", "orsak=ej_last"),
    *("--set", "kurskod=MATMAT01a", "--set", "betygsgrupp=MA1A"),
)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """`rutin` as admin, in the default language, on a copy of the shipped procedures (tmp_path/p) to edit."""
    shutil.copytree(PROCEDURES, tmp_path / "p")
    return Cli(tmp_path, db="r.db", procedures=tmp_path / "p", user="admin", lang=None, now=None)


def test_a_removed_step_and_a_changed_wait_are_told_in_plain_words(cli: Cli, tmp_path: Path) -> None:
    assert cli(*ADMIN).returncode == 0
    started = cli(*START)
    assert started.returncode == 0, started.stderr
    remove_step_spara(tmp_path / "p")

    shown = cli("procedures", "diff", "avregistrering-betyg")
    as_json = json.loads(cli("procedures", "diff", "avregistrering-betyg", "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    assert "Steget 'ed_spara' (Spara) har tagits bort" in shown.stdout
    assert {c["kind"] for c in as_json[0]["changes"]} >= {"step_removed", "next_changed"}


def test_no_difference_is_said_plainly(cli: Cli) -> None:
    cli("users", "add", "admin", "--admin")
    shown = cli("--lang", "en", "procedures", "diff", "avregistrering-betyg")
    assert shown.returncode == 0
    assert "no stored version differs from the file" in shown.stdout


def test_impact_tells_which_open_cases_could_move_safely(cli: Cli, tmp_path: Path) -> None:
    assert cli(*ADMIN).returncode == 0
    before = cli(*START).stdout.strip()
    after = cli(*START).stdout.strip()
    for action in ("ed_sok_elev", "ed_las_upp"):
        cli("case", "do", after, action)
    cli("case", "do", after, "ed_beslutad_av", "--set", "beslutande_larare=Karin")
    cli("case", "do", after, "ed_spara")
    remove_step_spara(tmp_path / "p")

    found = json.loads(cli("procedures", "impact", "avregistrering-betyg", "--json").stdout)

    verdicts = {row["case"]: row["safe"] for row in found["cases"]}
    assert verdicts == {before: True, after: False}
    unsafe = next(row for row in found["cases"] if row["case"] == after)
    assert any("ed_spara" in reason for reason in unsafe["reasons"])
