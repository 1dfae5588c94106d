"""`rutin adapters check`: for each configured system, whether its adapter can be reached and lets Rutin read.

Plain words for an administrator (Swedish by default, `--lang en`), one line per system and the reason and what
to do when one is not; exit 1 when any is not. `--json` for scripts. No secret is ever printed: the configuration
names where secrets live, and every message is built without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli import JSON, Settings, app, emit_json, parse_moment, pass_settings, refusals

if TYPE_CHECKING:
    from adapters.adapter_config import SystemConfig
    from adapters.pingpong_feed import PingPongFeedAdapter
    from adapters.ss12000.adapter import Ss12000Adapter

ENDPOINT_WORDS = {
    "sv": {
        "persons": "personer",
        "groups": "grupper",
        "activities": "aktiviteter",
        "grades": "betyg",
        "syllabuses": "kursplaner",
        "deletedEntities": "borttag",
    },
    "en": {
        "persons": "persons",
        "groups": "groups",
        "activities": "activities",
        "grades": "grades",
        "syllabuses": "syllabuses",
        "deletedEntities": "deletions",
    },
}


@dataclass
class SystemCheck:
    system: str
    adapter: str
    ok: bool
    summary: str
    problem: str | None = None
    hint: str | None = None
    fallback_after: str | None = None
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    answered_by: str = "system"

    def to_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "adapter": self.adapter,
            "ok": self.ok,
            "summary": self.summary,
            "problem": self.problem,
            "hint": self.hint,
            "fallback_after": self.fallback_after,
            "endpoints": self.endpoints,
            "warnings": self.warnings,
            "answered_by": self.answered_by if self.adapter not in ("manual",) else "person",
        }


@app.group("adapters")
def adapters_group() -> None:
    """The adapters that answer for the other systems (BER, ED, Ping Pong...)."""


@adapters_group.command("check")
@click.option("--lang", "lang_here", type=click.Choice(["sv", "en"]), help="Language of the answer (default: --lang).")
@JSON
@pass_settings
def check(s: Settings, lang_here: str | None, as_json: bool) -> None:
    """Tell for each configured system whether its adapter is reachable and authorised; exit 1 when one is not."""
    from adapters.adapter_config import load_config

    lang = lang_here or s.lang
    if lang_here:
        s.lang = lang_here  # errors raised below are shown in the same language
    with refusals():
        config_path = s.adapters_config or (Path(s.adapters) if s.adapters.strip().endswith(".toml") else None)
        if config_path is None:
            results = _simple(s.adapters, lang)
            where = f"--adapters {s.adapters}"
        else:
            config = load_config(config_path)
            engaged = _engaged_systems(s, [n for n, sc in config.systems.items() if sc.fallback_after])
            results = [_check_system(sc, lang, sc.system in engaged) for sc in config.systems.values()]
            results.append(_fixed("*", config.default, lang))
            where = str(config_path)
        _warn_unanswerable(s, results, lang)
    if as_json:
        emit_json({"configuration": where, "ok": all(r.ok for r in results), "systems": [r.to_json() for r in results]})
    else:
        for r in results:
            mark = "OK " if r.ok else ("FEL" if lang == "sv" else "NO ")
            click.echo(f"{mark} {r.system}: {r.summary}")
            if r.problem:
                click.echo(f"      {r.problem}")
            if r.hint:
                click.echo(f"      {'tips' if lang == 'sv' else 'hint'}: {r.hint}")
            for warning in r.warnings:
                click.echo(f"      {'obs' if lang == 'sv' else 'note'}: {warning}")
    if not all(r.ok for r in results):
        raise SystemExit(1)


def _fixed(system: str, kind: str, lang: str) -> SystemCheck:
    label = ("övriga system" if lang == "sv" else "other systems") if system == "*" else system
    if kind == "manual":
        words = "en person svarar (manuellt)" if lang == "sv" else "a person answers (manual)"
    else:
        words = "sandlådan svarar (simulerat)" if lang == "sv" else "the sandbox answers (simulated)"
    return SystemCheck(label, kind, True, words)


def _simple(spec: str, lang: str) -> list[SystemCheck]:
    results = []
    default = "sandbox"
    for part in filter(None, (p.strip() for p in spec.split(","))):
        system, _, kind = part.rpartition("=")
        if system in ("", "*"):
            default = kind
        else:
            results.append(_fixed(system, kind, lang))
    return [*results, _fixed("*", default, lang)]


def _engaged_systems(s: Settings, systems: list[str]) -> set[str]:
    """The systems a person answers for right now because their adapter failed (from the system history)."""
    from adapters.fallback import StoreFallbackLog
    from adapters.sql.database import database_url, open_engine
    from adapters.sql.store import SqlCaseStore

    url = database_url(s.db)
    if not systems or (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()):
        return set()
    engine = open_engine(url)
    try:
        log = StoreFallbackLog(SqlCaseStore(engine))
        return {system for system in systems if log.engaged(system)}
    except Exception as exc:  # an empty or foreign database: no fallback has been recorded in it
        if type(exc).__module__.startswith("sqlalchemy"):
            return set()
        raise
    finally:
        engine.dispose()


def _check_system(sc: SystemConfig, lang: str, engaged: bool = False) -> SystemCheck:
    from adapters.adapter_config import build_real
    from adapters.ss12000.adapter import Ss12000Adapter
    from engine.duration import format_duration
    from engine.errors import RutinError

    sv = lang == "sv"
    if sc.adapter in ("sandbox", "manual"):
        return _fixed(sc.system, sc.adapter, lang)
    after = format_duration(sc.fallback_after) if sc.fallback_after else None
    try:
        adapter = build_real(sc)
    except RutinError as exc:
        message, hint = exc.localized(lang)
        summary = "inställningen går inte att använda" if sv else "the configuration cannot be used"
        return SystemCheck(sc.system, sc.adapter, False, summary, message, hint, after)
    if isinstance(adapter, Ss12000Adapter):
        result = _check_ss12000(sc.system, adapter, lang)
    else:
        result = _check_feed(sc.system, adapter, lang)
    result.fallback_after = after
    result.answered_by = "person" if engaged else "system"
    if engaged:
        result.warnings.append(
            "just nu svarar en person för systemet (workern har kopplat över till manuellt; det återställs när "
            "systemet svarar igen)"
            if sv
            else "a person answers for this system right now (the worker fell back to manual; it is restored when "
            "the system answers again)"
        )
    if after and result.ok:
        result.summary += (
            f"; svarar det inte på {after} frågas en person"
            if sv
            else f"; if it does not answer for {after}, a person is asked"
        )
    return result


def _check_ss12000(system: str, adapter: Ss12000Adapter, lang: str) -> SystemCheck:
    from adapters.ss12000.client import RegistryError

    sv = lang == "sv"
    url = adapter.url
    try:
        checks = adapter.check()
    except RegistryError as exc:  # the settings (a secret, the TLS files) cannot be used: no endpoint was asked
        message, hint = exc.localized(lang)
        summary = "inställningen går inte att använda" if sv else "the configuration cannot be used"
        return SystemCheck(system, "ss12000", False, summary, message, hint)
    finally:
        adapter.close()
    words = ENDPOINT_WORDS[lang]
    endpoints = [{"endpoint": c.endpoint, "ok": c.ok, "kind": c.error.kind if c.error else None} for c in checks]
    failed = [c for c in checks if not c.ok]
    if not failed:
        read = ", ".join(words[c.endpoint] for c in checks)
        summary = (
            f"SS 12000 på {url} svarar och låter Rutin läsa ({read})"
            if sv
            else f"SS 12000 at {url} answers and lets Rutin read ({read})"
        )
        return SystemCheck(system, "ss12000", True, summary, endpoints=endpoints)
    first = failed[0].error
    assert first is not None
    message, hint = first.localized(lang)
    if first.kind in ("unauthorised", "forbidden"):
        names = ", ".join(words[c.endpoint] for c in failed)
        summary = (
            f"SS 12000 på {url} svarar men ger inte Rutin läsrätt ({names})"
            if sv
            else f"SS 12000 at {url} answers but does not let Rutin read ({names})"
        )
    else:
        summary = f"SS 12000 på {url} går inte att använda" if sv else f"SS 12000 at {url} cannot be used"
    return SystemCheck(system, "ss12000", False, summary, message, hint, endpoints=endpoints)


def _check_feed(system: str, adapter: PingPongFeedAdapter, lang: str) -> SystemCheck:
    from datetime import UTC, datetime

    from engine.errors import RutinError

    sv = lang == "sv"
    try:
        adapter.reachable(datetime.now(UTC))
    except RutinError as exc:
        message, hint = exc.localized(lang)
        summary = "betygsflödet går inte att läsa" if sv else "the grade feed cannot be read"
        return SystemCheck(system, "pingpong_feed", False, summary, message, hint)
    students = len(adapter._lists)
    summary = (
        f"Ping Pongs betygsflöde i {adapter.folder} går att läsa ({students} elever)"
        if sv
        else f"Ping Pong's grade feed in {adapter.folder} can be read ({students} students)"
    )
    return SystemCheck(system, "pingpong_feed", True, summary)


def _warn_unanswerable(s: Settings, results: list[SystemCheck], lang: str) -> None:
    """Waits of the procedures that ask a configured system a question its adapter cannot answer."""
    from adapters.pingpong_feed import PingPongFeedAdapter
    from adapters.procedure_folder import ProcedureFolder
    from adapters.ss12000.adapter import SUPPORTED
    from engine.errors import RutinError
    from engine.loader import load_procedure_text

    supported = {"ss12000": SUPPORTED, "pingpong_feed": PingPongFeedAdapter.SUPPORTED}
    by_system = {r.system: r for r in results if r.adapter in supported}
    if not by_system:
        return
    folder = ProcedureFolder(s.procedures)
    for text, path in folder.all():
        try:
            procedure = load_procedure_text(text, path).procedure
        except RutinError:
            continue  # `rutin procedures validate` reports broken files
        for step in procedure.steps:
            until = getattr(step, "until", None)
            result = by_system.get(getattr(step, "system", ""))
            if until is None or result is None or until.query in supported[result.adapter]:
                continue
            result.warnings.append(
                f"{procedure.id}/{step.id} frågar '{until.query}', som {result.adapter} inte kan svara på: "
                "väntan går till en person först när den blir försenad"
                if lang == "sv"
                else f"{procedure.id}/{step.id} asks '{until.query}', which {result.adapter} cannot answer: "
                "the wait reaches a person only when it runs overdue"
            )


@adapters_group.command("group")
@click.argument("system")
@click.argument("group")
@JSON
@pass_settings
def group_command(s: Settings, system: str, group: str, as_json: bool) -> None:
    """What SYSTEM's registry (SS 12000) says about GROUP: its course, dates, members and grading teachers."""
    from adapters.adapter_config import ConfigError, build_ss12000, load_config
    from engine.personnummer import mask_personnummer

    sv = s.lang == "sv"
    with refusals():
        config_path = s.adapters_config or (Path(s.adapters) if s.adapters.strip().endswith(".toml") else None)
        config = load_config(config_path) if config_path else None
        sc = config.systems.get(system) if config else None
        if sc is None or sc.adapter != "ss12000":
            raise ConfigError(
                str(config_path or "--adapters"),
                f"{system} is not answered by an SS 12000 adapter",
                'configure it as adapter = "ss12000" in the adapters configuration (docs/adapters.md)',
                (f"{system} besvaras inte av en SS 12000-adapter", 'ange adapter = "ss12000" i adapterkonfigurationen'),
            )
        adapter = build_ss12000(sc)
        try:
            facts = adapter.group_facts(group, parse_moment(s.now) if s.now else _now())
        finally:
            adapter.close()
    members = [mask_personnummer(m) for m in facts.members]
    if as_json:
        emit_json(
            {
                "system": system,
                "id": facts.id,
                "name": facts.name,
                "start": facts.start.isoformat(),
                "end": facts.end.isoformat() if facts.end else None,
                "courses": list(facts.courses),
                "members": members,
                "graders": facts.graders,
            }
        )
        return
    end = facts.end.isoformat() if facts.end else ("tills vidare" if sv else "open")
    click.echo(f"{facts.name} ({system}): {facts.start.isoformat()} – {end}")
    click.echo(f"  {'kurs' if sv else 'course'}: {', '.join(facts.courses) or '-'}")
    click.echo(f"  {'betygsättande lärare' if sv else 'grading teachers'}: {facts.graders}")
    click.echo(f"  {'elever' if sv else 'students'} ({len(members)}): {', '.join(members) or '-'}")


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
