"""Scenario files: the shipped ones pass and reach every step and route; broken ones fail readably, located."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.scenario_runner import run_file, scenario_files
from engine.scenarios import ScenarioFileInvalid, route_diff
from tests.conftest import PROCEDURES

SHIPPED = PROCEDURES / "scenarios" / "avregistrering-betyg.scenarios.yaml"

BROKEN = """\
procedure: avregistrering-betyg
scenarios:
  - name: stannar vid första steget
    as: anna
    inputs: {personnummer: "19121212-1212", orsak: ej_last, kurskod: MATMAT01a, betygsgrupp: MA1A-HT24}
    expect:
      route: [kontroll_ny_grupp, kontroll_ny_kurs, ed_las_upp]
      state: klart
"""


def test_the_shipped_scenarios_pass_and_cover_every_step_and_route() -> None:
    result = run_file(SHIPPED, PROCEDURES)

    assert [r.failures for r in result.results if not r.passed] == []
    assert result.coverage.complete, result.coverage.report()
    assert result.coverage.summary() == "steps 25/25, routes 29/29"


def test_every_shipped_scenario_file_is_found() -> None:
    assert SHIPPED in scenario_files(PROCEDURES)


def test_a_wrong_expected_state_fails_with_a_readable_difference(tmp_path: Path) -> None:
    path = tmp_path / "broken.scenarios.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    result = run_file(path, PROCEDURES)

    assert not result.passed
    failures = result.results[0].failures
    assert "state: expected 'klart', got 'ed_sok_elev'" in failures
    route = next(f for f in failures if f.startswith("route differs"))
    assert "  - ed_las_upp" in route and "  + ed_sok_elev" in route


def test_coverage_lists_what_no_scenario_reaches(tmp_path: Path) -> None:
    path = tmp_path / "broken.scenarios.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    report = run_file(path, PROCEDURES).coverage.report()

    assert report.startswith("steps 3/25, routes 2/29")
    assert "meddela_ny_kurs" in report and "samma_ar -> posta_kataloger" in report


def test_an_unknown_step_in_a_scenario_file_is_located_with_a_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "typo.scenarios.yaml"
    path.write_text(BROKEN.replace("state: klart", "state: klar"), encoding="utf-8")

    with pytest.raises(ScenarioFileInvalid) as caught:
        run_file(path, PROCEDURES)

    (diagnostic,) = caught.value.diagnostics
    assert str(diagnostic.location) == f"{path}:8:14"
    assert diagnostic.code == "scenario-step-unknown"
    assert diagnostic.hint == "did you mean 'klart'?"


def test_an_unknown_key_and_action_are_each_located(tmp_path: Path) -> None:
    text = BROKEN.replace("    expect:", "    steps:\n      - do: ed_sok\n    expects: {}\n    expect:")
    path = tmp_path / "keys.scenarios.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ScenarioFileInvalid) as caught:
        run_file(path, PROCEDURES)

    found = [
        (d.code, d.location.line if d.location else 0, d.location.column if d.location else 0)
        for d in caught.value.diagnostics
    ]
    assert found == [("scenario-action", 7, 13), ("scenario-unknown-key", 8, 5)]


def test_a_yaml_error_in_a_scenario_file_has_its_position(tmp_path: Path) -> None:
    path = tmp_path / "bad.scenarios.yaml"
    path.write_text("procedure: avregistrering-betyg\nscenarios: [\n", encoding="utf-8")

    with pytest.raises(ScenarioFileInvalid) as caught:
        run_file(path, PROCEDURES)

    location = caught.value.diagnostics[0].location
    assert location is not None and location.path == str(path) and location.line >= 2


def test_a_route_difference_marks_expected_and_actual() -> None:
    assert route_diff(["a", "b"], ["a", "c"]).splitlines() == ["  (- expected, + actual)", "    a", "  - b", "  + c"]


def test_every_shipped_procedure_has_scenarios_that_pass_and_cover_it_all_through_the_cli() -> None:
    import json
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import cli; cli.main()",
            "--procedures",
            str(PROCEDURES),
            "procedures",
            "test",
            "--strict-coverage",
            "--json",
        ],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    results = json.loads(done.stdout)
    shipped = {p.stem for p in PROCEDURES.glob("*.yaml")}
    assert {r["procedure"] for r in results} == shipped
    assert [r["procedure"] for r in results if not r["passed"]] == []
    assert done.returncode == 0, done.stderr
