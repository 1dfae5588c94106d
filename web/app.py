"""The FastAPI application: sign-in, sign-out, language, errors; the pages themselves are in web/pages.py.

`create_app` is given the application layer (one `Rutin` per language, sharing their store), the identity
ports and a clock for sessions; the composition root (`rutin web`, commands/web.py) builds them. Handlers are
plain functions run in FastAPI's thread pool, so a slow argon2 check or a Graphviz drawing never blocks others.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.access import NotAllowed, is_auditor, is_process_owner
from engine.errors import ActionRefused, InvalidInputs, InvalidValue, NotFound, RutinError, StaleCase
from engine.personnummer import SWEDEN
from engine.ports import Authenticator, Clock, Identity, SessionStore, SignInThrottle, Throttled
from engine.service import Rutin
from engine.values import JsonValue
from web.security import (
    CSRF_FIELD,
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    RECORDED_NAME_LENGTH,
    SESSION_COOKIE,
    WEB_ACTOR,
    CsrfRefused,
    SignInRequired,
    Viewer,
    check_csrf,
    client_address,
    login_url,
    new_login_csrf,
    retry_after_seconds,
    safe_next,
    same,
)
from web.texts import Lang, event_kind, text, throttled_message

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Busy:
    """Every password check of this process is taken: the attempt was not checked (503, try again shortly)."""

    retry_after: int = 5


@dataclass
class Web:
    """What every handler needs: the application layer per language, identity, and how to render."""

    services: Mapping[Lang, Rutin]
    authenticator: Authenticator
    sessions: SessionStore
    session_clock: Clock
    templates: Jinja2Templates
    secure_cookies: bool
    throttle: SignInThrottle
    # argon2 takes 64 MiB per check: at most this many run at once in this process, whatever comes in
    password_checks: threading.BoundedSemaphore
    check_wait: float  # seconds an attempt waits for a free check before the server answers "busy"

    def attempt(self, name: str, password: str, address: str) -> Identity | Throttled | Busy | None:
        """One sign-in attempt: refused by the throttle before any argon2 work, else the password checked.

        Every checked outcome goes into the 'system' stream, as password changes do; never the password. A lock
        is written once (its first refusal), so a flood of refused attempts adds nothing to the history."""
        now = self.session_clock.now()
        who: dict[str, JsonValue] = {"name": name[:RECORDED_NAME_LENGTH], "address": address}
        lock = self.throttle.admit(name, address, now)
        if lock is not None:
            if lock.first:
                data = {**who, "scope": lock.scope, "until": lock.until.isoformat()}
                self.record(WEB_ACTOR, now, "sign_in_throttled", data)
            return lock
        if not self.password_checks.acquire(timeout=self.check_wait):
            self.throttle.forget(name, address, now)  # nothing was checked, so nothing counts against anyone
            return Busy()
        try:
            identity = self.authenticator.authenticate(name, password)
        finally:
            self.password_checks.release()
        if identity is None:
            self.record(WEB_ACTOR, now, "sign_in_failed", who)
            return None
        self.throttle.succeeded(name, address, now)
        self.record(identity.name, now, "signed_in", {"user": identity.name, "address": address})
        return identity

    def record(self, actor: str, at: datetime, kind: str, data: dict[str, JsonValue]) -> None:
        # the store is shared by every language's service; the session clock's time, as sessions use
        self.services["sv"].store.append_system_event(actor, at, kind, data)

    def service(self, request: Request) -> Rutin:
        return self.services[lang_of(request)]

    def viewer(self, request: Request, *, renew: bool = True) -> Viewer:
        """The signed-in person, or SignInRequired (also when their user was removed since).

        `renew=False` for the page's own polling: a tab left open must not keep a session alive forever."""
        token = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.resume(token, self.session_clock.now(), renew=renew) if token else None
        if session is None:
            raise SignInRequired(login_url(request), expired=token is not None)
        user = self.service(request).store.get_user(session.identity.name)
        if user is None:
            self.sessions.close(session.token)
            raise SignInRequired(login_url(request), expired=True)
        return Viewer(user, session)

    async def posted(self, request: Request) -> tuple[FormData, Viewer]:
        """A signed-in form's fields and who sent it; CsrfRefused unless it carries their session's token.

        Every POST of a signed-in person starts here, so none can forget the check."""
        form = await request.form()
        viewer = await run_in_threadpool(self.viewer, request)
        check_csrf(form.get(CSRF_FIELD), viewer.csrf)
        return form, viewer

    def _now(self, lang: Lang) -> datetime | None:
        try:
            return self.services[lang].now()
        except RutinError:  # an unreadable training clock: the error page must still render, saying so
            return None

    def render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200, viewer: Viewer | None = None
    ) -> HTMLResponse:
        merged = {**self.base_context(request, viewer), **context}
        response = self.templates.TemplateResponse(request, name, merged, status_code=status_code)
        if request.query_params.get("lang") in ("sv", "en"):
            response.set_cookie(LANG_COOKIE, lang_of(request), max_age=365 * 86400, samesite="lax", httponly=True)
        return response

    def render_text(self, request: Request, name: str, context: dict[str, Any], viewer: Viewer | None) -> str:
        """A template as text, with what every page gets (for a fragment inside another)."""
        return self.templates.get_template(name).render({**self.base_context(request, viewer), **context})

    def base_context(self, request: Request, viewer: Viewer | None) -> dict[str, Any]:
        lang = lang_of(request)
        return {
            "lang": lang,
            "t": lambda key: text(key, lang),
            "viewer": viewer,
            "csrf": viewer.csrf if viewer else None,
            "csrf_field": CSRF_FIELD,
            "is_auditor": viewer is not None and is_auditor(viewer.user),
            "is_process_owner": viewer is not None and is_process_owner(viewer.user),
            "switch_lang_url": switch_lang_url(request, "en" if lang == "sv" else "sv"),
            "path": request.url.path,
            "now": self._now(lang),
        }


def lang_of(request: Request) -> Lang:
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "sv"


def switch_lang_url(request: Request, lang: str) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", lang)]
    return request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)


def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(SWEDEN).strftime(fmt) if moment else "–"


def short_time(moment: datetime | None, now: datetime | None) -> str:
    """10:45 today, else 2024-06-03 10:45 (the list's "väntas senast 10:45")."""
    if moment is None:
        return "–"
    if now is None:
        return local_time(moment)
    here, today = moment.astimezone(SWEDEN), now.astimezone(SWEDEN)
    return here.strftime("%H:%M") if here.date() == today.date() else here.strftime("%Y-%m-%d %H:%M")


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters["local"] = local_time
    env.filters["local_iso"] = lambda stamp: local_time(datetime.fromisoformat(stamp))
    env.globals["short_time"] = short_time
    env.globals["event_kind"] = event_kind
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


def without_folder(text: str | None, folder: object) -> str | None:
    """An error's text without where the server keeps its procedure files: a file inside by its name, the folder
    itself by its last part (errors from the CLI's adapters name the full path, which is right on the server only)."""
    if text is None or folder is None:
        return text
    from pathlib import Path

    path = Path(str(folder))
    for where in dict.fromkeys((str(path), str(path.resolve()))):
        text = text.replace(where + "/", "").replace(where, path.name)
    return text


def error_status(error: RutinError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, InvalidInputs | InvalidValue):
        return 422
    if isinstance(error, StaleCase):
        return 409
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, ActionRefused):
        # a missing role (recorded, no rule) is 403; a rule that does not hold, or a step already done, is 409
        return 403 if error.recorded and error.rule is None else 409
    return 400


async def security_headers(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    # HTMX adds its indicator style inline; everything else comes from this site
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    )
    if not request.url.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")  # pages hold personal data: never in a shared cache
    return response


def create_app(
    services: Mapping[Lang, Rutin],
    authenticator: Authenticator,
    sessions: SessionStore,
    session_clock: Clock,
    *,
    secure_cookies: bool = False,
    throttle: SignInThrottle | None = None,
    password_checks: int = 4,
    check_wait: float = 2.0,
) -> FastAPI:
    """The app. Without a `throttle`, failed sign-ins are counted in the sessions' own database.

    `password_checks` bounds the argon2 checks running at once (4 x 64 MiB with argon2's defaults)."""
    if password_checks < 1 or check_wait < 0:
        raise ValueError("password_checks must be at least 1 and check_wait not negative")
    app = FastAPI(title="Rutin", docs_url=None, redoc_url=None, openapi_url=None)
    throttle = throttle or default_throttle(sessions)
    web = Web(
        services,
        authenticator,
        sessions,
        session_clock,
        make_templates(),
        secure_cookies,
        throttle,
        threading.BoundedSemaphore(password_checks),
        check_wait,
    )
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    app.middleware("http")(security_headers)

    add_error_pages(app, web)
    add_sign_in(app, web)
    from web.pages import add_pages

    add_pages(app, web)
    return app


def add_error_pages(app: FastAPI, web: Web) -> None:
    """Every refusal and error as a page in the person's language: sign-in needed, a stale form, the engine's
    refusals, and Starlette's own answers (no such URL, a method the URL does not take)."""

    @app.exception_handler(SignInRequired)
    def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = exc.next_url + ("&expired=1" if exc.expired else "")
        response: Response
        if request.headers.get("HX-Request"):  # HTMX swaps a fragment: tell it to load the sign-in page instead
            response = Response(status_code=401, headers={"HX-Redirect": target})
        else:
            response = RedirectResponse(target, status_code=303)
        if exc.expired:
            response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.exception_handler(CsrfRefused)
    def _csrf(request: Request, exc: CsrfRefused) -> Response:
        lang = lang_of(request)
        message = (
            "The form is out of date or did not come from Rutin; nothing was saved."
            if lang == "en"
            else "Formuläret är för gammalt eller kom inte från Rutin; ingenting sparades."
        )
        hint = "Reload the page and try again." if lang == "en" else "Ladda om sidan och försök igen."
        return web.render(request, "error.html", {"title": text("error", lang), "message": message, "hint": hint}, 403)

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        """Starlette's own answers (no such URL, a method the URL does not take) as a page, like every other."""
        lang = lang_of(request)
        if exc.status_code == 404:
            title = text("not_found", lang)
            message = (
                "There is no page at this address." if lang == "en" else "Det finns ingen sida på den här adressen."
            )
        else:
            title = text("error", lang)
            message = str(exc.detail) if lang == "en" else f"Förfrågan gick inte att besvara ({exc.status_code})."
        hint = "Start from Mina ärenden." if lang == "en" else "Börja om från Mina ärenden."
        try:
            viewer = web.viewer(request)
        except SignInRequired:
            viewer = None
        context = {"title": title, "message": message, "hint": hint}
        response = web.render(request, "error.html", context, exc.status_code, viewer)
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    @app.exception_handler(RutinError)
    def _refused(request: Request, exc: RutinError) -> Response:
        lang = lang_of(request)
        folder = getattr(web.service(request).source, "folder", None)  # the procedure folder's, if it is one
        message, hint = (without_folder(t, folder) for t in exc.localized(lang))
        status = error_status(exc)
        title = {403: "refused_title", 404: "not_found"}.get(status, "error")
        try:
            viewer = web.viewer(request)
        except SignInRequired:
            viewer = None
        context = {"title": text(title, lang), "message": message, "hint": hint}
        return web.render(request, "error.html", context, status, viewer)


def default_throttle(sessions: SessionStore) -> SignInThrottle:
    """The SQL throttle on the database that holds the sessions, so every process that shares them shares it.

    `rutin web` passes no throttle of its own (commands/web.py predates it); a session store that is not SQL
    must come with one, since an unthrottled sign-in would let a guessing flood run argon2 without bound."""
    from adapters.identity import SqlSessions, SqlSignInThrottle

    if not isinstance(sessions, SqlSessions):
        raise TypeError("create_app needs a throttle= for a session store that is not SqlSessions")
    return SqlSignInThrottle(sessions.engine)


def add_sign_in(app: FastAPI, web: Web) -> None:
    """GET/POST /login and POST /logout."""

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str | None = None, expired: str | None = None) -> Response:
        return _login_page(web, request, safe_next(next), expired is not None, None, 200)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()
        check_csrf(form.get(CSRF_FIELD), request.cookies.get(LOGIN_CSRF_COOKIE) or "")
        name = str(form.get("username") or "").strip()
        password = str(form.get("password") or "")
        target = safe_next(str(form.get("next") or "/"))
        # an empty name checks no password, so it costs nothing and is not counted
        outcome = await run_in_threadpool(web.attempt, name, password, client_address(request)) if name else None
        if isinstance(outcome, Throttled):
            return _throttled_page(web, request, target, name, outcome)
        if isinstance(outcome, Busy):
            busy = _login_page(web, request, target, False, name, 503, notice=text("busy", lang_of(request)))
            busy.headers["Retry-After"] = str(outcome.retry_after)
            return busy
        if outcome is None:
            return _login_page(web, request, target, False, name, 401)
        identity = outcome
        previous = request.cookies.get(SESSION_COOKIE)
        if previous:  # signing in again (perhaps as someone else) ends the session the browser had
            await run_in_threadpool(web.sessions.close, previous)
        session = await run_in_threadpool(web.sessions.open, identity, web.session_clock.now())
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            httponly=True,
            samesite="lax",
            secure=web.secure_cookies,
            path="/",
        )
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        _, viewer = await web.posted(request)
        await run_in_threadpool(web.sessions.close, viewer.session.token)
        name = viewer.user.name
        who: dict[str, JsonValue] = {"user": name, "address": client_address(request)}
        await run_in_threadpool(web.record, name, web.session_clock.now(), "signed_out", who)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


def _throttled_page(web: Web, request: Request, target: str, name: str, lock: Throttled) -> Response:
    """429 with Retry-After, and the sign-in form with the wait in the person's language."""
    seconds = retry_after_seconds(lock, web.session_clock.now())
    message = throttled_message(lock.scope, seconds, lang_of(request))
    response = _login_page(web, request, target, False, name, 429, notice=message)
    response.headers["Retry-After"] = str(seconds)
    return response


def _login_page(
    web: Web,
    request: Request,
    target: str,
    expired: bool,
    name: str | None,
    status: int,
    *,
    notice: str | None = None,
) -> Response:
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    token = existing if existing and len(existing) >= 24 else new_login_csrf()
    context = {
        "login_csrf": token,
        "next": target,
        "expired": expired,
        "failed": status == 401,
        "refused": notice,  # why no password was checked: too many failures, or too many checks at once
        "username": name,
    }
    response = web.render(request, "login.html", context, status)
    if not same(existing, token):
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="lax", secure=web.secure_cookies, path="/login"
        )
    return response
