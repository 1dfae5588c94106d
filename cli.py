"""`rutin`: the command line, and the composition root (the only place that builds concrete adapters).

Commands stay thin: parse arguments, call the application layer (`engine.service.Rutin`), print a view.
Built on click, and heavy modules (Rich, the YAML loader, pydantic, Alembic) are imported only by the
commands that need them, so a step in a fresh process costs little more than importing SQLAlchemy.
Exit codes: 0 done, 1 refused or invalid input (with why and what to do), 2 usage errors.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine

    from engine.errors import RutinError
    from engine.ports import SystemAdapter
    from engine.rules.base import RuleSwitches
    from engine.service import Rutin
    from engine.systems import Systems

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
    adapters_config: Path | None = None
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
    systems = build_systems(settings.adapters, engine, settings.adapters_config)
    source = ProcedureFolder(settings.procedures)
    switches = settings.switches()
    if settings.lang == "en":
        return Rutin(SqlCaseStore(engine), source, systems, clock, lang="en", switches=switches)
    return Rutin(SqlCaseStore(engine), source, systems, clock, lang="sv", switches=switches)


def build_systems(spec: str, engine: Engine, config: Path | None = None) -> Systems:
    """`sandbox`, `manual`, or per system: `BER=manual,ED=sandbox` (a bare name sets the default); or the adapters
    configuration file (TOML, docs/adapters.md), given by --adapters-config or as a path ending in .toml."""
    from adapters.manual import ManualAdapter
    from adapters.sandbox import SandboxAdapter
    from engine.errors import RutinError
    from engine.systems import Systems

    kinds: dict[str, Callable[[], SystemAdapter]] = {"sandbox": lambda: SandboxAdapter(engine), "manual": ManualAdapter}
    made: dict[str, SystemAdapter] = {}
    if config is None and spec.strip().endswith(".toml"):
        config = Path(spec.strip())
    if config is not None:
        from adapters.adapter_config import build_from_config, load_config
        from adapters.fallback import StoreFallbackLog
        from adapters.sql.store import SqlCaseStore

        def shared(kind: str) -> Callable[[], SystemAdapter]:
            return lambda: made.setdefault(kind, kinds[kind]())

        return build_from_config(
            load_config(config), {k: shared(k) for k in kinds}, StoreFallbackLog(SqlCaseStore(engine))
        )
    default: SystemAdapter | None = None
    overrides: dict[str, SystemAdapter] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        system, _, kind = part.rpartition("=")
        if kind not in kinds:
            raise RutinError(
                f"unknown adapter '{kind}' in --adapters",
                "use sandbox or manual, e.g. BER=manual,ED=sandbox; SS 12000 and the Ping Pong feed are set up in "
                "an adapters configuration file (--adapters-config, docs/adapters.md)",
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
@click.option(
    "--adapters-config",
    envvar="RUTIN_ADAPTERS_CONFIG",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Adapters configuration (TOML): per system sandbox, manual, ss12000 or pingpong_feed (docs/adapters.md).",
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
    adapters_config: Path | None,
    lang: str,
    rules_off: str | None,
) -> None:
    """Rutin: guided, auditable administrative routines."""
    import getpass

    home = procedures or HERE / "procedures"
    ctx.obj = Settings(db, as_user or getpass.getuser(), now, home, adapters, lang, rules_off, adapters_config)


# The command groups (commands/) register themselves on `app` when imported. They import the helpers above,
# so they come last.
import commands  # noqa: E402, F401


def main() -> None:
    from commands import collector

    collector.starting()
    try:
        app(prog_name="rutin")
    finally:
        collector.ending()


if __name__ == "__main__":
    # Run as a script this file is `__main__`, but the command modules registered on the module `cli`.
    from cli import main as run

    run()
