"""`rutin procedures test [ID]`: run the scenarios beside the procedures and report failures and coverage."""

from __future__ import annotations

from typing import Any

import click

from cli import JSON, Settings, emit_json, pass_settings, refusals
from commands.procedures import procedures_group


@procedures_group.command("test")
@click.argument("procedure_id", required=False)
@click.option("--strict-coverage", is_flag=True, help="Fail when a step or route is reached by no scenario.")
@JSON
@pass_settings
def procedures_test(s: Settings, procedure_id: str | None, strict_coverage: bool, as_json: bool) -> None:
    """Run the scenarios in procedures/scenarios/ (or only ID's), each on a throwaway database and clock."""
    from adapters.procedure_folder import ProcedureFolder
    from adapters.scenario_runner import FileResult, run_file, scenario_files
    from engine.errors import NotFound

    paths = scenario_files(s.procedures, procedure_id)
    with refusals():
        if procedure_id is not None and not paths[0].is_file():
            # a procedure that does not exist is the problem to name, not its missing scenarios; the folder is read
            # directly, as the scenarios are run without the database
            ProcedureFolder(s.procedures).text(procedure_id)  # NotFound (in Swedish too) for an unknown id
            raise NotFound(
                f"there are no scenarios for '{procedure_id}'",
                f"write them in {paths[0]} (see procedures/scenarios/ for an example)",
                sv=(
                    f"det finns inga scenarier för '{procedure_id}'",
                    f"skriv dem i {paths[0]} (se procedures/scenarios/ för ett exempel)",
                ),
            )
        files: list[FileResult] = [run_file(p, s.procedures) for p in paths]
    if as_json:
        emit_json([_json(f) for f in files])
    else:
        for found in files:
            _print(found)
    failed = any(not f.passed for f in files) or (strict_coverage and any(not f.coverage.complete for f in files))
    raise SystemExit(1 if failed else 0)


def _print(found: Any) -> None:
    say = click.echo
    say(click.style(f"{found.file.procedure}", bold=True) + f"  ({found.file.path})")
    for result in found.results:
        mark = click.style("PASS", fg="green") if result.passed else click.style("FAIL", fg="red")
        say(f"  {mark}  {result.scenario.name}  [{result.scenario.location}]")
        for failure in result.failures:
            say("\n".join("        " + line for line in failure.splitlines()))
    passed = sum(1 for r in found.results if r.passed)
    say(f"  {passed}/{len(found.results)} scenarios passed; coverage: {found.coverage.report()}")


def _json(found: Any) -> dict[str, Any]:
    cov = found.coverage
    return {
        "procedure": found.file.procedure,
        "path": found.file.path,
        "passed": found.passed,
        "scenarios": [
            {"name": r.scenario.name, "passed": r.passed, "failures": list(r.failures), "route": list(r.outcome.route)}
            for r in found.results
        ],
        "coverage": {
            "steps": len(cov.steps),
            "steps_reached": len(cov.steps) - len(cov.missing_steps),
            "routes": len(cov.edges),
            "routes_reached": len(cov.edges) - len(cov.missing_edges),
            "missing_steps": list(cov.missing_steps),
            "missing_routes": [list(e) for e in cov.missing_edges],
        },
    }
