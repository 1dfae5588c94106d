"""Failed sign-ins are throttled per name and per address, in the database, before any argon2 work; sign-ins,
sign-outs and failed or throttled attempts are events of the 'system' stream."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from adapters.identity import PasswordAuthenticator, SqlSessions, SqlSignInThrottle, throttle_name
from adapters.sql.database import open_engine
from adapters.sql.store import SqlCaseStore
from engine.history import Event
from engine.ports import Identity
from engine.service import Rutin
from tests.web.conftest import ABSOLUTE, IDLE, PASSWORD, Site, csrf_of
from tests.web.test_cli_web import rutin

WRONG = "fel-lösenord-här"
ATTACKER = ("203.0.113.9", 40000)
OFFICE = ("198.51.100.20", 40000)


class CountingHasher(PasswordHasher):
    """argon2 as the site's authenticator runs it, counting every password check."""

    def __init__(self, like: PasswordHasher) -> None:
        super().__init__(like.time_cost, like.memory_cost, like.parallelism)
        self.checks = 0
        self.lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self.lock:
            self.checks += 1
        return super().verify(hash, password)


class App:
    """One web app (as one server process would be) over the site's database file, with a counting hasher."""

    def __init__(
        self,
        site: Site,
        throttle: SqlSignInThrottle | None = None,
        client: tuple[str, int] = ATTACKER,
        **options: float,
    ) -> None:
        from web.app import create_app

        self.engine = open_engine(f"sqlite:///{site.db_path}")  # its own engine: its own connections, as a process
        store = SqlCaseStore(self.engine)
        base = site.service
        services = {lang: Rutin(store, base.source, base.systems, base.clock, lang=lang) for lang in ("sv", "en")}
        self.hasher = CountingHasher(site.authenticator.hasher)
        authenticator = PasswordAuthenticator(self.engine, self.hasher)
        sessions = SqlSessions(self.engine, IDLE, ABSOLUTE)
        self.app = create_app(services, authenticator, sessions, site.session_clock, throttle=throttle, **options)  # type: ignore[arg-type]
        self.client = TestClient(self.app, base_url="http://127.0.0.1", client=client)

    def sign_in(self, name: str, password: str, lang: str = "sv") -> Any:
        """The answer to one sign-in (the TestClient's response: httpx2's or httpx's, whichever starlette found)."""
        page = self.client.get("/login")
        return self.client.post(
            f"/login?lang={lang}",
            data={"username": name, "password": password, "csrf_token": csrf_of(page.text), "next": "/"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()
        self.engine.dispose()


@pytest.fixture
def web(site: Site) -> Iterator[App]:
    app = App(site)
    yield app
    app.close()


def system_events(site: Site) -> list[Event]:
    return site.service.store.events("system")


def after(site: Site, count: int) -> list[Event]:
    return system_events(site)[count:]


def fail_times(web: App, name: str, times: int) -> None:
    for _ in range(times):
        assert web.sign_in(name, WRONG).status_code == 401


def test_five_failures_then_429_with_retry_after_and_no_argon2(web: App, site: Site) -> None:
    for _ in range(5):
        assert web.sign_in("anna", WRONG).status_code == 401
        site.session_clock.advance(timedelta(minutes=1))  # five failures over five minutes
    assert web.hasher.checks == 5

    answer = web.sign_in("anna", PASSWORD)  # even the right password is not checked now

    assert answer.status_code == 429
    assert answer.headers["retry-after"] == str(10 * 60)
    assert "För många misslyckade inloggningar för det här namnet. Försök igen om 10 minuter." in answer.text
    assert "rutin_session" not in answer.headers.get("set-cookie", "")
    assert web.hasher.checks == 5
    site.session_clock.advance(timedelta(minutes=8, seconds=30))
    later = web.sign_in("anna", PASSWORD)
    assert later.headers["retry-after"] == "90"
    assert "Försök igen om 2 minuter." in later.text
    site.session_clock.advance(timedelta(seconds=40))
    assert "Försök igen om 1 minut." in web.sign_in("anna", PASSWORD).text
    assert web.hasher.checks == 5


def test_a_flood_of_refused_attempts_runs_no_argon2_and_adds_one_event(web: App, site: Site) -> None:
    fail_times(web, "anna", 5)
    before = len(system_events(site))
    for _ in range(200):
        assert web.sign_in("anna", WRONG).status_code == 429
    assert web.hasher.checks == 5
    assert [e.kind for e in after(site, before)] == ["sign_in_throttled"]


def test_unknown_names_are_throttled_exactly_like_known_ones(web: App, site: Site) -> None:
    def answers(name: str) -> list[tuple[int, str | None, str]]:
        seen = []
        for _ in range(7):
            answer = web.sign_in(name, WRONG)
            body = re.sub(r'value="[^"]*"', "", answer.text.replace(name, "NAME"))
            seen.append((answer.status_code, answer.headers.get("retry-after"), body))
        return seen

    known, unknown = answers("anna"), answers("ingen-sadan")

    assert [s for s, _, _ in known] == [401] * 5 + [429] * 2
    assert known == unknown
    assert web.hasher.checks == 10  # five each: the unknown name ran the decoy check, no more


def test_the_lock_ends_with_its_window_and_the_person_gets_in(web: App, site: Site) -> None:
    fail_times(web, "anna", 5)
    site.session_clock.advance(timedelta(minutes=14, seconds=59))
    assert web.sign_in("anna", PASSWORD).status_code == 429

    site.session_clock.advance(timedelta(seconds=1))

    assert web.sign_in("anna", PASSWORD).status_code == 303
    assert web.client.get("/", follow_redirects=False).status_code == 200


def test_a_new_window_after_the_lock_counts_from_zero(web: App, site: Site) -> None:
    fail_times(web, "anna", 5)
    site.session_clock.advance(timedelta(minutes=15))
    fail_times(web, "anna", 5)  # a fresh five, not one more
    assert web.sign_in("anna", PASSWORD).status_code == 429


def test_a_successful_sign_in_clears_the_names_failures(web: App, site: Site) -> None:
    fail_times(web, "anna", 4)
    assert web.sign_in("anna", PASSWORD).status_code == 303
    throttle = SqlSignInThrottle(web.engine)
    assert throttle.failures("anna", ATTACKER[0], site.session_clock.now()) == {"name": 0, "address": 4}

    fail_times(web, "anna", 5)  # five more before the lock, not one

    assert web.sign_in("anna", PASSWORD).status_code == 429


def test_the_name_is_counted_whatever_its_case_or_width(web: App) -> None:
    for name in ("Anna", "ANNA", " anna", "ａｎｎａ", "anna"):  # the app strips; the throttle folds case and width
        assert web.sign_in(name, WRONG).status_code == 401
    assert web.sign_in("anna", PASSWORD).status_code == 429
    assert throttle_name(" ＡＮＮＡ ") == "anna"


def test_two_app_instances_on_one_database_file_share_the_count(site: Site) -> None:
    first, second = App(site), App(site, client=ATTACKER)
    try:
        fail_times(first, "anna", 3)
        fail_times(second, "anna", 2)
        assert first.sign_in("anna", PASSWORD).status_code == 429
        assert second.sign_in("anna", PASSWORD).status_code == 429
        assert first.hasher.checks + second.hasher.checks == 5
    finally:
        first.close()
        second.close()


def test_parallel_attempts_cannot_slip_past_the_bound(site: Site) -> None:
    """Each attempt is counted in the transaction that reads the count: 24 at once, 5 get through."""
    engines = [open_engine(f"sqlite:///{site.db_path}") for _ in range(4)]
    throttles = [SqlSignInThrottle(e) for e in engines]
    admitted: list[bool] = []
    start = threading.Barrier(24)

    def attempt(i: int) -> None:
        start.wait()
        lock = throttles[i % 4].admit("anna", "192.0.2.1", site.session_clock.now())
        admitted.append(lock is None)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert admitted.count(True) == 5


def test_one_address_is_bounded_across_names_and_other_addresses_are_not_held_back(site: Site) -> None:
    throttle = SqlSignInThrottle(open_engine(f"sqlite:///{site.db_path}"), per_name=5, per_address=8)
    attacker = App(site, throttle=throttle, client=ATTACKER)
    office = App(site, client=OFFICE)
    try:
        fail_times(attacker, "anna", 2)
        fail_times(attacker, "bo", 2)
        fail_times(attacker, "x1", 4)  # 8 from this address
        refused = attacker.sign_in("petra", WRONG, lang="en")
        assert refused.status_code == 429
        assert "Too many failed sign-ins from your address. Try again in 15 minutes." in refused.text
        assert attacker.hasher.checks == 8
        # no name is locked by this address beyond its own count: from the office, anna and bo get in
        assert office.sign_in("anna", PASSWORD).status_code == 303
        assert office.sign_in("bo", PASSWORD).status_code == 303
        assert office.sign_in("petra", PASSWORD).status_code == 303
    finally:
        attacker.close()
        office.close()
        throttle.engine.dispose()


def test_a_success_gives_back_the_addresss_attempt(site: Site) -> None:
    throttle = SqlSignInThrottle(open_engine(f"sqlite:///{site.db_path}"), per_name=5, per_address=3)
    office = App(site, throttle=throttle, client=OFFICE)
    try:
        for name in ("anna", "bo", "olof", "petra", "erik", "admin"):  # a busy office signing in: no failures
            assert office.sign_in(name, PASSWORD).status_code == 303
        assert throttle.failures("anna", OFFICE[0], site.session_clock.now())["address"] == 0
    finally:
        office.close()
        throttle.engine.dispose()


def test_the_message_is_in_english_when_asked(web: App) -> None:
    fail_times(web, "anna", 5)
    answer = web.sign_in("anna", PASSWORD, lang="en")
    assert "Too many failed sign-ins for this user name. Try again in 15 minutes." in answer.text
    assert 'role="alert"' in answer.text


def test_sign_in_still_needs_the_forms_csrf_token_and_a_refused_post_counts_nothing(web: App, site: Site) -> None:
    web.client.get("/login")
    for _ in range(10):
        answer = web.client.post("/login", data={"username": "anna", "password": WRONG}, follow_redirects=False)
        assert answer.status_code == 403
    assert web.hasher.checks == 0
    assert SqlSignInThrottle(web.engine).failures("anna", ATTACKER[0], site.session_clock.now()) == {
        "name": 0,
        "address": 0,
    }
    fail_times(web, "anna", 5)
    web.client.get("/login")
    assert web.client.post("/login", data={"username": "anna", "password": PASSWORD}).status_code == 403


def test_sign_ins_sign_outs_and_failures_are_in_the_system_stream_and_verify(web: App, site: Site) -> None:
    before = len(system_events(site))
    fail_times(web, "ingen", 1)
    assert web.sign_in("anna", PASSWORD).status_code == 303
    token = csrf_of(web.client.get("/").text)
    assert web.client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    fail_times(web, "bo", 5)
    web.sign_in("bo", PASSWORD)
    web.sign_in("bo", PASSWORD)

    new = after(site, before)

    at = site.session_clock.now()
    address = ATTACKER[0]
    assert [(e.kind, e.actor, e.data) for e in new] == [
        ("sign_in_failed", "rutin-web", {"name": "ingen", "address": address}),
        ("signed_in", "anna", {"user": "anna", "address": address}),
        ("signed_out", "anna", {"user": "anna", "address": address}),
        *[("sign_in_failed", "rutin-web", {"name": "bo", "address": address})] * 5,
        (
            "sign_in_throttled",
            "rutin-web",
            {"name": "bo", "address": address, "scope": "name", "until": (at + timedelta(minutes=15)).isoformat()},
        ),
    ]
    assert all(e.at == at for e in new)
    assert not any(PASSWORD in str(e.data) or WRONG in str(e.data) for e in system_events(site))
    report = site.service.verify("admin")
    assert report.ok, report.problems


def test_rutin_audit_verify_passes_over_the_sign_in_events(web: App, site: Site) -> None:
    fail_times(web, "anna", 5)
    web.sign_in("anna", PASSWORD)
    site.session_clock.advance(timedelta(minutes=15))
    assert web.sign_in("anna", PASSWORD).status_code == 303
    done = rutin(site.db_path.parent, "audit", "verify")  # the command an auditor runs, on this database file
    assert done.returncode == 0, done.stdout + done.stderr
    kinds = [e.kind for e in system_events(site)]
    assert kinds.count("sign_in_failed") == 5
    assert kinds.count("sign_in_throttled") == 1
    assert kinds.count("signed_in") == 1


def test_an_empty_name_checks_nothing_and_counts_nothing(web: App, site: Site) -> None:
    before = len(system_events(site))
    for _ in range(10):
        assert web.sign_in("", WRONG).status_code == 401
    assert web.hasher.checks == 0
    assert after(site, before) == []


def test_the_throttle_refuses_bad_bounds(site: Site) -> None:
    engine = open_engine(f"sqlite:///{site.db_path}")
    try:
        for bad in ({"per_name": 0}, {"per_address": 0}, {"window": timedelta(0)}):
            with pytest.raises(ValueError, match="must be positive"):
                SqlSignInThrottle(engine, **bad)
    finally:
        engine.dispose()


def test_create_app_without_a_throttle_needs_sql_sessions(site: Site) -> None:
    from web.app import create_app

    class MemorySessions:
        def open(self, identity: Identity, now: object) -> None: ...

    with pytest.raises(TypeError, match="needs a throttle"):
        create_app({"sv": site.service}, site.authenticator, MemorySessions(), site.session_clock)  # type: ignore[arg-type]


def throttle_rows(web: App) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from adapters.sql.tables import sign_in_throttle

    with web.engine.connect() as conn:
        query = select(sign_in_throttle.c.scope, sign_in_throttle.c.key).order_by(sign_in_throttle.c.scope)
        return [(r.scope, r.key) for r in conn.execute(query)]


def test_ended_windows_are_swept_when_someone_signs_in(web: App, site: Site) -> None:
    fail_times(web, "ingen", 2)
    site.session_clock.advance(timedelta(minutes=16))
    assert web.sign_in("anna", PASSWORD).status_code == 303
    assert throttle_rows(web) == [("address", ATTACKER[0])]  # this window's address row; the ended ones are gone


def test_ended_windows_are_swept_when_new_names_are_tried_so_the_table_does_not_grow(web: App, site: Site) -> None:
    for name in ("x1", "x2", "x3"):
        fail_times(web, name, 1)
    site.session_clock.advance(timedelta(minutes=16))
    fail_times(web, "y", 1)
    assert throttle_rows(web) == [("address", ATTACKER[0]), ("name", "y")]


def test_when_every_password_check_is_taken_the_attempt_is_answered_busy_and_not_counted(site: Site) -> None:
    busy = App(site, password_checks=1, check_wait=0)
    try:
        checks = busy.app.state.web.password_checks
        assert checks.acquire(blocking=False)  # another request's argon2 check is running
        before = len(system_events(site))
        answer = busy.sign_in("anna", PASSWORD, lang="en")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        assert "Many people are signing in right now. Try again in a few seconds." in answer.text
        assert busy.hasher.checks == 0
        throttle = SqlSignInThrottle(busy.engine)
        assert throttle.failures("anna", ATTACKER[0], site.session_clock.now()) == {"name": 0, "address": 0}
        assert after(site, before) == []
        checks.release()
        assert busy.sign_in("anna", PASSWORD).status_code == 303
        assert busy.hasher.checks == 1
    finally:
        busy.close()


def test_create_app_refuses_no_password_checks(site: Site) -> None:
    from web.app import create_app

    with pytest.raises(ValueError, match="password_checks must be at least 1"):
        create_app({"sv": site.service}, site.authenticator, site.sessions, site.session_clock, password_checks=0)
