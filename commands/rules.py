"""`rutin rules` (the rule library) and `rutin check` (batch checks of exported data against the rules)."""

from __future__ import annotations

from pathlib import Path

import click

from cli import JSON, Settings, app, emit_json, pass_settings, refusals, show_table, table


@app.group("rules")
def rules_group() -> None:
    """The rule library: named rules from the routines, with their citations."""


@app.group("check")
def check_group() -> None:
    """Batch checks of exported data against the routines' rules."""


@rules_group.command("list")
@JSON
@pass_settings
def rules_list(s: Settings, as_json: bool) -> None:
    """Every rule: id, scope, whether it is switched on here, and the sentence it comes from."""
    from engine.rules import catalogue

    switches = s.switches()
    rules = sorted(catalogue().values(), key=lambda r: r.id)
    if as_json:
        emit_json([{**r.to_json(), "on": switches.is_on(r)} for r in rules])
        return
    en = s.lang == "en"
    out = table(*(("rule", "scope", "on", "title") if en else ("regel", "gäller", "på", "namn")))
    for r in rules:
        scope = f"{r.scope}:{r.municipality}" if r.municipality else r.scope
        title = r.title_en if en else r.title
        on = ("yes" if en else "ja") if switches.is_on(r) else ("off" if en else "av")
        out.add_row(r.id, scope, on, title)
    show_table(out)
    if en:
        click.echo(f"{len(rules)} rules; their citations: rutin rules list --json")
    else:
        click.echo(f"{len(rules)} regler; deras källhänvisningar: rutin rules list --json")


@check_group.command("registrations")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@JSON
@pass_settings
def check_registrations_command(s: Settings, file: Path, as_json: bool) -> None:
    """Run the registration rules over a CSV export; every violation with its row, rule and fix. Exit 1 if any."""
    from engine.errors import RutinError
    from engine.registrations import check_registrations, decode_export

    with refusals():
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise RutinError(
                f"cannot read {file}: {exc.strerror}",
                "give the path of a CSV export",
                sv=(f"kan inte läsa {file}: {_why_sv(exc)}", "ange sökvägen till en CSV-export"),
            ) from exc
        report = check_registrations(decode_export(data), switches=s.switches())
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(report.to_text("en" if s.lang == "en" else "sv"))
    if report.violations or report.bad_rows:
        raise SystemExit(1)


def _why_sv(exc: OSError) -> str:
    """The usual reasons a file cannot be read, in Swedish (the operating system words them in English)."""
    import errno

    return {
        errno.ENOENT: "filen finns inte",
        errno.EACCES: "du har inte behörighet att läsa den",
        errno.EPERM: "du har inte behörighet att läsa den",
        errno.EISDIR: "det är en mapp, inte en fil",
    }.get(exc.errno or 0, exc.strerror or str(exc))
