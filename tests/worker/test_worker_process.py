"""`rutin worker` as an operator runs it: real processes, a real SQLite file, a real SMTP server on loopback.

The one place in the worker's tests that waits for real time: a long-running worker is a separate process,
so the test polls the mail server (at most 20 s) instead of moving a clock.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from engine.service import mail_item
from engine.step import MailDraft
from tests.conftest import PROCEDURES, ROOT, World
from tests.integration.test_grade_revocation import PROC, ROUTES, STUDENT, walk
from tests.worker.smtp_server import HOST, SmtpServer

PUPIL_ADDRESS = f"{STUDENT}@elev.example.se"  # some schools still build pupils' addresses from the personnummer
SECRET = "Fel-losen-99"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def environment(server: SmtpServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
    return {
        **env,
        "RUTIN_PROCEDURES": str(PROCEDURES),
        "RUTIN_USER": "anna",
        "RUTIN_SMTP_HOST": HOST,
        "RUTIN_SMTP_PORT": str(server.port),
        "RUTIN_SMTP_SECURITY": "none",
        "RUTIN_MAIL_FROM": "rutin@skola.example.se",
        **extra,
    }


def command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", "import cli; cli.main()", "--db", str(db), *args]


def rutin(db: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(db, *args), check=False, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line must be one JSON object: that is the log format."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def finish(world: World, reason: str = "ej_last") -> str:
    case = world.service.start(PROC, ROUTES[reason], "anna")
    walk(world, case.id)
    return case.id


def add_mail(world: World, key: str, to: str) -> None:
    draft = MailDraft(to, "Rutin: ditt ärende", "Hej,\n\nDitt ärende är klart.\n", "prov")
    world.store.add_outbox_once([mail_item("-", 0, key, draft, world.clock.now())])


# -- rutin worker --once ------------------------------------------------------------------------------


def test_worker_once_delivers_the_outbox_and_logs_json_lines_with_the_personnummer_masked(
    world: World, smtp: SmtpServer
) -> None:
    finish(world)
    add_mail(world, "pupil", PUPIL_ADDRESS)
    smtp.refuse(PUPIL_ADDRESS)

    done = rutin(world.db_path, environment(smtp), "worker", "--once", "--json")

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mail"] == {"sent": 1, "retried": 0, "failed": 1}
    [got] = smtp.messages
    assert got.message["To"] == "support.systemadmin.amf@edu.stockholm.se"
    lines = json_lines(done.stderr)
    assert {line["level"] for line in lines} == {"info"}
    [mail] = [line for line in lines if line["event"] == "mail"]
    assert (mail["sent"], mail["failed"]) == (1, 1)
    assert mail["errors"] == ["the mail server refused the recipient 19121212-****@elev.example.se"]
    assert any(line["event"] == "sweep" for line in lines)
    assert STUDENT not in done.stderr + done.stdout

    listed = rutin(world.db_path, environment(smtp), "outbox", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    mails = {row["to"]: row for row in json.loads(listed.stdout) if row["kind"] == "mail"}
    assert (mails[PUPIL_ADDRESS]["status"], mails[PUPIL_ADDRESS]["attempts"]) == ("failed", 1)
    assert mails["support.systemadmin.amf@edu.stockholm.se"]["status"] == "done"


def test_a_wrong_smtp_password_appears_nowhere_in_the_output_or_the_logs(world: World) -> None:
    finish(world)
    with SmtpServer(logins={"rutin": "Hemligt-losen-42"}) as server:
        env = environment(server, RUTIN_SMTP_USER="rutin", RUTIN_SMTP_PASSWORD=SECRET)
        done = rutin(world.db_path, env, "worker", "--once", "--json")
        assert server.messages == []
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["mail"] == {"sent": 0, "retried": 1, "failed": 0}
    [mail] = [line for line in json_lines(done.stderr) if line["event"] == "mail"]
    assert mail["errors"] == [f"the mail server {HOST} refused the login of rutin"]
    assert SECRET not in done.stdout + done.stderr
    with sqlite3.connect(world.db_path) as conn:
        [(error,)] = conn.execute("SELECT last_error FROM outbox WHERE kind = 'mail'").fetchall()
    assert "refused the login" in error and SECRET not in error


# -- the long-running worker --------------------------------------------------------------------------


class Worker:
    """`rutin worker --interval 1` in its own process; its stderr goes to a file (a pipe could fill up)."""

    def __init__(self, db: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._err: IO[str] = log.open("a", encoding="utf-8")
        self.process = subprocess.Popen(
            command(db, "worker", "--interval", "1"),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self._err,
            text=True,
        )

    def started(self, timeout: float = 60.0) -> bool:
        """Wait until the worker logged its start (True) or exited, refused or crashed (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if '"event": "worker started"' in self.log.read_text(encoding="utf-8"):
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=60)
        finally:
            self._err.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=60)
        self._err.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()


def registered(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, pid FROM workers").fetchall()


@pytest.mark.slow
def test_one_worker_on_sqlite_delivers_refuses_a_second_stops_on_sigterm_and_restarts_losing_nothing(
    world: World, smtp: SmtpServer, workers: list[Worker], tmp_path: Path
) -> None:
    finish(world)
    env = environment(smtp)
    log = tmp_path / "worker.log"
    first = Worker(world.db_path, env, log)
    workers.append(first)
    assert first.started(), log.read_text()
    assert len(smtp.wait_for(1, timeout=60)) == 1, log.read_text()
    assert [pid for _, pid in registered(world.db_path)] == [first.process.pid]

    second = rutin(world.db_path, env, "worker", "--interval", "1")

    assert second.returncode == 1
    assert "another worker is running on this SQLite database" in second.stderr
    assert f"process {first.process.pid}" in second.stderr
    assert "SQLite supports one worker at a time" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.process.poll() is None  # the refused one did not disturb the running one

    assert first.stop() == 0
    assert registered(world.db_path) == []
    events = [line["event"] for line in json_lines(log.read_text())]
    assert events[0] == "worker started"
    assert "mail" in events
    assert events[-2:] == ["worker stopping", "worker stopped"]

    finish(world, "fel_kurs")  # written while no worker runs
    again = Worker(world.db_path, env, log)
    workers.append(again)
    assert len(smtp.wait_for(2, timeout=60)) == 2, log.read_text()
    assert again.stop() == 0

    ids = Counter(smtp.message_ids())
    assert len(ids) == 2 and set(ids.values()) == {1}
    with sqlite3.connect(world.db_path) as conn:
        assert conn.execute("SELECT DISTINCT status FROM outbox WHERE kind = 'mail'").fetchall() == [("done",)]
    assert STUDENT not in log.read_text()


@pytest.mark.slow
def test_a_worker_restarted_right_after_it_was_killed_is_not_refused(
    world: World, smtp: SmtpServer, workers: list[Worker], tmp_path: Path
) -> None:
    finish(world)
    env = environment(smtp)
    killed = Worker(world.db_path, env, tmp_path / "killed.log")
    workers.append(killed)
    assert len(smtp.wait_for(1, timeout=60)) == 1
    killed.kill()

    again = Worker(world.db_path, env, tmp_path / "again.log")
    workers.append(again)
    assert again.started(), (tmp_path / "again.log").read_text()
    assert again.stop() == 0
