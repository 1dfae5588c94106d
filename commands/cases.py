"""`rutin case`: start, show, do, list, guide and graph of cases."""

from __future__ import annotations

from pathlib import Path

import click

from cli import JSON, Settings, app, emit_json, local, parse_sets, pass_settings, refusals, show_table, table
from commands.graph import GRAPH_FORMAT, GRAPH_OUTPUT, GRAPH_SECTIONS, emit_graph


@app.group("case")
def case_group() -> None:
    """Cases: start, show, do, list, guide."""


@case_group.command("start")
@click.argument("procedure_id")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="A value for an input (repeat).")
@JSON
@pass_settings
def case_start(s: Settings, procedure_id: str, sets: tuple[str, ...], as_json: bool) -> None:
    """Start a case of PROCEDURE_ID; prints its id."""
    values = parse_sets(sets)
    with refusals():
        view = s.service().start(procedure_id, values, s.user)
    if as_json:
        emit_json(view.to_json())
    else:
        click.echo(view.id)


@case_group.command("show")
@click.argument("case_id")
@JSON
@pass_settings
def case_show(s: Settings, case_id: str, as_json: bool) -> None:
    """Where the case stands, what to do now and in which system, and what it waits for."""
    from terminal.render import print_case

    with refusals():
        view = s.service().show(case_id, s.user)
    if as_json:
        emit_json(view.to_json())
    else:
        print_case(view, s.lang)


@case_group.command("do")
@click.argument("case_id")
@click.argument("action")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="A value for a field of the step (repeat).")
@JSON
@pass_settings
def case_do(s: Settings, case_id: str, action: str, sets: tuple[str, ...], as_json: bool) -> None:
    """Complete the current step (or choose a route) with ACTION, as `case show` names it."""
    from terminal.render import print_case

    values = parse_sets(sets)
    with refusals():
        view = s.service().do(case_id, action, values, s.user)
    if as_json:
        emit_json(view.to_json())
    else:
        print_case(view, s.lang)


@case_group.command("list")
@click.option("--status", type=click.Choice(["open", "waiting", "overdue", "done"]), help="Only cases in this status.")
@click.option("--procedure", help="Only cases of this procedure.")
@click.option("--limit", type=click.IntRange(1, 10000), default=200, show_default=True)
@JSON
@pass_settings
def case_list(s: Settings, status: str | None, procedure: str | None, limit: int, as_json: bool) -> None:
    """Cases, newest first; overdue ones are those waiting past their time."""
    from engine.case import STATUSES
    from terminal.render import status_text

    wanted = next((st for st in STATUSES if st == status), None)
    with refusals():
        service = s.service()
        views = service.list_cases(s.user, wanted, procedure, limit)
        # A misspelled --procedure is refused as `case start` refuses it, not answered with an empty list; a
        # procedure whose file is gone but whose versions are stored still lists (its cases may be done).
        if procedure is not None and not views and not service.store.procedure_versions(procedure):
            service.source.text(procedure)  # NotFound, with a did-you-mean, for an unknown id
    if as_json:
        emit_json([v.to_json() for v in views])
        return
    headers = (
        ("case", "procedure", "status", "step", "system", "expected by", "updated")
        if s.lang == "en"
        else ("ärende", "rutin", "status", "steg", "system", "förväntas senast", "uppdaterat")
    )
    out = table(*headers)
    for v in views:
        expected = local(v.waiting.expected_by, "%m-%d %H:%M") if v.waiting else ""
        out.add_row(
            v.id,
            v.procedure,
            status_text(v.status, s.lang),
            v.step_title,
            v.system or "",
            expected,
            local(v.updated_at, "%m-%d %H:%M"),
        )
    show_table(out)


@case_group.command("guide")
@click.argument("case_id")
@pass_settings
def case_guide(s: Settings, case_id: str) -> None:
    """An interactive checklist that walks you through the remaining steps."""
    from terminal.guide import run_guide
    from terminal.render import print_case

    with refusals():
        run_guide(s.service(), case_id, s.user, s.lang, print_case)


@case_group.command("graph")
@click.argument("case_id")
@GRAPH_FORMAT
@GRAPH_OUTPUT
@GRAPH_SECTIONS
@pass_settings
def case_graph(s: Settings, case_id: str, fmt: str, output: Path | None, sections: bool) -> None:
    """Draw the case's procedure version with the route taken so far and the current step highlighted."""
    from terminal.render import status_text

    with refusals():
        service = s.service()
        view = service.show(case_id, s.user)
        loaded = service.pinned(view.version)
    caption = (
        f"{view.id}: {view.procedure_title} ({loaded.id} {loaded.short_version}), {status_text(view.status, s.lang)}"
    )
    emit_graph(
        loaded,
        fmt,
        output,
        sections=sections,
        lang=s.lang,
        caption=caption,
        route=tuple(view.route),
        current=view.state,
    )


@case_group.command("migrate")
@click.argument("case_id", required=False)
@click.option(
    "--all-safe", "procedure_id", metavar="PROCEDURE", help="Every open case of PROCEDURE that can move safely."
)
@click.option("--reason", required=True, help="Why the case moves to the new version (kept in its history).")
@JSON
@pass_settings
def case_migrate(s: Settings, case_id: str | None, procedure_id: str | None, reason: str, as_json: bool) -> None:
    """Move a case (or every safe one) to the procedure as its file reads now; unsafe moves are refused."""
    from engine.case import STATUSES
    from engine.errors import ActionRefused, RutinError

    if (case_id is None) == (procedure_id is None):
        raise click.UsageError("give one CASE_ID or --all-safe PROCEDURE")
    moved: list[str] = []
    refused: list[dict[str, str]] = []
    with refusals():
        service = s.service()
        if case_id is not None:
            moved.append(service.migrate(case_id, s.user, reason).id)
        else:
            current = service.current(str(procedure_id))
            ids = [
                v.id
                for status in STATUSES
                if status != "done"
                for v in service.list_cases(s.user, status, procedure_id, limit=10000)
                if v.version != current.hash
            ]
            for one in ids:
                try:
                    moved.append(service.migrate(one, s.user, reason).id)
                except ActionRefused as exc:
                    refused.append({"case": one, "why": exc.localized(s.lang)[0]})
                except RutinError as exc:
                    refused.append({"case": one, "why": exc.localized(s.lang)[0]})
    if as_json:
        emit_json({"moved": moved, "refused": refused})
        return
    for one in moved:
        click.echo(("moved " if s.lang == "en" else "flyttat ") + one)
    for row in refused:
        click.echo(("not moved " if s.lang == "en" else "inte flyttat ") + f"{row['case']}: {row['why']}", err=True)
