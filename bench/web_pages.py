"""How long each page of the web app takes on the server, on a SQLite database of 10,000 cases.

Run `.venv/bin/python bench/web_pages.py [--cases 10000] [--requests 200] [--db PATH [--reuse]] [--profile PAGE]`.
It prints figures and asserts nothing about time: it is a script, not a test. About 2 minutes on 2 vCPU
(1.5 to build, the rest to time); `--db PATH` keeps the database and `--reuse` times the pages on it again.

**The database** is built through the application layer, as people and the worker would have built it: case i
takes the shipped scenario i mod 32 (procedures/scenarios/, every procedure, those that expect a refused start
left out), with its own valid personnummer, starts at a random moment of a four-hour morning (`Rutin.start`),
and plays a random number of its scenario's steps (0 to all): `Rutin.do` for a person's step (refused attempts
included, as the scenario has them), the sandbox answer for an explicit answer, and for a wait the clock moves
on and the worker's own per-case check (`engine.sweep._sweep_case`, after `Rutin.dispatch`) runs for this case
only, so that other cases' waits stay where their own timelines left them. The pages are then asked for at
NOW, ten hours after the first start. With 10,000 cases: 53,000 events, 54 MiB, 116 (procedure, step) pairs
occupied, 7,288 open, 573 waiting, 534 overdue, 1,605 done, 770 to 1,540 per procedure; no case left its
scenario early.

**The timings** are the server's own: an ASGI wrapper around the app (as `rutin web` builds it, through
`commands.web.build_web`) takes the time from the request reaching the app to the last byte of the answer,
asked in-process through httpx's ASGI transport (no network, no browser). The viewer holds every role and task
of the shipped procedures, and is auditor and process owner, so every list holds every case (the worst case
for "Mina ärenden"). Each page is asked 5 times to warm it (caches, the pinned procedure, the route's
diagram), then N times; the table gives median, p95 and max. The last row asks for 200 different case pages
once each: a route whose diagram has not been drawn yet costs a Graphviz run. `--profile PAGE` runs the
handlers on the event loop's thread and prints cProfile's view of that page.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any folder, installed or not

from adapters.clock import FixedClock  # noqa: E402
from adapters.procedure_folder import ProcedureFolder  # noqa: E402
from adapters.sandbox import SandboxAdapter  # noqa: E402
from adapters.scenario_runner import scenario_files  # noqa: E402
from adapters.sql.database import ensure_schema, open_engine  # noqa: E402
from adapters.sql.store import SqlCaseStore  # noqa: E402
from bench.report import opened  # noqa: E402
from engine.access import AUDITOR_TASK, PROCESS_OWNER_TASK, User  # noqa: E402
from engine.errors import RutinError  # noqa: E402
from engine.loader import load_procedure_text  # noqa: E402
from engine.personnummer import luhn_check_digit  # noqa: E402
from engine.ports import OutboxItem  # noqa: E402
from engine.scenarios import Answer, Do, ExpectRefused, Scenario, Wait, load_scenarios  # noqa: E402
from engine.service import Rutin  # noqa: E402
from engine.sweep import SweepReport, _sweep_case  # noqa: E402
from engine.systems import Systems  # noqa: E402

PROCEDURES = ROOT / "procedures"
START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)  # the scenario runner's Monday morning
SPREAD = timedelta(hours=4)  # case i starts at a random moment in START .. START + SPREAD
NOW = START + timedelta(hours=10)  # the moment the pages are asked for: still the same Swedish day
SCENARIO_PN = "19121212-1212"  # the personnummer the shipped scenarios use; each bench case gets its own
ADMIN = "bench-admin"
VIEWER = "anna"  # the person who signs in to the web app for the timings
PASSWORD = "bench-lösenord-123"
TARGET_MS = 50.0


# -- building the database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One bench case: a scenario, how many of its steps it takes, and when it starts."""

    procedure: str
    scenario: Scenario
    steps: int
    start: datetime
    personnummer: str


@dataclass
class Built:
    cases: int = 0
    seconds: float = 0.0
    diverged: int = 0  # cases stopped early because a step of their scenario was refused (shared sandbox facts)
    by_procedure: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    states: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    megabytes: float = 0.0


def personnummer(i: int) -> str:
    """A distinct valid personnummer for case i (born 1960 onwards), so that no two cases share a student."""
    born = date(1960, 1, 1) + timedelta(days=i // 900)
    nine = f"{born:%y%m%d}{i % 900 + 1:03d}"
    return f"{born:%Y%m%d}-{nine[6:]}{luhn_check_digit(nine)}"


def shipped_scenarios() -> list[tuple[str, Scenario]]:
    """Every scenario shipped beside the procedures that starts a case (those expecting a refused start are left)."""
    found = []
    folder = ProcedureFolder(PROCEDURES)
    for path in scenario_files(PROCEDURES):
        text = path.read_text(encoding="utf-8")
        loaded_file = load_scenarios(text, str(path))
        procedure = load_procedure_text(*folder.text(loaded_file.procedure)).procedure
        checked = load_scenarios(text, str(path), procedure)
        found += [(checked.procedure, s) for s in checked.scenarios if s.expect.refused is None]
    return found


def plans(count: int, seed: int = 1) -> list[Plan]:
    """Cases spread round-robin over the scenarios (so over procedures), each stopping after a random number of
    its steps (0 to all), so that the cases stand at every step: open, waiting, overdue and done."""
    rng = random.Random(seed)
    scenarios = shipped_scenarios()
    out = []
    for i in range(count):
        procedure, scenario = scenarios[i % len(scenarios)]
        steps = rng.randint(0, len(scenario.steps))
        start = START + SPREAD * rng.random()
        out.append(Plan(procedure, scenario, steps, start.replace(microsecond=0), personnummer(i)))
    return out


def open_service(path: Path, now: datetime) -> tuple[Rutin, FixedClock, SandboxAdapter]:
    """What `rutin --adapters sandbox` builds (cli.build_service), on a clock the bench moves."""
    engine = open_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    clock = FixedClock(now)
    sandbox = SandboxAdapter(engine)
    return Rutin(SqlCaseStore(engine), ProcedureFolder(PROCEDURES), Systems(sandbox), clock), clock, sandbox


def close(service: Rutin) -> None:
    store = service.store
    assert isinstance(store, SqlCaseStore)
    store.engine.dispose()


def save_users(service: Rutin, scenarios: Sequence[tuple[str, Scenario]]) -> None:
    """The scenarios' people, each holding every role and task any shipped procedure asks for (as the scenario
    runner gives each its procedure's), and an administrator. The viewer is also auditor and process owner."""
    roles: list[str] = []
    tasks: list[str] = []
    for loaded in service.procedures():
        if isinstance(loaded, RutinError):
            continue
        procedure = loaded.procedure
        roles += procedure.access.roles
        tasks += procedure.access.tasks
        for step in procedure.steps:
            access = getattr(step, "access", None)
            if access is not None:
                roles += access.roles
                tasks += access.tasks
    grants = tuple(dict.fromkeys(roles)), tuple(dict.fromkeys(tasks))
    service.save_user(User(ADMIN, display_name="Bench administratör", admin=True), ADMIN)
    names = {VIEWER} | {s.actor for _, s in scenarios}
    names |= {st.actor for _, s in scenarios for st in s.steps if isinstance(st, Do) and st.actor}
    names |= {st.do.actor for _, s in scenarios for st in s.steps if isinstance(st, ExpectRefused) and st.do.actor}
    for name in sorted(names):
        roles_, tasks_ = grants
        if name == VIEWER:  # who signs in for the timings also sees the auditor's and the process owner's pages
            tasks_ = (*tasks_, AUDITOR_TASK, PROCESS_OWNER_TASK)
        service.save_user(User(name, roles_, tasks_, name.capitalize(), f"{name}@example.invalid"), ADMIN)


def _swap(value: Any, personnummer: str) -> Any:
    if isinstance(value, str):
        return value.replace(SCENARIO_PN, personnummer)
    if isinstance(value, dict):
        return {k: _swap(v, personnummer) for k, v in value.items()}
    if isinstance(value, list):
        return [_swap(v, personnummer) for v in value]
    return value


def play(service: Rutin, clock: FixedClock, sandbox: SandboxAdapter, plan: Plan) -> bool:
    """Start the case and take the first `plan.steps` steps of its scenario at the case's own moments, as the
    scenario runner does, except that a wait checks only this case (the worker's per-case check,
    `engine.sweep._sweep_case`), so that other cases' waits stay where their own timelines left them.
    False when a step the scenario expects to pass was refused (the case then stays where it was)."""
    scenario = plan.scenario
    clock.set(plan.start)
    case_id = service.start(plan.procedure, _swap(scenario.inputs, plan.personnummer), scenario.actor).id
    for step in scenario.steps[: plan.steps]:
        if isinstance(step, Wait):
            clock.advance(timedelta(minutes=step.minutes))
            _check(service, case_id)
        elif isinstance(step, Answer):
            payload: dict[str, Any] = {
                "system": step.system,
                "action": "fact",
                "query": step.query,
                "args": _swap(step.args, plan.personnummer),
                "value": step.value,
            }
            key = f"{case_id}.bench.{step.location.line}.{step.location.column}"
            sandbox.perform(OutboxItem(None, case_id, 0, "perform", payload, service.now(), key))
            _check(service, case_id)
        else:
            do = step.do if isinstance(step, ExpectRefused) else step
            try:
                service.do(case_id, do.action, _swap(do.fields, plan.personnummer), do.actor or scenario.actor)
            except RutinError:
                if not isinstance(step, ExpectRefused):
                    return False
    return True


def _check(service: Rutin, case_id: str) -> None:
    service.dispatch(case_id)  # what the worker's sweep does first: the simulated actions still pending
    _sweep_case(service, service.store.load_case(case_id), service.now(), SweepReport())


def build(path: Path, count: int, progress: Callable[[str], None] = print) -> Built:
    built = Built(count)
    began = time.perf_counter()
    chosen = plans(count)
    service, clock, sandbox = open_service(path, START)
    save_users(service, shipped_scenarios())
    for n, plan in enumerate(chosen, 1):
        built.diverged += not play(service, clock, sandbox, plan)
        if n % 1000 == 0:
            progress(f"  {n:,} cases in {time.perf_counter() - began:.0f} s")
    close(service)
    built.seconds = time.perf_counter() - began
    describe(path, built)
    return built


def describe(path: Path, built: Built) -> None:
    now = NOW.isoformat()
    with opened(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for table in ("cases", "events", "outbox", "sandbox_facts", "users"):
            built.rows[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        built.cases = built.rows["cases"]
        built.by_procedure = Counter(dict(conn.execute("SELECT procedure_id, count(*) FROM cases GROUP BY 1")))
        rows = conn.execute("SELECT status, overdue_at FROM cases").fetchall()
        built.by_status = Counter(
            "overdue" if status != "done" and overdue_at and overdue_at <= now else status
            for status, overdue_at in rows
        )
        built.states = int(conn.execute("SELECT count(DISTINCT procedure_id || state) FROM cases").fetchone()[0])
    built.megabytes = path.stat().st_size / 2**20


# -- timing the pages ------------------------------------------------------------------------------------


class ServerTimer:
    """ASGI middleware: the time from the request reaching the app to the last byte of its answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.last = 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def timed_send(message: Any) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.last = time.perf_counter() - began

        await self.app(scope, receive, timed_send)


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    method: str = "GET"
    form: dict[str, str] | None = None
    signed_in: bool = True
    expect: int = 200


@dataclass
class Timing:
    page: Page
    ms: list[float]
    status: int
    size: int

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def build_app(path: Path) -> Any:
    """The app as `rutin --db PATH --adapters sandbox --now NOW web` builds it (commands/web.py's build_web)."""
    from cli import Settings
    from commands import collector
    from commands.web import build_web

    settings = Settings(str(path), VIEWER, NOW.isoformat(), PROCEDURES, "sandbox", "sv")
    app, _, authenticator = build_web(settings, session_clock=FixedClock(NOW))
    authenticator.set_password(VIEWER, PASSWORD)
    collector.settled()  # as `rutin web` does once it has started
    return app


def chosen_cases(path: Path) -> dict[str, str]:
    """The cases the case, audit and filter pages are timed on: the longest histories of each kind."""
    now = NOW.isoformat()
    queries = {
        "open": "SELECT c.id FROM cases c JOIN streams s ON s.id = c.id WHERE c.status = 'open' "
        "AND c.procedure_id = 'avregistrering-betyg' ORDER BY s.version DESC LIMIT 1",
        "waiting": "SELECT c.id FROM cases c JOIN streams s ON s.id = c.id WHERE c.status = 'waiting' "
        f"AND c.overdue_at > '{now}' ORDER BY s.version DESC LIMIT 1",
        "done": "SELECT c.id FROM cases c JOIN streams s ON s.id = c.id WHERE c.status = 'done' "
        "ORDER BY s.version DESC LIMIT 1",
    }
    with opened(path) as conn:
        found = {k: str(conn.execute(q).fetchone()[0]) for k, q in queries.items()}
        row = conn.execute("SELECT json_extract(data, '$.personnummer') FROM cases WHERE id = ?", (found["open"],))
        found["student"] = str(row.fetchone()[0])
        found["group"] = str(
            conn.execute(
                "SELECT json_extract(data, '$.betygsgrupp') FROM cases WHERE id = ?", (found["open"],)
            ).fetchone()[0]
        )
        found["many"] = ",".join(
            r[0] for r in conn.execute("SELECT id FROM cases WHERE status != 'done' ORDER BY id LIMIT 200")
        )
    return found


def pages(cases: dict[str, str]) -> list[Page]:
    bad_start = {
        "personnummer": "19121212-1213",
        "orsak": "ej_last",
        "kurskod": "MATMAT01a",
        "betygsgrupp": "MA1A-HT24",
    }
    return [
        Page("login (signed out)", "/login", signed_in=False),
        Page("Mina ärenden", "/"),
        Page("Mina ärenden, page 3", "/?page=3"),
        Page("Mina ärenden, overdue", "/?status=overdue"),
        Page("Mina ärenden, waiting", "/?status=waiting"),
        Page("Mina ärenden, done", "/?status=done"),
        Page("Mina ärenden, one procedure", "/?procedure=avregistrering-betyg"),
        Page("Mina ärenden, student", f"/?student={cases['student']}"),
        Page("Mina ärenden, group", f"/?group={cases['group']}"),
        Page("waiting fragment (HTMX)", "/cases/waiting-fragment"),
        Page("start: pick a procedure", "/cases/new"),
        Page("start form", "/cases/new/avregistrering-betyg"),
        Page("start form, invalid (POST)", "/cases/new/avregistrering-betyg", "POST", bad_start, expect=422),
        Page("case at a task", f"/cases/{cases['open']}"),
        Page("case waiting", f"/cases/{cases['waiting']}"),
        Page("case done", f"/cases/{cases['done']}"),
        Page("procedures", "/procedures"),
        Page("procedure", "/procedures/avregistrering-betyg"),
        Page("audit", f"/audit/{cases['done']}"),
        Page("audit export JSON", f"/audit/{cases['done']}/export.json"),
        Page("audit export CSV", f"/audit/{cases['done']}/export.csv"),
    ]


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _timings(
    app: Any, chosen: list[Page], requests: int, many: list[str], profile: str | None
) -> tuple[list[Timing], Timing, str]:
    import httpx

    timer = ServerTimer(app)
    transport = httpx.ASGITransport(app=timer)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as guest,
        httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client,
    ):
        login = await client.get("/login")
        token = _CSRF.search(login.text)
        assert token is not None, "no CSRF token on the sign-in page"
        form = {"csrf_token": token.group(1), "username": VIEWER, "password": PASSWORD, "next": "/"}
        signed = await client.post("/login", data=form)
        if signed.status_code != 303:
            raise RuntimeError(f"signing in as {VIEWER} failed: {signed.status_code}")
        csrf = _CSRF.search((await client.get("/")).text)
        assert csrf is not None

        async def ask(page: Page) -> httpx.Response:
            who = client if page.signed_in else guest
            if page.method == "POST":
                return await who.post(page.path, data={**(page.form or {}), "csrf_token": csrf.group(1)})
            return await who.get(page.path)

        out = []
        profiled = ""
        for page in chosen:
            for _ in range(5):  # warm: caches, the pinned procedure, the diagram of this route
                first = await ask(page)
            if first.status_code != page.expect:
                raise RuntimeError(f"{page.name}: {page.path} answered {first.status_code}, not {page.expect}")
            profiler = cProfile.Profile() if profile and profile == page.name else None
            ms = []
            for _ in range(requests):
                if profiler is not None:
                    profiler.enable()
                await ask(page)
                if profiler is not None:
                    profiler.disable()
                ms.append(timer.last * 1000)
            if profiler is not None:
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(30)
                profiled = text.getvalue()
            out.append(Timing(page, ms, first.status_code, len(first.content)))
        # the case page over distinct cases, each asked for once: the first visit of a route draws its diagram
        ms = []
        for case_id in many:
            await client.get(f"/cases/{case_id}")
            ms.append(timer.last * 1000)
        cold = Timing(Page(f"case page, {len(many)} different cases once each", "/cases/..."), ms, 200, 0)
    return out, cold, profiled


def run_handlers_inline() -> None:
    """For --profile: run the pages' sync handlers on the event loop's thread, where cProfile sees them, instead
    of in the thread pool (whose threads a profiler enabled on this thread does not follow)."""
    import fastapi.routing
    import starlette.concurrency

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    for module in (fastapi.routing, starlette.concurrency, sys.modules["web.app"], sys.modules["web.pages"]):
        module.run_in_threadpool = inline  # type: ignore[attr-defined]


def time_pages(path: Path, requests: int, profile: str | None) -> tuple[list[Timing], Timing, str]:
    import asyncio

    cases = chosen_cases(path)
    app = build_app(path)
    if profile:
        run_handlers_inline()
    return asyncio.run(_timings(app, pages(cases), requests, cases["many"].split(","), profile))


def report_pages(timings: Sequence[Timing], cold: Timing, requests: int) -> None:
    print(f"\nServer time per page (ASGI in-process, signed in as {VIEWER}, warm; {requests} requests each, ms):")
    rows = [("page", "path", "status", "KiB", "median", "p95", "max", f"< {TARGET_MS:.0f} ms")]
    for t in [*timings, cold]:
        verdict = "yes" if t.p95 < TARGET_MS else ("median only" if t.median < TARGET_MS else "NO")
        size = f"{t.size / 1024:.0f}" if t.size else ""
        path = t.page.path if len(t.page.path) < 40 else t.page.path[:37] + "..."
        rows.append(
            (t.page.name, path, str(t.status), size, f"{t.median:.1f}", f"{t.p95:.1f}", f"{max(t.ms):.1f}", verdict)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  "
            + "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    slow = [t.page.name for t in [*timings, cold] if t.p95 >= TARGET_MS]
    print(f"\nUnder {TARGET_MS:.0f} ms at p95: {len(timings) + 1 - len(slow)} of {len(timings) + 1}")
    if slow:
        print("Not under it: " + "; ".join(slow))


# -- main -------------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (after warm-up)")
    parser.add_argument("--db", type=Path, help="build here (a new file) and keep it; with --reuse, use it as is")
    parser.add_argument("--reuse", action="store_true", help="time the pages on an existing --db, not a new one")
    parser.add_argument("--profile", metavar="PAGE", help="also print cProfile's view of this page's requests")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="rutin-web-bench-") as tmp:
        path = args.db or Path(tmp) / "web.db"
        if args.reuse:
            if not path.exists():
                parser.error(f"--reuse: {path} does not exist")
            built = Built()
            describe(path, built)
        else:
            if path.exists():
                parser.error(f"{path} exists; name a new file, or add --reuse")
            print(f"Building {args.cases:,} cases through the application layer in {path} ...")
            built = build(path, args.cases)
        report_build(built)
        timings, cold, profiled = time_pages(path, args.requests, args.profile)
        report_pages(timings, cold, args.requests)
        if profiled:
            print(f"\ncProfile of '{args.profile}' ({args.requests} requests, cumulative):\n{profiled}")


def report_build(built: Built) -> None:
    print(
        f"\nDatabase: {built.cases:,} cases ({built.seconds:.0f} s to build), "
        f"{built.rows.get('events', 0):,} events, {built.megabytes:.0f} MiB; "
        f"{built.states} distinct (procedure, step) pairs; {built.diverged} cases left their scenario early"
    )
    print("  by status at NOW: " + ", ".join(f"{k} {v:,}" for k, v in sorted(built.by_status.items())))
    print("  by procedure: " + ", ".join(f"{k} {v:,}" for k, v in sorted(built.by_procedure.items())))


if __name__ == "__main__":
    main()
