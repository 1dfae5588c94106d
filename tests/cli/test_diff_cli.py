"""`rutin procedures diff`: what changed between the versions open cases run on and the file, in plain words."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROCEDURES, ROOT, remove_step_spara


def rutin(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "RUTIN_DB": str(tmp_path / "r.db"),
        "RUTIN_PROCEDURES": str(tmp_path / "p"),
        "RUTIN_USER": "admin",
    }
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )


def test_a_removed_step_and_a_changed_wait_are_told_in_plain_words(tmp_path: Path) -> None:
    shutil.copytree(PROCEDURES, tmp_path / "p")
    assert (
        rutin(
            tmp_path,
            "users",
            "add",
            "admin",
            "--admin",
            "--role",
            "Vux intern anordnare Sthlm",
            "--task",
            "Betygsadministratör",
        ).returncode
        == 0
    )
    started = rutin(
        tmp_path,
        "case",
        "start",
        "avregistrering-betyg",
        "--set",
        "personnummer=19121212-1212",
        "--set",
        "orsak=ej_last",
        "--set",
        "kurskod=MATMAT01a",
        "--set",
        "betygsgrupp=MA1A",
    )
    assert started.returncode == 0, started.stderr
    remove_step_spara(tmp_path / "p")

    shown = rutin(tmp_path, "procedures", "diff", "avregistrering-betyg")
    as_json = json.loads(rutin(tmp_path, "procedures", "diff", "avregistrering-betyg", "--json").stdout)

    assert shown.returncode == 0, shown.stderr
    assert "Steget 'ed_spara' (Spara) har tagits bort" in shown.stdout
    assert {c["kind"] for c in as_json[0]["changes"]} >= {"step_removed", "next_changed"}


def test_no_difference_is_said_plainly(tmp_path: Path) -> None:
    shutil.copytree(PROCEDURES, tmp_path / "p")
    rutin(tmp_path, "users", "add", "admin", "--admin")
    shown = rutin(tmp_path, "--lang", "en", "procedures", "diff", "avregistrering-betyg")
    assert shown.returncode == 0
    assert "no stored version differs from the file" in shown.stdout


def test_impact_tells_which_open_cases_could_move_safely(tmp_path: Path) -> None:
    shutil.copytree(PROCEDURES, tmp_path / "p")
    rutin(
        tmp_path,
        "users",
        "add",
        "admin",
        "--admin",
        "--role",
        "Vux intern anordnare Sthlm",
        "--task",
        "Betygsadministratör",
    )
    start = [
        "case",
        "start",
        "avregistrering-betyg",
        "--set",
        "personnummer=19121212-1212",
        "--set",
        "orsak=ej_last",
        "--set",
        "kurskod=MATMAT01a",
        "--set",
        "betygsgrupp=MA1A",
    ]
    before = rutin(tmp_path, *start).stdout.strip()
    after = rutin(tmp_path, *start).stdout.strip()
    for action in ("ed_sok_elev", "ed_las_upp"):
        rutin(tmp_path, "case", "do", after, action)
    rutin(tmp_path, "case", "do", after, "ed_beslutad_av", "--set", "beslutande_larare=Karin")
    rutin(tmp_path, "case", "do", after, "ed_spara")
    remove_step_spara(tmp_path / "p")

    found = json.loads(rutin(tmp_path, "procedures", "impact", "avregistrering-betyg", "--json").stdout)

    verdicts = {row["case"]: row["safe"] for row in found["cases"]}
    assert verdicts == {before: True, after: False}
    unsafe = next(row for row in found["cases"] if row["case"] == after)
    assert any("ed_spara" in reason for reason in unsafe["reasons"])
