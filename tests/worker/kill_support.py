"""Kill -9 the worker at random moments and show that nothing is lost or done twice.

The harness behind tests/worker/test_kill.py (small) and bench/kill_worker.py (1,000 cases). It prepares a
SQLite database of grade-revocation cases (route ej_last) whose first BER wait is already due *and* overdue in
real time: they are started through the service with a clock two hours in the past, so the sandbox's
15-minute delay has passed. A real `rutin worker --interval 1` subprocess, mailing to an SMTP server in this
process that keeps every Message-ID it accepts, then owns two steps of each case (`wait_overdue` with its
escalation mails, and `wait_satisfied`). A thread in this process plays the administrator: as each case
reaches `ber_avbrott` it does the four person steps, and the case's end writes the mail to
Vuxenutbildningscentrum. So the worker delivers three mails a case: the two escalations it wrote itself (to
the administrator and to the step's escalate_to), and one a person's step wrote while the worker was being
killed and restarted.

The worker is started as `python -m tests.worker.kill_support ARGS`, which is `rutin ARGS` with the claims'
lease (engine.sweep.LEASE, two minutes in the product) shortened, so that a killed worker's claims free up
within the run; correctness must not depend on the lease's length (optimistic locking and the mark after
sending do that), only the time to recover does. With lease 0 the `rutin` console script runs unchanged.

After each kill the harness counts the mails the killed worker had claimed, the server had accepted, and the
outbox had not yet marked sent: exactly the kills that landed in the window where a repeat is allowed.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[2]
PROCEDURES = ROOT / "procedures"
PROC = "avregistrering-betyg"
ADMIN_EMAIL = "anna@example.se"
TO_THE_WAIT: tuple[tuple[str, dict[str, object]], ...] = (
    ("ed_sok_elev", {}),
    ("ed_las_upp", {}),
    ("ed_beslutad_av", {"beslutande_larare": "Karin Lind"}),
    ("ed_spara", {}),
    ("ed_bekrafta", {}),
)
AFTER_THE_WAIT: tuple[tuple[str, dict[str, object]], ...] = (
    ("ber_avbrott", {"status": "ej_borjat"}),
    ("ed_katalog_felaktig", {}),
    ("ja", {}),
    ("posta_kataloger", {}),
)
REFUSED = "another worker is running"
READY = "SELECT id FROM cases WHERE state = 'ber_avbrott' ORDER BY id LIMIT 50"


# -- the database -----------------------------------------------------------------------------------


def personnummer(i: int) -> str:
    """A distinct valid personnummer for case i, so that no two cases share a sandbox fact."""
    from engine.personnummer import luhn_check_digit

    born = date(1960, 1, 1) + timedelta(days=i // 900)
    nine = f"{born:%y%m%d}{i % 900 + 1:03d}"
    return f"{born:%Y%m%d}-{nine[6:]}{luhn_check_digit(nine)}"


def open_service(db: Path, clock: Any) -> Any:
    from adapters.procedure_folder import ProcedureFolder
    from adapters.sandbox import SandboxAdapter
    from adapters.sql.database import ensure_schema, open_engine
    from adapters.sql.store import SqlCaseStore
    from engine.service import Rutin
    from engine.systems import Systems

    engine = open_engine(f"sqlite:///{db}")
    ensure_schema(engine)
    return Rutin(SqlCaseStore(engine), ProcedureFolder(PROCEDURES), Systems(SandboxAdapter(engine)), clock)


def prepare(db: Path, cases: int, *, age: timedelta = timedelta(hours=2)) -> list[str]:
    """Start `cases` cases `age` ago and bring each to its first BER wait; return their ids."""
    from adapters.clock import FixedClock
    from engine.access import User

    service = open_service(db, FixedClock(datetime.now(UTC) - age))
    roles, tasks = ("Vux intern anordnare Sthlm",), ("Betygsadministratör",)
    service.save_user(User("admin", admin=True), "admin")
    service.save_user(User("anna", roles, tasks, "Anna Berg", ADMIN_EMAIL), "admin")
    ids = []
    for i in range(cases):
        inputs = {"personnummer": personnummer(i), "orsak": "ej_last", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A"}
        case_id = service.start(PROC, inputs, "anna").id
        for action, fields in TO_THE_WAIT:
            service.do(case_id, action, fields, "anna")
        ids.append(case_id)
    service.store.engine.dispose()
    return ids


def scalar(engine: Engine, sql: str, **params: object) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def unfinished(engine: Engine) -> int:
    """Cases not yet at their end plus mails not yet marked sent: the work left."""
    return int(scalar(engine, "SELECT count(*) FROM cases WHERE status != 'done'")) + int(
        scalar(engine, "SELECT count(*) FROM outbox WHERE kind = 'mail' AND status = 'pending'")
    )


# -- the mail server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    message_id: str
    to: str
    subject: str


class MailServer:
    """An SMTP server on 127.0.0.1 in a thread of this process; keeps every message it accepts, repeats too."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Any = None
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        found = Received(str(message["Message-ID"]), str(message["To"]), str(message["Subject"]))
        with self._lock:
            self._received.append(found)
        return "250 Message accepted for delivery"

    def start(self) -> MailServer:
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def message_ids(self) -> set[str]:
        return {r.message_id for r in self.received()}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- the worker process -----------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def wait_started(self, timeout: float = 30) -> bool:
        """True once the worker says it started; False when it exited first (or never said so)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if '"worker started"' in self.log_text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.01)
        return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as an operator stops it; the worker removes its registration on the way out."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return -9


def start_worker(db: Path, smtp_port: int, log: Path, *, lease_s: float, interval: float = 1) -> WorkerProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
    env.update(
        RUTIN_SMTP_HOST="127.0.0.1",
        RUTIN_SMTP_PORT=str(smtp_port),
        RUTIN_SMTP_SECURITY="none",
        RUTIN_MAIL_FROM="rutin@example.se",
        PYTHONPATH=str(ROOT),
    )
    args = ["--db", str(db), "--procedures", str(PROCEDURES), "worker", "--interval", str(interval)]
    if lease_s > 0:
        env["RUTIN_KILL_LEASE_S"] = str(lease_s)
        command = [sys.executable, "-m", "tests.worker.kill_support", *args]
    else:
        command = [str(Path(sys.executable).with_name("rutin")), *args]
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return WorkerProcess(proc, log)


def clear_registration(engine: Engine, pid: int) -> None:
    """Remove the row a killed worker left in `workers`, as an operator would.

    On SQLite `register_worker` refuses a second worker while another's heartbeat is under two minutes old, and
    it cannot tell a worker killed with -9 (whose row stays) from a live one: without this a restart is refused.
    """
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM workers WHERE pid = :pid"), {"pid": pid})


def mails_in_window(engine: Engine, pid: int, accepted: set[str]) -> int:
    """Mails the killed worker had claimed and the server had accepted, but the outbox had not marked sent."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT payload FROM outbox WHERE kind = 'mail' AND status = 'pending' AND lease_owner LIKE :owner"),
            {"owner": f"%:{pid}:%"},
        ).scalars()
        return sum(1 for payload in rows if json.loads(payload)["message_id"] in accepted)


# -- the administrator ------------------------------------------------------------------------------


class Administrator(threading.Thread):
    """Does the person steps after the wait as each case reaches them, with the real clock, until stopped."""

    def __init__(self, db: Path) -> None:
        super().__init__(name="administrator", daemon=True)
        self.db = db
        self.halt = threading.Event()
        self.steps = 0
        self.failure: str | None = None

    def run(self) -> None:
        from adapters.clock import SystemClock

        service = open_service(self.db, SystemClock())
        try:
            while not self.halt.is_set():
                with service.store.engine.connect() as conn:
                    ready = list(conn.execute(text(READY)).scalars())
                for case_id in ready:
                    for action, fields in AFTER_THE_WAIT:
                        service.do(case_id, action, fields, "anna")
                        self.steps += 1
                if not ready:
                    self.halt.wait(0.05)
        except Exception as exc:  # reported by the harness as a broken invariant, never swallowed
            self.failure = f"{type(exc).__name__}: {exc}"
        finally:
            service.store.engine.dispose()


# -- the run ----------------------------------------------------------------------------------------


@dataclass
class KillRun:
    cases: int
    kills: int = 0
    kills_during_work: int = 0
    kills_in_window: int = 0
    restarts_refused: int = 0
    stops_hung: int = 0
    waits_advanced: int = 0
    overdue_marked: int = 0
    person_steps: int = 0
    mails_in_outbox: int = 0
    mails_delivered: int = 0
    duplicate_mails: int = 0
    setup_s: float = 0.0
    kill_phase_s: float = 0.0
    drain_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def elapsed_s(self) -> float:
        return self.setup_s + self.kill_phase_s + self.drain_s

    def figures(self) -> list[tuple[str, object]]:
        return [
            ("cases", self.cases),
            ("kills (SIGKILL)", self.kills),
            ("  of them while work remained", self.kills_during_work),
            ("  of them between the server's acceptance and the mark", self.kills_in_window),
            ("restarts refused (stale registration)", self.restarts_refused),
            ("graceful stops (SIGTERM) that hung", self.stops_hung),
            ("waits advanced (wait_satisfied)", self.waits_advanced),
            ("waits marked overdue (with escalation)", self.overdue_marked),
            ("person steps by the administrator", self.person_steps),
            ("mails in the outbox", self.mails_in_outbox),
            ("mails delivered (distinct Message-IDs)", self.mails_delivered),
            ("duplicate mails", self.duplicate_mails),
            ("max duplicates allowed", self.kills_in_window),
            ("elapsed s (setup + kills + drain)", f"{self.elapsed_s:.1f} ({self.setup_s:.1f} + "
             f"{self.kill_phase_s:.1f} + {self.drain_s:.1f})"),
        ]  # fmt: skip


def run_kills(
    workdir: Path,
    *,
    cases: int,
    kills: int,
    seed: int,
    lease_s: float = 3.0,
    kill_after: tuple[float, float] = (0.05, 1.5),
    drain_timeout_s: float = 120.0,
    say: Callable[[str], None] = lambda _line: None,
) -> KillRun:
    """Prepare, kill the worker `kills` times at random moments, let a last one finish, then verify."""
    from adapters.sql.database import open_engine

    rng = random.Random(seed)
    run = KillRun(cases)
    db = workdir / "rutin.db"
    started = time.monotonic()
    say(f"preparing {cases} cases at their first wait ...")
    case_ids = prepare(db, cases)
    run.setup_s = time.monotonic() - started

    engine = open_engine(f"sqlite:///{db}")
    server = MailServer().start()
    people = Administrator(db)
    people.start()
    workers = Workers(db, server.port, workdir / "logs", lease_s, engine, run)
    try:
        started = time.monotonic()
        while run.kills < kills and not run.problems:
            worker = workers.start()
            if worker is None:
                break
            time.sleep(rng.uniform(*kill_after))
            remaining = unfinished(engine)
            worker.kill()
            workers.killed.append(worker.pid)
            run.kills += 1
            run.kills_during_work += remaining > 0
            time.sleep(0.2)  # the server finishes reading what the dead client had sent
            run.kills_in_window += mails_in_window(engine, worker.pid, server.message_ids())
        run.kill_phase_s = time.monotonic() - started
        say(f"{run.kills} kills done; {unfinished(engine)} items of work left; a last worker finishes ...")

        started = time.monotonic()
        worker = workers.start()
        deadline = time.monotonic() + drain_timeout_s + lease_s
        while worker is not None and unfinished(engine) and time.monotonic() < deadline and not people.failure:
            time.sleep(0.2)
        if worker is not None and unfinished(engine):
            run.problems.append(f"the work did not finish: {unfinished(engine)} items left")
        run.drain_s = time.monotonic() - started
        if worker is not None:
            time.sleep(0.5)  # SIGTERM while the scheduler submits a job deadlocks the worker (most likely at start)
            run.stops_hung += worker.stop(timeout=10) != 0
    finally:
        for proc in workers.running():
            proc.kill()
        people.halt.set()
        people.join(30)
        server.stop()
    if people.failure:
        run.problems.append(f"the administrator's step failed: {people.failure}")
    run.person_steps = people.steps
    verify(run, engine, db, case_ids, server.received())
    run.problems += worker_errors(workdir / "logs")
    engine.dispose()
    return run


@dataclass
class Workers:
    """Starts worker processes one after another; a restart refused for a killed one's registration is counted."""

    db: Path
    smtp_port: int
    logs: Path
    lease_s: float
    engine: Engine
    run: KillRun
    killed: list[int] = field(default_factory=list)
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self) -> WorkerProcess | None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            log = self.logs / f"worker-{len(self.started) + 1:03d}.log"
            worker = start_worker(self.db, self.smtp_port, log, lease_s=self.lease_s)
            self.started.append(worker)
            if worker.wait_started():
                return worker
            worker.stop()
            if REFUSED not in worker.log_text() or not self.killed:
                break
            self.run.restarts_refused += 1
            clear_registration(self.engine, self.killed[-1])
        self.run.problems.append(f"a worker did not start: {worker.log_text()[-500:]}")
        return None

    def running(self) -> list[WorkerProcess]:
        return [w for w in self.started if w.proc.poll() is None]


# -- the invariants ---------------------------------------------------------------------------------


def verify(run: KillRun, engine: Engine, db: Path, case_ids: Sequence[str], received: Sequence[Received]) -> None:
    """Every step once, every mail delivered, repeats only from kills in the window and with the same Message-ID."""
    from adapters.clock import SystemClock

    service = open_service(db, SystemClock())
    store = service.store
    shapes: Counter[tuple[tuple[str, str | None], ...]] = Counter()
    for case_id in case_ids:
        events = store.events(case_id)
        kinds = [e.kind for e in events]
        run.waits_advanced += kinds.count("wait_satisfied")
        run.overdue_marked += kinds.count("wait_overdue")
        if [e.seq for e in events] != list(range(1, len(events) + 1)):
            run.problems.append(f"{case_id}: event numbers {[e.seq for e in events]} are not 1..n")
        if kinds.count("wait_satisfied") != 1 or kinds.count("wait_overdue") != 1:
            run.problems.append(f"{case_id}: the wait's events are {kinds}")
        shapes[tuple((e.kind, e.step) for e in events)] += 1
        state = store.load_case(case_id).state
        if state != "klart":
            run.problems.append(f"{case_id}: ended at {state}, not klart")
    if len(shapes) > 1:
        run.problems.append(f"the cases' histories differ in shape: {len(shapes)} shapes")
    report = service.verify("admin")
    if not report.ok:
        run.problems.append(f"audit verify: {report.problems[:3]}")
    for case_id in case_ids[:: max(1, len(case_ids) // 20)]:
        replay = service.replay(case_id, "admin")
        if not replay.ok:
            run.problems.append(f"{case_id}: replay differs: {replay.problems[:2]}")

    items = store.outbox_items()
    mails = [i for i in items if i.kind == "mail"]
    run.mails_in_outbox = len(mails)
    per_case = Counter(Counter(i.case_id for i in mails)[c] for c in case_ids)
    if len(per_case) != 1 or min(per_case) < 2:  # escalation and the end's notice, the same for every case
        run.problems.append(f"the cases wrote different numbers of mails: {dict(per_case)}")
    not_sent = [i.key for i in mails if i.status != "done"]
    if not_sent:
        run.problems.append(f"{len(not_sent)} mails not marked sent, e.g. {not_sent[:3]}")
    pending_actions = [i.key for i in items if i.kind == "perform" and i.status != "done"]
    if pending_actions:
        run.problems.append(f"{len(pending_actions)} simulated actions not done, e.g. {pending_actions[:3]}")

    by_id = {str(i.payload["message_id"]): i for i in mails}
    counts = Counter(r.message_id for r in received)
    run.mails_delivered = len(counts)
    run.duplicate_mails = sum(n - 1 for n in counts.values())
    lost = sorted(set(by_id) - set(counts))
    if lost:
        run.problems.append(f"{len(lost)} mails never reached the server, e.g. {lost[:3]}")
    foreign = sorted(set(counts) - set(by_id))
    if foreign:
        run.problems.append(f"{len(foreign)} messages the outbox does not hold, e.g. {foreign[:3]}")
    for r in received:
        item = by_id.get(r.message_id)
        if item is not None and (r.to, r.subject) != (item.payload["to"], item.payload["subject"]):
            run.problems.append(f"{r.message_id}: a message with this id differs from its outbox item")
    if run.duplicate_mails > run.kills_in_window:
        run.problems.append(
            f"{run.duplicate_mails} duplicate mails, more than the {run.kills_in_window} kills that landed "
            "between the server's acceptance and the mark"
        )
    service.store.engine.dispose()


def worker_errors(logs: Path) -> list[str]:
    """Errors the workers logged (a sweep's errors, a job that failed or crashed)."""
    found = []
    for log in sorted(logs.glob("worker-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("errors") or entry.get("level") not in ("info", None) or "failed" in entry["event"]:
                found.append(f"{log.name}: {line[:300]}")
    return found


def _launch() -> None:
    """`python -m tests.worker.kill_support ARGS` is `rutin ARGS` with the claims' lease shortened."""
    import faulthandler

    import engine.sweep
    from cli import main

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID` prints every thread's stack
    engine.sweep.LEASE = timedelta(seconds=float(os.environ["RUTIN_KILL_LEASE_S"]))
    sys.argv = ["rutin", *sys.argv[1:]]
    main()


if __name__ == "__main__":
    _launch()
