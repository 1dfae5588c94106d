"""`rutin worker`: the long-running process. APScheduler runs three jobs over the database:

- sweep (every --interval seconds): simulated actions, due waits (re-check, advance, overdue + escalation)
  and deadline timers, through `engine.sweep`;
- mail (every 10 s): deliver the outbox over SMTP with retries and backoff;
- digest (07:00 Swedish time): each administrator's summary, once a day.

No job keeps state in memory: every due thing is a row, claimed with a lease, so stopping and restarting
loses nothing and nothing fires twice. Several workers share one PostgreSQL database; SQLite supports one
worker at a time, and a second is refused.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from engine.errors import RutinError
from engine.sweep import Mailer, deliver_mail, send_digests, sweep
from worker.logs import info, logger

if TYPE_CHECKING:
    from engine.service import Rutin

HEARTBEAT = timedelta(seconds=30)
BATCH = 1000  # due cases one sweep claims
MAX_BATCHES = 50  # a job run stops after this many full batches, so the other jobs get their turn


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_once(service: Rutin, mailer: Mailer | None, owner: str) -> dict[str, Any]:
    log = logger()
    report = sweep(service, owner=owner)
    info(log, "sweep", **report.to_json())
    result: dict[str, Any] = {"sweep": report.to_json()}
    if mailer is not None:
        delivered = deliver_mail(service, mailer, owner=owner)
        info(
            log,
            "mail",
            sent=delivered.sent,
            retried=delivered.retried,
            failed=delivered.failed,
            errors=delivered.errors,
        )
        result["mail"] = {"sent": delivered.sent, "retried": delivered.retried, "failed": delivered.failed}
    return result


def run_forever(service: Rutin, mailer: Mailer | None, *, interval: float, single_only: bool) -> None:
    """Run the jobs until SIGTERM or SIGINT; the worker's registration is removed on the way out."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    log = logger()
    me = worker_id()
    service.store.register_worker(me, service.now(), single_only=single_only, stale_after=HEARTBEAT * 4)
    scheduler = BlockingScheduler(timezone="Europe/Stockholm")
    defaults = {"max_instances": 1, "coalesce": True, "misfire_grace_time": 60}

    def guarded(name: str, job: Any) -> Any:
        def run() -> None:
            try:
                job()
            except RutinError as exc:
                info(log, f"{name} failed", error=exc.message)
            except Exception as exc:  # the worker keeps running whatever one job met; the next run tries again
                log.exception(f"{name} crashed", extra={"fields": {"error": type(exc).__name__}})

        return run

    def sweep_all() -> None:
        """Sweep again while a sweep took a full batch: after an outage the backlog goes at once."""
        for _ in range(MAX_BATCHES):
            report = sweep(service, owner=me, limit=BATCH)
            info(log, "sweep", **report.to_json())
            if report.checked < BATCH:
                return

    scheduler.add_job(
        guarded("sweep", sweep_all),
        "interval",
        seconds=interval,
        next_run_time=_now(),
        **defaults,
    )
    if mailer is not None:

        def mail() -> None:
            r = deliver_mail(service, mailer, owner=me)
            if r.sent or r.retried or r.failed:
                info(log, "mail", sent=r.sent, retried=r.retried, failed=r.failed, errors=r.errors)

        scheduler.add_job(
            guarded("mail", mail), "interval", seconds=min(interval, 10), next_run_time=_now(), **defaults
        )
    scheduler.add_job(
        guarded("digest", lambda: info(log, "digest", written=send_digests(service))), "cron", hour=7, **defaults
    )
    scheduler.add_job(
        guarded("heartbeat", lambda: service.store.heartbeat(me, service.now())),
        "interval",
        seconds=HEARTBEAT.total_seconds(),
        **defaults,
    )

    stopping = threading.Event()

    def shut_down() -> None:
        # A signal may come before the scheduler runs (right after start-up): wait for it, then stop it.
        for _ in range(200):
            if scheduler.running:
                scheduler.shutdown(wait=False)
                return
            time.sleep(0.05)

    def stop(signum: int, _frame: Any) -> None:
        info(log, "worker stopping", signal=signal.Signals(signum).name)
        stopping.set()
        # not in the handler itself: it may interrupt the scheduler while it holds the lock shutdown() needs
        threading.Thread(target=shut_down, daemon=True).start()

    # the handlers are in place before the start is announced: a SIGTERM right after it stops the worker cleanly
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    info(log, "worker started", worker=me, interval=interval, mail=mailer is not None)
    try:
        if not stopping.is_set():
            scheduler.start()
    finally:
        service.store.unregister_worker(me)
        info(log, "worker stopped", worker=me)


def _now() -> Any:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Europe/Stockholm"))
