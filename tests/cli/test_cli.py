"""The `rutin` command as a person uses it: real processes, a real SQLite file, exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import PROC, START_INPUTS, Cli, start_case

GOOD = list(START_INPUTS)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    run = Cli(tmp_path)
    assert run("users", "add", "admin", "--admin", user="admin").returncode == 0
    added = run(
        "users", "add", "anna", "--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör", user="admin"
    )
    assert added.returncode == 0, added.stderr
    assert run("users", "add", "erik", user="admin").returncode == 0
    return run


start = start_case


def test_start_prints_the_new_case_id_and_show_json_has_the_documented_keys(cli: Cli) -> None:
    case_id = start(cli)
    shown = cli("case", "show", case_id, "--json")
    assert shown.returncode == 0
    body = json.loads(shown.stdout)
    assert {"id", "procedure", "version", "state", "status", "actions", "waiting"} <= set(body)
    assert body["id"] == case_id and body["status"] == "open" and body["waiting"] is None
    assert body["actions"][0]["name"] == "ed_sok_elev"
    assert {"name", "label", "fields"} <= set(body["actions"][0])


def test_an_invalid_personnummer_is_refused_with_exit_1_and_nothing_written(cli: Cli) -> None:
    before = cli.dump()
    for bad, why in (("19121212-1213", "check digit"), ("19121332-1212", "month 13")):
        result = cli("case", "start", PROC, *[a.replace("19121212-1212", bad) for a in GOOD])
        assert result.returncode == 1
        assert "personnummer" in result.stderr and why in result.stderr.lower()
        assert "Traceback" not in result.stderr
    assert cli.dump() == before


def test_an_unknown_user_is_refused_with_exit_1_and_nothing_written(cli: Cli) -> None:
    before = cli.dump()
    result = cli("case", "start", PROC, *GOOD, user="okand")
    assert result.returncode == 1
    assert "unknown user 'okand'" in result.stderr and "hint:" in result.stderr
    assert cli.dump() == before


def test_an_unknown_case_is_refused_with_exit_1(cli: Cli) -> None:
    before = cli.dump()
    result = cli("case", "do", "R-FINNSINTE", "ed_sok_elev")
    assert result.returncode == 1
    assert "there is no case 'R-FINNSINTE'" in result.stderr
    assert cli.dump() == before


def test_an_action_not_possible_at_this_step_is_refused_with_exit_1_and_nothing_written(cli: Cli) -> None:
    case_id = start(cli)
    before = cli.dump()
    result = cli("case", "do", case_id, "ed_spara")
    assert result.returncode == 1
    assert "'ed_spara' is not possible at step 'ed_sok_elev'" in result.stderr
    assert cli.dump() == before


def test_a_user_without_the_role_is_refused_and_the_refusal_is_recorded(cli: Cli) -> None:
    case_id = start(cli)
    result = cli("case", "do", case_id, "ed_sok_elev", user="erik")
    assert result.returncode == 1
    assert "erik may not act" in result.stderr
    log = json.loads(cli("audit", "log", case_id, "--json").stdout)
    assert log[-1]["kind"] == "refused" and log[-1]["actor"] == "erik"


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("case", "start").returncode == 2
    assert cli("case", "list", "--status", "sleeping").returncode == 2
    assert cli("case", "start", PROC, "--set", "novalue").returncode == 2


def test_a_whole_route_through_the_cli_with_the_worker_and_the_audit(cli: Cli) -> None:
    case_id = start(cli)
    for action in ("ed_sok_elev", "ed_las_upp"):
        assert cli("case", "do", case_id, action).returncode == 0
    assert cli("case", "do", case_id, "ed_beslutad_av", "--set", "beslutande_larare=Karin Lind").returncode == 0
    for action in ("ed_spara", "ed_bekrafta"):
        assert cli("case", "do", case_id, action).returncode == 0
    waiting = json.loads(cli("case", "show", case_id, "--json").stdout)
    assert waiting["status"] == "waiting"
    assert waiting["waiting"]["system"] == "BER"
    assert waiting["waiting"]["expected_by"].startswith("2024-06-03T08:15")  # 10:00 Swedish summer time + 15 min
    early = cli("worker", "--once", "--json", now="2024-06-03T10:10")
    assert json.loads(early.stdout)["advanced"] == []
    late = cli("worker", "--once", "--json", now="2024-06-03T10:16")
    assert json.loads(late.stdout)["advanced"] == [case_id]
    listed = json.loads(cli("case", "list", "--json").stdout)
    assert [c["state"] for c in listed] == ["ber_avbrott"]
    verify = cli("audit", "verify", case_id)
    assert verify.returncode == 0 and "all intact" in verify.stdout
    replay = cli("audit", "replay", case_id)
    assert replay.returncode == 0 and "replay matches" in replay.stdout
    exported = cli("audit", "export", case_id, "--format", "csv")
    assert exported.stdout.splitlines()[0].startswith("case,seq,at,actor")


def test_procedures_show_json_has_the_documented_keys(cli: Cli) -> None:
    body = json.loads(cli("procedures", "show", PROC, "--json").stdout)
    assert {"id", "title", "version", "inputs", "steps"} <= set(body)
    orsak = next(i for i in body["inputs"] if i["name"] == "orsak")
    assert [c["value"] for c in orsak["choices"]] == ["fel_kurs", "fel_betygsgrupp", "ej_last"]
    assert all({"id", "kind", "system"} <= set(s) for s in body["steps"])


def test_the_schema_is_json_schema_for_editors(cli: Cli) -> None:
    schema = json.loads(cli("procedures", "schema").stdout)
    assert schema["title"] == "Rutin procedure"
    assert "steps" in schema["properties"]


def test_only_an_administrator_adds_users(cli: Cli) -> None:
    result = cli("users", "add", "mallory", "--admin", user="anna")
    assert result.returncode == 1 and "not an administrator" in result.stderr
    names = [u["name"] for u in json.loads(cli("users", "list", "--json").stdout)]
    assert "mallory" not in names


def test_an_administrator_is_told_in_swedish_by_default(cli: Cli) -> None:
    default = {"RUTIN_LANG": None}
    result = cli("case", "do", "R-FINNSINTE", "ed_sok_elev", env=default)
    assert result.returncode == 1
    assert "fel: det finns inget ärende 'R-FINNSINTE'" in result.stderr
    assert "tips: se ärendena med `rutin case list`" in result.stderr
    case_id = start(cli)
    refused = cli("--as", "erik", "case", "do", case_id, "ed_sok_elev", env=default)
    assert "fel: erik får inte utföra steget 'Sök upp eleven via betygsgruppen'" in refused.stderr
