"""`rutin audit`: a case's log, its replay, the hash-chain check, and the export of its history."""

from __future__ import annotations

from pathlib import Path

import click

from cli import JSON, Settings, app, emit_json, fail, local, pass_settings, refusals, show_table, table


@app.group("audit")
def audit_group() -> None:
    """Audit: log, replay, verify, export."""


@audit_group.command("log")
@click.argument("case_id")
@JSON
@pass_settings
def audit_log(s: Settings, case_id: str, as_json: bool) -> None:
    """A case's history: who did what, when, under which procedure version and which version of the routine."""
    with refusals():
        service = s.service()
        _case, events = service.history(case_id, s.user)
        routines: dict[str, str] = {}  # the written routine's version in force, from each event's pinned procedure
        for version in {e.procedure_hash for e in events if e.procedure_hash}:
            procedure = service.pinned(version).procedure
            routine = procedure.routine
            routines[version] = (routine.version if routine and routine.version else None) or procedure.revision or ""
    if as_json:
        emit_json([{**e.to_json(), "routine_version": routines.get(e.procedure_hash or "")} for e in events])
        return
    headers = (
        ("#", "time", "who", "what", "step", "action", "then at", "version", "routine", "hash")
        if s.lang == "en"
        else ("#", "tid", "vem", "vad", "steg", "åtgärd", "steg efter", "version", "rutindokument", "hash")
    )
    out = table(*headers)
    for e in events:
        out.add_row(
            str(e.seq),
            local(e.at, "%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.kind,
            e.step or "",
            e.action or "",
            e.state or "",
            (e.procedure_hash or "")[:8],
            routines.get(e.procedure_hash or "", ""),
            e.hash[:10],
        )
    show_table(out)


@audit_group.command("replay")
@click.argument("case_id")
@JSON
@pass_settings
def audit_replay(s: Settings, case_id: str, as_json: bool) -> None:
    """Re-derive the case from its events through its pinned procedure version; exit 1 when they differ."""
    from datetime import datetime

    with refusals():
        report = s.service().replay(case_id, s.user)
    en = s.lang == "en"
    if as_json:
        emit_json(report.to_json())
    else:
        version = "procedure version" if en else "rutinversion"
        click.echo(f"{case_id}: {version} {report.procedure_hash[:12]}")
        for st in report.steps:
            mark = "ok  " if st.matches else ("DIFF" if en else "FEL ")
            when = local(datetime.fromisoformat(st.at), "%Y-%m-%d %H:%M:%S")
            click.echo(
                f"  {mark} {st.seq:>3} {when} {st.actor:<14} {st.kind:<15} {st.step or '':<22} "
                f"{st.action or '':<22} -> {st.state}"
            )
        for problem in report.localized(s.lang):
            click.echo(f"{'error' if en else 'fel'}: {problem}", err=True)
        if report.ok:
            click.echo("replay matches the stored case" if en else "uppspelningen stämmer med det sparade ärendet")
        else:
            click.echo(
                "replay DIFFERS from the stored case" if en else "uppspelningen SKILJER SIG från det sparade ärendet",
                err=True,
            )
    if not report.ok:
        raise SystemExit(1)


@audit_group.command("verify")
@click.argument("case_id", required=False)
@JSON
@pass_settings
def audit_verify(s: Settings, case_id: str | None, as_json: bool) -> None:
    """Recompute the hash chains (of one case, or all); name the first altered, removed or inserted event."""
    with refusals():
        report = s.service().verify(s.user, case_id)
    if as_json:
        emit_json(report.to_json())
    elif s.lang == "en":
        for problem in report.problems:
            click.echo(f"TAMPERED {problem}", err=True)
        summary = "all intact" if report.ok else f"{len(report.problems)} broken"
        click.echo(
            f"{report.streams} histories, {report.events} events, {report.procedures} procedure versions "
            f"checked: {summary}",
            err=not report.ok,
        )
    else:
        for problem in report.problems:
            click.echo(f"MANIPULERAD {problem.localized('sv')}", err=True)
        summary = "allt är intakt" if report.ok else f"{len(report.problems)} fel"
        counted = (
            _count(report.streams, "historik", "historiker"),
            _count(report.events, "händelse", "händelser"),
            _count(report.procedures, "rutinversion", "rutinversioner"),
        )
        click.echo(f"kontrollerade {counted[0]}, {counted[1]} och {counted[2]}: {summary}", err=not report.ok)
    if not report.ok:
        raise SystemExit(1)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@audit_group.command("export")
@click.argument("case_id")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
@pass_settings
def audit_export(s: Settings, case_id: str, fmt: str, output: Path | None) -> None:
    """A case's history as JSON or CSV."""
    with refusals():
        text = s.service().export(case_id, fmt, s.user)
    if output is None:
        click.echo(text, nl=False)
        return
    tmp = output.with_name(output.name + ".tmp")  # written whole, then renamed: never a half-written export
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        from engine.errors import RutinError

        fail(
            RutinError(
                f"cannot write {output}: {exc.strerror}",
                "choose a folder you may write to",
                sv=(f"kan inte skriva {output}: {exc.strerror}", "välj en mapp som du får skriva i"),
            )
        )
