"""One `StoreFallbackLog.state()` call on a 'system' stream of 200,000 events: folding it all vs reading on.

Run `.venv/bin/python bench/fallback_log.py [--events 200000] [--fallback 60] [--db PATH]`. It fills the system
stream of a new SQLite database in bulk (sealed, hash-chained events, as the store writes them) with the events
a year brings (users saved, refused starts, passwords set, sign-ins) and, spread among them, a registry failing,
answering, handed to a person and back, for BER and ED, ending with BER handed over. Then, in one run, it times:

- the full fold: every event of the stream read and folded, as `state()` did before (kept below as reference);
- the incremental log's first call in a process: only the fallback's events transferred, from the start;
- a steady call: nothing new since the last call, the sweep's usual case;
- a call after another process recorded a change (and other events were added in between).

Each figure is the fastest of `--repeat` calls (fresh logs for the first-call row), in milliseconds, with how many
events each call brought out of the database, and checks that every call told the state the full fold tells. It
also prints what an index on events (stream, kind, seq) would make of the first call, built in this temporary
database only (the schema is the migrations'; this is the figure to decide whether a migration should add it).
It is a script, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any folder, installed or not

from sqlalchemy import insert, text, update  # noqa: E402

from adapters.fallback import (  # noqa: E402
    ANSWERED,
    ENGAGED,
    FAILING,
    RESTORED,
    FallbackState,
    StoreFallbackLog,
    fold,
)
from adapters.sql.database import ensure_schema, open_engine  # noqa: E402
from adapters.sql.rows import event_row  # noqa: E402
from adapters.sql.store import SqlCaseStore  # noqa: E402
from adapters.sql.tables import events, streams  # noqa: E402
from bench.report import print_table, verdict  # noqa: E402
from engine.access import WORKER  # noqa: E402
from engine.history import GENESIS, seal  # noqa: E402
from engine.ports import SystemEvents  # noqa: E402

T0 = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)
SYSTEMS = ("BER", "ED")
TARGET_RATIO = 100  # a steady call should cost at most a hundredth of the full fold


def state_by_full_fold(store: SqlCaseStore, system: str) -> FallbackState:
    """The reference: `StoreFallbackLog.state` before it read incrementally."""
    return fold(system, ((e.kind, str(e.data.get("system")), e.at) for e in store.events("system")))


class Counting:
    """The store's system-stream port, counting the events each read brings out of the database."""

    def __init__(self, store: SqlCaseStore) -> None:
        self.store = store
        self.transferred = 0

    def system_events_after(self, seq: int, kinds: Collection[str]) -> SystemEvents:
        read = self.store.system_events_after(seq, kinds)
        self.transferred += len(read.events)
        return read

    def append_system_event(self, actor: str, at: datetime, kind: str, data: Any) -> None:
        self.store.append_system_event(actor, at, kind, data)


def unrelated(i: int) -> tuple[str, str, dict[str, Any]]:
    """The i-th of the events a year of use adds to the system stream (actor, kind, data)."""
    user = f"handl{i % 400:03d}"
    match i % 4:
        case 0:
            roles, tasks = ["Vux intern anordnare Sthlm"], ["Betygsadministratör"]
            data = {"name": user, "display_name": f"Handläggare {i % 400}", "roles": roles, "tasks": tasks}
            return "admin", "user_saved", data
        case 1:
            return user, "start_refused", {"procedure": "avregistrering-betyg", "reason": "saknar behörighet"}
        case 2:
            return "admin", "password_set", {"user": user}
        case _:
            return user, "signed_in", {"user": user, "method": "password", "system": "BER"}  # a `system` field too


def fallback_cycle(n: int) -> list[tuple[str, str]]:
    """n fallback events as (kind, system): failing and answering, or handed over and back; BER ends handed over."""
    cycle = [(FAILING, "BER"), (ANSWERED, "BER"), (FAILING, "ED"), (ENGAGED, "ED"), (RESTORED, "ED")]
    planned = [cycle[i % len(cycle)] for i in range(max(n - 2, 0))]
    return [*planned, (FAILING, "BER"), (ENGAGED, "BER")]


def fill(store: SqlCaseStore, n_events: int, n_fallback: int) -> None:
    """The stream written in bulk, in one transaction: sealed as append_system_event seals it, far faster."""
    planned = fallback_cycle(n_fallback)
    gap = n_events // (len(planned) + 1)
    places = {(k + 1) * gap + k: step for k, step in enumerate(planned)}  # evenly spread, in order
    rows: list[dict[str, Any]] = []
    prev, seq, at = GENESIS, 0, T0
    for i in range(n_events + len(planned)):
        at += timedelta(seconds=150)
        if (step := places.get(i)) is not None:
            kind, system = step
            e = seal("system", seq + 1, at, WORKER, kind, prev_hash=prev, data={"system": system, "reason": "bench"})
        else:
            actor, kind, data = unrelated(i)
            e = seal("system", seq + 1, at, actor, kind, prev_hash=prev, data=data)
        rows.append(event_row(e))
        prev, seq = e.hash, e.seq
    with store.engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(events), rows[start : start + 10_000])
        conn.execute(update(streams).where(streams.c.id == "system").values(version=seq, head_hash=prev))


def fastest(repeat: int, call: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - start)
    return best * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="unrelated events in the system stream")
    parser.add_argument("--fallback", type=int, default=60, help="fallback events spread among them (at least 2)")
    parser.add_argument("--repeat", type=int, default=5, help="calls per figure; the fastest is shown")
    parser.add_argument("--db", type=Path, help="keep the database here (a new file in an existing folder)")
    args = parser.parse_args()
    if args.events < 0 or args.fallback < 2 or args.repeat < 1:
        parser.error("--events must be 0 or more, --fallback at least 2 (BER failing, then handed over), --repeat 1+")
    if args.db is not None and (args.db.exists() or not args.db.parent.is_dir()):
        parser.error(f"--db {args.db}: give a new file in an existing folder (this script never overwrites)")
    with tempfile.TemporaryDirectory() as tmp:
        return run(args.db or Path(tmp) / "rutin.db", args.events, args.fallback, args.repeat)


def run(path: Path, n_events: int, n_fallback: int, repeat: int) -> int:
    engine = open_engine(f"sqlite:///{path}")
    ensure_schema(engine)
    store = SqlCaseStore(engine)
    start = time.perf_counter()
    fill(store, n_events, n_fallback)
    built = time.perf_counter() - start
    total = store.stream_head("system")
    print(f"system stream: {total[0] if total else 0:,} events ({n_fallback} of the fallback), built in {built:.1f} s")
    print()

    expected = {s: state_by_full_fold(store, s) for s in SYSTEMS}
    full_ms, full_state = fastest(repeat, lambda: state_by_full_fold(store, "BER"))
    n_all = total[0] if total else 0

    def first_call() -> tuple[FallbackState, int]:
        counting = Counting(store)
        return StoreFallbackLog(counting).state("BER"), counting.transferred

    first_ms, (first_state, first_n) = fastest(repeat, first_call)

    counting = Counting(store)
    log = StoreFallbackLog(counting)
    log.state("BER")
    before = counting.transferred
    steady_ms, steady_state = fastest(repeat, lambda: log.state("BER"))
    steady_n = counting.transferred - before

    # another process: some sign-ins, then ED fails (each call after its own append, so repeat appends)
    other_engine = open_engine(f"sqlite:///{path}")
    other = StoreFallbackLog(SqlCaseStore(other_engine))
    new_ms = float("inf")
    for i in range(repeat):
        for j in range(20):
            actor, kind, data = unrelated(j)
            store.append_system_event(actor, T0 + timedelta(days=400, minutes=i), kind, data)
        other.record_failing("ED", T0 + timedelta(days=400, minutes=i), "HTTP 503")
        other.record_answered("ED", T0 + timedelta(days=400, minutes=i, seconds=30), "answers again")
        before = counting.transferred
        start = time.perf_counter()
        log.state("ED")
        new_ms = min(new_ms, (time.perf_counter() - start) * 1000)
    new_n = counting.transferred - before
    after_states = {s: log.state(s) for s in SYSTEMS}
    after_expected = {s: state_by_full_fold(store, s) for s in SYSTEMS}
    other_engine.dispose()

    with engine.begin() as conn:  # a what-if, in this temporary database only
        conn.execute(text("CREATE INDEX ix_bench_events_kind ON events (stream, kind, seq)"))
    indexed_ms, (indexed_state, _) = fastest(repeat, first_call)

    def row(name: str, ms: float, n: int) -> tuple[str, str, str, str]:
        return (name, f"{ms:.2f}", f"{n:,}", f"{full_ms / ms:,.0f}x" if ms else "-")

    print_table(
        [
            ("one state() call", "ms", "events transferred", "faster than full fold"),
            ("full fold (before)", f"{full_ms:.2f}", f"{n_all:,}", "1x"),
            row("incremental, first call in a process", first_ms, first_n),
            row("incremental, nothing new (steady)", steady_ms, steady_n),
            row("incremental, after another process wrote", new_ms, new_n),
            row("first call, with an index (stream, kind, seq)", indexed_ms, first_n),
        ]
    )
    same = (
        full_state == first_state == steady_state == indexed_state == expected["BER"]
        and expected["BER"].engaged
        and after_states == after_expected
    )
    print()
    print(f"same state as the full fold at every call: {verdict(same, 'yes')} (BER engaged: {expected['BER'].engaged})")
    ratio = full_ms / steady_ms if steady_ms else float("inf")
    met = verdict(ratio >= TARGET_RATIO)
    print(f"steady call at least {TARGET_RATIO}x faster than the full fold ({ratio:,.0f}x): {met}")
    engine.dispose()
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
