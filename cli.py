"""`rutin`: the command line, and the composition root (the only place that builds concrete adapters).

Commands stay thin: parse arguments, call the application layer (`engine.service.Rutin`), print a view.
Heavy modules are imported inside the commands that need them, so a step in a fresh process costs little
more than importing SQLAlchemy. Exit codes: 0 done, 1 refused or invalid input (with why and what to do),
2 usage errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from datetime import datetime

    from engine.errors import RutinError
    from engine.service import Rutin
    from engine.views import CaseView

T = TypeVar("T")
HERE = Path(__file__).resolve().parent
DEFAULT_TZ = "Europe/Stockholm"

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Rutin: guided, auditable administrative routines.",
)
procedures_app = typer.Typer(no_args_is_help=True, help="Procedures: list, show, validate, schema.")
case_app = typer.Typer(no_args_is_help=True, help="Cases: start, show, do, list, guide.")
audit_app = typer.Typer(no_args_is_help=True, help="Audit: log, replay, verify, export.")
users_app = typer.Typer(no_args_is_help=True, help="Users and their roles.")
app.add_typer(procedures_app, name="procedures")
app.add_typer(case_app, name="case")
app.add_typer(audit_app, name="audit")
app.add_typer(users_app, name="users")


@dataclass
class Settings:
    db: str | None
    user: str
    now: str | None
    procedures: Path
    adapters: str
    lang: str
    _service: Rutin | None = field(default=None, repr=False)

    def service(self) -> Rutin:
        if self._service is None:
            self._service = build_service(self)
        return self._service


def build_service(settings: Settings) -> Rutin:
    from adapters.clock import FixedClock, SystemClock
    from adapters.procedure_folder import ProcedureFolder
    from adapters.sql.database import database_url, ensure_schema, open_engine
    from adapters.sql.store import SqlCaseStore
    from engine.service import Rutin

    engine = open_engine(database_url(settings.db))
    ensure_schema(engine)
    clock = FixedClock(parse_moment(settings.now)) if settings.now else SystemClock()
    systems = build_systems(settings.adapters, engine)
    return Rutin(SqlCaseStore(engine), ProcedureFolder(settings.procedures), systems, clock, lang="en" if settings.lang == "en" else "sv")


def build_systems(spec: str, engine: Any) -> Any:
    """`sandbox`, `manual`, or per system: `BER=manual,ED=sandbox` (a bare name sets the default)."""
    from adapters.manual import ManualAdapter
    from adapters.sandbox import SandboxAdapter
    from engine.errors import RutinError
    from engine.systems import Systems

    kinds: dict[str, Callable[[], Any]] = {"sandbox": lambda: SandboxAdapter(engine), "manual": ManualAdapter}
    made: dict[str, Any] = {}
    default: Any = None
    overrides: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        system, _, kind = part.rpartition("=")
        if kind not in kinds:
            raise RutinError(
                f"unknown adapter '{kind}' in --adapters", "use sandbox or manual, e.g. BER=manual,ED=sandbox"
            )
        adapter = made.setdefault(kind, kinds[kind]())
        if system in ("", "*"):
            default = adapter
        else:
            overrides[system] = adapter
    return Systems(default or made.get("sandbox") or SandboxAdapter(engine), overrides)


def parse_moment(text: str) -> datetime:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from engine.errors import RutinError

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RutinError(
            f"--now '{text}' is not an ISO-8601 time", "e.g. 2024-06-03T10:30 (Swedish time) or 2024-06-03T08:30+00:00"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(os.environ.get("RUTIN_TZ", DEFAULT_TZ)))


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "–"
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(os.environ.get("RUTIN_TZ", DEFAULT_TZ))).strftime(fmt)


# -- errors and output ------------------------------------------------------------------------------


def fail(error: RutinError) -> NoReturn:
    from engine.errors import InvalidInputs, ProcedureInvalid

    if isinstance(error, ProcedureInvalid):
        from engine.diagnostics import format_report

        typer.echo(format_report(error.diagnostics), err=True)
    elif isinstance(error, InvalidInputs):
        for problem in error.problems:
            typer.echo(f"error: {problem.message}", err=True)
            if problem.hint:
                typer.echo(f"    hint: {problem.hint}", err=True)
    else:
        typer.echo(f"error: {error.message}", err=True)
        if error.hint:
            typer.echo(f"    hint: {error.hint}", err=True)
    raise typer.Exit(1)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn every error a user can cause into a message and exit 1, never a traceback."""
    from engine.errors import RutinError

    try:
        yield
    except RutinError as error:
        fail(error)
    except Exception as error:
        if type(error).__module__.startswith("sqlalchemy"):
            typer.echo(f"error: the database could not be used: {str(error).splitlines()[0]}", err=True)
            typer.echo("    hint: check --db (or RUTIN_DB): the path or URL, and that the server is running", err=True)
            raise typer.Exit(1) from None
        raise


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


def emit_json(value: Any) -> None:
    import json

    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def parse_sets(values: list[str] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="--set")
        found[name.strip()] = value
    return found


def console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


# -- global options ---------------------------------------------------------------------------------


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", envvar="RUTIN_DB", help="Database URL or SQLite file path.")] = None,
    as_user: Annotated[str | None, typer.Option("--as", envvar="RUTIN_USER", help="Act as this user.")] = None,
    now: Annotated[str | None, typer.Option("--now", help="The time the engine sees (ISO-8601), for training.")] = None,
    procedures: Annotated[
        Path | None, typer.Option("--procedures", envvar="RUTIN_PROCEDURES", help="Folder of procedure files.")
    ] = None,
    adapters: Annotated[
        str,
        typer.Option(
            "--adapters",
            envvar="RUTIN_ADAPTERS",
            help="Who answers for each system: sandbox, manual, or BER=manual,ED=sandbox.",
        ),
    ] = "sandbox",
    lang: Annotated[str, typer.Option("--lang", envvar="RUTIN_LANG", help="sv or en.")] = "sv",
) -> None:
    import getpass

    if lang not in ("sv", "en"):
        raise typer.BadParameter("use sv or en", param_hint="--lang")
    ctx.obj = Settings(db, as_user or getpass.getuser(), now, procedures or HERE / "procedures", adapters, lang)


# -- procedures -------------------------------------------------------------------------------------


@procedures_app.command("list")
def procedures_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The procedures in the folder, with their versions (or why they do not load)."""
    from engine.errors import ProcedureInvalid

    with refusals():
        found = settings(ctx).service().procedures()
    rows: list[dict[str, Any]] = []
    for item in found:
        if isinstance(item, ProcedureInvalid):
            path = item.diagnostics[0].location.path if item.diagnostics and item.diagnostics[0].location else "?"
            rows.append({"id": None, "path": path, "valid": False, "errors": len(item.diagnostics)})
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
    from rich.table import Table

    table = Table("id", "title", "version", "steps", "file")
    for row in rows:
        if row["valid"]:
            table.add_row(row["id"], row["title"], str(row["version"])[:12], str(row["steps"]), row["path"])
        else:
            table.add_row(
                "[red]invalid[/red]", f"{row['errors']} problem(s): rutin procedures validate", "", "", row["path"]
            )
    console().print(table)


@procedures_app.command("show")
def procedures_show(
    ctx: typer.Context, procedure_id: str, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """A procedure's inputs and steps."""
    with refusals():
        loaded = settings(ctx).service().current(procedure_id)
    from engine.views import procedure_json

    body = procedure_json(loaded)
    if as_json:
        emit_json(body)
        return
    out = console()
    out.print(f"[bold]{loaded.procedure.title}[/bold]  ({loaded.id}, version {loaded.short_version})")
    if loaded.procedure.routine and loaded.procedure.routine.document:
        out.print(f"Routine: {loaded.procedure.routine.document}")
    out.print("\n[bold]Inputs[/bold]")
    for inp in body["inputs"]:
        req = (
            "required"
            if inp["required"]
            else (f"required when {inp['required_when']}" if inp["required_when"] else "optional")
        )
        choices = f"  [{', '.join(c['value'] for c in inp['choices'])}]" if inp.get("choices") else ""
        out.print(f"  {inp['name']:<18} {inp['type']:<14} {req}{choices}")
    out.print("\n[bold]Steps[/bold]")
    for i, step in enumerate(body["steps"], 1):
        system = f" [{step['system']}]" if step["system"] else ""
        nexts = ", ".join(step["next"])
        out.print(
            f"  {i:>2}. {step['id']:<22} {step['kind']:<7}{system} {step['title']}" + (f"  → {nexts}" if nexts else "")
        )
        if step.get("source") and step["source"].get("section"):
            out.print(f"      [dim]{step['source']['section']}[/dim]")


@procedures_app.command("validate")
def procedures_validate(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check procedure files; every problem as file:line:column with a hint. Exit 1 when any has an error."""
    from adapters.procedure_folder import read_text
    from engine.diagnostics import Diagnostic, format_report
    from engine.errors import ProcedureInvalid, RutinError
    from engine.loader import load_procedure_text

    folder = settings(ctx).procedures
    files = [p for path in (paths or [folder]) for p in (sorted(path.glob("*.y*ml")) if path.is_dir() else [path])]
    if not files:
        fail(
            RutinError(
                f"no procedure files found in {', '.join(str(p) for p in paths or [folder])}",
                "give .yaml files or a folder holding them",
            )
        )
    found: list[Diagnostic] = []
    results = []
    for path in files:
        try:
            loaded = load_procedure_text(read_text(path), str(path))
            diags = loaded.warnings
        except ProcedureInvalid as exc:
            diags = exc.diagnostics
        except RutinError as exc:
            diags = [Diagnostic("unreadable", exc.message)]
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
            typer.echo(format_report(found), err=errors)
        typer.echo(f"{len(files)} file(s) checked, {sum(1 for r in results if r['ok'])} valid", err=errors)
    if errors:
        raise typer.Exit(1)


@procedures_app.command("schema")
def procedures_schema() -> None:
    """The JSON Schema of the procedure format, for an editor's YAML plugin."""
    from engine.procedure import procedure_json_schema

    emit_json(procedure_json_schema())


# -- cases ------------------------------------------------------------------------------------------

STATUS_SV = {"open": "att göra", "waiting": "väntar", "overdue": "försenad", "done": "klar"}


def print_case(view: CaseView, lang: str) -> None:
    out = console()
    status = view.status if lang == "en" else STATUS_SV[view.status]
    colour = {"overdue": "red", "waiting": "yellow", "done": "green"}.get(view.status, "cyan")
    out.print(f"[bold]{view.id}[/bold]  {view.procedure_title}  [{colour}]{status}[/{colour}]")
    out.print(
        f"[dim]{view.procedure} version {view.version[:12]} · {view.events} events · "
        f"started {local(view.created_at)} by {view.created_by}[/dim]"
    )
    system = f"  [magenta]{view.system}[/magenta]" if view.system else ""
    out.print(f"\n[bold]{view.step_title}[/bold]{system}  ({view.state})")
    if view.instructions:
        out.print(view.instructions)
    if view.source and view.source.get("quote"):
        out.print(f"[dim]Rutinen: ”{view.source['quote']}” ({view.source.get('section', '')})[/dim]")
    if view.waiting:
        w = view.waiting
        label = (
            ("waiting since", "expected by", "overdue after", "next check")
            if lang == "en"
            else ("väntar sedan", "förväntas senast", "försenad efter", "nästa kontroll")
        )
        out.print(f"\n[yellow]{w.what}[/yellow] ({w.system})")
        out.print(
            f"  {label[0]} {local(w.since, '%H:%M')}, {label[1]} [bold]{local(w.expected_by, '%H:%M')}[/bold], "
            f"{label[2]} {local(w.overdue_at, '%H:%M')}; {label[3]} {local(w.next_check_at, '%H:%M')}"
            + (" ([red]overdue[/red])" if w.overdue else "")
        )
        if w.answered_by == "system":
            out.print(
                "  [dim]"
                + (
                    "the system is checked automatically by `rutin worker`"
                    if lang == "en"
                    else "systemet kontrolleras automatiskt av `rutin worker`"
                )
                + "[/dim]"
            )
    if view.actions:
        out.print("\n" + ("Actions:" if lang == "en" else "Åtgärder:"))
        for action in view.actions:
            sets = " ".join(f"--set {f.name}=…" for f in action.fields if f.required or f.required_when)
            out.print(
                f"  [bold]{action.name}[/bold]  {action.label}    [dim]rutin case do {view.id} {action.name} {sets}[/dim]"
            )
            for f in action.fields:
                choices = f" ({', '.join(c['value'] for c in f.choices)})" if f.choices else ""
                out.print(f"      {f.name}: {f.label} [{f.type}]{choices}")


@case_app.command("start")
def case_start(
    ctx: typer.Context,
    procedure_id: str,
    sets: Annotated[list[str] | None, typer.Option("--set", help="NAME=VALUE, for each input.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Start a case; prints its id."""
    s = settings(ctx)
    values = parse_sets(sets)
    with refusals():
        view = s.service().start(procedure_id, values, s.user)
    if as_json:
        emit_json(view.to_json())
    else:
        typer.echo(view.id)


@case_app.command("show")
def case_show(ctx: typer.Context, case_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Where the case stands, what to do now and in which system, and what it waits for."""
    s = settings(ctx)
    with refusals():
        view = s.service().show(case_id, s.user)
    if as_json:
        emit_json(view.to_json())
    else:
        print_case(view, s.lang)


@case_app.command("do")
def case_do(
    ctx: typer.Context,
    case_id: str,
    action: str,
    sets: Annotated[list[str] | None, typer.Option("--set", help="NAME=VALUE, for the step's fields.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Complete the current step (or choose a route) with ACTION."""
    s = settings(ctx)
    values = parse_sets(sets)
    with refusals():
        view = s.service().do(case_id, action, values, s.user)
    if as_json:
        emit_json(view.to_json())
    else:
        print_case(view, s.lang)


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="open, waiting, overdue or done.")] = None,
    procedure: Annotated[str | None, typer.Option("--procedure")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 200,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Cases, newest first; overdue ones are those waiting past their time."""
    from engine.case import STATUSES, DisplayStatus

    if status is not None and status not in STATUSES:
        raise typer.BadParameter(f"use one of {', '.join(STATUSES)}", param_hint="--status")
    wanted: DisplayStatus | None = next((st for st in STATUSES if st == status), None)
    s = settings(ctx)
    with refusals():
        views = s.service().list_cases(s.user, wanted, procedure, limit)
    if as_json:
        emit_json([v.to_json() for v in views])
        return
    from rich.table import Table

    table = Table("case", "procedure", "status", "step", "system", "expected by", "updated")
    for v in views:
        expected = local(v.waiting.expected_by, "%m-%d %H:%M") if v.waiting else ""
        table.add_row(
            v.id,
            v.procedure,
            v.status if s.lang == "en" else STATUS_SV[v.status],
            v.step_title,
            v.system or "",
            expected,
            local(v.updated_at, "%m-%d %H:%M"),
        )
    console().print(table)


@case_app.command("guide")
def case_guide(ctx: typer.Context, case_id: str) -> None:
    """An interactive checklist that walks you through the remaining steps."""
    from terminal.guide import run_guide

    s = settings(ctx)
    with refusals():
        run_guide(s.service(), case_id, s.user, s.lang, print_case)


# -- worker -----------------------------------------------------------------------------------------


@app.command("worker")
def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="One sweep, then exit.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-check the waits that are due, mark overdue ones, and hand simulated actions to the sandbox."""
    from engine.errors import RutinError

    s = settings(ctx)
    if not once:
        fail(RutinError("the long-running worker is not available yet", "run `rutin worker --once` from a scheduler"))
    with refusals():
        report = s.service().sweep()
    if as_json:
        emit_json(report.to_json())
    else:
        typer.echo(
            f"checked {report.checked}, advanced {len(report.advanced)}, overdue {len(report.overdue)}, "
            f"to a person {len(report.asked_person)}, simulated actions {report.performed}, "
            f"errors {len(report.errors)}"
        )
        for case_id, error in report.errors:
            typer.echo(f"  {case_id}: {error}", err=True)


# -- audit ------------------------------------------------------------------------------------------


@audit_app.command("log")
def audit_log(ctx: typer.Context, case_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A case's history: who did what, when, under which procedure version."""
    s = settings(ctx)
    with refusals():
        case, events = s.service().history(case_id, s.user)
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    from rich.table import Table

    table = Table("#", "time", "who", "what", "step", "action", "then at", "hash")
    for e in events:
        table.add_row(
            str(e.seq),
            local(e.at, "%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.kind,
            e.step or "",
            e.action or "",
            e.state or "",
            e.hash[:10],
        )
    console().print(table)


@audit_app.command("replay")
def audit_replay(ctx: typer.Context, case_id: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Re-derive the case from its events through its pinned procedure version; exit 1 when they differ."""
    s = settings(ctx)
    with refusals():
        report = s.service().replay(case_id, s.user)
    if as_json:
        emit_json(report.to_json())
    else:
        typer.echo(f"{case_id}: procedure version {report.procedure_hash[:12]}")
        for st in report.steps:
            mark = "ok " if st.matches else "DIFF"
            typer.echo(
                f"  {mark} {st.seq:>3} {local(_when(st.at), '%Y-%m-%d %H:%M:%S')} {st.actor:<14} "
                f"{st.kind:<15} {st.step or '':<22} {st.action or '':<12} -> {st.state}"
            )
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo(
            "replay matches the stored case" if report.ok else "replay DIFFERS from the stored case", err=not report.ok
        )
    if not report.ok:
        raise typer.Exit(1)


def _when(text: str) -> datetime:
    from datetime import datetime

    return datetime.fromisoformat(text)


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Recompute the hash chains (of one case, or all); name the first altered, removed or inserted event."""
    s = settings(ctx)
    with refusals():
        report = s.service().verify(s.user, case_id)
    if as_json:
        emit_json(report.to_json())
    else:
        for problem in report.problems:
            typer.echo(f"TAMPERED {problem}", err=True)
        typer.echo(
            f"{report.streams} histories, {report.events} events checked: "
            + ("all intact" if report.ok else f"{len(report.problems)} broken"),
            err=not report.ok,
        )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    ctx: typer.Context,
    case_id: str,
    fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """A case's history as JSON or CSV, to stdout or a file."""
    s = settings(ctx)
    with refusals():
        text = s.service().export(case_id, fmt, s.user)
        if output is None:
            typer.echo(text, nl=False)
        else:
            tmp = output.with_name(output.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(output)


# -- users ------------------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str,
    roles: Annotated[list[str] | None, typer.Option("--role", help="A BER role (repeat).")] = None,
    tasks: Annotated[list[str] | None, typer.Option("--task", help="A staff task (repeat).")] = None,
    display: Annotated[str | None, typer.Option("--name", help="Full name.")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    admin: Annotated[bool, typer.Option("--admin", help="May add users.")] = False,
) -> None:
    """Add (or replace) a user. The first user becomes an administrator."""
    from engine.access import User
    from engine.errors import RutinError
    from engine.values import parse_value

    s = settings(ctx)
    if not name.strip() or any(c.isspace() for c in name):
        fail(RutinError(f"'{name}' is not a user name", "use a login name without spaces, e.g. anna.svensson"))
    with refusals():
        mail = str(parse_value("email", "email", email)) if email else None
        s.service().save_user(User(name, tuple(roles or ()), tuple(tasks or ()), display, mail, admin), s.user)
    typer.echo(f"user {name} saved")


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The users with their roles and tasks."""
    s = settings(ctx)
    with refusals():
        found = s.service().users(s.user)
    if as_json:
        emit_json([u.to_json() for u in found])
        return
    from rich.table import Table

    table = Table("user", "name", "roles", "tasks", "admin")
    for u in found:
        table.add_row(u.name, u.display_name or "", ", ".join(u.roles), ", ".join(u.tasks), "yes" if u.admin else "")
    console().print(table)


# -- the demo ---------------------------------------------------------------------------------------


@app.command("demo")
def demo(
    ctx: typer.Context, interactive: Annotated[bool, typer.Option(help="Walk the case yourself.")] = False
) -> None:
    """Run a grade-revocation case end to end on the sandbox, moving the clock through the waits."""
    from terminal.demo import run_demo

    s = settings(ctx)
    with refusals():
        run_demo(s, interactive and sys.stdin.isatty(), print_case)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
