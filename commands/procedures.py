"""`rutin procedures`: list, show, validate, diff, impact, schema and graph of the procedure files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli import JSON, Settings, app, emit_json, fail, pass_settings, refusals, show_table, table
from commands.graph import GRAPH_FORMAT, GRAPH_OUTPUT, GRAPH_SECTIONS, emit_graph

if TYPE_CHECKING:
    from engine.procedure import LoadedProcedure


@app.group("procedures")
def procedures_group() -> None:
    """Procedures: list, show, validate, schema."""


@procedures_group.command("list")
@JSON
@pass_settings
def procedures_list(s: Settings, as_json: bool) -> None:
    """The procedures in the folder, with their versions (or why they do not load)."""
    from engine.errors import ProcedureInvalid

    with refusals():
        found = s.service().procedures()
    rows: list[dict[str, Any]] = []
    for item in found:
        if isinstance(item, ProcedureInvalid):
            first = item.diagnostics[0].location if item.diagnostics else None
            rows.append(
                {"id": None, "path": first.path if first else "?", "valid": False, "errors": len(item.diagnostics)}
            )
        else:
            rows.append(
                {
                    "id": item.id,
                    "title": item.procedure.title,
                    "version": item.hash,
                    "path": item.path,
                    "valid": True,
                    "steps": len(item.procedure.steps),
                }
            )
    if as_json:
        emit_json(rows)
        return
    en = s.lang == "en"
    out = table(*(("id", "title", "version", "steps", "file") if en else ("id", "namn", "version", "steg", "fil")))
    for row in rows:
        if row["valid"]:
            out.add_row(row["id"], row["title"], str(row["version"])[:12], str(row["steps"]), row["path"])
        elif en:
            out.add_row(
                "[red]invalid[/red]", f"{row['errors']} problem(s): rutin procedures validate", "", "", row["path"]
            )
        else:
            out.add_row("[red]ogiltig[/red]", f"{row['errors']} fel: rutin procedures validate", "", "", row["path"])
    show_table(out)


SHOW_WORDS = {
    "en": {
        "routine": "Routine",
        "inputs": "Inputs",
        "steps": "Steps",
        "required": "required",
        "required_when": "required when",
        "optional": "optional",
    },
    "sv": {
        "routine": "Rutin",
        "inputs": "Uppgifter vid start",
        "steps": "Steg",
        "required": "obligatorisk",
        "required_when": "obligatorisk när",
        "optional": "frivillig",
    },
}


@procedures_group.command("show")
@click.argument("procedure_id")
@JSON
@pass_settings
def procedures_show(s: Settings, procedure_id: str, as_json: bool) -> None:
    """A procedure's inputs and steps, with the routine's sections they implement."""
    from engine.views import procedure_json

    with refusals():
        loaded = s.service().current(procedure_id)
    body = procedure_json(loaded)
    if as_json:
        emit_json(body)
        return
    say = click.echo
    en = s.lang == "en"
    words = SHOW_WORDS["en" if en else "sv"]
    say(f"{click.style(loaded.procedure.title, bold=True)}  ({loaded.id}, version {loaded.short_version})")
    if loaded.procedure.routine and loaded.procedure.routine.document:
        say(f"{words['routine']}: {loaded.procedure.routine.document}")
    say("\n" + click.style(words["inputs"], bold=True))
    for inp in body["inputs"]:
        when = f"{words['required_when']} {inp['required_when']}" if inp["required_when"] else words["optional"]
        choices = f"  [{', '.join(c['value'] for c in inp['choices'])}]" if inp.get("choices") else ""
        say(f"  {inp['name']:<18} {inp['type']:<14} {words['required'] if inp['required'] else when}{choices}")
    say("\n" + click.style(words["steps"], bold=True))
    for i, step in enumerate(body["steps"], 1):
        system = f" [{step['system']}]" if step["system"] else ""
        nexts = ", ".join(step["next"])
        say(f"  {i:>2}. {step['id']:<22} {step['kind']:<7}{system} {step['title']}" + (f"  → {nexts}" if nexts else ""))
        if step.get("source") and step["source"].get("section"):
            say(click.style(f"      {step['source']['section']}", dim=True))


@procedures_group.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@JSON
@pass_settings
def procedures_validate(s: Settings, paths: tuple[Path, ...], as_json: bool) -> None:
    """Check procedure files; every problem as file:line:column with a hint. Exit 1 when any has an error."""
    from adapters.procedure_folder import read_text
    from engine.diagnostics import Diagnostic, format_report
    from engine.errors import ProcedureInvalid, RutinError
    from engine.loader import duplicate_ids, load_procedure_text

    targets = list(paths) or [s.procedures]
    files = [p for path in targets for p in (sorted(path.glob("*.y*ml")) if path.is_dir() else [path])]
    if not files:
        fail(
            RutinError(
                f"no procedure files found in {', '.join(str(p) for p in targets)}",
                "give .yaml files or a folder holding them",
                sv=(
                    f"inga rutinfiler hittades i {', '.join(str(p) for p in targets)}",
                    "ange .yaml-filer eller en mapp som innehåller sådana",
                ),
            )
        )
    found: list[Diagnostic] = []
    results = []
    outcome: dict[Path, LoadedProcedure | list[Diagnostic]] = {}
    for path in files:
        try:
            outcome[path] = load_procedure_text(read_text(path), str(path))
        except ProcedureInvalid as exc:
            outcome[path] = exc.diagnostics
        except RutinError as exc:
            outcome[path] = [Diagnostic("unreadable", exc.message, hint=exc.hint)]
    twice = duplicate_ids([each for each in outcome.values() if not isinstance(each, list)])
    for path, result in outcome.items():
        if isinstance(result, list):
            diags = result
        else:
            diags = twice[str(path)].diagnostics if str(path) in twice else result.warnings
        found += diags
        results.append(
            {
                "path": str(path),
                "ok": not any(d.severity == "error" for d in diags),
                "diagnostics": [d.to_json() for d in diags],
            }
        )
    errors = any(d.severity == "error" for d in found)
    if as_json:
        emit_json(results)
    else:
        if found:
            click.echo(format_report(found), err=errors)
        click.echo(f"{len(files)} file(s) checked, {sum(1 for r in results if r['ok'])} valid", err=errors)
    if errors:
        raise SystemExit(1)


@procedures_group.command("diff")
@click.argument("procedure_id")
@JSON
@pass_settings
def procedures_diff(s: Settings, procedure_id: str, as_json: bool) -> None:
    """What changed, in plain words, between each stored version the cases run on and the file as it reads now."""
    import json as _json

    from engine.evolution import diff_procedures
    from engine.procedure import procedure_from_data

    with refusals():
        service = s.service()
        service.user(s.user)
        current = service.current(procedure_id)
        versions = [h for h, _at in service.store.procedure_versions(procedure_id)]
        found = []
        for version in versions:
            if version == current.hash:
                continue
            _text, data = service.store.procedure_version(version)
            changes = diff_procedures(procedure_from_data(_json.loads(data)), current.procedure)
            found.append((version, changes))
    if as_json:
        emit_json([{"from": v, "to": current.hash, "changes": [c.__dict__ for c in changes]} for v, changes in found])
        return
    en = s.lang == "en"
    if not found:
        click.echo(
            ("no stored version differs from the file " if en else "ingen lagrad version skiljer sig från filen ")
            + f"({current.short_version})"
        )
    for version, changes in found:
        click.echo(click.style(f"{version[:12]} → {current.short_version}", bold=True) + f"  ({len(changes)})")
        for change in changes:
            click.echo(f"  - {change.detail_en if en else change.detail_sv}")


@procedures_group.command("impact")
@click.argument("procedure_id")
@JSON
@pass_settings
def procedures_impact(s: Settings, procedure_id: str, as_json: bool) -> None:
    """The open cases on older versions: where each stands, and whether it could move to the file's version safely."""
    import json as _json

    from engine.case import STATUSES
    from engine.evolution import assess_migration, diff_procedures
    from engine.procedure import procedure_from_data

    with refusals():
        service = s.service()
        current = service.current(procedure_id)
        rows: list[dict[str, Any]] = []
        diffs: dict[str, list[Any]] = {}
        for status in STATUSES:
            if status == "done":
                continue
            for view in service.list_cases(s.user, status, procedure_id, limit=10000):
                if view.version == current.hash:
                    continue
                if view.version not in diffs:
                    _text, data = service.store.procedure_version(view.version)
                    diffs[view.version] = diff_procedures(procedure_from_data(_json.loads(data)), current.procedure)
                verdict = assess_migration(view.route, view.state, diffs[view.version], current.procedure)
                rows.append(
                    {
                        "case": view.id,
                        "version": view.version,
                        "state": view.state,
                        "status": view.status,
                        "safe": verdict.safe,
                        "new_state": verdict.new_state,
                        "reasons": verdict.reasons_en if s.lang == "en" else verdict.reasons_sv,
                    }
                )
    if as_json:
        emit_json({"procedure": procedure_id, "to": current.hash, "cases": rows})
        return
    if not rows:
        click.echo(
            "no open case runs on an older version" if s.lang == "en" else "inget öppet ärende går på en äldre version"
        )
        return
    from terminal.render import status_text

    en = s.lang == "en"
    out = table(
        *(
            ("case", "version", "step", "status", "safe", "why not")
            if en
            else ("ärende", "version", "steg", "status", "säker", "varför inte")
        )
    )
    for row in rows:
        out.add_row(
            row["case"],
            row["version"][:12],
            row["state"],
            status_text(row["status"], s.lang),
            ("yes" if en else "ja") if row["safe"] else ("no" if en else "nej"),
            "; ".join(row["reasons"]),
        )
    show_table(out)


@procedures_group.command("schema")
def procedures_schema() -> None:
    """The JSON Schema of the procedure format, for an editor's YAML plugin."""
    from engine.schema import procedure_json_schema

    emit_json(procedure_json_schema())


@procedures_group.command("graph")
@click.argument("procedure_id")
@GRAPH_FORMAT
@GRAPH_OUTPUT
@GRAPH_SECTIONS
@pass_settings
def procedures_graph(s: Settings, procedure_id: str, fmt: str, output: Path | None, sections: bool) -> None:
    """Draw a procedure: its steps shaped by kind, coloured by system, and the ways between them."""
    with refusals():
        loaded = s.service().current(procedure_id)
    title = loaded.procedure.title_en if s.lang == "en" and loaded.procedure.title_en else loaded.procedure.title
    emit_graph(
        loaded, fmt, output, sections=sections, lang=s.lang, caption=f"{title} ({loaded.id} {loaded.short_version})"
    )
