"""One worker sweep over 100,000 open cases with 20,000 waiting, and the worker's memory at 10,000 and 100,000.

Run `.venv/bin/python bench/sweep.py [--open 100000] [--waiting 20000] [--db PATH] [--profile]`. It builds a
SQLite database of grade-revocation cases (200 real ones through the application layer, cloned in bulk with
SQL), then times the real `engine.sweep.sweep` in a fresh process for each case: a quarter of the waits due
(a sweep every 30 s over checks every 2 minutes), none due, and all due (after a worker outage); and measures
the peak memory of those processes at 10,000 and 100,000 open cases. It prints figures and asserts nothing
about time: it is a script, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import inspect
import io
import json
import pstats
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any folder, installed or not

import engine.sweep as sweep_module  # noqa: E402
from adapters.clock import FixedClock  # noqa: E402
from adapters.procedure_folder import ProcedureFolder  # noqa: E402
from adapters.sandbox import SandboxAdapter  # noqa: E402
from adapters.sql.database import ensure_schema, open_engine  # noqa: E402
from adapters.sql.store import SqlCaseStore, iso  # noqa: E402
from bench.memory import rss_now, rss_peak  # noqa: E402
from bench.report import mib as report_mib  # noqa: E402
from bench.report import opened as _opened  # noqa: E402
from bench.report import print_table  # noqa: E402
from bench.report import verdict as _verdict  # noqa: E402
from engine.access import User  # noqa: E402
from engine.personnummer import luhn_check_digit  # noqa: E402
from engine.service import Rutin  # noqa: E402
from engine.sweep import SweepReport, sweep  # noqa: E402
from engine.systems import Systems  # noqa: E402

PROCEDURE = "avregistrering-betyg"
WAIT_STEP = "ber_vanta_borttaget"  # the first BER wait: "Vänta tills betyget har försvunnit från BER"
TO_THE_WAIT: tuple[tuple[str, dict[str, str]], ...] = (
    ("ed_sok_elev", {}),
    ("ed_las_upp", {}),
    ("ed_beslutad_av", {"beslutande_larare": "Karin Lind"}),
    ("ed_spara", {}),
    ("ed_bekrafta", {}),
)
REASONS = ("fel_betygsgrupp", "ej_last", "fel_kurs")
ACTOR = "anna"
ROLES = ("Vux intern anordnare Sthlm",)
TASKS = ("Betygsadministratör",)
OWNER = "bench-worker"
T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
TEMPLATES = 200  # real cases made through the service; every other row is a copy of one of them
WAIT_AGES = timedelta(minutes=17)  # waits started over this span: ages 0..17 min at the sweep
NOW = T0 + WAIT_AGES  # the sweeps' clock: BER drops a grade 15 min after ED, so about 1 due check in 8 succeeds
CHECK_EVERY = timedelta(minutes=2)  # the wait's check_every
INTERVAL = timedelta(seconds=30)  # `rutin worker --interval` default
LIMIT = int(inspect.signature(sweep).parameters["limit"].default)  # the sweep's default batch
WARM_UP = 5  # due cases a first sweep (limit 5) handles before the timed ones, so that caches are warm
MEMORY_OPEN = 10_000  # the small database of the memory comparison
MEMORY_SWEEPS = 2  # sweeps of LIMIT due cases compared between the two sizes
TARGET_SWEEP_S = 1.0
TARGET_MEMORY_MIB = 60.0
ABOUT = 1.10  # "about 60 MB": at most 10% above
FLAT_MIB = 5.0  # "flat": peak RSS within this of each other at 10,000 and 100,000 open cases
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # the service's id alphabet (engine/service.py)


def opened(path: Path) -> AbstractContextManager[sqlite3.Connection]:
    return _opened(path, autocommit=True)


def mib(n: float) -> str:
    return report_mib(n, 1)


def verdict(ok: bool) -> str:
    return _verdict(ok, "MET")


# -- the database ---------------------------------------------------------------------------------


def case_id(i: int) -> str:
    """R- and 8 characters, as `random_case_id` makes them, but counted: R-22222222, R-22222223, ..."""
    chars = []
    for _ in range(8):
        i, digit = divmod(i, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "R-" + "".join(reversed(chars))


def personnummer(i: int) -> str:
    """A distinct valid personnummer for template i, so that no two templates share a sandbox fact."""
    born = date(1960, 1, 1) + timedelta(days=i // 900)
    nine = f"{born:%y%m%d}{i % 900 + 1:03d}"
    return f"{born:%Y%m%d}-{nine[6:]}{luhn_check_digit(nine)}"


def inputs(i: int) -> dict[str, str]:
    reason = REASONS[i % len(REASONS)]
    given = {"personnummer": personnummer(i), "orsak": reason, "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"}
    if reason != "ej_last":
        given["ny_betygsgrupp"] = "MA1B-HT24"
    if reason == "fel_kurs":
        given["ny_kurskod"] = "MATMAT01b"
    return given


def open_service(path: Path, now: datetime) -> tuple[Rutin, FixedClock]:
    """The worker's composition (cli.build_service with the sandbox), on a clock the bench moves."""
    engine = open_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    clock = FixedClock(now)
    counter = iter(range(10**9))
    service = Rutin(
        SqlCaseStore(engine),
        ProcedureFolder(ROOT / "procedures"),
        Systems(SandboxAdapter(engine)),
        clock,
        new_id=lambda: case_id(next(counter)),
    )
    return service, clock


def close(service: Rutin) -> None:
    store = service.store
    assert isinstance(store, SqlCaseStore)
    store.engine.dispose()  # also gives back the fast path's held connection


@dataclass
class Built:
    open: int
    waiting: int
    templates_s: float = 0.0
    clone_s: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    megabytes: float = 0.0


def build(path: Path, open_n: int, waiting_n: int) -> Built:
    """TEMPLATES real cases through the service, then copies of their rows up to `open_n` cases."""
    built = Built(open_n, waiting_n)
    began = time.perf_counter()
    waiting_t = min(waiting_n, max(1, round(TEMPLATES * waiting_n / open_n))) if waiting_n else 0
    other_t = min(open_n - waiting_n, TEMPLATES - waiting_t)
    service, clock = open_service(path, T0)
    service.save_user(User("admin", admin=True), "admin")
    service.save_user(User(ACTOR, ROLES, TASKS, "Anna Berg", "anna@example.se"), "admin")
    others = [_template(service, i, steps=i % len(TO_THE_WAIT)) for i in range(other_t)]
    waits = []
    for j in range(waiting_t):  # each wait starts at its own moment, so that their ages spread over WAIT_AGES
        clock.set(T0 + WAIT_AGES * j / waiting_t)
        waits.append(_template(service, other_t + j, steps=len(TO_THE_WAIT)))
    clock.set(NOW)
    while service.dispatch():  # marks the simulated actions done (500 a call), as the worker's sweeps would have
        pass
    close(service)
    built.templates_s = time.perf_counter() - began
    began = time.perf_counter()
    clone(path, waits, waiting_n, other_t + waiting_t)
    clone(path, others, open_n - waiting_n, other_t + waiting_t + waiting_n)
    with opened(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for table in ("cases", "streams", "events", "outbox", "sandbox_facts"):
            built.rows[table] = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        found = dict(conn.execute("SELECT status, count(*) FROM cases GROUP BY status").fetchall())
        at_wait = conn.execute("SELECT count(*) FROM cases WHERE state = ?", (WAIT_STEP,)).fetchone()[0]
    built.clone_s = time.perf_counter() - began
    built.megabytes = path.stat().st_size / 2**20
    if found.get("waiting", 0) != waiting_n or at_wait != waiting_n or sum(found.values()) != open_n:
        raise RuntimeError(f"expected {open_n} open cases, {waiting_n} waiting at {WAIT_STEP}; found {found}")
    return built


def _template(service: Rutin, i: int, steps: int) -> str:
    view = service.start(PROCEDURE, inputs(i), ACTOR)
    for action, fields in TO_THE_WAIT[:steps]:
        service.do(view.id, action, fields, ACTOR)
    return view.id


def clone(path: Path, templates: Sequence[str], count: int, first: int) -> None:
    """Copy the templates' rows (case, stream, events, outbox) round-robin until there are `count` cases.

    A copy gets a new id of the service's shape and keeps everything else, so its rows have the sizes and
    values of a real case; its event hashes are the template's (they chain over the stream id), which no
    sweep reads. Copies share their template's personnummer, hence its sandbox facts.
    """
    copies = [(templates[k % len(templates)], case_id(first + k)) for k in range(count - len(templates))]
    if not copies:
        return
    with opened(path) as conn:
        conn.execute("CREATE TEMP TABLE copies (template TEXT NOT NULL, id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO copies VALUES (?, ?)", copies)
        conn.execute("BEGIN")
        _copy_rows(conn, "streams", "id")
        _copy_rows(conn, "cases", "id")
        _copy_rows(conn, "events", "stream")
        _copy_rows(conn, "outbox", "case_id", renamed=("key", "payload"), skip=("id",))
        conn.execute("COMMIT")


def _copy_rows(
    conn: sqlite3.Connection, table: str, key: str, renamed: Sequence[str] = (), skip: Sequence[str] = ()
) -> None:
    names = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
    picked = ["c.id" if n == key else f"replace(t.{n}, c.template, c.id)" if n in renamed else f"t.{n}" for n in names]
    conn.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(picked)} "
        f"FROM copies c JOIN {table} t ON t.{key} = c.template"
    )


def spread(path: Path, first: timedelta, last: timedelta, seed: int = 1) -> int:
    """Move the waiting cases' next checks evenly over [NOW+first, NOW+last), in random order; return how many
    are due at NOW. A sweep every 30 s over checks every 2 minutes sees a quarter of them: -30 s .. +90 s."""
    with opened(path) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM cases WHERE status = 'waiting' ORDER BY id")]
        random.Random(seed).shuffle(ids)
        n = len(ids)
        moments = [NOW + first + (last - first) * (k + 0.5) / n for k in range(n)]
        conn.execute("BEGIN")
        conn.executemany(
            "UPDATE cases SET wait = json_set(wait, '$.next_check_at', ?1), due_at = ?1, lease_owner = NULL, "
            "lease_until = NULL WHERE id = ?2",
            [(iso(m), i) for m, i in zip(moments, ids, strict=True)],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(1 for m in moments if m <= NOW)


# -- one scenario, in a fresh process -------------------------------------------------------------


@dataclass
class Swept:
    checked: int
    advanced: int
    asked_person: int
    errors: int
    wall: float
    cpu: float


@dataclass
class Scenario:
    """What a child process measured: its sweeps, its memory, and any breakdown or profile it was asked for."""

    due: int = 0
    warm_up: Swept | None = None
    sweeps: list[Swept] = field(default_factory=list)
    rss_open: int = 0  # resident bytes after imports and opening the database, before any sweep
    peak_compared: int = 0  # peak resident bytes after MEMORY_SWEEPS timed sweeps
    peak_end: int = 0
    blocks_open: int = 0  # sys.getallocatedblocks() after a collection, at the same moments
    blocks_end: int = 0
    breakdown: dict[str, float] = field(default_factory=dict)  # seconds per part of the first timed sweep
    profile: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scenario:
        found = cls(**{k: v for k, v in data.items() if k not in ("warm_up", "sweeps")})
        found.warm_up = Swept(**data["warm_up"]) if data["warm_up"] else None
        found.sweeps = [Swept(**s) for s in data["sweeps"]]
        return found

    @property
    def timed(self) -> list[Swept]:
        """The sweeps that did work, or the one that found nothing when none did."""
        busy = [s for s in self.sweeps if s.checked]
        return busy or self.sweeps[:1]


def run_scenario(db: Path, *, breakdown: bool, profile: bool, max_sweeps: int) -> Scenario:
    """Open the database as a worker does, warm up, then sweep at NOW until a sweep checks fewer than LIMIT."""
    import apscheduler.schedulers.blocking  # noqa: F401  # what `rutin worker` loads, so its memory counts

    import cli  # noqa: F401
    import worker.loop  # noqa: F401

    service, _ = open_service(db, NOW)
    found = Scenario(rss_open=rss_now(), blocks_open=blocks())
    with opened(db) as conn:
        found.due = int(conn.execute("SELECT count(*) FROM cases WHERE due_at <= ?", (iso(NOW),)).fetchone()[0])
    found.warm_up = timed_sweep(service, WARM_UP)
    parts: dict[str, float] = defaultdict(float)
    restore = instrument(service, parts) if breakdown else None
    profiler = cProfile.Profile() if profile else None
    for k in range(max_sweeps):
        if profiler is not None and k == 0:
            profiler.enable()
        found.sweeps.append(timed_sweep(service, LIMIT))
        if profiler is not None and k == 0:
            profiler.disable()
            found.profile = profile_lines(profiler, found.sweeps[0].checked)
        if restore is not None and k == 0:
            restore()
            found.breakdown = dict(parts)
            found.breakdown["whole sweep"] = found.sweeps[0].wall
        if k + 1 == MEMORY_SWEEPS:
            found.peak_compared = rss_peak()
        if found.sweeps[-1].checked < LIMIT or breakdown or profile:
            break
    found.peak_compared = found.peak_compared or rss_peak()
    found.peak_end, found.blocks_end = rss_peak(), blocks()
    close(service)
    return found


def timed_sweep(service: Rutin, limit: int) -> Swept:
    began, cpu = time.perf_counter(), time.process_time()
    report: SweepReport = sweep(service, limit=limit, owner=OWNER)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    if report.errors:
        raise RuntimeError(f"the sweep reported errors: {report.errors[:3]}")
    return Swept(report.checked, len(report.advanced), len(report.asked_person), len(report.errors), wall, cpu)


def instrument(service: Rutin, parts: dict[str, float]) -> Callable[[], None]:
    """Time the sweep's calls into the store, the adapter and `advance` (wrappers on instances and the module)."""
    store = service.store
    adapter = service.systems.adapter_for("BER")
    wrapped: list[tuple[Any, str, Any]] = []
    targets = [
        (service, "dispatch", "dispatch (pending simulated actions)"),
        (store, "claim_due_cases", "claim_due_cases (1 query + 1 update)"),
        (store, "load_case", "load_case (per case)"),
        (adapter, "ask", "adapter.ask (per case)"),
        (store, "update_wait", "update_wait (per 'not yet')"),
        (store, "commit", "commit (per case advanced)"),
        (sweep_module, "advance", "advance (per case advanced)"),
        (store, "claim_due_timers", "claim_due_timers"),
    ]
    for owner, name, label in targets:
        original = getattr(owner, name)
        wrapped.append((owner, name, original))
        setattr(owner, name, _timer(original, label, parts))

    def restore() -> None:
        for owner, name, original in wrapped:
            if owner is sweep_module:
                setattr(owner, name, original)
            else:
                delattr(owner, name)  # back to the class's method

    return restore


def _timer(function: Callable[..., Any], label: str, parts: dict[str, float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            parts[label] += time.perf_counter() - began

    return timed


def profile_lines(profiler: cProfile.Profile, checked: int, top: int = 22) -> list[str]:
    """cProfile's heaviest functions by own time, in microseconds per checked case."""
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (file, line, name), (_, calls, own, total, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}({name})" if line else name
        rows.append((own, total, calls, where))
    rows.sort(reverse=True)
    per = max(checked, 1) / 1e6
    lines = [f"{'own µs/case':>11}  {'cum µs/case':>11}  {'calls/case':>10}  function"]
    lines += [
        f"{own / per:11.1f}  {total / per:11.1f}  {calls / max(checked, 1):10.2f}  {w}"
        for own, total, calls, w in rows[:top]
    ]
    heavy = sorted(rows, key=lambda r: r[1], reverse=True)
    lines += ["", "by cumulative time:"]
    lines += [
        f"{own / per:11.1f}  {total / per:11.1f}  {calls / max(checked, 1):10.2f}  {w}"
        for own, total, calls, w in heavy[:top]
    ]
    return lines


def blocks() -> int:
    gc.collect()
    return sys.getallocatedblocks()


def scenario_in_child(db: Path, *, breakdown: bool = False, profile: bool = False, max_sweeps: int = 200) -> Scenario:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", "--db", str(db), "--max-sweeps", str(max_sweeps)]
    argv += ["--breakdown"] if breakdown else []
    argv += ["--profile"] if profile else []
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"a sweep process failed ({done.returncode}): {done.stderr.strip()[-800:]}")
    return Scenario.from_json(json.loads(done.stdout.splitlines()[-1]))


# -- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueSpread:
    name: str
    first: timedelta  # the waiting cases' next checks spread over [NOW+first, NOW+last)
    last: timedelta


QUARTER = DueSpread("(a) 1/4 of the waits due", -INTERVAL, CHECK_EVERY - INTERVAL)
NONE = DueSpread("(b) none due", timedelta(0), CHECK_EVERY)
ALL = DueSpread("(c) all due (after an outage)", -CHECK_EVERY, timedelta(0))


def fresh_copy(base: Path, work: Path, case: DueSpread) -> int:
    shutil.copyfile(base, work)
    return spread(work, case.first, case.last)


def siblings(base: Path) -> tuple[Path, Path]:
    """The small database of the memory comparison, and the copy each sweep process works on (then deleted)."""
    return (
        base.with_name(f"{base.stem}-{MEMORY_OPEN}{base.suffix}"),
        base.with_name(f"{base.stem}-work{base.suffix}"),
    )


def run(open_n: int, waiting_n: int, base: Path, profile: bool) -> None:
    print(
        f"Rutin sweep bench: {open_n:,} open cases, {waiting_n:,} waiting at {WAIT_STEP} "
        f"(python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version})"
    )
    small, work = siblings(base)
    built = build(base, open_n, waiting_n)
    report_build(built)
    results: list[tuple[DueSpread, int, Scenario]] = []
    for case in (QUARTER, NONE, ALL):
        due = fresh_copy(base, work, case)
        results.append((case, due, scenario_in_child(work)))
    fresh_copy(base, work, QUARTER)
    parts = scenario_in_child(work, breakdown=True)
    profiled = None
    if profile:
        fresh_copy(base, work, QUARTER)
        profiled = scenario_in_child(work, profile=True)
    small_n = min(MEMORY_OPEN, open_n)
    small_built = build(small, small_n, round(waiting_n * small_n / open_n))
    fresh_copy(small, work, ALL)
    memory_small = scenario_in_child(work, max_sweeps=MEMORY_SWEEPS)
    work.unlink()
    report_sweeps(results, waiting_n)
    report_memory([(small_built.open, memory_small), (open_n, results[2][2])])
    report_breakdown(parts)
    if profiled is not None:
        print(f"\ncProfile of one sweep of case (a), {profiled.sweeps[0].checked} cases checked (slowed by it):")
        for line in profiled.profile:
            print("  " + line)
    report_targets(results, [(small_built.open, memory_small), (open_n, results[2][2])], waiting_n)


# -- the report -----------------------------------------------------------------------------------


def report_build(built: Built) -> None:
    rows = ", ".join(f"{n:,} {t}" for t, n in built.rows.items())
    print(
        f"\nSetup: {TEMPLATES} cases through Rutin.start/do ({built.templates_s:.1f} s; waits started over "
        f"{WAIT_AGES.seconds // 60} min), then their rows copied with INSERT ... SELECT ({built.clone_s:.1f} s)"
    )
    print(f"  {rows}; {built.megabytes:.0f} MiB")


def report_sweeps(results: list[tuple[DueSpread, int, Scenario]], waiting_n: int) -> None:
    print(
        f"\n1. Sweeps at {iso(NOW)[:19]} (FixedClock, owner={OWNER!r}, limit={LIMIT} = the sweep's default), each "
        f"case in a fresh process after a warm-up sweep of {WARM_UP}; until a sweep checks fewer than {LIMIT}"
    )
    rows = [("", "due", "sweeps", "checked", "advanced", "s/sweep", "max s", "cpu s/sweep", "checks/s", "checks/cpu-s")]
    for case, due, s in results:
        timed = s.timed
        checked = sum(t.checked for t in timed)
        wall, cpu = sum(t.wall for t in timed), sum(t.cpu for t in timed)
        full = [t for t in timed if t.checked == LIMIT] or timed
        rows.append(
            (
                case.name,
                f"{due:,}",
                str(len(timed)),
                f"{checked:,}",
                f"{sum(t.advanced for t in timed):,}",
                f"{statistics.median(t.wall for t in full):.3f}",
                f"{max(t.wall for t in timed):.3f}",
                f"{statistics.median(t.cpu for t in full):.3f}",
                f"{checked / wall:,.0f}" if checked else "-",
                f"{checked / cpu:,.0f}" if checked and cpu else "-",
            )
        )
    print_table(rows)
    print("  s/sweep and cpu s/sweep: median of the sweeps that checked a full batch (all of them when none did)")
    for case, _, s in results:
        if s.warm_up is not None:
            print(f"  {case.name}: first (cold) sweep of {s.warm_up.checked} cases {s.warm_up.wall:.3f} s")
    demand = waiting_n * INTERVAL / CHECK_EVERY
    print(
        f"  one sweep handles at most {LIMIT} due cases; {waiting_n:,} waits checked every "
        f"{CHECK_EVERY.seconds // 60} min make {demand:,.0f} due per {INTERVAL.seconds} s interval"
    )


def report_memory(found: list[tuple[int, Scenario]]) -> None:
    print(
        "\n2. The worker's memory: a fresh process imports cli, worker.loop and APScheduler, opens the database, "
        "sweeps with all waits due"
    )
    rows = [("open cases", "RSS after open", f"peak after {MEMORY_SWEEPS} sweeps", "peak at end", "sweeps", "blocks")]
    for n, s in found:
        blocks_text = f"{s.blocks_open:,} -> {s.blocks_end:,}"
        rows.append((f"{n:,}", mib(s.rss_open), mib(s.peak_compared), mib(s.peak_end), str(len(s.sweeps)), blocks_text))
    print_table(rows)


def report_breakdown(s: Scenario) -> None:
    first = s.sweeps[0]
    print(
        f"\n3. Where one sweep of case (a) goes: {first.checked} checked, {first.advanced} advanced "
        "(timers around the calls)"
    )
    whole = s.breakdown.get("whole sweep", first.wall)
    rows = [("", "ms", "share", "µs per checked case")]
    inside = 0.0
    for label, seconds in sorted(s.breakdown.items(), key=lambda kv: -kv[1]):
        if label == "whole sweep":
            continue
        if not label.startswith("advance"):  # advance runs inside nothing else timed here; commit neither
            inside += seconds
        rows.append(
            (label, f"{seconds * 1000:.1f}", f"{seconds / whole:.0%}", f"{seconds / max(first.checked, 1) * 1e6:.0f}")
        )
    rest = whole - inside - s.breakdown.get("advance (per case advanced)", 0.0)
    rows.append(
        (
            "the rest (sweep logic, pinned, replace, ...)",
            f"{rest * 1000:.1f}",
            f"{rest / whole:.0%}",
            f"{rest / max(first.checked, 1) * 1e6:.0f}",
        )
    )
    rows.append(("whole sweep", f"{whole * 1000:.1f}", "100%", f"{whole / max(first.checked, 1) * 1e6:.0f}"))
    print_table(rows)


def report_targets(
    results: list[tuple[DueSpread, int, Scenario]], memory: list[tuple[int, Scenario]], waiting_n: int
) -> None:
    quarter, none, every = (s for _, _, s in results)
    print("\n4. Against the targets (issue 'The worker')")
    one = max(t.wall for t in quarter.timed)
    idle = max(t.wall for t in none.timed)
    worst = max(t.wall for t in every.timed)
    (small_n, small), (big_n, big) = memory
    grows = big.peak_compared - small.peak_compared
    drain = len(every.timed)
    rows = [("", "measured", "target", "")]
    rows.append(("(a) one sweep, 1/4 due", f"{one:.2f} s", f"< {TARGET_SWEEP_S:g} s", verdict(one < TARGET_SWEEP_S)))
    handled = sum(t.wall for t in quarter.timed)
    rows.append(
        (
            f"(a) all {quarter.due:,} due handled",
            f"{handled:.2f} s in {len(quarter.timed)} sweeps",
            f"< {TARGET_SWEEP_S:g} s",
            verdict(handled < TARGET_SWEEP_S),
        )
    )
    rows.append(("(b) one sweep, none due", f"{idle:.3f} s", f"< {TARGET_SWEEP_S:g} s", verdict(idle < TARGET_SWEEP_S)))
    rows.append(
        (
            "(c) each sweep, all due",
            f"{worst:.2f} s (max of {drain})",
            f"< {TARGET_SWEEP_S:g} s",
            verdict(worst < TARGET_SWEEP_S),
        )
    )
    rows.append(
        (
            f"memory, {small_n:,} -> {big_n:,} open",
            f"{mib(small.peak_compared)} -> {mib(big.peak_compared)}",
            f"flat (within {FLAT_MIB:g} MiB)",
            verdict(abs(grows) <= FLAT_MIB * 2**20),
        )
    )
    rows.append(
        (
            f"memory, peak at {big_n:,} open",
            mib(big.peak_end),
            f"about {TARGET_MEMORY_MIB:g} MiB (<= {TARGET_MEMORY_MIB * ABOUT:.0f})",
            verdict(big.peak_end <= TARGET_MEMORY_MIB * ABOUT * 2**20),
        )
    )
    print_table(rows)
    demand = waiting_n * INTERVAL / CHECK_EVERY
    from worker.loop import BATCH, MAX_BATCHES

    need = -(-every.due // LIMIT)
    per_run = BATCH * MAX_BATCHES
    seconds = sum(t.wall for t in every.timed)
    print(
        f"  limit {LIMIT} (the sweep's default): the {every.due:,} due after an outage take {need} sweeps "
        f"(measured: {drain} after the warm-up), {seconds:.1f} s of sweeping; `rutin worker` sweeps again while a "
        f"sweep took a full batch (up to {MAX_BATCHES} x {BATCH:,} a run), so they go in one run of its sweep job"
    )
    print(
        f"  keeping up: {demand:,.0f} checks come due per {INTERVAL.seconds} s; one run of the sweep job handles up to "
        f"{per_run:,} in about {seconds / max(every.due, 1) * demand:.1f} s: {verdict(demand <= per_run)}"
    )


# -- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--open", type=int, default=100_000, help="open cases (default 100000)")
    parser.add_argument("--waiting", type=int, default=20_000, help="of them waiting at the BER wait (default 20000)")
    parser.add_argument("--db", type=Path, help="the database file to create (default: in a temp folder)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's view of one sweep of case (a)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--breakdown", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-sweeps", type=int, default=200, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        found = run_scenario(args.db, breakdown=args.breakdown, profile=args.profile, max_sweeps=args.max_sweeps)
        print(json.dumps(asdict(found)))
        return
    if not 0 < args.waiting < args.open or args.open < TEMPLATES:
        parser.error(f"give --open at least {TEMPLATES} and 0 < --waiting < --open")
    began = time.perf_counter()
    if args.db is not None:
        path = args.db.expanduser().resolve()
        if not path.parent.is_dir():
            parser.error(f"{path.parent} is not a folder; give --db a file in an existing folder")
        for taken in (path, *siblings(path)):
            if taken.exists():
                parser.error(f"{taken} exists; give --db a path that does not")
        run(args.open, args.waiting, path, args.profile)
    else:
        with tempfile.TemporaryDirectory(prefix="rutin-sweep-") as folder:
            run(args.open, args.waiting, Path(folder) / "rutin.db", args.profile)
    print(f"\n(whole run {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
