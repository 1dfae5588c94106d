"""Mail delivery against a real SMTP server on loopback, a real SQLite file and a moved clock (never sleeping).

What is proved: a finished case's mail arrives once, in Swedish plain text, with the personnummer masked; a
server that is down or answers 4xx is asked again after the backoff; a refused recipient fails; a crash
between the send and the mark repeats the mail at most once, with the same Message-ID; two workers never
send the same item; a login works and a wrong password stays secret; digests are written once a day.
"""

from __future__ import annotations

import contextlib
import gc
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from adapters.clock import FixedClock
from adapters.procedure_folder import ProcedureFolder
from adapters.sandbox import SandboxAdapter
from adapters.smtp_mailer import SmtpMailer, SmtpSettings
from adapters.sql.database import open_engine
from adapters.sql.store import SqlCaseStore, from_iso
from adapters.sql.tables import outbox
from engine.access import User
from engine.errors import AdapterError
from engine.service import Rutin, mail_item
from engine.step import MailDraft
from engine.sweep import LEASE, MAX_ATTEMPTS, Mailer, backoff, deliver_mail, send_digests
from engine.systems import Systems
from tests.conftest import ADMIN_ROLES, ADMIN_TASKS, PROCEDURES, World
from tests.integration.test_grade_revocation import FIELDS, PROC, ROUTES, STUDENT, walk
from tests.worker.smtp_server import HOST, SmtpServer

SUPPORT = "support.systemadmin.amf@edu.stockholm.se"
FULL_PERSONNUMMER = re.compile(r"\b\d{6}(?:\d{2})?[-+]?\d{4}\b")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mailers() -> Iterator[Callable[..., SmtpMailer]]:
    """Makes SmtpMailers for a server and closes their kept connections at the end."""
    made: list[SmtpMailer] = []

    def make(server: SmtpServer, **settings: Any) -> SmtpMailer:
        mailer = SmtpMailer(SmtpSettings(HOST, server.port, "none", timeout=5, **settings))
        made.append(mailer)
        return mailer

    yield make
    for mailer in made:
        mailer.close()


@pytest.fixture
def other_worker(world: World) -> Iterator[Callable[[FixedClock], Rutin]]:
    """A second worker process, as far as the database can tell: its own engine and clock on the same file."""
    engines: list[Engine] = []

    def make(clock: FixedClock) -> Rutin:
        engine = open_engine(f"sqlite:///{world.db_path}")
        engines.append(engine)
        return Rutin(SqlCaseStore(engine), ProcedureFolder(PROCEDURES), Systems(SandboxAdapter(engine)), clock)

    yield make
    for engine in engines:
        engine.dispose()


def finish(world: World, reason: str = "ej_last") -> str:
    case = world.service.start(PROC, ROUTES[reason], "anna")
    walk(world, case.id)
    return case.id


def mail_rows(world: World) -> list[Any]:
    with world.store.engine.connect() as conn:
        return list(conn.execute(select(outbox).where(outbox.c.kind == "mail").order_by(outbox.c.id)).all())


def payloads(world: World) -> dict[str, dict[str, Any]]:
    return {str(i.payload["message_id"]): i.payload for i in world.store.outbox_items() if i.kind == "mail"}


def add_mail(world: World, key: str, to: str) -> None:
    draft = MailDraft(to, "Rutin: prov", "Hej,\n\nDetta är ett prov.\n", "prov")
    world.store.add_outbox_once([mail_item("-", 0, key, draft, world.clock.now())])


# -- delivery -----------------------------------------------------------------------------------------


def test_a_finished_case_mail_arrives_once_in_swedish_plain_text_with_the_personnummer_masked(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    case_id = finish(world, "fel_kurs")
    [row] = mail_rows(world)
    [payload] = payloads(world).values()

    report = deliver_mail(world.service, mailers(smtp, sender="rutin@skola.example.se"), owner="t")

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [got] = smtp.messages
    message = got.message
    assert got.rcpt_tos == (SUPPORT,)
    assert got.mail_from == "rutin@skola.example.se"
    assert message["To"] == payload["to"] == SUPPORT
    assert message["Subject"] == payload["subject"]
    assert got.message_id == payload["message_id"] == f"<{row.key}@rutin.invalid>"
    assert message["Date"]
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert not message.is_multipart()
    body = message.get_content().replace("\r\n", "\n")  # SMTP carries CRLF line ends
    assert body == payload["body"]
    assert body.startswith("Hej,")
    assert "makulering av ett felaktigt registrerat betyg" in body
    assert "Från kurs: MATMAT01a, betygsgrupp MA1A-HT24" in body
    assert "Till kurs: MATMAT02a, betygsgrupp MA2A-HT24" in body
    assert f"Ärende i Rutin: {case_id}" in body
    assert "Elev: 19121212-****" in body
    everything = body + "".join(f"{k}: {v}\n" for k, v in message.items())
    assert STUDENT not in everything
    assert FULL_PERSONNUMMER.search(everything) is None
    [done] = mail_rows(world)
    assert (done.status, done.attempts, done.lease_owner, done.lease_until) == ("done", 1, None, None)
    assert from_iso(done.sent_at) == world.clock.now()


def test_nothing_is_sent_again_once_marked_sent(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    finish(world)
    mailer = mailers(smtp)
    assert deliver_mail(world.service, mailer, owner="t").sent == 1
    world.advance(24 * 60)
    assert deliver_mail(world.service, mailer, owner="t").sent == 0
    assert len(smtp.messages) == 1


def test_a_connection_the_server_dropped_is_opened_again(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    mailer = mailers(smtp)
    add_mail(world, "first", "anna@skola.example.se")
    assert deliver_mail(world.service, mailer, owner="t").sent == 1  # the connection is kept open
    smtp.stop()
    smtp.start()
    add_mail(world, "second", "anna@skola.example.se")
    assert deliver_mail(world.service, mailer, owner="t").sent == 1
    assert smtp.message_ids() == ["<first@rutin.invalid>", "<second@rutin.invalid>"]


# -- retries ------------------------------------------------------------------------------------------


def test_a_server_that_is_down_is_asked_again_after_the_backoff_and_then_gets_the_mail_once(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    finish(world)
    mailer = mailers(smtp)
    smtp.stop()
    now = world.clock.now()

    down = deliver_mail(world.service, mailer, owner="t")

    assert (down.sent, down.retried, down.failed) == (0, 1, 0)
    assert "cannot reach the mail server" in down.errors[0]
    [row] = mail_rows(world)
    assert (row.status, row.attempts, row.lease_owner) == ("pending", 1, None)
    assert "cannot reach the mail server" in row.last_error
    assert from_iso(row.next_attempt_at) == now + backoff(1) == now + timedelta(seconds=30)

    smtp.start()
    early = deliver_mail(world.service, mailer, owner="t")  # the same moment: not due yet
    assert (early.sent, early.retried, early.failed) == (0, 0, 0)
    assert smtp.messages == []

    world.clock.advance(backoff(1))
    assert deliver_mail(world.service, mailer, owner="t").sent == 1
    assert len(smtp.messages) == 1
    [done] = mail_rows(world)
    assert (done.status, done.attempts) == ("done", 2)


def test_the_backoff_grows_and_the_item_fails_after_max_attempts(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    add_mail(world, "never", "anna@skola.example.se")
    mailer = mailers(smtp)
    smtp.stop()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_mail(world.service, mailer, owner="t")
        [row] = mail_rows(world)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (report.retried, row.status) == (1, "pending")
            waits.append(from_iso(row.next_attempt_at) - world.clock.now())
            world.clock.set(from_iso(row.next_attempt_at))
    assert (report.failed, row.status) == (1, "failed")
    assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[0] == timedelta(seconds=30) and waits[-1] == timedelta(hours=2)
    world.advance(24 * 60)
    smtp.start()
    assert deliver_mail(world.service, mailer, owner="t").sent == 0  # a failed item is not tried again
    assert smtp.messages == []


def test_a_451_after_the_data_is_retried(world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]) -> None:
    finish(world)
    mailer = mailers(smtp)
    smtp.answer("451 4.3.0 Try again later", at="DATA")
    busy = deliver_mail(world.service, mailer, owner="t")
    assert (busy.sent, busy.retried, busy.failed) == (0, 1, 0)
    assert "answered 451" in busy.errors[0]
    smtp.answer(None, at="DATA")
    world.clock.advance(backoff(1))
    assert deliver_mail(world.service, mailer, owner="t").sent == 1
    assert len(smtp.messages) == 1


def test_a_451_to_the_recipient_greylisting_is_retried(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    finish(world)
    smtp.answer("451 4.7.1 Greylisted, try again later", at="RCPT")
    report = deliver_mail(world.service, mailers(smtp), owner="t")
    assert (report.retried, report.failed) == (1, 0)


def test_a_550_refused_recipient_fails_at_once_and_is_not_tried_again(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    finish(world)
    mailer = mailers(smtp)
    smtp.answer("550 5.1.1 No such user here", at="RCPT")
    refused = deliver_mail(world.service, mailer, owner="t")
    assert (refused.sent, refused.retried, refused.failed) == (0, 0, 1)
    assert refused.errors == [f"the mail server refused the recipient {SUPPORT}"]
    [row] = mail_rows(world)
    assert (row.status, row.attempts) == ("failed", 1)
    smtp.answer(None)
    world.advance(24 * 60)
    assert deliver_mail(world.service, mailer, owner="t").sent == 0
    assert smtp.messages == []


def test_a_recipient_the_server_cannot_take_fails_alone_and_the_rest_is_sent(
    world: World, mailers: Callable[..., SmtpMailer]
) -> None:
    with SmtpServer(smtputf8=False) as ascii_only:
        add_mail(world, "a", "åsa.öberg@skola.example.se")
        add_mail(world, "b", "bo@skola.example.se")
        report = deliver_mail(world.service, mailers(ascii_only), owner="t")
        assert (report.sent, report.failed) == (1, 1)
        assert ascii_only.message_ids() == ["<b@rutin.invalid>"]


# -- crashes and several workers ----------------------------------------------------------------------


class Crash(BaseException):
    """The process dies: no `except` in the worker catches it."""


def test_a_crash_between_send_and_mark_repeats_the_mail_once_with_the_same_message_id(
    world: World,
    smtp: SmtpServer,
    mailers: Callable[..., SmtpMailer],
    other_worker: Callable[[FixedClock], Rutin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    finish(world)

    def dies(*_args: object, **_kwargs: object) -> None:
        raise Crash

    with monkeypatch.context() as patched:
        patched.setattr(world.store, "mark_sent", dies)
        with pytest.raises(Crash):
            deliver_mail(world.service, mailers(smtp), owner="crashed")
    assert len(smtp.messages) == 1
    [row] = mail_rows(world)
    assert (row.status, row.lease_owner) == ("pending", "crashed")

    clock = FixedClock(world.clock.now() + LEASE - timedelta(seconds=1))
    restarted = other_worker(clock)
    mailer = mailers(smtp)
    assert deliver_mail(restarted, mailer, owner="restarted").sent == 0  # the lease still holds
    clock.advance(timedelta(seconds=2))
    assert deliver_mail(restarted, mailer, owner="restarted").sent == 1
    clock.advance(timedelta(days=1))
    assert deliver_mail(restarted, mailer, owner="restarted").sent == 0

    ids = smtp.message_ids()
    assert len(ids) == 2
    assert ids[0] == ids[1] == f"<{row.key}@rutin.invalid>"
    [done] = mail_rows(world)
    assert done.status == "done"


class Interleaved:
    """Sends through `inner`; before the n-th message, lets another worker run a whole round first."""

    def __init__(self, inner: Mailer, before: int, other: Callable[[], object]) -> None:
        self.inner, self.before, self.other, self.calls = inner, before, other, 0

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        self.calls += 1
        if self.calls == self.before:
            self.other()
        self.inner.send(to, subject, body, message_id)


def test_two_workers_interleaved_deliver_each_mail_exactly_once(
    world: World,
    smtp: SmtpServer,
    mailers: Callable[..., SmtpMailer],
    other_worker: Callable[[FixedClock], Rutin],
) -> None:
    for reason in (*ROUTES, "ej_last"):
        finish(world, reason)
    for n in range(4):
        add_mail(world, f"extra.{n}", f"person{n}@skola.example.se")
    expected = payloads(world)
    assert len(expected) == 8
    b = other_worker(world.clock)
    b_mailer = mailers(smtp)
    b_reports = []
    a = Interleaved(mailers(smtp), 2, lambda: b_reports.append(deliver_mail(b, b_mailer, owner="b", limit=2)))

    first = deliver_mail(world.service, a, owner="a", limit=2)  # b takes the next two while a is busy
    assert (first.sent, b_reports[0].sent) == (2, 2)
    for _ in range(4):
        deliver_mail(b, b_mailer, owner="b", limit=1)
        deliver_mail(world.service, a, owner="a", limit=1)

    counts = Counter(smtp.message_ids())
    assert counts == Counter(dict.fromkeys(expected, 1))
    for received in smtp.messages:
        assert received.message["To"] == expected[received.message_id]["to"]
    assert {r.status for r in mail_rows(world)} == {"done"}


def test_a_worker_whose_lease_ran_out_mid_batch_does_not_send_what_another_took(
    world: World,
    smtp: SmtpServer,
    mailers: Callable[..., SmtpMailer],
    other_worker: Callable[[FixedClock], Rutin],
) -> None:
    add_mail(world, "one", "anna@skola.example.se")
    add_mail(world, "two", "bo@skola.example.se")
    b = other_worker(world.clock)
    store = world.service.store
    mark_sent = store.mark_sent
    marked: list[int] = []

    def slow_mark(item_id: int, at: datetime, attempts: int) -> None:
        """After a's first message the lease has run out (it took that long); b claims and sends what is left."""
        mark_sent(item_id, at, attempts)
        marked.append(item_id)
        if len(marked) == 1:
            world.clock.advance(LEASE + timedelta(seconds=1))
            deliver_mail(b, mailers(smtp), owner="b")

    store.mark_sent = slow_mark  # type: ignore[method-assign]
    deliver_mail(world.service, mailers(smtp), owner="a")

    assert Counter(smtp.message_ids()) == {"<one@rutin.invalid>": 1, "<two@rutin.invalid>": 1}


# -- credentials --------------------------------------------------------------------------------------

PASSWORD = "Hemligt-lösen-42"  # a test password for a loopback server
ASCII_PASSWORD = "Hemligt-losen-42"


def test_the_mailer_logs_in_with_the_configured_user_and_password(
    world: World, mailers: Callable[..., SmtpMailer]
) -> None:
    finish(world)
    with SmtpServer(logins={"rutin": ASCII_PASSWORD}) as server:
        report = deliver_mail(world.service, mailers(server, user="rutin", password=ASCII_PASSWORD), owner="t")
        assert report.sent == 1
        assert server.logged_in == ["rutin"]
        assert len(server.messages) == 1


@contextmanager
def sockets_collected() -> Iterator[list[warnings.WarningMessage]]:
    """Record the ResourceWarnings of what the block left open, instead of letting them spill into a later test."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield caught
        gc.collect()


def test_a_wrong_password_is_retryable_and_never_shown(world: World, mailers: Callable[..., SmtpMailer]) -> None:
    finish(world)
    wrong = "Fel-losen-99"
    with SmtpServer(logins={"rutin": ASCII_PASSWORD}) as server, sockets_collected():
        mailer = mailers(server, user="rutin", password=wrong)
        retryable, shown = None, ""
        try:
            mailer.send("anna@skola.example.se", "s", "b", "<x@rutin.invalid>")
        except AdapterError as exc:  # keep text only: the exception would keep the leaked socket alive
            retryable, shown = exc.retryable, f"{exc.message} {exc.hint} {exc!r} {exc.__cause__!r}"
        report = deliver_mail(world.service, mailer, owner="t")
        assert server.logged_in == []
        assert server.messages == []
    assert retryable is True
    assert "refused the login of rutin" in shown
    assert wrong not in shown
    assert wrong not in repr(mailer.settings)
    assert (report.retried, report.failed) == (1, 0)
    [row] = mail_rows(world)
    assert wrong not in row.last_error and wrong not in " ".join(report.errors)


def test_a_refused_login_leaves_no_connection_open() -> None:
    with SmtpServer(logins={"rutin": ASCII_PASSWORD}) as server, sockets_collected() as left:
        mailer = SmtpMailer(SmtpSettings(HOST, server.port, "none", "rutin", "Fel-losen-99", timeout=5))
        with contextlib.suppress(AdapterError):
            mailer.send("anna@skola.example.se", "s", "b", "<x@rutin.invalid>")
        mailer.close()
        del mailer
    assert [str(w.message) for w in left if issubclass(w.category, ResourceWarning)] == []


def test_a_password_with_swedish_letters_gives_an_adapter_error_not_a_crash(
    world: World, mailers: Callable[..., SmtpMailer]
) -> None:
    finish(world)
    error = None
    with SmtpServer(logins={"rutin": PASSWORD}) as server, sockets_collected():
        try:
            report = deliver_mail(world.service, mailers(server, user="rutin", password=PASSWORD), owner="t")
        except Exception as exc:  # keep the name only: the exception keeps the socket alive, and its repr the password
            error = type(exc).__name__
    assert error is None, error
    assert report.sent == 1 or report.failed == 1


# -- the daily digest ---------------------------------------------------------------------------------


def to_wait(world: World, case_id: str) -> None:
    for _ in range(5):  # the five steps before the BER wait of avregistrering-betyg
        state = world.service.show(case_id, "anna").state
        world.service.do(case_id, state, FIELDS.get(state, {}), "anna")


def test_the_digest_lists_overdue_open_and_waiting_cases_once_a_day(
    world: World, smtp: SmtpServer, mailers: Callable[..., SmtpMailer]
) -> None:
    world.service.save_user(User("anna", ADMIN_ROLES, ADMIN_TASKS, "Anna Berg", "anna@skola.example.se"), "admin")
    world.service.save_user(User("bo", ADMIN_ROLES, ADMIN_TASKS, "Bo Ek", "bo@skola.example.se"), "admin")
    overdue = world.service.start(PROC, ROUTES["ej_last"], "anna").id
    to_wait(world, overdue)
    world.advance(3 * 60)  # past the wait's overdue time; no sweep, so it is still waiting on BER
    waiting = world.service.start(PROC, ROUTES["ej_last"], "anna").id
    to_wait(world, waiting)
    open_ = world.service.start(PROC, ROUTES["fel_kurs"], "anna").id

    assert send_digests(world.service) == 1  # bo has an e-mail but no cases; erik has cases of none and no e-mail
    assert send_digests(world.service) == 0
    world.advance(60)
    assert send_digests(world.service) == 0  # still the same Swedish day

    [item] = [i for i in world.store.outbox_items() if i.kind == "mail"]
    assert item.payload["to"] == "anna@skola.example.se"
    body = str(item.payload["body"])
    assert body.startswith("Hej Anna Berg,")
    sections = {
        heading: block
        for heading, _, block in (part.strip().partition("\n") for part in body.split("\n\n"))
        if heading.endswith("(1)")
    }
    assert overdue in sections["Försenade (1)"] and "försenat sedan" in sections["Försenade (1)"]
    assert open_ in sections["Att göra nu (1)"]
    assert waiting in sections["Väntar på ett annat system (1)"]
    assert "väntas senast" in sections["Väntar på ett annat system (1)"]
    assert FULL_PERSONNUMMER.search(body) is None

    assert deliver_mail(world.service, mailers(smtp), owner="t").sent == 1
    [got] = smtp.messages
    assert got.message["Subject"] == "Rutin: dina ärenden 2024-06-03"
    assert got.message.get_content().replace("\r\n", "\n") == body

    world.advance(24 * 60)
    assert send_digests(world.service) == 1
    keys = [i.key for i in world.store.outbox_items() if i.kind == "mail"]
    assert keys == ["digest.anna.2024-06-03", "digest.anna.2024-06-04"]
