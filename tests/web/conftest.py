"""The web app over a real SQLite file, driven through FastAPI's TestClient (no network), with moved clocks.

The engine's clock and the sessions' clock are separate FixedClocks, as in `rutin web` (sessions run on real
time there even when a training clock moves the engine by hours).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from adapters.clock import FixedClock
from adapters.identity import PasswordAuthenticator, SqlSessions
from adapters.procedure_folder import ProcedureFolder
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from engine.access import AUDITOR_TASK, PROCESS_OWNER_TASK, User
from engine.service import Rutin
from engine.systems import Systems
from engine.views import CaseView
from terminal.demo import DEMO_INPUTS
from tests.conftest import ADMIN_ROLES, ADMIN_TASKS, PROCEDURES, T0
from web.app import create_app

PASSWORD = "korrekt-häst-batteri"
IDLE = timedelta(minutes=30)
ABSOLUTE = timedelta(hours=8)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PROC = "avregistrering-betyg"
INPUTS = DEMO_INPUTS  # the longest route
FIELDS = {"beslutande_larare": "Karin Lind", "betyg": "c", "status": "ej_borjat"}


@dataclass
class Site:
    client: TestClient
    service: Rutin
    clock: FixedClock  # the engine's
    session_clock: FixedClock
    sessions: SqlSessions
    authenticator: PasswordAuthenticator
    db_path: Path

    def sign_in(self, name: str, password: str = PASSWORD) -> None:
        page = self.client.get("/login")
        assert page.status_code == 200
        done = self.client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text

    def csrf(self, url: str = "/") -> str:
        return csrf_of(self.client.get(url).text)

    def post(self, url: str, data: dict[str, str], *, from_page: str | None = None) -> object:
        token = self.csrf(from_page or "/")
        return self.client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)

    def start(self, inputs: dict[str, str] | None = None, actor: str = "anna") -> str:
        return self.service.start(PROC, inputs or INPUTS, actor).id

    def to_wait(self, case_id: str, actor: str = "anna") -> CaseView:
        """Press the first button of each step (typing FIELDS where asked) until the case waits on a system."""
        for _ in range(20):
            view = self.service.show(case_id, actor)
            if view.waiting is not None:
                return view
            action = view.actions[0]
            fields = {f.name: FIELDS[f.name] for f in action.fields if f.name in FIELDS}
            self.service.do(case_id, action.name, fields, actor)
        raise AssertionError(f"{case_id} reached no wait")

    def case_count(self) -> int:
        return sum(self.service.store.count_cases(self.clock.now()).values())


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    db_path = tmp_path / "rutin.db"
    engine = open_engine(f"sqlite:///{db_path}")
    ensure_schema(engine)
    store = SqlCaseStore(engine)
    clock = FixedClock(T0)
    systems = Systems(SandboxAdapter(engine))
    folder = ProcedureFolder(PROCEDURES)
    counter = iter(f"R-TEST{i:04d}" for i in range(1, 10_000))

    def new_id() -> str:
        return next(counter)

    sv = Rutin(store, folder, systems, clock, lang="sv", new_id=new_id)
    en = Rutin(store, folder, systems, clock, lang="en", new_id=new_id)
    # argon2 with its memory cost lowered: the same algorithm and code path, a few milliseconds per sign-in
    authenticator = PasswordAuthenticator(engine, PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    session_clock = FixedClock(T0)
    sessions = SqlSessions(engine, IDLE, ABSOLUTE)
    sv.save_user(User("admin", admin=True, display_name="Administratör"), "admin")
    people = {
        "anna": User("anna", ADMIN_ROLES, ADMIN_TASKS, "Anna Berg"),
        "bo": User("bo", ADMIN_ROLES, ADMIN_TASKS, "Bo Ek"),
        "erik": User("erik", (), (), "Erik utan roll"),
        "olof": User("olof", (), (AUDITOR_TASK,), "Olof granskare"),
        "petra": User("petra", (), (PROCESS_OWNER_TASK,), "Petra processägare"),
    }
    for user in people.values():
        sv.save_user(user, "admin")
    for name in ("admin", *people):
        authenticator.set_password(name, PASSWORD)
    app = create_app({"sv": sv, "en": en}, authenticator, sessions, session_clock)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield Site(client, sv, clock, session_clock, sessions, authenticator, db_path)
    engine.dispose()
