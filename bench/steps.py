"""Steps per second, memory and CLI start-up of Rutin on SQLite, against plain sqlite3 doing the same writes.

Run `.venv/bin/python bench/steps.py [--cases N] [--db PATH]`. In one run it drives N grade-revocation cases
(route orsak=fel_betygsgrupp, the longest) through the application layer, replays the same step writes with
plain sqlite3 at the same durability, measures memory with N and 3N open cases, and times a CLI
step in a fresh process. It prints figures and asserts nothing about time: it is a script, not a test.

The baseline replays every step in the same order, one transaction per step, and times each step's writes under
whoever took it in Rutin: the person steps are compared with plain sqlite3 doing exactly their writes (the
sandbox's rows among them), and the ratio against all steps' writes is printed beside it.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any folder, installed or not

from adapters.clock import FixedClock  # noqa: E402
from adapters.procedure_folder import ProcedureFolder  # noqa: E402
from adapters.sandbox import SandboxAdapter  # noqa: E402
from adapters.sql.database import ensure_schema, open_engine  # noqa: E402
from adapters.sql.store import SqlCaseStore  # noqa: E402
from bench.memory import rss_now, rss_peak  # noqa: E402
from bench.report import mib, opened, print_table, verdict  # noqa: E402
from engine.access import User  # noqa: E402
from engine.service import Rutin  # noqa: E402
from engine.systems import Systems  # noqa: E402
from engine.views import CaseView  # noqa: E402
from terminal.demo import DEMO_FIELDS, DEMO_INPUTS, DEMO_ROLES, DEMO_TASKS  # noqa: E402

PROCEDURE = "avregistrering-betyg"
# the demo's case: the longest route, through every kind of step
INPUTS, FIELDS, ROLES, TASKS = DEMO_INPUTS, DEMO_FIELDS, DEMO_ROLES, DEMO_TASKS
ACTOR = "anna"
T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
TICK = timedelta(minutes=5)  # how far the clock moves between sweeps, as terminal/demo.py does
SWEEP_LIMIT = 1000
TARGET_RATIO = 0.5  # Rutin's step rate against plain sqlite3's
CLI_TARGET = 1.5  # a CLI step against `python -c "import sqlalchemy"`
CLI_RUNS = 9  # odd, for a true median; more runs steady the figure on a shared machine
BASELINE_RUNS = 3
MEMORY_MIN_EXTRA = 200  # below this many extra open cases, a few hundred blocks of cache warming look like growth
HELD_CASE_BLOCKS = 27  # sys.getallocatedblocks() per loaded Case kept in a list, measured 2026-11-22


# -- wiring -----------------------------------------------------------------------------------------


@dataclass
class Rig:
    """A service on its own SQLite file, with a clock the bench moves."""

    service: Rutin
    clock: FixedClock
    path: Path

    def close(self) -> None:
        store = self.service.store
        if isinstance(store, SqlCaseStore):
            store.engine.dispose()


def build_rig(path: Path, prefix: str) -> Rig:
    engine = open_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    clock = FixedClock(T0)
    counter = iter(range(1, 10**9))
    service = Rutin(
        SqlCaseStore(engine),
        ProcedureFolder(ROOT / "procedures"),
        Systems(SandboxAdapter(engine)),
        clock,
        new_id=lambda: f"{prefix}{next(counter):06d}",
    )
    service.save_user(User("admin", admin=True), "admin")
    service.save_user(User(ACTOR, ROLES, TASKS, "Anna Berg"), "admin")
    return Rig(service, clock, path)


@dataclass
class Swept:
    """What the sweeps of one clock tick did, summed over passes."""

    advanced: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def durability(rig: Rig) -> str:
    """The journal mode and sync level Rutin's own connections run with, read back rather than assumed."""
    store = rig.service.store
    assert isinstance(store, SqlCaseStore)
    with store.engine.connect() as conn:
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = conn.exec_driver_sql("PRAGMA synchronous").scalar()
    return _durability_text(mode, sync)


def _durability_text(mode: object, sync: object) -> str:
    levels = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}
    return f"journal_mode={str(mode).upper()}, synchronous={levels.get(int(str(sync)), sync)}"


def sweep_all(service: Rutin) -> Swept:
    """Sweep until a pass checks fewer cases than its limit, so that any N is covered."""
    total = Swept()
    while True:
        report = service.sweep(SWEEP_LIMIT)
        total.advanced += report.advanced
        total.overdue += report.overdue
        total.errors += report.errors
        if report.checked < SWEEP_LIMIT:
            return total


# -- the route, learnt from one pilot case ----------------------------------------------------------


@dataclass(frozen=True)
class PlanMove:
    kind: Literal["do", "wait"]
    step: str
    action: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)


def plan_route(rig: Rig) -> list[PlanMove]:
    """Walk one case as the demo does and record each move; this also warms the service's caches."""
    service = rig.service
    view = service.start(PROCEDURE, INPUTS, ACTOR)
    plan: list[PlanMove] = []
    for _ in range(200):
        if view.status == "done":
            return plan
        if view.actions:
            action = view.actions[0]
            fields = {f.name: FIELDS[f.name] for f in action.fields if f.name in FIELDS}
            plan.append(PlanMove("do", view.state, action.name, fields))
            view = service.do(view.id, action.name, fields, ACTOR)
            continue
        rig.clock.advance(TICK)
        if view.id in sweep_all(service).advanced:
            plan.append(PlanMove("wait", view.state))
        view = service.show(view.id, ACTOR)
    raise RuntimeError("the pilot case did not finish in 200 moves")


# -- 1. Rutin through the application layer ---------------------------------------------------------


@dataclass
class Phase:
    """Events written in a stretch of the run, its wall-clock seconds, and the CPU seconds this process spent.

    The writes are not synced at each commit (WAL, synchronous=NORMAL), so a step costs CPU, not disk
    waits: on a shared machine the CPU rate stays steady when the wall-clock one is disturbed.
    """

    events: int = 0
    seconds: float = 0.0
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def cpu_rate(self) -> float:
        return self.events / self.cpu if self.cpu else 0.0

    def __add__(self, other: Phase) -> Phase:
        return Phase(self.events + other.events, self.seconds + other.seconds, self.cpu + other.cpu)


@dataclass
class RutinRun:
    start: Phase = field(default_factory=Phase)
    do: Phase = field(default_factory=Phase)
    sweep: Phase = field(default_factory=Phase)
    sweeps: int = 0
    sample_wait: str | None = None  # a `cases.wait` value as Rutin writes it, for the baseline's row sizes


@contextmanager
def timed(phase: Phase) -> Iterator[None]:
    began, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        phase.seconds += time.perf_counter() - began
        phase.cpu += time.process_time() - cpu


def drive(
    rig: Rig, plan: list[PlanMove], n: int, profiler: cProfile.Profile | None = None
) -> tuple[RutinRun, list[str]]:
    """All N cases in lockstep: every person step that is due, then the clock moves and the worker sweeps."""
    service, run = rig.service, RutinRun()
    with timed(run.start):
        ids = [service.start(PROCEDURE, INPUTS, ACTOR).id for _ in range(n)]
    run.start.events = n
    at = dict.fromkeys(ids, 0)
    for _ in range(10 * len(plan) + 10):
        with timed(run.do), profiling(profiler):
            for case_id in ids:
                at[case_id] = _do_until_wait(service, plan, case_id, at[case_id], run)
        if run.sample_wait is None:
            run.sample_wait = _sample_wait(rig.path)
        if all(i == len(plan) for i in at.values()):
            return run, ids
        rig.clock.advance(TICK)
        with timed(run.sweep):
            report = sweep_all(service)
        run.sweeps += 1
        if report.errors:
            raise RuntimeError(f"the sweep reported errors: {report.errors[:3]}")
        for case_id in report.advanced:
            if plan[at[case_id]].kind != "wait":
                raise RuntimeError(f"{case_id} advanced off the pilot's route at move {at[case_id]}")
            at[case_id] += 1
            run.sweep.events += 1
        run.sweep.events += len(report.overdue)
    raise RuntimeError("the cases did not finish; the route is not the pilot's")


@contextmanager
def profiling(profiler: cProfile.Profile | None) -> Iterator[None]:
    if profiler is None:
        yield
        return
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()


def print_profile(profiler: cProfile.Profile, top: int = 25) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(top)
    print("\nWhere the person steps spend their time (cProfile, cumulative; the rates above are slowed by it):")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def _do_until_wait(service: Rutin, plan: list[PlanMove], case_id: str, i: int, run: RutinRun) -> int:
    while i < len(plan) and plan[i].kind == "do":
        move = plan[i]
        # every step's whole work (access check, hash chain, optimistic lock, outbox, timers, one transaction);
        # show=False: no CaseView built afterwards, as a caller that shows nothing (the worker, a script) asks
        service.do(case_id, move.action, move.fields, ACTOR, show=False)
        run.do.events += 1
        i += 1
    return i


def _sample_wait(path: Path) -> str | None:
    with opened(path) as conn:
        row = conn.execute("SELECT wait FROM cases WHERE wait IS NOT NULL LIMIT 1").fetchone()
    return str(row[0]) if row else None


def count_events(path: Path, ids: list[str]) -> int:
    with opened(path) as conn:
        conn.execute("CREATE TEMP TABLE bench_ids (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO bench_ids VALUES (?)", [(i,) for i in ids])
        return int(conn.execute("SELECT count(*) FROM events WHERE stream IN (SELECT id FROM bench_ids)").fetchone()[0])


# -- 2. the baseline: plain sqlite3, one transaction per step ---------------------------------------


@dataclass(frozen=True)
class StepRow:
    """One step as Rutin wrote it: the event row and the case columns it left behind."""

    event: tuple[Any, ...]  # at, actor, kind, step, action, data, state, procedure_hash, prev_hash, hash
    status: str
    wait: str | None
    facts: tuple[tuple[Any, ...], ...] = ()  # the sandbox's rows for a step that changes another system


@dataclass(frozen=True)
class RowSizes:
    event_data: float  # average bytes of `events.data` over the bench cases' steps
    case_data: float  # average bytes of `cases.data`


def template_steps(
    path: Path, case_id: str, waits: set[str], sample_wait: str | None
) -> tuple[list[StepRow], str, str]:
    """The rows one finished Rutin case wrote for its steps (not its start), to replay with the same sizes."""
    with opened(path) as conn:
        rows = conn.execute(
            "SELECT at, actor, kind, step, action, data, state, procedure_hash, prev_hash, hash "
            "FROM events WHERE stream = ? AND seq > 1 ORDER BY seq",
            (case_id,),
        ).fetchall()
        case_data, created_at = conn.execute("SELECT data, created_at FROM cases WHERE id = ?", (case_id,)).fetchone()
        facts = conn.execute(
            "SELECT source, system, fact, subject, value, effective_at FROM sandbox_facts WHERE source LIKE ?",
            (f"{case_id}.%.p%",),
        ).fetchall()
    steps = []
    for i, row in enumerate(rows):
        seq = i + 2
        # the sandbox facts a step's simulated action wrote: Rutin writes them too, so the baseline does
        mine = tuple(tuple(f[1:]) for f in facts if f[0].startswith(f"{case_id}.{seq}.p"))
        state = row[6]
        if state in waits:
            steps.append(StepRow(tuple(row), "waiting", sample_wait, mine))
        else:
            steps.append(StepRow(tuple(row), "done" if i == len(rows) - 1 else "open", None, mine))
    return steps, str(case_data), str(created_at)


def row_sizes(path: Path, ids: list[str]) -> RowSizes:
    with opened(path) as conn:
        first, last = min(ids), max(ids)
        event_data, case_data = conn.execute(
            "SELECT avg(length(e.data)), (SELECT avg(length(data)) FROM cases WHERE id BETWEEN ? AND ?) "
            "FROM events e WHERE e.stream BETWEEN ? AND ? AND e.seq > 1",
            (first, last, first, last),
        ).fetchone()
    return RowSizes(float(event_data or 0), float(case_data or 0))


def copy_schema(source: Path, target: sqlite3.Connection) -> None:
    with opened(source) as conn:
        ddl = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type = 'index', name"
        ).fetchall()
    for (statement,) in ddl:
        target.execute(statement)


@dataclass
class PlainRun:
    """One baseline run, its steps timed by who took them in Rutin: the person (`do`) or the worker (a wait)."""

    person: Phase = field(default_factory=Phase)
    worker: Phase = field(default_factory=Phase)

    @property
    def every(self) -> Phase:
        return self.person + self.worker


def baseline(
    rutin_db: Path, path: Path, steps: list[StepRow], kinds: Sequence[str], case_data: str, created_at: str, n: int
) -> tuple[PlainRun, str]:
    """N cases through the same steps in lockstep: BEGIN IMMEDIATE, SELECT, UPDATE x2, INSERT, COMMIT, and for a
    step that changes another system the sandbox's own transaction (SELECT, INSERT per fact), as Rutin writes them.

    `kinds[i]` says whose move step i was in Rutin ("do" or "wait"); each step's writes are timed under it, so the
    person steps are compared with plain sqlite3 doing exactly their writes (all the sandbox's rows among them)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        settings = _durability_text(
            conn.execute("PRAGMA journal_mode").fetchone()[0], conn.execute("PRAGMA synchronous").fetchone()[0]
        )
        copy_schema(rutin_db, conn)
        ids = [f"S{i:06d}" for i in range(1, n + 1)]
        _seed(conn, ids, steps[0].event[7], case_data, created_at)
        found = PlainRun()
        for seq, step in enumerate(steps, start=2):
            phase = found.person if kinds[seq - 2] == "do" else found.worker
            phase.events += n
            with timed(phase):
                for case_id in ids:
                    _plain_step(conn, case_id, seq, step, case_data)
    finally:
        conn.close()
    return found, settings


@dataclass(frozen=True)
class BestPlain:
    person: Phase  # plain sqlite3 doing the person steps' writes
    worker: Phase  # ... the worker steps' writes
    every: Phase  # ... all steps' writes, in the fastest run as a whole


def best_baseline(
    rutin_db: Path, path: Path, steps: list[StepRow], kinds: Sequence[str], case_data: str, created_at: str, n: int
) -> tuple[BestPlain, str]:
    """The fastest of a few baseline runs, each on a new file: the fastest person steps and the fastest worker
    steps of any run (the strictest comparison for Rutin), and the fastest run as a whole for all steps.

    One lasts a fraction of a second, so a burst of load from another process would otherwise decide it.
    """
    runs = []
    for _ in range(BASELINE_RUNS):
        for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        runs.append(baseline(rutin_db, path, steps, kinds, case_data, created_at, n))
    person = max((r.person for r, _ in runs), key=lambda p: p.rate)
    worker = max((r.worker for r, _ in runs), key=lambda p: p.rate)
    whole = max((r for r, _ in runs), key=lambda r: r.every.rate)
    return BestPlain(person, worker, whole.every), runs[0][1]


def _seed(conn: sqlite3.Connection, ids: list[str], procedure_hash: str, case_data: str, created_at: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO streams (id, version, head_hash) VALUES (?, 1, ?)", [(i, "0" * 64) for i in ids])
    conn.executemany(
        "INSERT INTO cases (id, procedure_id, procedure_hash, state, status, data, wait, due_at, overdue_at, "
        "created_at, updated_at, created_by) VALUES (?, ?, ?, 'ed_sok_elev', 'open', ?, NULL, NULL, NULL, ?, ?, ?)",
        [(i, PROCEDURE, procedure_hash, case_data, created_at, created_at, ACTOR) for i in ids],
    )
    conn.execute("COMMIT")


def _plain_step(conn: sqlite3.Connection, case_id: str, seq: int, step: StepRow, case_data: str) -> None:
    at, actor, kind, name, action, data, state, procedure_hash, prev_hash, head = step.event
    due = at if step.wait else None
    conn.execute("BEGIN IMMEDIATE")
    row = conn.execute(
        "SELECT cases.*, streams.version, streams.head_hash FROM cases JOIN streams ON streams.id = cases.id "
        "WHERE cases.id = ?",
        (case_id,),
    ).fetchone()
    version = row[-2]
    bumped = conn.execute(
        "UPDATE streams SET version = ?, head_hash = ? WHERE id = ? AND version = ?",
        (seq, head, case_id, version),
    )
    if bumped.rowcount != 1:
        conn.execute("ROLLBACK")
        raise RuntimeError(f"baseline lost its optimistic lock on {case_id}")
    conn.execute(
        "UPDATE cases SET state = ?, status = ?, data = ?, wait = ?, due_at = ?, overdue_at = ?, updated_at = ? "
        "WHERE id = ?",
        (state, step.status, case_data, step.wait, due, due, at, case_id),
    )
    conn.execute(
        "INSERT INTO events (stream, seq, at, actor, kind, step, action, data, state, procedure_hash, prev_hash, "
        "hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, seq, at, actor, kind, name, action, data, state, procedure_hash, prev_hash, head),
    )
    conn.execute("COMMIT")
    if step.facts:  # the simulated system's write, in its own transaction as the sandbox does it
        source = f"{case_id}.{seq}.p0"
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT id FROM sandbox_facts WHERE source = ? LIMIT 1", (source,)).fetchone()
        conn.executemany(
            "INSERT INTO sandbox_facts (system, fact, subject, value, effective_at, source) VALUES (?, ?, ?, ?, ?, ?)",
            [(*fact, source) for fact in step.facts],
        )
        conn.execute("COMMIT")


# -- 3. memory with N and 3N open cases -------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    open_cases: int
    rss: int  # bytes resident after the phase and a collection
    peak: int  # the process's peak resident bytes so far (ru_maxrss)
    blocks: int  # Python objects' memory blocks still allocated (sys.getallocatedblocks), after a collection

    def to_json(self) -> dict[str, int]:
        return {"open_cases": self.open_cases, "rss": self.rss, "peak": self.peak, "blocks": self.blocks}


def open_cases(service: Rutin, n: int) -> None:
    for _ in range(n):
        view: CaseView = service.start(PROCEDURE, INPUTS, ACTOR)
        service.do(view.id, view.actions[0].name, {}, ACTOR)
    sweep_all(service)


def measure_memory(rig: Rig, n: int) -> list[Memory]:
    """Start N cases and do one step each, then 2N more: memory must not follow the number of open cases.

    It runs in a fresh process (see `memory_in_child`), so the peak is this phase's own. tracemalloc would
    measure Python's share more finely, but it slows each start about fivefold.
    """
    open_cases(rig.service, 1)  # caches (parsed procedure, compiled machine, SQL) fill before the count starts
    found = [_memory_now(1)]
    for more in (n, 2 * n):
        open_cases(rig.service, more)
        found.append(_memory_now(found[-1].open_cases + more))
    return found


def _memory_now(open_count: int) -> Memory:
    gc.collect()
    return Memory(open_count, rss_now(), rss_peak(), sys.getallocatedblocks())


def memory_in_child(n: int, db: Path) -> list[Memory]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--memory-child", "--cases", str(n), "--db", str(db)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the memory phase failed ({done.returncode}): {done.stderr.strip()[-600:]}")
    return [Memory(**row) for row in json.loads(done.stdout)]


def memory_child(n: int, db: Path) -> None:
    rig = build_rig(db, "M")
    found = measure_memory(rig, n)
    rig.close()
    print(json.dumps([m.to_json() for m in found]))


# -- 4. a CLI step in a fresh process ---------------------------------------------------------------


def open_case_ids(path: Path, state: str, limit: int) -> list[str]:
    with opened(path) as conn:
        rows = conn.execute(
            "SELECT id FROM cases WHERE status = 'open' AND state = ? ORDER BY id LIMIT ?", (state, limit)
        ).fetchall()
    return [str(r[0]) for r in rows]


def cli_command(db: Path, case_id: str, action: str) -> list[str]:
    rutin = str(Path(sys.executable).with_name("rutin"))
    return [rutin, "--db", str(db), "--as", ACTOR, "case", "do", case_id, action]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_process(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one run; CPU time hardly moves when other processes load the machine."""
    # both commands run with their bytecode cached, as an installed program does: SQLAlchemy's was compiled when
    # pip installed it, Rutin's is written by the untimed first run (unless PYTHONDONTWRITEBYTECODE forbade it, and
    # every timed run then compiled Rutin's source again)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    began, cpu = time.perf_counter(), children_cpu()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    elapsed, cpu = time.perf_counter() - began, children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[:400]}")
    return elapsed, cpu


def paired_medians(
    first: Callable[[int], list[str]], second: Callable[[int], list[str]], runs: int
) -> list[tuple[float, float]]:
    """Median (wall, CPU) seconds of each command, run in turns so that both see the same load from others."""
    time_process(first(runs))  # one untimed run each, so every timed one finds the files in the OS cache
    time_process(second(runs))
    times: list[list[tuple[float, float]]] = [[], []]
    for i in range(runs):
        times[0].append(time_process(first(i)))
        times[1].append(time_process(second(i)))
    return [(statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for t in times]


def import_profile(db: Path, case_id: str, action: str, top: int = 8) -> list[str]:
    """The slowest top-level imports (cumulative) of one CLI step, from `python -X importtime`."""
    argv = [sys.executable, "-X", "importtime", *cli_command(db, case_id, action)]
    began = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    rows: list[tuple[int, str]] = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            rows.append((int(parts[1]), parts[2].strip()))  # depth 0: imports made by the program itself
    rows.sort(reverse=True)
    total = sum(us for us, _ in rows) / 1000
    lines = [f"{us / 1000:8.1f} ms  {name}" for us, name in rows[:top]]
    return [*lines, f"{total:8.1f} ms  all imports, of {wall * 1000:.0f} ms for the whole run under -X importtime"]


# -- the report -------------------------------------------------------------------------------------


def phase_row(name: str, phase: Phase, base: Phase | None) -> tuple[str, ...]:
    ratio = f"{phase.rate / base.rate:.2f}" if base else ""
    cpu_ratio = f"{phase.cpu_rate / base.cpu_rate:.2f}" if base else ""
    return (
        name,
        str(phase.events),
        f"{phase.seconds:.2f}",
        f"{phase.rate:,.0f}",
        ratio,
        f"{phase.cpu:.2f}",
        f"{phase.cpu_rate:,.0f}",
        cpu_ratio,
    )


def report_steps(
    run: RutinRun, plain: BestPlain, sizes: RowSizes, n: int, plan: list[PlanMove], settings: tuple[str, str]
) -> None:
    steps = run.do + run.sweep
    every = steps + run.start
    dos = sum(1 for m in plan if m.kind == "do")
    print(f"\n1-2. Steps: {n} cases of {PROCEDURE} (orsak=fel_betygsgrupp): start, {dos} person steps,")
    print(f"     {len(plan) - dos} waits satisfied by the worker ({run.sweeps} sweeps, clock +{TICK} each)")
    print_table(
        [
            ("", "events", "wall s", "events/s", "ratio", "cpu s", "events/cpu-s", "cpu ratio"),
            phase_row("Rutin start (case_started)", run.start, None),
            phase_row("Rutin do (person steps)", run.do, plain.person),
            phase_row("Rutin sweep (waits, incl. scans)", run.sweep, plain.worker),
            phase_row("Rutin do + sweep (all steps)", steps, plain.every),
            phase_row("Rutin start + do + sweep", every, None),
            phase_row(f"plain sqlite3, the person steps' writes, best of {BASELINE_RUNS}", plain.person, plain.person),
            phase_row(f"plain sqlite3, the waits' writes, best of {BASELINE_RUNS}", plain.worker, plain.worker),
            phase_row(f"plain sqlite3, all steps' writes, best of {BASELINE_RUNS}", plain.every, plain.every),
        ]
    )
    ratio = run.do.rate / plain.person.rate
    print(
        f"  person steps vs plain sqlite3 doing the same steps' writes, wall clock: {ratio:.2f} (target >= "
        f"{TARGET_RATIO}): {verdict(ratio >= TARGET_RATIO)}  (by CPU time: "
        f"{run.do.cpu_rate / plain.person.cpu_rate:.2f})"
    )
    print(
        f"  (against plain sqlite3's rate over all {len(plan)} steps, the waits' cheaper writes included: "
        f"{run.do.rate / plain.every.rate:.2f}, by CPU time {run.do.cpu_rate / plain.every.cpu_rate:.2f})"
    )
    print(
        f"  rows replayed by the baseline: Rutin's own, event data {sizes.event_data:.0f} B avg, case data "
        f"{sizes.case_data:.0f} B"
    )
    print("  Rutin's person steps are service.do(..., show=False): the whole step, without building the view after it")
    print(f"  durability: Rutin {settings[0]}; sqlite3 {settings[1]}")


def report_memory(found: list[Memory]) -> None:
    print("\n3. Memory with cases left open (each started and stepped once; a fresh process, after gc)")
    rows = [("open cases", "RSS now", "peak RSS", "Python blocks")]
    rows += [(str(m.open_cases), mib(m.rss), mib(m.peak), f"{m.blocks:,}") for m in found]
    print_table(rows)
    small, big = found[-2], found[-1]
    extra = max(big.open_cases - small.open_cases, 1)
    per_case = (big.blocks - small.blocks) / extra
    print(
        f"  from {small.open_cases} to {big.open_cases} open cases: RSS {_signed_mib(big.rss - small.rss)}, "
        f"peak {_signed_mib(big.peak - small.peak)}, {per_case:+.2f} Python blocks per extra case"
    )
    if extra < MEMORY_MIN_EXTRA:
        print(f"  verdict: too few cases to tell caches warming from cases kept (use --cases {MEMORY_MIN_EXTRA // 2})")
        return
    flat = per_case < HELD_CASE_BLOCKS / 5
    print(
        f"  verdict: {'flat' if flat else 'GROWS with the open cases'} (flat means under {HELD_CASE_BLOCKS // 5} "
        f"blocks per extra case; a Case the service kept would cost about {HELD_CASE_BLOCKS})"
    )


def _signed_mib(n: float) -> str:
    return ("+" if n >= 0 else "-") + mib(abs(n))


def report_cli(cli: tuple[float, float], base: tuple[float, float], action: str, imports: list[str]) -> None:
    ratio, cpu_ratio = cli[0] / base[0], cli[1] / base[1]
    print(f"\n4. CLI step in a fresh process (median of {CLI_RUNS}, taking turns, after one untimed run each)")
    print_table(
        [
            ("", "wall s", "cpu s"),
            (f"rutin --db DB --as {ACTOR} case do ID {action}", f"{cli[0]:.3f}", f"{cli[1]:.3f}"),
            ('python -c "import sqlalchemy"', f"{base[0]:.3f}", f"{base[1]:.3f}"),
        ]
    )
    print(
        f"  ratio {ratio:.2f} (target <= {CLI_TARGET}): {verdict(ratio <= CLI_TARGET)}  (by CPU time: {cpu_ratio:.2f})"
    )
    if ratio > CLI_TARGET:
        print("  slowest imports of the CLI step (cumulative, python -X importtime):")
        for line in imports:
            print("   " + line)


# -- main -------------------------------------------------------------------------------------------


def run(n: int, rutin_db: Path, profile: bool = False) -> None:
    if not rutin_db.parent.is_dir():
        raise SystemExit(f"{rutin_db.parent} is not a folder; give --db a file in an existing folder")
    for path in (rutin_db, *_sibling_paths(rutin_db)):
        if path.exists():
            raise SystemExit(f"{path} exists; give --db a path that does not")
    plain_db, memory_db = _sibling_paths(rutin_db)
    print(f"Rutin bench: {n} cases, databases beside {rutin_db} (python {sys.version.split()[0]})")

    rig = build_rig(rutin_db, "B")
    rutin_settings = durability(rig)
    plan = plan_route(rig)
    profiler = cProfile.Profile() if profile else None
    run_, ids = drive(rig, plan, n, profiler)
    written = count_events(rutin_db, ids)
    if written != n * (len(plan) + 1):
        raise RuntimeError(f"expected {n * (len(plan) + 1)} events for the bench cases, found {written}")
    rig.close()
    waits = {m.step for m in plan if m.kind == "wait"}
    steps, case_data, created_at = template_steps(rutin_db, ids[0], waits, run_.sample_wait)
    kinds = [m.kind for m in plan]  # one event per move: step i of the template is plan move i
    plain, plain_settings = best_baseline(rutin_db, plain_db, steps, kinds, case_data, created_at, n)
    report_steps(run_, plain, row_sizes(rutin_db, ids), n, plan, (rutin_settings, plain_settings))
    if profiler is not None:
        print_profile(profiler)

    report_memory(memory_in_child(n, memory_db))

    second = plan[1]  # the memory phase leaves its cases here, one step done
    cases = open_case_ids(memory_db, second.step, CLI_RUNS + 2)
    cli, base = paired_medians(
        lambda i: cli_command(memory_db, cases[i], second.action),
        lambda _: [sys.executable, "-c", "import sqlalchemy"],
        CLI_RUNS,
    )
    slow = cli[0] / base[0] > CLI_TARGET
    imports = import_profile(memory_db, cases[CLI_RUNS + 1], second.action) if slow else []
    report_cli(cli, base, second.action, imports)


def _sibling_paths(rutin_db: Path) -> tuple[Path, Path]:
    return (
        rutin_db.with_name(rutin_db.stem + "-sqlite3" + rutin_db.suffix),
        rutin_db.with_name(rutin_db.stem + "-memory" + rutin_db.suffix),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=300, help="how many cases to drive (default 300)")
    parser.add_argument("--db", type=Path, help="the Rutin database file to create (default: in a temp folder)")
    parser.add_argument(
        "--profile", action="store_true", help="also print where the person steps spend their time (cProfile)"
    )
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cases < 2:
        parser.error("--cases must be at least 2 (the CLI timing steps 7 of the 3N+1 cases left open)")
    if args.memory_child:
        memory_child(args.cases, args.db)
        return
    began = time.perf_counter()
    if args.db is not None:
        run(args.cases, args.db.expanduser().resolve(), args.profile)
    else:
        with tempfile.TemporaryDirectory(prefix="rutin-bench-") as folder:
            run(args.cases, Path(folder) / "rutin.db", args.profile)
    print(f"\n(whole run {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
