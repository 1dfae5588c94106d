"""Who is signed in, and the CSRF token every form carries.

The session cookie holds a random token (HttpOnly, SameSite=Lax); the database keeps only its hash. A signed-in
form's CSRF token is derived from the session token (a keyed hash), so it needs no storage and another site, which
cannot read the cookie, cannot compute it. The sign-in form, before any session exists, uses a double-submit
cookie instead. Every POST is checked before anything else runs. Failed sign-ins are throttled per name and per
client address (the `SignInThrottle` port) before any password is checked.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from fastapi import Request

from engine.access import User
from engine.ports import Session, Throttled

SESSION_COOKIE = "rutin_session"
LOGIN_CSRF_COOKIE = "rutin_login_csrf"
LANG_COOKIE = "rutin_lang"
CSRF_FIELD = "csrf_token"
WEB_ACTOR = "rutin-web"  # the actor of sign-in attempts in the history: no one has proven who made them
RECORDED_NAME_LENGTH = 128  # users.name's width: a longer typed name is no user, and the history keeps this much


class SignInRequired(Exception):
    """No live session: the page answers with a redirect to the sign-in page (or HX-Redirect for HTMX)."""

    def __init__(self, next_url: str, expired: bool) -> None:
        super().__init__(next_url)
        self.next_url = next_url
        self.expired = expired


class CsrfRefused(Exception):
    """A POST without the right CSRF token: refused with 403 before anything is read or written."""


@dataclass(frozen=True)
class Viewer:
    user: User
    session: Session

    @property
    def csrf(self) -> str:
        return csrf_for(self.session.token)


def csrf_for(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"rutin-csrf", hashlib.sha256).hexdigest()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str | None) -> bool:
    # as bytes: compare_digest refuses str with characters beyond ASCII (TypeError), and a form may send any
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def check_csrf(given: object, expected: str) -> None:
    if not isinstance(given, str) or not same(given, expected):
        raise CsrfRefused


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path on this site (never //host or a full URL).

    Control characters are refused too: browsers drop a raw tab or newline from a URL, so "/<tab>/host" is
    "//host" to them."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    return value


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def client_address(request: Request) -> str:
    """The address failed sign-ins are counted under: the TCP peer (uvicorn runs with proxy headers off, so a
    client cannot pick its own by sending X-Forwarded-For; behind a reverse proxy this is the proxy's address)."""
    return request.client.host if request.client else "unknown"


def retry_after_seconds(lock: Throttled, now: datetime) -> int:
    """Whole seconds until the lock's window ends, at least 1: the Retry-After header's value."""
    return max(1, math.ceil((lock.until - now).total_seconds()))
