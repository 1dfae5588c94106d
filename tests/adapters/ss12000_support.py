"""Shared pieces for the SS 12000 tests: a world of cases whose BER and ED waits are answered over HTTP by the
SS 12000 client, each system against its own local server, all on one FixedClock (no sandbox anywhere)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from adapters.clock import FixedClock
from adapters.manual import ManualAdapter
from adapters.procedure_folder import ProcedureFolder
from adapters.secret import Secret
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from adapters.ss12000.adapter import Ss12000Adapter
from adapters.ss12000.client import Ss12000Settings
from adapters.ss12000.mirror import SyncPolicy
from adapters.ss12000.server import Demo, LocalServer, RegistryWorld, komvux_world
from engine.access import User
from engine.service import Rutin
from engine.systems import Systems
from tests.conftest import ADMIN_ROLES, ADMIN_TASKS, PROCEDURES, T0

TOKEN = "tkn-PLANTED-7f3a9c1e-secret"  # recognisable, so a test can grep every output for it
FAST = SyncPolicy(refresh=timedelta(0), overlap=timedelta(minutes=5), full_every=timedelta(days=1))


def settings(url: str, *, token: str | None = TOKEN, timeout: float = 5.0, page_size: int = 3) -> Ss12000Settings:
    return Ss12000Settings(url, Secret(token, "test") if token else None, timeout=timeout, page_size=page_size)


@dataclass
class RegistryCase:
    """The case world plus the two registries (BER, ED) the waits are answered from."""

    service: Rutin
    clock: FixedClock
    store: SqlCaseStore
    ber: RegistryWorld
    ed: RegistryWorld
    ber_demo: Demo
    ed_demo: Demo
    ber_server: LocalServer
    ed_server: LocalServer
    adapters: dict[str, Ss12000Adapter]

    def advance(self, minutes: float) -> None:
        self.clock.advance(timedelta(minutes=minutes))


@contextmanager
def registry_world(tmp_path: Path) -> Iterator[RegistryCase]:
    clock = FixedClock(T0)
    loaded = T0 - timedelta(days=1)  # the registries were filled the day before the cases start
    ber, ber_demo = komvux_world(clock.now, at=loaded)
    ed, ed_demo = komvux_world(clock.now, at=loaded)
    with ExitStack() as stack:
        ber_server = stack.enter_context(LocalServer(ber, token=TOKEN))
        ed_server = stack.enter_context(LocalServer(ed, token=TOKEN))
        adapters = {
            "BER": Ss12000Adapter(settings(ber_server.url), system="BER", policy=FAST),
            "ED": Ss12000Adapter(settings(ed_server.url), system="ED", policy=FAST),
        }
        for adapter in adapters.values():
            stack.callback(adapter.close)
        engine = open_engine(f"sqlite:///{tmp_path / 'rutin.db'}")
        stack.callback(engine.dispose)
        ensure_schema(engine)
        store = SqlCaseStore(engine)
        systems = Systems(ManualAdapter(), dict(adapters))  # every other system: a person
        counter = iter(f"C{i}" for i in range(1, 10_000))
        service = Rutin(store, ProcedureFolder(PROCEDURES), systems, clock, new_id=lambda: next(counter))
        service.save_user(User("admin", admin=True), "admin")
        service.save_user(User("anna", ADMIN_ROLES, ADMIN_TASKS, "Anna Berg"), "admin")
        yield RegistryCase(service, clock, store, ber, ed, ber_demo, ed_demo, ber_server, ed_server, adapters)
