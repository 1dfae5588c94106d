"""Shared fixtures: a real SQLite file per test, a movable clock, the shipped procedures, demo users."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.clock import FixedClock
from adapters.manual import ManualAdapter
from adapters.procedure_folder import ProcedureFolder
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from engine.access import User
from engine.service import Rutin
from engine.systems import Systems

ROOT = Path(__file__).resolve().parent.parent
PROCEDURES = ROOT / "procedures"
SHARED = ROOT.parent / "shared"
NO_SHARED = "the original routines (../shared/seeds) are not beside this clone; the citation checks need them"


def remove_step_spara(folder: Path) -> None:
    """The process owner's planted edit used by the version tests: step 4 "Spara" is removed from the routine."""
    path = folder / "avregistrering-betyg.yaml"
    text = path.read_text(encoding="utf-8")
    text = text[: text.index("  - id: ed_spara\n")] + text[text.index("  - id: ed_bekrafta\n") :]
    path.write_text(text.replace("    next: ed_spara\n", "    next: ed_bekrafta\n", 1), encoding="utf-8")


def read_seed(prefix: str) -> str:
    """The text of a seed routine by its file name or number prefix ('004'); skip the test where it is absent."""
    seeds = SHARED / "seeds"
    exact = seeds / prefix
    found = [exact] if exact.is_file() else sorted(seeds.glob(f"{prefix}*.txt")) if seeds.is_dir() else []
    if not found:
        pytest.skip(NO_SHARED)
    return found[0].read_text(encoding="utf-8")


T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)

ADMIN_ROLES = ("Vux intern anordnare Sthlm",)
ADMIN_TASKS = ("Betygsadministratör",)


@dataclass
class World:
    service: Rutin
    clock: FixedClock
    store: SqlCaseStore
    db_path: Path

    def advance(self, minutes: float) -> None:
        self.clock.advance(timedelta(minutes=minutes))


def make_world(
    tmp_path: Path, *, adapters: str = "sandbox", procedures: Path = PROCEDURES, ids: list[str] | None = None
) -> World:
    db_path = tmp_path / "rutin.db"
    engine = open_engine(f"sqlite:///{db_path}")
    ensure_schema(engine)
    store = SqlCaseStore(engine)
    clock = FixedClock(T0)
    sandbox = SandboxAdapter(engine)
    manual = ManualAdapter()
    if adapters == "sandbox":
        systems = Systems(sandbox)
    elif adapters == "manual":
        systems = Systems(manual)
    else:
        overrides = {}
        for part in adapters.split(","):
            system, _, kind = part.partition("=")
            overrides[system] = manual if kind == "manual" else sandbox
        systems = Systems(sandbox, overrides)
    counter = iter(ids or [f"C{i}" for i in range(1, 100_000)])
    service = Rutin(store, ProcedureFolder(procedures), systems, clock, new_id=lambda: next(counter))
    service.save_user(User("admin", admin=True), "admin")
    service.save_user(User("anna", ADMIN_ROLES, ADMIN_TASKS, "Anna Berg"), "admin")
    service.save_user(User("bo", ADMIN_ROLES, ADMIN_TASKS, "Bo Ek"), "admin")
    service.save_user(User("erik", (), (), "Erik utan roll"), "admin")
    service.save_user(User("roll_utan_uppgift", ADMIN_ROLES, ()), "admin")
    return World(service, clock, store, db_path)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path)
    yield w
    w.store.engine.dispose()


@pytest.fixture
def manual_world(tmp_path: Path) -> Iterator[World]:
    w = make_world(tmp_path, adapters="manual")
    yield w
    w.store.engine.dispose()
