"""The worker's use cases: re-check due waits, mark them overdue and escalate, fire deadline timers, deliver mail.

Everything the worker must do is a row in the database (a wait's due time, a timer, an outbox item), claimed
with a lease so that several workers share the work and a crashed one's claims run out; each case moves in
its own transaction with optimistic locking, so nothing is done twice. A sweep reads no clock of its own:
`now` comes from the service's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from engine.access import WORKER
from engine.case import Case
from engine.duration import parse_duration
from engine.errors import AdapterError, RutinError, StaleCase
from engine.machine import SATISFIED
from engine.ports import OutboxItem, TimerRow
from engine.procedure import LoadedProcedure, WaitStep
from engine.step import MailDraft, Move, advance, mark_overdue, resolve_arg

if TYPE_CHECKING:
    from engine.service import Rutin

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 12  # about 8 hours of retries with the backoff below, then the item is marked failed


class Mailer(Protocol):
    """Sends one message; raises AdapterError (retryable or not) when it cannot."""

    def send(self, to: str, subject: str, body: str, message_id: str) -> None: ...


@dataclass
class SweepReport:
    checked: int = 0
    advanced: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    asked_person: list[str] = field(default_factory=list)
    performed: int = 0
    reminders: int = 0
    deadlines: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # moved on meanwhile
    errors: list[tuple[str, str]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)  # systems whose adapter answers again after a fallback

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "advanced": self.advanced,
            "overdue": self.overdue,
            "asked_person": self.asked_person,
            "performed": self.performed,
            "reminders": self.reminders,
            "deadlines_missed": self.deadlines,
            "skipped": self.skipped,
            "errors": [{"case": c, "error": e} for c, e in self.errors],
            "restored": self.restored,
        }


def sweep(service: Rutin, *, limit: int = 1000, owner: str = "rutin-once") -> SweepReport:
    report = SweepReport(performed=service.dispatch())
    now = service.now()
    _recover(service, now, report)
    for case_id in service.store.claim_due_cases(now, owner, LEASE, limit):
        report.checked += 1
        try:
            _sweep_case(service, service.store.load_case(case_id), now, report)
        except StaleCase:
            report.skipped.append(case_id)
        except RutinError as exc:
            report.errors.append((case_id, exc.message))
    for timer in service.store.claim_due_timers(now, owner, LEASE, limit):
        try:
            _fire_timer(service, timer, now, report)
        except StaleCase:
            report.skipped.append(timer.case_id)
        except RutinError as exc:
            report.errors.append((timer.case_id, exc.message))
    return report


def _sweep_case(service: Rutin, case: Case, now: datetime, report: SweepReport) -> None:
    wait = case.wait
    if wait is None:
        return
    loaded = service.pinned(case.procedure_hash)
    step = loaded.procedure.step(case.state)
    if not isinstance(step, WaitStep):
        return
    if not wait.overdue_marked and now >= wait.overdue_at:
        outcome = mark_overdue(case, now, WORKER)
        seq = outcome.events[-1].seq
        mails = [
            _mail(case.id, seq, f"{case.id}.{seq}.overdue.{i}", m, now)
            for i, m in enumerate(_escalation(service, loaded, outcome.case, step))
        ]
        service.store.commit(case, outcome.case, outcome.events, mails, keep_lease=True)  # still ours: ask next
        report.overdue.append(case.id)
        case = outcome.case
        wait = case.wait
        assert wait is not None
    if wait.by_person or wait.next_check_at > now:
        return
    adapter = service.systems.adapter_for(step.system)
    args = {p: resolve_arg(n, case.data) for p, n in step.until.args.items()}
    try:
        answer = adapter.ask(step.system, step.until.query, args, now)
    except Exception as exc:  # whatever an adapter meets, the sweep goes on with the next case
        # A failure is never an answer: "no" is what some waits wait for ("the grade has disappeared").
        report.errors.append((case.id, _failure(adapter.name, step.system, exc)))
        again = now + parse_duration(step.check_every)
        service.store.update_wait(case, case.evolve(wait=replace(wait, next_check_at=again)))
        return
    if answer is None:
        service.store.update_wait(case, case.evolve(wait=replace(wait, by_person=True)))
        report.asked_person.append(case.id)
    elif answer == step.until.equals:
        machine = service.machine(loaded)
        move = Move(SATISFIED, WORKER, now, source=f"{adapter.name}:{step.system}")
        outcome = advance(loaded, machine, case, move, service.systems.manual, internal=True, switches=service.switches)
        items = service.outbox(outcome)
        service.store.commit(case, outcome.case, outcome.events, items, service.timers(loaded, outcome.case))
        service.perform_now(items)
        report.advanced.append(case.id)
    else:
        again = now + parse_duration(step.check_every)
        service.store.update_wait(case, case.evolve(wait=replace(wait, next_check_at=again)))


def _failure(adapter: str, system: str, exc: Exception) -> str:
    if isinstance(exc, RutinError):
        return exc.message
    return f"{adapter}:{system} failed unexpectedly ({type(exc).__name__}); the wait is checked again later"


def _recover(service: Rutin, now: datetime, report: SweepReport) -> None:
    """Probe each system answered by a person because its adapter failed; when it answers again, hand the waits
    that were given to a person back to it (each still lets the person answer until then)."""
    for system, adapter in service.systems.recoverable():
        try:
            restored = adapter.recover(now)
        except Exception as exc:  # a probe that breaks is reported, never stops the sweep
            report.errors.append((f"system:{system}", _failure(adapter.name, system, exc)))
            continue
        if restored:
            report.restored.append(system)
            _hand_back(service, system, now)


def _hand_back(service: Rutin, system: str, now: datetime) -> None:
    from engine.ports import CaseFilter

    for status in ("waiting", "overdue"):
        for case in service.store.list_cases(CaseFilter(status=status, limit=100_000), now):
            wait = case.wait
            if wait is None or not wait.by_person:
                continue
            step = service.pinned(case.procedure_hash).procedure.step(case.state)
            if isinstance(step, WaitStep) and step.system == system:
                service.store.update_wait(case, case.evolve(wait=replace(wait, by_person=False, next_check_at=now)))


def _escalation(service: Rutin, loaded: LoadedProcedure, case: Case, step: WaitStep) -> list[MailDraft]:
    from engine.notices import wait_overdue

    recipients = service.people_on(case) + [_address(who, case) for who in step.escalate_to]
    return [wait_overdue(loaded, case, step, to) for to in dict.fromkeys(r for r in recipients if r)]


def _address(who: str, case: Case) -> str:
    return who if "@" in who else str(case.data.get(who) or "")


def _fire_timer(service: Rutin, timer: TimerRow, now: datetime, report: SweepReport) -> None:
    from engine.deadlines import is_met
    from engine.notices import deadline_missed, reminder

    case = service.store.load_case(timer.case_id)
    loaded = service.pinned(case.procedure_hash)
    deadline = next((d for d in loaded.procedure.deadlines if d.id == timer.deadline), None)
    if deadline is None or is_met(deadline, case, set(case.route)):
        service.store.close_timer(timer, "met", now)
        return
    recipients = [
        address
        for who in deadline.to
        for address in (service.people_on(case) if who == "handlaggare" else [_address(who, case)])
        if address
    ]
    if timer.kind == "reminder" and now >= timer.due:
        # the worker was away past the deadline itself: the missed-deadline mail says it all, not a late reminder
        service.store.close_timer(timer, "met", now)
        return
    draft = reminder if timer.kind == "reminder" else deadline_missed
    drafts = [draft(loaded, case, deadline, timer.due, to) for to in dict.fromkeys(recipients)]
    if timer.kind == "reminder":
        mails = [_mail(case.id, case.version, f"{case.id}.{timer.key}.{i}", m, now) for i, m in enumerate(drafts)]
        service.store.close_timer(timer, "fired", now, mails)
        report.reminders += 1
        return
    from engine.step import deadline_event

    outcome = deadline_event(case, now, WORKER, deadline.id, timer.due)
    seq = outcome.events[-1].seq
    mails = [_mail(case.id, seq, f"{case.id}.{timer.key}.{i}", m, now) for i, m in enumerate(drafts)]
    service.store.close_timer(timer, "fired", now, mails, case, outcome.case, outcome.events)
    report.deadlines.append(case.id)


def _mail(case_id: str, seq: int, key: str, draft: MailDraft, now: datetime) -> OutboxItem:
    from engine.service import mail_item

    return mail_item(case_id, seq, key, draft, now)


# -- mail delivery ------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 2 hours: a mail server that is down is asked again, not hammered."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 7200))


def deliver_mail(service: Rutin, mailer: Mailer, *, owner: str, limit: int = 100) -> DeliveryReport:
    """Send the mail that is due. Each item is marked sent right after the server accepts it."""
    report = DeliveryReport()
    now = service.now()
    items: Sequence[OutboxItem] = service.store.claim_outbox("mail", now, owner, LEASE, limit)
    for item in items:
        # renew the claim right before sending: a batch that outlasted its lease may have been claimed again
        if not service.store.renew_outbox_lease(item.id or 0, owner, service.now(), LEASE):
            continue
        p = item.payload
        attempts = item.attempts + 1
        try:
            mailer.send(str(p["to"]), str(p["subject"]), str(p["body"]), str(p["message_id"]))
        except AdapterError as exc:
            give_up = not exc.retryable or attempts >= MAX_ATTEMPTS
            service.store.retry_later(item.id or 0, attempts, now + backoff(attempts), exc.message, give_up=give_up)
            report.failed += give_up
            report.retried += not give_up
            report.errors.append(exc.message)
            continue
        service.store.mark_sent(item.id or 0, service.now(), attempts)  # the window a crash can repeat a mail in
        report.sent += 1
    return report


# -- the daily digest ---------------------------------------------------------------------------------


def send_digests(service: Rutin) -> int:
    """Write each person's digest of what is due, waiting and overdue to the outbox, once a day per person."""
    from engine.notices import digest, local
    from engine.personnummer import SWEDEN
    from engine.views import pick

    now = service.now()
    day = now.astimezone(SWEDEN).date().isoformat()
    items: list[OutboxItem] = []
    for user in service.store.list_users():
        if not user.email:
            continue
        cases = service.store.open_cases_of(user.name)
        sections: dict[str, list[tuple[str, str, str]]] = {
            "Försenade": [],
            "Att göra nu": [],
            "Väntar på ett annat system": [],
        }
        for case in cases:
            loaded = service.pinned(case.procedure_hash)
            step = loaded.procedure.step(case.state)
            what = f"{pick(loaded.procedure.title, None, 'sv')}: {step.title}"
            status = case.display_status(now)
            if status == "overdue":
                when = f"försenat sedan {local(case.overdue_at)}" if case.overdue_at else ""
                sections["Försenade"].append((case.id, what, when))
            elif status == "waiting" and case.wait is not None:
                sections["Väntar på ett annat system"].append(
                    (case.id, what, f"väntas senast {local(case.wait.expected_by)}")
                )
            elif status == "open":
                sections["Att göra nu"].append((case.id, what, ""))
        if not any(sections.values()):
            continue
        draft = digest(user.display_name or user.name, now, sections, user.email)
        items.append(_mail("-", 0, f"digest.{user.name}.{day}", draft, now))
    return service.store.add_outbox_once(items)
