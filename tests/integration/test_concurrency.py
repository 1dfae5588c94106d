"""Two (or four) administrators doing the same step of the same case at the same moment, in separate processes.

One succeeds; every other is told plainly that the case has moved on. No update is lost, and SQLite's
"database is locked" never reaches anyone.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_world
from tests.integration.test_grade_revocation import PROC, ROUTES

WORKERS = 4
CASES = 40


def attempt_all(url: str, case_ids: list[str], barrier: Any, results: Any, who: str) -> None:
    """One administrator's process: the first step of every case, each at the same moment as the others."""
    from adapters.procedure_folder import ProcedureFolder
    from adapters.sandbox import SandboxAdapter
    from adapters.sql.database import open_engine
    from adapters.sql.store import SqlCaseStore
    from engine.errors import ActionRefused, StaleCase
    from engine.service import Rutin
    from engine.systems import Systems
    from tests.conftest import PROCEDURES, T0, FixedClock

    engine = open_engine(url)
    service = Rutin(SqlCaseStore(engine), ProcedureFolder(PROCEDURES), Systems(SandboxAdapter(engine)), FixedClock(T0))
    for case_id in case_ids:
        barrier.wait()
        try:
            service.do(case_id, "ed_sok_elev", {}, who)
            results.put((case_id, who, "ok", ""))
        except (ActionRefused, StaleCase) as exc:
            results.put((case_id, who, type(exc).__name__, exc.message))
        except Exception as exc:  # anything else is a failure of the test: report it, never hang the barrier
            results.put((case_id, who, "ERROR", f"{type(exc).__name__}: {exc}"))
    engine.dispose()


@pytest.mark.slow
def test_the_same_step_at_the_same_moment_succeeds_once_and_the_others_are_told_it_moved_on(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    case_ids = [world.service.start(PROC, ROUTES["ej_last"], "anna").id for _ in range(CASES)]
    world.store.engine.dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    people = ["anna", "bo", "anna", "bo"][:WORKERS]
    procs = [
        ctx.Process(target=attempt_all, args=(f"sqlite:///{tmp_path}/rutin.db", case_ids, barrier, results, p))
        for p in people
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in range(WORKERS * CASES)]
    for p in procs:
        p.join(timeout=60)

    errors = [o for o in outcomes if o[2] == "ERROR"]
    assert errors == []
    assert not any("locked" in o[3].lower() for o in outcomes)
    for case_id in case_ids:
        mine = [o for o in outcomes if o[0] == case_id]
        assert [o[2] for o in mine].count("ok") == 1, mine
        for refused in (o for o in mine if o[2] != "ok"):
            assert "moved on" in refused[3], refused
    stale = sum(1 for o in outcomes if o[2] == "StaleCase")
    print(f"{stale} of {WORKERS * CASES - CASES} refusals came from a lost race (StaleCase)")

    from adapters.sql.database import open_engine
    from adapters.sql.store import SqlCaseStore

    store = SqlCaseStore(open_engine(f"sqlite:///{tmp_path}/rutin.db"))
    for case_id in case_ids:
        events = store.events(case_id)
        assert [e.kind for e in events] == ["case_started", "step_done"]
        assert store.load_case(case_id).state == "ed_las_upp"
    store.engine.dispose()
