"""What administrators and auditors read comes out in Swedish by default and in English with `--lang en`.

Each command runs in process through click's CliRunner on a real SQLite file; `--json` keeps its English keys
and values. Also: `case list --procedure` and `procedures test` name a procedure that does not exist.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import cli
from tests.cli.helpers import PROC, START_INPUTS
from tests.conftest import PROCEDURES, ROOT, remove_step_spara

INPUTS = START_INPUTS
SAMPLE = ROOT / "tests" / "data" / "registrations" / "sample.csv"


class Rutin:
    """`rutin` in process on one SQLite file, as anna, at a fixed time, in the default language unless told."""

    def __init__(self, tmp_path: Path, procedures: Path = PROCEDURES) -> None:
        # the runner's own RUTIN_ variables (a language, adapters, ...) removed, so the default language is tested
        self.env: dict[str, str | None] = {name: None for name in os.environ if name.startswith("RUTIN_")}
        self.env.update(RUTIN_DB=str(tmp_path / "rutin.db"), RUTIN_USER="anna", RUTIN_PROCEDURES=str(procedures))

    def __call__(self, *args: str, user: str | None = None) -> Result:
        env = {**self.env, "RUTIN_USER": user} if user else self.env
        return CliRunner().invoke(cli.app, ["--now", "2024-06-03T10:00", *args], env=env)


def ready(tmp_path: Path, procedures: Path = PROCEDURES) -> Rutin:
    rutin = Rutin(tmp_path, procedures)
    assert rutin("users", "add", "admin", "--admin", user="admin").exit_code == 0
    added = rutin(
        "users", "add", "anna", "--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör", user="admin"
    )
    assert added.exit_code == 0, added.output
    return rutin


@pytest.fixture
def rutin(tmp_path: Path) -> Rutin:
    return ready(tmp_path)


def start(rutin: Rutin) -> str:
    started = rutin("case", "start", PROC, *INPUTS)
    assert started.exit_code == 0, started.output
    return started.stdout.strip()


# --- case show, procedures show, rules list ----------------------------------------------------------------


def test_case_show_header_is_swedish_by_default_and_english_with_lang_en(rutin: Rutin) -> None:
    case_id = start(rutin)
    swedish = rutin("case", "show", case_id)
    assert swedish.exit_code == 0, swedish.output
    assert f"{PROC} version " in swedish.stdout
    assert "· 1 händelse · startat 2024-06-03 10:00 av anna" in swedish.stdout
    assert "events" not in swedish.stdout and " by " not in swedish.stdout
    english = rutin("--lang", "en", "case", "show", case_id)
    assert "· 1 event · started 2024-06-03 10:00 by anna" in english.stdout


def test_procedures_show_names_its_parts_in_swedish_and_in_english(rutin: Rutin) -> None:
    swedish = rutin("procedures", "show", PROC).stdout
    assert "\nRutin: " in swedish
    assert "\nUppgifter vid start\n" in swedish and "\nSteg\n" in swedish
    assert "obligatorisk när orsak" in swedish
    assert all(word not in swedish for word in ("Routine:", "Inputs", "Steps", "required"))
    english = rutin("--lang", "en", "procedures", "show", PROC).stdout
    assert "\nRoutine: " in english and "\nInputs\n" in english and "\nSteps\n" in english
    assert "required when orsak" in english


def test_procedures_show_json_keeps_its_english_keys(rutin: Rutin) -> None:
    body = json.loads(rutin("procedures", "show", PROC, "--json").stdout)
    assert {"inputs", "steps"} <= set(body)
    assert {"name", "type", "required", "required_when"} <= set(body["inputs"][0])


def test_rules_list_says_its_footer_and_switches_in_swedish(rutin: Rutin) -> None:
    swedish = rutin("rules", "list").stdout
    assert "regler; deras källhänvisningar: rutin rules list --json" in swedish
    english = rutin("--lang", "en", "rules", "list").stdout
    assert "rules; their citations: rutin rules list --json" in english


def test_case_list_headers_are_swedish_by_default(rutin: Rutin) -> None:
    start(rutin)
    swedish = rutin("case", "list").stdout
    assert "ärende" in swedish and "case" not in swedish and "updated" not in swedish
    english = rutin("--lang", "en", "case", "list").stdout
    assert "case" in english and "procedure" in english


# --- check registrations -----------------------------------------------------------------------------------


def test_the_registrations_report_is_swedish_by_default(rutin: Rutin) -> None:
    swedish = rutin("check", "registrations", str(SAMPLE))
    assert swedish.exit_code == 1  # the sample has planted mistakes
    lines = swedish.stdout.splitlines()
    assert lines[0].startswith("rad 4: scb.not_started_status_date: Status 'Ej påbörjat' har statusdatum")
    assert "  åtgärd: Ändra statusdatum till kursens startdatum 2024-08-19." in lines[0]
    assert "rad 17: felaktig rad: statusdatum '2024-09-31' är inte ett datum (ÅÅÅÅ-MM-DD)" in lines
    assert "20 rader: 18 kontrollerade, 7 regelbrott, 2 felaktiga rader" in lines
    assert any(line.startswith("regler som kördes: ") for line in lines)
    assert not any(line.startswith(("row ", "rules run", "not run")) for line in lines)


def test_the_registrations_report_is_english_with_lang_en(rutin: Rutin) -> None:
    english = rutin("--lang", "en", "check", "registrations", str(SAMPLE)).stdout.splitlines()
    assert english[0].startswith("row 4: scb.not_started_status_date: ")
    assert "  fix: " in english[0]
    assert "row 19: bad row: the row has 7 columns, the header 15" in english
    assert "20 rows: 18 checked, 7 violations, 2 bad rows" in english


def test_rules_not_run_are_named_in_swedish_and_stay_english_in_json(rutin: Rutin, tmp_path: Path) -> None:
    export = tmp_path / "minimal.csv"
    export.write_text("kurskod;grupp;status;statusdatum;startdatum;slutdatum\n", encoding="utf-8")
    swedish = rutin("check", "registrations", str(export))
    assert swedish.exit_code == 0, swedish.output
    assert "kördes inte: grading.grade_date_is_course_end (filen saknar kolumnen betygsdatum)" in swedish.stdout
    assert (
        "kördes inte: scb.replaced_group_dates (filen saknar kolumnerna ersatt_startdatum, ersatt_slutdatum)"
        in swedish.stdout
    )
    english = rutin("--lang", "en", "check", "registrations", str(export)).stdout
    assert "not run: grading.grade_date_is_course_end (the file has no column betygsdatum)" in english
    data = json.loads(rutin("check", "registrations", str(export), "--json").stdout)
    assert data["rules_not_run"]["grading.grade_date_is_course_end"] == "the file has no column betygsdatum"
    assert set(data) == {
        "ok",
        "rows",
        "checked",
        "delimiter",
        "columns",
        "violations",
        "bad_rows",
        "counts",
        "rules_run",
        "rules_not_run",
    }


def test_a_header_that_cannot_be_mapped_is_refused_in_swedish(rutin: Rutin, tmp_path: Path) -> None:
    export = tmp_path / "typo.csv"
    export.write_text("kurskod;grupp;status;statusdatun;startdatum\n", encoding="utf-8")
    swedish = rutin("check", "registrations", str(export))
    assert swedish.exit_code == 1
    assert swedish.stderr.splitlines()[0] == (
        "fel: registreringsfilen kan inte kontrolleras: okänd kolumn 'statusdatun' (menade du 'statusdatum'?); "
        "obligatoriska kolumner saknas: slutdatum"
    )
    assert "tips: kända kolumner: personnummer / personal_number, kurskod (obligatorisk)" in swedish.stderr
    english = rutin("--lang", "en", "check", "registrations", str(export))
    assert "error: the registrations file cannot be checked: unknown column 'statusdatun'" in english.stderr
    assert "hint: known columns: " in english.stderr


def test_a_file_that_cannot_be_read_is_named_in_swedish(rutin: Rutin, tmp_path: Path) -> None:
    missing = tmp_path / "finns-inte.csv"
    swedish = rutin("check", "registrations", str(missing))
    assert swedish.exit_code == 1
    assert f"fel: kan inte läsa {missing}: filen finns inte" in swedish.stderr
    assert "tips: ange sökvägen till en CSV-export" in swedish.stderr
    english = rutin("--lang", "en", "check", "registrations", str(missing))
    assert f"error: cannot read {missing}: No such file or directory" in english.stderr


def test_an_empty_registrations_file_is_refused_in_swedish(rutin: Rutin, tmp_path: Path) -> None:
    export = tmp_path / "tom.csv"
    export.write_bytes(b"")
    refused = rutin("check", "registrations", str(export))
    assert refused.exit_code == 1
    assert "fel: registreringsfilen kan inte kontrolleras: ingen rubrikrad: filen är tom" in refused.stderr


# --- audit -------------------------------------------------------------------------------------------------


def test_audit_replay_verify_and_log_speak_swedish_by_default(rutin: Rutin) -> None:
    case_id = start(rutin)
    replay = rutin("audit", "replay", case_id)
    assert replay.exit_code == 0, replay.output
    assert replay.stdout.splitlines()[0].startswith(f"{case_id}: rutinversion ")
    assert "uppspelningen stämmer med det sparade ärendet" in replay.stdout
    verify = rutin("audit", "verify", case_id)
    assert verify.exit_code == 0, verify.output
    assert verify.stdout.strip() == "kontrollerade 1 historik, 1 händelse och 1 rutinversion: allt är intakt"
    log = rutin("audit", "log", case_id).stdout
    assert "vem" in log and "who" not in log
    english = rutin("--lang", "en", "audit", "verify", case_id)
    assert english.stdout.strip() == "1 histories, 1 events, 1 procedure versions checked: all intact"
    assert "replay matches the stored case" in rutin("--lang", "en", "audit", "replay", case_id).stdout


def test_audit_json_keeps_its_keys_and_english_values(rutin: Rutin) -> None:
    case_id = start(rutin)
    replay = json.loads(rutin("audit", "replay", case_id, "--json").stdout)
    assert set(replay) == {"case", "procedure_version", "ok", "problems", "steps"}
    verify = json.loads(rutin("audit", "verify", case_id, "--json").stdout)
    assert set(verify) == {"ok", "streams", "events", "procedures", "problems"}


# --- a procedure that does not exist (#21, #22) ------------------------------------------------------------


def test_case_list_of_a_procedure_that_does_not_exist_is_refused(rutin: Rutin) -> None:
    refused = rutin("case", "list", "--procedure", "nosuch")
    assert refused.exit_code == 1
    assert refused.stdout == ""
    assert "fel: det finns ingen rutin 'nosuch'" in refused.stderr
    typo = rutin("case", "list", "--procedure", "avregistrering-betyq")
    assert typo.exit_code == 1
    assert "menade du 'avregistrering-betyg'?" in typo.stderr
    english = rutin("--lang", "en", "case", "list", "--procedure", "nosuch", "--json")
    assert english.exit_code == 1
    assert "error: there is no procedure 'nosuch'" in english.stderr


def test_case_list_of_a_procedure_without_cases_is_an_empty_list(rutin: Rutin) -> None:
    listed = rutin("case", "list", "--procedure", PROC, "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == []


def test_case_list_still_lists_the_cases_of_a_procedure_whose_file_was_removed(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, folder)
    rutin = ready(tmp_path, folder)
    case_id = start(rutin)
    (folder / f"{PROC}.yaml").unlink()
    listed = rutin("case", "list", "--procedure", PROC, "--json")
    assert listed.exit_code == 0, listed.output
    assert [c["id"] for c in json.loads(listed.stdout)] == [case_id]


def test_procedures_test_of_a_procedure_that_does_not_exist_says_so(rutin: Rutin) -> None:
    refused = rutin("procedures", "test", "nosuch")
    assert refused.exit_code == 1
    assert "fel: det finns ingen rutin 'nosuch'" in refused.stderr
    assert "scenari" not in refused.stderr
    typo = rutin("procedures", "test", "avregistrering-betyq")
    assert "menade du 'avregistrering-betyg'?" in typo.stderr
    english = rutin("--lang", "en", "procedures", "test", "nosuch")
    assert "error: there is no procedure 'nosuch'" in english.stderr


def test_procedures_test_of_a_procedure_without_scenarios_asks_for_them(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, folder)
    (folder / "scenarios" / f"{PROC}.scenarios.yaml").unlink()
    refused = Rutin(tmp_path, folder)("procedures", "test", PROC)
    assert refused.exit_code == 1
    assert f"fel: det finns inga scenarier för '{PROC}'" in refused.stderr
    assert f"{PROC}.scenarios.yaml" in refused.stderr
    assert not (tmp_path / "rutin.db").exists()  # the scenarios run without the database; so does this refusal


# --- procedures impact and validate ------------------------------------------------------------------------


def test_procedures_impact_names_its_columns_and_statuses_in_swedish(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(PROCEDURES, folder)
    rutin = ready(tmp_path, folder)
    case_id = start(rutin)
    remove_step_spara(folder)
    swedish = rutin("procedures", "impact", PROC)
    assert swedish.exit_code == 0, swedish.output
    assert case_id in swedish.stdout
    assert "säker" in swedish.stdout and "att göra" in swedish.stdout
    assert "safe" not in swedish.stdout
    english = rutin("--lang", "en", "procedures", "impact", PROC)
    assert "safe" in english.stdout and "open" in english.stdout


def test_validate_without_procedure_files_is_refused_in_swedish(rutin: Rutin, tmp_path: Path) -> None:
    empty = tmp_path / "tom"
    empty.mkdir()
    refused = rutin("procedures", "validate", str(empty))
    assert refused.exit_code == 1
    assert f"fel: inga rutinfiler hittades i {empty}" in refused.stderr
    assert "tips: ange .yaml-filer eller en mapp som innehåller sådana" in refused.stderr
