"""Two workers over one PostgreSQL database and 300 due waits: each wait is handled once, and both work.

The server is started once per session by tests/pg.py (skipped, saying why, where it cannot be). Every case
of the grade-revocation routine waits at its first BER wait, due and past its overdue moment; two processes,
released by one barrier, each sweep in small batches (`engine.sweep.sweep`, limit 20) and deliver mail to a
recording mailer until nothing is left, at the same fixed moment, so a lease never runs out during the test:
whatever one worker claimed, the other must leave alone.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from adapters.clock import FixedClock
from adapters.procedure_folder import ProcedureFolder
from adapters.sandbox import SandboxAdapter
from adapters.sql.database import ensure_schema, open_engine
from adapters.sql.store import SqlCaseStore
from engine.access import User
from engine.service import Rutin
from engine.systems import Systems
from tests.conftest import ADMIN_ROLES, ADMIN_TASKS, PROCEDURES, T0
from tests.pg import postgres_server, postgres_url  # noqa: F401  (fixtures, found by pytest by name)
from tests.worker.kill_support import PROC, TO_THE_WAIT, personnummer

CASES = 300
BATCH = 20
WORKERS = ("worker-a", "worker-b")
SWEEP_AT = T0 + timedelta(hours=2)  # the sandbox's BER answers after 15 minutes; the wait is overdue after 1 hour


def service_on(engine: Engine, moment: datetime) -> Rutin:
    ensure_schema(engine)
    return Rutin(SqlCaseStore(engine), ProcedureFolder(PROCEDURES), Systems(SandboxAdapter(engine)), FixedClock(moment))


def prepare(url: str) -> list[str]:
    engine = open_engine(url)
    service = service_on(engine, T0)
    service.save_user(User("admin", admin=True), "admin")
    service.save_user(User("anna", ADMIN_ROLES, ADMIN_TASKS, "Anna Berg", "anna@example.se"), "admin")
    ids = []
    for i in range(CASES):
        inputs = {"personnummer": personnummer(i), "orsak": "ej_last", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A"}
        case_id = service.start(PROC, inputs, "anna").id
        for action, fields in TO_THE_WAIT:
            service.do(case_id, action, fields, "anna")
        ids.append(case_id)
    engine.dispose()
    return ids


class RecordingMailer:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        self.sent.append(message_id)


def work(url: str, owner: str, barrier: Any, results: Any) -> None:
    """One worker: sweep and deliver in small batches until three rounds in a row find nothing to claim."""
    from engine.sweep import deliver_mail, sweep

    found: dict[str, Any] = {"owner": owner, "advanced": [], "overdue": [], "skipped": [], "errors": []}
    mailer = RecordingMailer()
    try:
        engine = open_engine(url)
        service = service_on(engine, SWEEP_AT)
        barrier.wait(60)
        idle = 0
        while idle < 3:
            report = sweep(service, limit=BATCH, owner=owner)
            delivered = deliver_mail(service, mailer, owner=owner, limit=BATCH)
            for name in ("advanced", "overdue", "skipped"):
                found[name] += getattr(report, name)
            found["errors"] += [f"{case}: {error}" for case, error in report.errors] + delivered.errors
            idle = idle + 1 if report.checked == 0 and delivered.sent == 0 else 0
        engine.dispose()
    except Exception as exc:  # a failure of the test: reported, never left hanging on the queue
        found["errors"].append(f"{type(exc).__name__}: {exc}")
    found["sent"] = mailer.sent
    results.put(found)


@pytest.mark.slow
def test_two_workers_on_postgresql_handle_each_due_wait_once_and_share_the_work(postgres_url: str) -> None:  # noqa: F811
    case_ids = prepare(postgres_url)

    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(WORKERS))
    results = ctx.Queue()
    procs = [ctx.Process(target=work, args=(postgres_url, owner, barrier, results)) for owner in WORKERS]
    for p in procs:
        p.start()
    found = {r["owner"]: r for r in (results.get(timeout=240) for _ in WORKERS)}
    for p in procs:
        p.join(timeout=60)
    a, b = (found[owner] for owner in WORKERS)
    print(
        f"\nadvanced {len(a['advanced'])} + {len(b['advanced'])}, overdue {len(a['overdue'])} + "
        f"{len(b['overdue'])}, mails {len(a['sent'])} + {len(b['sent'])}, skipped (lost a race, StaleCase) "
        f"{len(a['skipped'])} + {len(b['skipped'])}"
    )

    assert a["errors"] == [] and b["errors"] == []
    assert set(a["advanced"]).isdisjoint(b["advanced"])
    assert sorted(a["advanced"] + b["advanced"]) == sorted(case_ids)
    assert set(a["overdue"]).isdisjoint(b["overdue"])
    assert sorted(a["overdue"] + b["overdue"]) == sorted(case_ids)
    assert a["advanced"] and b["advanced"], "one worker did all the work: the test proved nothing about sharing"

    store = SqlCaseStore(open_engine(postgres_url))
    for case_id in case_ids:
        kinds = Counter(e.kind for e in store.events(case_id))
        assert (kinds["wait_overdue"], kinds["wait_satisfied"]) == (1, 1), (case_id, kinds)
        assert store.load_case(case_id).state == "ber_avbrott"
    mails = [i for i in store.outbox_items() if i.kind == "mail"]
    sent = Counter(a["sent"] + b["sent"])
    assert sorted(sent) == sorted(str(m.payload["message_id"]) for m in mails)
    assert set(sent.values()) == {1}, "a mail was sent by both workers"
    assert {m.status for m in mails} == {"done"}
    assert store.due_cases(SWEEP_AT, 10) == []
    store.engine.dispose()
