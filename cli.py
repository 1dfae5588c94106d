"""`rutin`: the command line, and the composition root (the only place that builds concrete adapters).

Commands stay thin: parse arguments, call the application layer (`engine.service.Rutin`), print a view.
Built on click, and heavy modules (Rich, the YAML loader, pydantic, Alembic) are imported only by the
commands that need them, so a step in a fresh process costs little more than importing SQLAlchemy.
Exit codes: 0 done, 1 refused or invalid input (with why and what to do), 2 usage errors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from datetime import datetime

    from engine.errors import RutinError
    from engine.procedure import LoadedProcedure
    from engine.rules.base import RuleSwitches
    from engine.service import Rutin

HERE = Path(__file__).resolve().parent
DEFAULT_TZ = "Europe/Stockholm"
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


@dataclass
class Settings:
    db: str | None
    user: str
    now: str | None
    procedures: Path
    adapters: str
    lang: str
    rules_off: str | None = None
    _service: Rutin | None = field(default=None, repr=False)

    def switches(self) -> RuleSwitches:
        from engine.rules.base import RuleSwitches

        return RuleSwitches.parse(self.rules_off)

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
    source = ProcedureFolder(settings.procedures)
    switches = settings.switches()
    if settings.lang == "en":
        return Rutin(SqlCaseStore(engine), source, systems, clock, lang="en", switches=switches)
    return Rutin(SqlCaseStore(engine), source, systems, clock, lang="sv", switches=switches)


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
    """--now as ISO-8601; without a zone it is Swedish local time."""
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


# -- errors and output ------------------------------------------------------------------------------


def current_lang() -> str:
    context = click.get_current_context(silent=True)
    settings = context.find_root().obj if context is not None else None
    return settings.lang if isinstance(settings, Settings) else os.environ.get("RUTIN_LANG", "sv")


def fail(error: RutinError) -> NoReturn:
    """Say what was wrong and what to do, in the person's language (diagnostics for process owners stay as they are)."""
    from engine.errors import InvalidInputs, ProcedureInvalid

    lang = current_lang()
    label, tip = ("fel", "tips") if lang == "sv" else ("error", "hint")
    if isinstance(error, ProcedureInvalid):
        from engine.diagnostics import format_report

        click.echo(format_report(error.diagnostics), err=True)
        raise SystemExit(1)
    for problem in error.problems if isinstance(error, InvalidInputs) else [error]:
        message, hint = problem.localized(lang)
        click.echo(f"{label}: {message}", err=True)
        if hint:
            click.echo(f"    {tip}: {hint}", err=True)
    raise SystemExit(1)


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
            click.echo(f"error: the database could not be used: {str(error).splitlines()[0]}", err=True)
            click.echo("    hint: check --db (or RUTIN_DB): the path or URL, and that the server is running", err=True)
            raise SystemExit(1) from None
        raise


def emit_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="--set")
        found[name.strip()] = value
    return found


def table(*headers: str) -> Any:
    from rich.table import Table

    return Table(*headers)


def show_table(rendered: Any) -> None:
    from rich.console import Console

    Console(highlight=False).print(rendered)


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    from terminal.render import local as to_local

    return to_local(moment, fmt)


pass_settings = click.make_pass_decorator(Settings)


# -- global options ---------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", envvar="RUTIN_DB", help="Database URL or SQLite file path (default ./rutin.db).")
@click.option("--as", "as_user", envvar="RUTIN_USER", help="Act as this user (default: your login name).")
@click.option("--now", help="The time the engine sees (ISO-8601), for training and simulation.")
@click.option("--procedures", envvar="RUTIN_PROCEDURES", type=click.Path(path_type=Path), help="Folder of procedures.")
@click.option(
    "--adapters",
    envvar="RUTIN_ADAPTERS",
    default="sandbox",
    show_default=True,
    help="Who answers for each system: sandbox, manual, or BER=manual,ED=sandbox.",
)
@click.option("--lang", envvar="RUTIN_LANG", type=click.Choice(["sv", "en"]), default="sv", show_default=True)
@click.option(
    "--rules-off",
    envvar="RUTIN_RULES_OFF",
    metavar="IDS",
    help="Rules switched off: ids, or groups such as municipal:Stockholm (comma-separated).",
)
@click.pass_context
def app(
    ctx: click.Context,
    db: str | None,
    as_user: str | None,
    now: str | None,
    procedures: Path | None,
    adapters: str,
    lang: str,
    rules_off: str | None,
) -> None:
    """Rutin: guided, auditable administrative routines."""
    import getpass

    home = procedures or HERE / "procedures"
    ctx.obj = Settings(db, as_user or getpass.getuser(), now, home, adapters, lang, rules_off)


@app.group("procedures")
def procedures_group() -> None:
    """Procedures: list, show, validate, schema."""


@app.group("case")
def case_group() -> None:
    """Cases: start, show, do, list, guide."""


@app.group("audit")
def audit_group() -> None:
    """Audit: log, replay, verify, export."""


@app.group("users")
def users_group() -> None:
    """Users and their roles."""


@app.group("rules")
def rules_group() -> None:
    """The rule library: named rules from the routines, with their citations."""


@app.group("check")
def check_group() -> None:
    """Batch checks of exported data against the routines' rules."""


# -- procedures -------------------------------------------------------------------------------------


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
    out = table("id", "title", "version", "steps", "file")
    for row in rows:
        if row["valid"]:
            out.add_row(row["id"], row["title"], str(row["version"])[:12], str(row["steps"]), row["path"])
        else:
            out.add_row(
                "[red]invalid[/red]", f"{row['errors']} problem(s): rutin procedures validate", "", "", row["path"]
            )
    show_table(out)


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
    say(f"{click.style(loaded.procedure.title, bold=True)}  ({loaded.id}, version {loaded.short_version})")
    if loaded.procedure.routine and loaded.procedure.routine.document:
        say(f"Routine: {loaded.procedure.routine.document}")
    say("\n" + click.style("Inputs", bold=True))
    for inp in body["inputs"]:
        when = f"required when {inp['required_when']}" if inp["required_when"] else "optional"
        choices = f"  [{', '.join(c['value'] for c in inp['choices'])}]" if inp.get("choices") else ""
        say(f"  {inp['name']:<18} {inp['type']:<14} {'required' if inp['required'] else when}{choices}")
    say("\n" + click.style("Steps", bold=True))
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
    from engine.loader import load_procedure_text

    targets = list(paths) or [s.procedures]
    files = [p for path in targets for p in (sorted(path.glob("*.y*ml")) if path.is_dir() else [path])]
    if not files:
        fail(
            RutinError(
                f"no procedure files found in {', '.join(str(p) for p in targets)}",
                "give .yaml files or a folder holding them",
            )
        )
    found: list[Diagnostic] = []
    results = []
    for path in files:
        try:
            diags = load_procedure_text(read_text(path), str(path)).warnings
        except ProcedureInvalid as exc:
            diags = exc.diagnostics
        except RutinError as exc:
            diags = [Diagnostic("unreadable", exc.message, hint=exc.hint)]
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
                case = service.store.load_case(view.id)
                verdict = assess_migration(case.route, case.state, diffs[view.version], current.procedure)
                rows.append(
                    {
                        "case": view.id,
                        "version": view.version,
                        "state": case.state,
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
    out = table("case", "version", "step", "status", "safe", "why not")
    for row in rows:
        out.add_row(
            row["case"],
            row["version"][:12],
            row["state"],
            row["status"],
            ("yes" if s.lang == "en" else "ja") if row["safe"] else ("no" if s.lang == "en" else "nej"),
            "; ".join(row["reasons"]),
        )
    show_table(out)


@procedures_group.command("schema")
def procedures_schema() -> None:
    """The JSON Schema of the procedure format, for an editor's YAML plugin."""
    from engine.schema import procedure_json_schema

    emit_json(procedure_json_schema())


GRAPH_FORMATS = ("mermaid", "dot", "svg", "png")
GRAPH_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(GRAPH_FORMATS),
    default="mermaid",
    show_default=True,
    help="mermaid and dot are text; svg and png need Graphviz's `dot`.",
)
GRAPH_OUTPUT = click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file instead of stdout."
)
GRAPH_SECTIONS = click.option("--sections", is_flag=True, help="Show the routine's section under each step.")


def emit_graph(
    loaded: LoadedProcedure,
    fmt: str,
    output: Path | None,
    *,
    sections: bool,
    lang: str,
    caption: str,
    route: tuple[str, ...] = (),
    current: str | None = None,
) -> None:
    """Draw a procedure (with a case's route when given) and print it or write it whole to `output`."""
    from engine.diagram import build_diagram, to_dot, to_mermaid

    diagram = build_diagram(
        loaded.procedure,
        route=route,
        current=current,
        sections=sections,
        lang="en" if lang == "en" else "sv",
        caption=caption,
    )
    if fmt == "mermaid":
        data = to_mermaid(diagram).encode("utf-8")
    elif fmt == "dot":
        data = to_dot(diagram).encode("utf-8")
    else:
        from adapters.graphviz_render import render_dot

        with refusals():
            data = render_dot(to_dot(diagram), "png" if fmt == "png" else "svg")
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(output.name + ".tmp")  # written whole, then renamed: never a half-written drawing
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        from engine.errors import RutinError

        fail(RutinError(f"cannot write {output}: {exc.strerror}", "choose a folder you may write to"))


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


# -- cases ------------------------------------------------------------------------------------------


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
        views = s.service().list_cases(s.user, wanted, procedure, limit)
    if as_json:
        emit_json([v.to_json() for v in views])
        return
    out = table("case", "procedure", "status", "step", "system", "expected by", "updated")
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
        view = service.show(case_id, s.user)  # who may see the case, as for `case show`
        # The route is not part of the view; until the application layer offers it, read it from the store.
        case = service.store.load_case(case_id)
        loaded = service.pinned(case.procedure_hash)
    caption = (
        f"{case.id}: {view.procedure_title} ({loaded.id} {loaded.short_version}), {status_text(view.status, s.lang)}"
    )
    emit_graph(
        loaded,
        fmt,
        output,
        sections=sections,
        lang=s.lang,
        caption=caption,
        route=case.route,
        current=case.state,
    )


# -- worker -----------------------------------------------------------------------------------------


@app.command("worker")
@click.option("--once", is_flag=True, help="One sweep (and one round of mail), then exit.")
@click.option(
    "--interval", type=click.FloatRange(1, 3600), default=30, show_default=True, help="Seconds between sweeps."
)
@click.option("--no-mail", is_flag=True, help="Leave mail in the outbox even when SMTP is configured.")
@JSON
@pass_settings
def worker(s: Settings, once: bool, interval: float, no_mail: bool, as_json: bool) -> None:
    """Re-check due waits, mark overdue ones and escalate, send deadline reminders, deliver mail.

    Mail goes out over SMTP when RUTIN_SMTP_HOST is set (RUTIN_SMTP_PORT, RUTIN_SMTP_SECURITY=starttls|tls|none,
    RUTIN_SMTP_USER, RUTIN_SMTP_PASSWORD, RUTIN_MAIL_FROM); otherwise it waits in the outbox.
    """
    from adapters.smtp_mailer import SmtpMailer, SmtpSettings
    from engine.errors import RutinError
    from worker.loop import run_forever, run_once, worker_id

    with refusals():
        smtp = None if no_mail else SmtpSettings.from_env()
        mailer = SmtpMailer(smtp) if smtp else None
        service = s.service()
        if not once:
            if s.now:
                fail(
                    RutinError(
                        "--now stops the clock, so the worker would never see time pass", "use --now only with --once"
                    )
                )
            run_forever(service, mailer, interval=interval, single_only=not service.store.supports_many_workers)
            return
        result = run_once(service, mailer, worker_id())
        if mailer is not None:
            mailer.close()
    report = result["sweep"]
    if as_json:
        emit_json({**report, "mail": result.get("mail")})
        return
    click.echo(
        f"checked {report['checked']}, advanced {len(report['advanced'])}, overdue {len(report['overdue'])}, "
        f"to a person {len(report['asked_person'])}, reminders {report['reminders']}, "
        f"deadlines missed {len(report['deadlines_missed'])}, simulated actions {report['performed']}, "
        f"errors {len(report['errors'])}"
    )
    if "mail" in result:
        click.echo(
            f"mail: sent {result['mail']['sent']}, to retry {result['mail']['retried']}, "
            f"failed {result['mail']['failed']}"
        )
    for problem in report["errors"]:
        click.echo(f"  {problem['case']}: {problem['error']}", err=True)


@app.command("digest")
@pass_settings
def digest_command(s: Settings) -> None:
    """Write today's digest for each administrator to the outbox (the worker does this at 07:00)."""
    from engine.sweep import send_digests

    with refusals():
        written = send_digests(s.service())
    click.echo(f"{written} digest(s) written to the outbox")


@app.group("outbox")
def outbox_group() -> None:
    """Mail and simulated actions waiting to go out."""


@outbox_group.command("list")
@click.option("--case", "case_id", help="Only this case's items.")
@JSON
@pass_settings
def outbox_list(s: Settings, case_id: str | None, as_json: bool) -> None:
    """The outbox: what is pending, sent or failed."""
    with refusals():
        s.service().user(s.user)
        items = s.service().store.outbox_items(case_id)
    if as_json:
        emit_json(
            [
                {
                    "id": i.id,
                    "case": i.case_id,
                    "kind": i.kind,
                    "status": i.status,
                    "attempts": i.attempts,
                    "to": i.payload.get("to"),
                    "subject": i.payload.get("subject") or i.payload.get("action"),
                }
                for i in items
            ]
        )
        return
    out = table("id", "case", "kind", "status", "tries", "to / action", "subject")
    for i in items:
        out.add_row(
            str(i.id),
            i.case_id,
            i.kind,
            i.status,
            str(i.attempts),
            str(i.payload.get("to") or i.payload.get("action")),
            str(i.payload.get("subject") or ""),
        )
    show_table(out)


# -- audit ------------------------------------------------------------------------------------------


@audit_group.command("log")
@click.argument("case_id")
@JSON
@pass_settings
def audit_log(s: Settings, case_id: str, as_json: bool) -> None:
    """A case's history: who did what, when, under which procedure version."""
    with refusals():
        _case, events = s.service().history(case_id, s.user)
    if as_json:
        emit_json([e.to_json() for e in events])
        return
    out = table("#", "time", "who", "what", "step", "action", "then at", "version", "hash")
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
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(f"{case_id}: procedure version {report.procedure_hash[:12]}")
        for st in report.steps:
            mark = "ok  " if st.matches else "DIFF"
            when = local(datetime.fromisoformat(st.at), "%Y-%m-%d %H:%M:%S")
            click.echo(
                f"  {mark} {st.seq:>3} {when} {st.actor:<14} {st.kind:<15} {st.step or '':<22} "
                f"{st.action or '':<22} -> {st.state}"
            )
        for problem in report.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(
            "replay matches the stored case" if report.ok else "replay DIFFERS from the stored case", err=not report.ok
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
    else:
        for problem in report.problems:
            click.echo(f"TAMPERED {problem}", err=True)
        summary = "all intact" if report.ok else f"{len(report.problems)} broken"
        click.echo(
            f"{report.streams} histories, {report.events} events, {report.procedures} procedure versions "
            f"checked: {summary}",
            err=not report.ok,
        )
    if not report.ok:
        raise SystemExit(1)


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

        fail(RutinError(f"cannot write {output}: {exc.strerror}", "choose a folder you may write to"))


# -- users ------------------------------------------------------------------------------------------


@users_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, help="A BER role (repeat).")
@click.option("--task", "tasks", multiple=True, help="A staff task, e.g. Betygsadministratör (repeat).")
@click.option("--name", "display", help="Full name.")
@click.option("--email")
@click.option("--admin", is_flag=True, help="May add and change users.")
@pass_settings
def users_add(
    s: Settings,
    name: str,
    roles: tuple[str, ...],
    tasks: tuple[str, ...],
    display: str | None,
    email: str | None,
    admin: bool,
) -> None:
    """Add (or replace) a user. The very first user becomes an administrator."""
    from engine.access import User
    from engine.errors import RutinError
    from engine.values import parse_value

    if not name.strip() or any(c.isspace() for c in name):
        fail(RutinError(f"'{name}' is not a user name", "use a login name without spaces, e.g. anna.svensson"))
    with refusals():
        mail = str(parse_value("email", "email", email)) if email else None
        s.service().save_user(User(name, roles, tasks, display, mail, admin), s.user)
    click.echo(f"user {name} saved")


@users_group.command("list")
@JSON
@pass_settings
def users_list(s: Settings, as_json: bool) -> None:
    """The users with their roles and tasks."""
    with refusals():
        found = s.service().users(s.user)
    if as_json:
        emit_json([u.to_json() for u in found])
        return
    out = table("user", "name", "roles", "tasks", "admin")
    for u in found:
        out.add_row(u.name, u.display_name or "", ", ".join(u.roles), ", ".join(u.tasks), "yes" if u.admin else "")
    show_table(out)


# -- rules and batch checks -------------------------------------------------------------------------


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
    out = table("rule", "scope", "on", "title")
    for r in rules:
        scope = f"{r.scope}:{r.municipality}" if r.municipality else r.scope
        title = r.title_en if s.lang == "en" else r.title
        out.add_row(r.id, scope, "yes" if switches.is_on(r) else "off", title)
    show_table(out)
    click.echo(f"{len(rules)} rules; their citations: rutin rules list --json")


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
            raise RutinError(f"cannot read {file}: {exc.strerror}", "give the path of a CSV export") from exc
        report = check_registrations(decode_export(data), switches=s.switches())
    if as_json:
        emit_json(report.to_json())
    else:
        click.echo(report.to_text("en" if s.lang == "en" else "sv"))
    if report.violations or report.bad_rows:
        raise SystemExit(1)


# -- the demo ---------------------------------------------------------------------------------------


@app.command("demo")
@click.option("--interactive", is_flag=True, help="Walk the case yourself with the guide.")
@pass_settings
def demo(s: Settings, interactive: bool) -> None:
    """Run a grade-revocation case end to end on the sandbox, moving the clock through the waits."""
    from terminal.demo import run_demo
    from terminal.render import print_case

    with refusals():
        run_demo(s, interactive and sys.stdin.isatty(), print_case)


def main() -> None:
    app(prog_name="rutin")


if __name__ == "__main__":
    main()
