"""`rutin`: the command line, and the composition root (the only place that builds concrete adapters).

Commands stay thin: parse arguments, call the application layer (`engine.service.Rutin`), print a view.
Built on click, and heavy modules (Rich, the YAML loader, pydantic, Alembic) are imported only by the
commands that need them, so a step in a fresh process costs little more than importing SQLAlchemy.
Exit codes: 0 done, 1 refused or invalid input (with why and what to do), 2 usage errors.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from engine.errors import RutinError
    from engine.ports import SystemAdapter
    from engine.rules.base import RuleSwitches
    from engine.service import Rutin
    from engine.systems import Systems

HERE = Path(__file__).resolve().parent
DEFAULT_TZ = "Europe/Stockholm"
# --now's range: deadlines add days and weeks to the clock, and Python's dates end in the year 9999
EARLIEST_NOW, LATEST_NOW = datetime(1970, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC)
MESSAGE_MAX = 500
# outside the ASCII controls json.dumps escapes itself: DEL, the C1 controls, and the bidirectional overrides
_TERMINAL_ACTIVE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
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
        from engine.rules import checked_switches

        return checked_switches(self.rules_off)

    def service(self, *, create: bool = False) -> Rutin:
        """The application layer on --db. Only `create` may make a new SQLite file: a misspelt path would
        otherwise become an empty database, and the person be told they are an unknown user."""
        if self._service is None:
            service = build_service(self, create=create or _about_procedures_only())
            if self.now:
                _refuse_set_clock(service, self.user)
            self._service = service
        return self._service


def _refuse_set_clock(service: Rutin, name: str) -> None:
    """--now dates what is written. On the sandbox everything is simulated, so anyone may train with it; where a
    person or a real system answers, the history records real work, and only an administrator may set its clock
    (a step dated ahead would hold the case until then; one dated back is refused by the engine)."""
    from engine.errors import ActionRefused

    real = ", ".join(
        sorted(f"{system}={kind}" for system, kind in service.systems.describe().items() if kind != "sandbox")
    )
    if not real:
        return
    user = service.store.get_user(name)
    if (user is not None and user.admin) or (user is None and not service.store.list_users()):
        return  # an administrator, or a new database whose first user is being made (and becomes one)
    raise ActionRefused(
        f"--now sets the clock of a history with real systems ({real}); only an administrator may do that",
        "leave out --now to work at the current time, or train on the sandbox (--adapters sandbox)",
        sv=(
            f"--now ställer klockan för en historik med riktiga system ({real}); det får bara en administratör göra",
            "utelämna --now för att arbeta med aktuell tid, eller öva i sandlådan (--adapters sandbox)",
        ),
    )


def _about_procedures_only() -> bool:
    """`rutin procedures ...` reads procedure files; a process owner may run it before any database exists."""
    context = click.get_current_context(silent=True)
    return context is not None and context.command_path.split()[1:2] == ["procedures"]


def build_service(settings: Settings, *, create: bool = False) -> Rutin:
    from adapters.clock import FixedClock, SystemClock
    from adapters.procedure_folder import ProcedureFolder
    from adapters.sql.database import database_url, ensure_schema, open_engine, sqlite_path
    from adapters.sql.store import SqlCaseStore
    from engine.errors import RutinError
    from engine.service import Rutin

    url = database_url(settings.db)
    path = sqlite_path(url)
    if not create and path is not None and not path.exists():
        raise RutinError(
            f"there is no database at {path}",
            "check --db (or RUTIN_DB); a new database is made by `rutin users add NAME --admin` or `rutin web --demo`",
            sv=(
                f"det finns ingen databas på {path}",
                "kontrollera --db (eller RUTIN_DB); en ny databas skapas av `rutin users add NAMN --admin` "
                "eller `rutin web --demo`",
            ),
        )
    engine = open_engine(url)
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
                sv=(
                    f"okänd adapter '{kind}' i --adapters",
                    "använd sandbox eller manual, t.ex. BER=manual,ED=sandbox; SS 12000 och Ping Pongs betygsflöde "
                    "ställs in i en konfigurationsfil för adaptrar (--adapters-config, docs/adapters.md)",
                ),
            )
        adapter = made.setdefault(kind, kinds[kind]())
        if system in ("", "*"):
            default = adapter
        else:
            overrides[system] = adapter
    return Systems(default or made.get("sandbox") or SandboxAdapter(engine), overrides)


def parse_moment(text: str) -> datetime:
    """--now as ISO-8601; without a zone it is Swedish local time."""
    from zoneinfo import ZoneInfo

    from engine.errors import RutinError

    example = "e.g. 2024-06-03T10:30 (Swedish time) or 2024-06-03T08:30+00:00"
    exempel = "t.ex. 2024-06-03T10:30 (svensk tid) eller 2024-06-03T08:30+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise RutinError(
            f"--now '{text}' is not an ISO-8601 time", example, sv=(f"--now '{text}' är ingen ISO-8601-tid", exempel)
        ) from exc
    if not EARLIEST_NOW <= (moment if moment.tzinfo else moment.replace(tzinfo=UTC)) <= LATEST_NOW:
        raise RutinError(
            f"--now {text} is outside the years {EARLIEST_NOW.year}-{LATEST_NOW.year} the engine's dates can reach",
            example,
            sv=(
                f"--now {text} ligger utanför åren {EARLIEST_NOW.year}-{LATEST_NOW.year} som motorns datum når",
                exempel,
            ),
        )
    if moment.tzinfo:
        return moment
    zone = ZoneInfo(os.environ.get("RUTIN_TZ", DEFAULT_TZ))
    local = moment.replace(tzinfo=zone)
    # a wall-clock time the change to summer time skips, or one the change back repeats: say so, never guess
    there = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == moment
    twice = local.utcoffset() != local.replace(fold=1).utcoffset()
    if not there or twice:
        en = "does not exist in" if not there else "happens twice in"
        sv = "finns inte i" if not there else "inträffar två gånger i"
        raise RutinError(
            f"--now {text} {en} {zone.key} time (the clocks change that night)",
            "give the offset, e.g. +01:00 (winter time) or +02:00 (summer time)",
            sv=(
                f"--now {text} {sv} svensk tid ({zone.key}; klockan ställs om den natten)",
                "ange tidszonen, t.ex. +01:00 (vintertid) eller +02:00 (sommartid)",
            ),
        )
    return local


# -- errors and output ------------------------------------------------------------------------------


def current_lang() -> str:
    context = click.get_current_context(silent=True)
    settings = context.find_root().obj if context is not None else None
    return settings.lang if isinstance(settings, Settings) else _argv_lang()


def fail(error: RutinError, code: int = 1) -> NoReturn:
    """Say what was wrong and what to do, in the person's language (diagnostics for process owners stay as they are)."""
    from engine.errors import InvalidInputs, ProcedureInvalid

    lang = current_lang()
    label, tip = ("fel", "tips") if lang == "sv" else ("error", "hint")
    cut = "… (förkortat)" if lang == "sv" else "… (shortened)"
    if isinstance(error, ProcedureInvalid):
        from engine.diagnostics import format_report

        click.echo(format_report(error.diagnostics), err=True)
        raise SystemExit(code)
    for problem in error.problems if isinstance(error, InvalidInputs) else [error]:
        message, hint = problem.localized(lang)
        if len(message) > MESSAGE_MAX:  # a message quotes what was typed, which may be a pasted page of text
            message = message[:MESSAGE_MAX] + cut
        click.echo(f"{label}: {message}", err=True)
        if hint:
            click.echo(f"    {tip}: {hint}", err=True)
    raise SystemExit(code)


@contextmanager
def refusals() -> Iterator[None]:
    """Turn every error a user can cause into a message and exit 1, never a traceback."""
    from engine.errors import RutinError

    try:
        yield
    except RutinError as error:
        fail(error)
    except Exception as error:
        if not _is_database_error(error):
            raise
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "sqlite" in type(error).__module__ or "sqlite" in first:
            en_hint = "check --db (or RUTIN_DB): that the file is a Rutin database and that you may write to it"
            sv_hint = "kontrollera --db (eller RUTIN_DB): att filen är en Rutin-databas och att du får skriva i den"
        else:
            en_hint = "check --db (or RUTIN_DB): the URL, the password, and that the server is running"
            sv_hint = "kontrollera --db (eller RUTIN_DB): adressen, lösenordet och att servern är igång"
        fail(
            RutinError(
                f"the database could not be used: {first}",
                en_hint,
                sv=(f"databasen gick inte att använda: {first}", sv_hint),
            )
        )


def _is_database_error(error: BaseException) -> bool:
    """SQLAlchemy's errors, and the drivers' own (the step's hot path runs statements on the driver's cursor)."""
    module = type(error).__module__
    return module.startswith(("sqlalchemy", "sqlite3", "psycopg"))


def emit_json(value: Any) -> None:
    """JSON for scripts, readable text kept as it is; characters a terminal acts on (DEL, C1 controls such as
    CSI, bidi overrides), which JSON may leave raw, written as \\u escapes so that printing the output is safe."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    click.echo(_TERMINAL_ACTIVE.sub(lambda found: f"\\u{ord(found.group()):04x}", text))


def parse_sets(values: tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"'{item}' is not NAME=VALUE", param_hint="--set")
        if name.strip() in found:  # a pasted or edited command line: which of the two was meant is not ours to guess
            raise click.BadParameter(f"'{name.strip()}' is given twice; give each name once", param_hint="--set")
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

    if as_user is not None and not as_user.strip():
        raise click.BadParameter("an empty user name; give a user's name, or leave --as out", param_hint="--as")
    home = procedures or HERE / "procedures"
    ctx.obj = settings = Settings(
        db, as_user or getpass.getuser(), now, home, adapters, lang, rules_off, adapters_config
    )
    with refusals():  # refused before any command runs, whether or not it reads them
        if now:
            parse_moment(now)
        if rules_off:
            settings.switches()  # a misspelt rule id would leave that rule on


# The command groups (commands/) register themselves on `app` when imported. They import the helpers above,
# so they come last.
import commands  # noqa: E402, F401


def main() -> None:
    from commands import collector

    collector.starting()
    try:
        _refuse_undecodable(sys.argv[1:], {k: v for k, v in os.environ.items() if k.startswith("RUTIN_")})
        app.main(prog_name="rutin", standalone_mode=False)
    except click.exceptions.Exit as done:
        raise SystemExit(done.exit_code) from None
    except click.ClickException as error:
        error.show()
        raise SystemExit(error.exit_code) from None
    except (click.exceptions.Abort, KeyboardInterrupt) as stop:
        # every write is one transaction, so an interrupted command saved all of a step or none of it
        ended = isinstance(stop.__cause__ or stop.__context__, EOFError)  # input ran out at a question: not Ctrl-C
        en, sv = (
            ("the input ended before the question was answered", "inmatningen tog slut innan frågan besvarades")
            if ended
            else ("interrupted", "avbrutet")
        )
        click.echo(
            f"{en}: a step is saved whole or not at all; show the case to see where it stands"
            if _argv_lang() == "en"
            else f"{sv}: ett steg sparas helt eller inte alls; visa ärendet för att se var det står",
            err=True,
        )
        raise SystemExit(1 if ended else 130) from None
    finally:
        collector.ending()


def _argv_lang() -> str:
    """The language asked for, read from the command line itself: for messages given before click has parsed it."""
    args = sys.argv[1:]
    given = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--lang"] + [
        a.removeprefix("--lang=") for a in args if a.startswith("--lang=")
    ]
    return given[-1] if given else os.environ.get("RUTIN_LANG", "sv")


def _refuse_undecodable(args: list[str], env: dict[str, str]) -> None:
    """Bytes that are not UTF-8 arrive as lone surrogates, which no database or hash can take: refuse them here."""
    from engine.errors import RutinError

    for where, text in [*((f"argument {i}", a) for i, a in enumerate(args, 1)), *env.items()]:
        if any("\udc80" <= ch <= "\udcff" for ch in text):
            shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")[:80]
            error = RutinError(
                f"{where} ({shown}) is not UTF-8 text",
                "type the value again; the terminal or file it came from should use UTF-8",
                sv=(
                    f"{where} ({shown}) är inte UTF-8-text",
                    "skriv värdet igen; terminalen eller filen det kom från bör använda UTF-8",
                ),
            )
            fail(error, code=2)  # a usage error


if __name__ == "__main__":
    # Run as a script this file is `__main__`, but the command modules registered on the module `cli`.
    from cli import main as run

    run()
