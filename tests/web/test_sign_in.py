"""Signing in and out: every page needs a session, wrong passwords are refused, sessions expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from adapters.sql.tables import sessions
from tests.web.conftest import IDLE, PASSWORD, Site, csrf_of

PAGES = [
    "/",
    "/cases/waiting-fragment",
    "/cases/new",
    "/cases/new/avregistrering-betyg",
    "/cases/R-TEST0001",
    "/procedures",
    "/procedures/avregistrering-betyg",
    "/audit/R-TEST0001",
    "/audit/R-TEST0001/export.json",
    "/audit/R-TEST0001/export.csv",
]
POSTS = ["/cases/new/avregistrering-betyg", "/cases/R-TEST0001/do", "/cases/R-TEST0001/comments", "/logout"]


def session_rows(site: Site) -> int:
    with site.service.store.engine.connect() as conn:  # type: ignore[attr-defined]
        return int(conn.execute(select(func.count()).select_from(sessions)).scalar_one())


@pytest.mark.parametrize("url", PAGES)
def test_every_page_redirects_to_sign_in_without_a_session(site: Site, url: str) -> None:
    site.start()
    answer = site.client.get(url, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


@pytest.mark.parametrize("url", POSTS)
def test_every_form_target_refuses_a_post_without_a_session(site: Site, url: str) -> None:
    site.start()
    before = site.service.store.events("R-TEST0001")
    answer = site.client.post(url, data={"action": "ed_sok_elev", "text": "x"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
    assert site.service.store.events("R-TEST0001") == before
    assert site.case_count() == 1


def test_the_live_fragment_asks_htmx_to_load_the_sign_in_page(site: Site) -> None:
    answer = site.client.get("/cases/waiting-fragment", headers={"HX-Request": "true"}, follow_redirects=False)
    assert answer.status_code == 401
    assert answer.headers["HX-Redirect"].startswith("/login?next=")


def test_signing_in_leads_back_to_the_page_asked_for(site: Site) -> None:
    site.start()
    first = site.client.get("/cases/R-TEST0001", follow_redirects=False)
    login = site.client.get(first.headers["location"])
    assert 'name="next" value="/cases/R-TEST0001"' in login.text
    done = site.client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(login.text), "next": "/cases/R-TEST0001"},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/cases/R-TEST0001"
    cookie = done.headers["set-cookie"]
    assert "rutin_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert site.client.get("/cases/R-TEST0001").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil.example"]
)
def test_after_sign_in_only_pages_of_this_site_are_followed(site: Site, target: str) -> None:
    login = site.client.get("/login")
    done = site.client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_of(login.text), "next": target},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/"


@pytest.mark.parametrize(("name", "password"), [("anna", "fel-lösenord-här"), ("ingen", PASSWORD), ("anna", "")])
def test_a_wrong_name_or_password_is_refused_without_saying_which(site: Site, name: str, password: str) -> None:
    login = site.client.get("/login")
    answer = site.client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(login.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "Fel användarnamn eller lösenord." in answer.text
    assert "rutin_session" not in answer.headers.get("set-cookie", "")
    assert session_rows(site) == 0
    assert site.client.get("/", follow_redirects=False).status_code == 303


def test_a_user_without_a_password_cannot_sign_in(site: Site) -> None:
    from engine.access import User

    site.service.save_user(User("ny"), "admin")
    login = site.client.get("/login")
    answer = site.client.post(
        "/login", data={"username": "ny", "password": "", "csrf_token": csrf_of(login.text)}, follow_redirects=False
    )
    assert answer.status_code == 401


def test_sign_in_without_the_forms_csrf_token_is_refused(site: Site) -> None:
    site.client.get("/login")  # the cookie half is there, the form half is not
    answer = site.client.post("/login", data={"username": "anna", "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 403
    assert session_rows(site) == 0


def test_the_session_ends_after_the_idle_time(site: Site) -> None:
    site.sign_in("anna")
    site.session_clock.advance(IDLE - timedelta(minutes=1))
    assert site.client.get("/", follow_redirects=False).status_code == 200  # activity renews the idle time
    site.session_clock.advance(IDLE - timedelta(minutes=1))
    assert site.client.get("/", follow_redirects=False).status_code == 200
    site.session_clock.advance(IDLE + timedelta(seconds=1))
    answer = site.client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert "expired=1" in answer.headers["location"]
    assert session_rows(site) == 0
    assert "Din session har gått ut" in site.client.get(answer.headers["location"]).text


def test_the_session_ends_at_its_absolute_lifetime_however_active(site: Site) -> None:
    site.sign_in("anna")
    for _ in range(15):  # 15 x 25 minutes of steady work: 6 h 15 min
        site.session_clock.advance(timedelta(minutes=25))
        assert site.client.get("/", follow_redirects=False).status_code == 200
    site.session_clock.advance(timedelta(hours=1, minutes=50))  # 8 h 05 min after signing in
    assert site.client.get("/", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_session_for_good(site: Site) -> None:
    site.sign_in("anna")
    token = site.client.cookies.get("rutin_session")
    answer = site.post("/logout", {})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert session_rows(site) == 0
    site.client.cookies.set("rutin_session", token or "")
    assert site.client.get("/", follow_redirects=False).status_code == 303


def test_the_database_keeps_only_a_hash_of_the_session_token(site: Site) -> None:
    site.sign_in("anna")
    token = site.client.cookies.get("rutin_session")
    assert token
    raw = site.db_path.read_bytes() + (site.db_path.with_name("rutin.db-wal").read_bytes())
    assert token.encode() not in raw


def test_closing_all_of_a_users_sessions_signs_them_out(site: Site) -> None:
    site.sign_in("anna")
    assert site.sessions.close_all("anna") == 1
    assert site.client.get("/", follow_redirects=False).status_code == 303


def test_the_waiting_lists_own_polling_does_not_keep_a_session_alive(site: Site) -> None:
    site.sign_in("anna")
    for _ in range(4):  # a tab left open for 40 minutes, polling
        site.session_clock.advance(timedelta(minutes=10))
        answer = site.client.get("/cases/waiting-fragment", headers={"HX-Request": "true"}, follow_redirects=False)
        if answer.status_code == 401:
            break
    assert answer.status_code == 401
    assert site.client.get("/", follow_redirects=False).status_code == 303


def test_pages_are_not_cached_and_cannot_be_framed(site: Site) -> None:
    site.sign_in("anna")
    headers = site.client.get("/").headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'self'" in headers["content-security-policy"]


def test_signing_in_again_ends_the_browsers_previous_session(site: Site) -> None:
    site.sign_in("anna")
    first = site.client.cookies.get("rutin_session")
    site.sign_in("bo")
    assert session_rows(site) == 1
    assert site.sessions.resume(first or "", site.session_clock.now()) is None
    assert "Bo Ek" in site.client.get("/").text


def test_a_csrf_token_beyond_ascii_is_refused_not_a_server_error(site: Site) -> None:
    login = site.client.get("/login")
    forged = "å" * len(csrf_of(login.text))  # hmac.compare_digest on such str raised TypeError: a 500
    answer = site.client.post(
        "/login", data={"username": "anna", "password": PASSWORD, "csrf_token": forged}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert session_rows(site) == 0
    site.sign_in("anna")
    refused = site.client.post("/logout", data={"csrf_token": forged}, follow_redirects=False)
    assert refused.status_code == 403
    assert session_rows(site) == 1


def test_signing_out_without_the_pages_csrf_token_keeps_the_session(site: Site) -> None:
    site.sign_in("anna")
    for data in ({}, {"csrf_token": "0" * 64}):  # another site can make a browser post here, not read the token
        answer = site.client.post("/logout", data=data, follow_redirects=False)
        assert answer.status_code == 403
    assert session_rows(site) == 1
    assert site.client.get("/", follow_redirects=False).status_code == 200


def test_an_unknown_name_costs_the_same_argon2_work_as_a_known_one(site: Site) -> None:
    from argon2 import PasswordHasher, extract_parameters

    from adapters.identity import PasswordAuthenticator

    checked: list[str] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            checked.append(hash if isinstance(hash, str) else hash.decode())
            return super().verify(hash, password)

    lowered = site.authenticator.hasher  # the users' hashes were made with these parameters
    hasher = Recording(lowered.time_cost, lowered.memory_cost, lowered.parallelism)
    authenticator = PasswordAuthenticator(site.authenticator.engine, hasher)
    assert authenticator.authenticate("ingen", PASSWORD) is None
    assert authenticator.authenticate("anna", "fel-lösenord-här") is None
    unknown, known = (extract_parameters(h) for h in checked)
    assert unknown == known  # the decoy was made with the hasher's own parameters, not argon2's defaults


def test_a_very_long_name_or_password_is_refused_without_a_session_or_an_error(site: Site) -> None:
    login = site.client.get("/login")
    for name, password in (("anna", "x" * 100_000), ("a" * 100_000, PASSWORD)):
        answer = site.client.post(
            "/login",
            data={"username": name, "password": password, "csrf_token": csrf_of(login.text)},
            follow_redirects=False,
        )
        assert answer.status_code == 401
    assert session_rows(site) == 0
