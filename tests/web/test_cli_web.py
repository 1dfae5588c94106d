"""The command line side of the web app: passwords, the training clock file, `rutin web --demo` as a real server."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from adapters.clock import FileClock
from adapters.identity import PasswordAuthenticator
from adapters.sql.database import ensure_schema, open_engine
from engine.errors import InvalidValue, NotFound, RutinError
from engine.personnummer import SWEDEN
from tests.conftest import ROOT


def rutin(tmp_path: Path, *args: str, user: str = "admin", stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUTIN_DB": str(tmp_path / "rutin.db"), "RUTIN_USER": user, "RUTIN_LANG": "en"}
    env["RUTIN_PROCEDURES"] = str(ROOT / "procedures")
    return subprocess.run(
        [sys.executable, "-c", "import cli; cli.main()", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


def can_sign_in(tmp_path: Path, name: str, password: str) -> bool:
    engine = open_engine(f"sqlite:///{tmp_path / 'rutin.db'}")
    try:
        return PasswordAuthenticator(engine).authenticate(name, password) is not None
    finally:
        engine.dispose()


def test_users_add_reads_a_password_from_stdin(tmp_path: Path) -> None:
    done = rutin(tmp_path, "users", "add", "admin", "--admin", "--password-stdin", stdin="ett långt lösenord\n")
    assert done.returncode == 0, done.stderr
    assert "with a password" in done.stdout
    assert can_sign_in(tmp_path, "admin", "ett långt lösenord")
    assert not can_sign_in(tmp_path, "admin", "ett långt lösenord\n")
    rutin(tmp_path, "users", "add", "bo")
    listed = {u["name"]: u["password"] for u in json.loads(rutin(tmp_path, "users", "list", "--json").stdout)}
    assert listed == {"admin": True, "bo": False}


def test_a_too_short_password_saves_neither_the_user_nor_the_password(tmp_path: Path) -> None:
    rutin(tmp_path, "users", "add", "admin", "--admin")
    done = rutin(tmp_path, "users", "add", "bo", "--password-stdin", stdin="kort\n")
    assert done.returncode == 1
    assert "too short" in done.stderr and "at least 10 characters" in done.stderr
    assert "bo" not in rutin(tmp_path, "users", "list", "--json").stdout


def test_users_password_asks_twice_and_refuses_a_mismatch(tmp_path: Path) -> None:
    rutin(tmp_path, "users", "add", "admin", "--admin")
    rutin(tmp_path, "users", "add", "anna")
    mismatch = rutin(tmp_path, "users", "password", "anna", stdin="första-lösenordet\nandra-lösenordet\n")
    assert mismatch.returncode == 1
    assert "do not match" in mismatch.stdout + mismatch.stderr
    assert not can_sign_in(tmp_path, "anna", "första-lösenordet")
    done = rutin(tmp_path, "users", "password", "anna", stdin="samma-lösenord\nsamma-lösenord\n")
    assert done.returncode == 0, done.stderr
    assert can_sign_in(tmp_path, "anna", "samma-lösenord")


def test_only_an_administrator_sets_another_users_password(tmp_path: Path) -> None:
    rutin(tmp_path, "users", "add", "admin", "--admin")
    rutin(tmp_path, "users", "add", "anna")
    rutin(tmp_path, "users", "add", "bo")
    refused = rutin(tmp_path, "users", "password", "anna", "--password-stdin", user="bo", stdin="bos-försök-123\n")
    assert refused.returncode == 1
    assert "may not set another user's password" in refused.stderr
    assert not can_sign_in(tmp_path, "anna", "bos-försök-123")
    own = rutin(tmp_path, "users", "password", "bo", "--password-stdin", user="bo", stdin="bos-eget-lösen\n")
    assert own.returncode == 0, own.stderr


def test_setting_a_password_for_an_unknown_user_is_refused(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'rutin.db'}")
    ensure_schema(engine)
    authenticator = PasswordAuthenticator(engine, PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    with pytest.raises(NotFound, match="unknown user 'ingen'"):
        authenticator.set_password("ingen", "ett långt lösenord")
    with pytest.raises(InvalidValue, match="too short"):
        authenticator.set_password("ingen", "kort")
    engine.dispose()


def test_the_clock_file_is_read_on_every_call(tmp_path: Path) -> None:
    path = tmp_path / "klocka"
    path.write_text("2024-06-03T10:30\n")
    clock = FileClock(path, SWEDEN)
    assert clock.now() == datetime(2024, 6, 3, 8, 30, tzinfo=UTC)  # Swedish summer time without a zone
    path.write_text("2024-06-03T09:00:00+00:00")
    assert clock.now() == datetime(2024, 6, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("content", "says"), [(None, "cannot read the clock file"), ("i morgon", "not an ISO-8601")])
def test_a_missing_or_unreadable_clock_file_is_an_error_not_the_real_time(
    tmp_path: Path, content: str | None, says: str
) -> None:
    path = tmp_path / "klocka"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RutinError, match=says):
        FileClock(path, SWEDEN).now()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_rutin_web_demo_serves_sign_in_and_seeds_once(tmp_path: Path) -> None:
    clock = tmp_path / "klocka"
    clock.write_text("2024-06-03T10:00")
    port = free_port()
    args = ["web", "--demo", "--port", str(port), "--clock-file", str(clock), "--sweep-every", "0.5"]
    env = {**os.environ, "RUTIN_DB": str(tmp_path / "rutin.db"), "RUTIN_PROCEDURES": str(ROOT / "procedures")}
    for attempt in range(2):  # the second start finds the demo in place and adds nothing
        server = subprocess.Popen(
            [sys.executable, "-c", "import cli; cli.main()", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    answer = httpx.get(base + "/login", timeout=2)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            assert answer.status_code == 200
            assert 'name="username"' in answer.text
            assert httpx.get(base + "/", follow_redirects=False).status_code == 303
        finally:
            server.terminate()
            out, err = server.communicate(timeout=20)
        assert "http://127.0.0.1:" in out and "rutin-demo-2024" in out, err
        assert ("Demoärenden:" in out) == (attempt == 0)
    assert can_sign_in(tmp_path, "anna", "rutin-demo-2024")
    assert can_sign_in(tmp_path, "erik", "rutin-demo-2024")


def test_an_unreadable_clock_file_gives_an_error_page_not_a_crash(tmp_path: Path) -> None:
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from adapters.clock import FixedClock
    from adapters.identity import SqlSessions
    from adapters.procedure_folder import ProcedureFolder
    from adapters.sandbox import SandboxAdapter
    from adapters.sql.store import SqlCaseStore
    from engine.access import User
    from engine.service import Rutin
    from engine.systems import Systems
    from tests.web.conftest import PASSWORD, csrf_of
    from web.app import create_app

    engine = open_engine(f"sqlite:///{tmp_path / 'rutin.db'}")
    ensure_schema(engine)
    clock_path = tmp_path / "klocka"
    clock_path.write_text("2024-06-03T10:00")
    parts = (SqlCaseStore(engine), ProcedureFolder(ROOT / "procedures"), Systems(SandboxAdapter(engine)))
    services = {
        "sv": Rutin(*parts, FileClock(clock_path, SWEDEN), lang="sv"),
        "en": Rutin(*parts, FileClock(clock_path, SWEDEN), lang="en"),
    }
    services["sv"].save_user(User("anna", admin=True), "anna")
    authenticator = PasswordAuthenticator(engine, PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    authenticator.set_password("anna", PASSWORD)
    sessions = SqlSessions(engine, timedelta(minutes=30), timedelta(hours=8))
    app = create_app(services, authenticator, sessions, FixedClock(datetime(2024, 6, 3, 8, tzinfo=UTC)))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login = client.get("/login")
        client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(login.text)})
        clock_path.write_text("inte en tid")
        answer = client.get("/")
        assert answer.status_code == 400
        assert "klockfilen" in answer.text and "inte en ISO-8601-tid" in answer.text
    engine.dispose()


# `rutin web --demo` with uvicorn.run replaced: reports the collector's state at the moment the server would start
GC_PROBE = """
import gc, sys, uvicorn
import cli

def run(app, **kwargs):
    print("GC", gc.get_threshold(), gc.get_freeze_count(), flush=True)
    sys.exit(0)

uvicorn.run = run
cli.main()
"""


def test_rutin_web_freezes_start_up_objects_and_collects_young_ones_less_often(tmp_path: Path) -> None:
    from commands.collector import LONG_RUN

    env = {**os.environ, "RUTIN_DB": str(tmp_path / "rutin.db"), "RUTIN_PROCEDURES": str(ROOT / "procedures")}
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE, "web", "--demo", "--no-worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Demoärenden:" in done.stdout  # the seeding ran before the freeze, so its objects are frozen too
    [line] = [line for line in done.stdout.splitlines() if line.startswith("GC ")]
    threshold, frozen = line[3:].rsplit(" ", 1)
    assert threshold == str(LONG_RUN)
    assert int(frozen) > 10_000  # the app, the procedures and SQLAlchemy's tables are out of the collector's walk
