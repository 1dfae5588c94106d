"""`rutin web`: the web app on uvicorn, with the sweep in-process and, with --demo, demo users and cases."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli import DEFAULT_TZ, Settings, app, fail, pass_settings, refusals
from commands import collector

if TYPE_CHECKING:
    from fastapi import FastAPI

    from engine.service import Rutin


def build_web(
    settings: Settings,
    *,
    clock_file: Path | None = None,
    idle: timedelta = timedelta(minutes=30),
    absolute: timedelta = timedelta(hours=12),
    secure_cookies: bool = False,
    session_clock: Any = None,
) -> tuple[FastAPI, Rutin, Any]:
    """The app, its Swedish application layer and the authenticator (the composition root of the web)."""
    import os
    from zoneinfo import ZoneInfo

    from adapters.clock import FileClock, SystemClock
    from adapters.identity import PasswordAuthenticator, SqlSessions
    from engine.service import Rutin
    from web.app import create_app

    base = settings.service(create=True)
    clock = base.clock
    if clock_file is not None:
        clock = FileClock(clock_file, ZoneInfo(os.environ.get("RUTIN_TZ", DEFAULT_TZ)))
    parts = (base.store, base.source, base.systems, clock)
    sv = Rutin(*parts, lang="sv", switches=base.switches)
    en = Rutin(*parts, lang="en", switches=base.switches)
    engine = base.store.engine  # type: ignore[attr-defined]
    authenticator = PasswordAuthenticator(engine)
    sessions = SqlSessions(engine, idle, absolute)
    # sessions run on real time even when the engine's clock is a training clock moved by hours
    app_ = create_app(
        {"sv": sv, "en": en}, authenticator, sessions, session_clock or SystemClock(), secure_cookies=secure_cookies
    )
    return app_, sv, authenticator


class SweepThread(threading.Thread):
    """The worker's sweep in-process every `interval` seconds (the embedded SQLite set-up has no separate worker)."""

    def __init__(self, service: Rutin, interval: float) -> None:
        super().__init__(name="rutin-sweep", daemon=True)
        self.service = service
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        from engine.errors import RutinError
        from engine.sweep import sweep
        from worker.logs import info, logger
        from worker.loop import worker_id

        owner, log = worker_id(), logger()
        while not self.stopped.wait(self.interval):
            try:
                report = sweep(self.service, owner=owner)
            except RutinError as exc:  # e.g. an unreadable clock file: say so and try again next round
                click.echo(f"sweep: {exc.message}", err=True)
                continue
            if report.advanced or report.overdue or report.errors or report.deadlines:  # a quiet round says nothing
                info(log, "sweep", **report.to_json())


@app.command("web")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--demo", is_flag=True, help="Add demo users (with passwords) and a few demo cases.")
@click.option(
    "--clock-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the engine's time from this file (ISO-8601) on every call: a training clock tests can move.",
)
@click.option(
    "--worker/--no-worker",
    "run_worker",
    default=None,
    help="Run the sweep in-process (default: on with SQLite, off with PostgreSQL, which runs `rutin worker`).",
)
@click.option("--sweep-every", type=click.FloatRange(0.2, 3600), default=5.0, show_default=True, help="Seconds.")
@click.option("--session-idle", default="30m", show_default=True, help="Sign out after this long without a request.")
@click.option("--session-max", default="12h", show_default=True, help="Sign out after this long whatever happens.")
@click.option("--secure-cookies", is_flag=True, help="Send the session cookie only over HTTPS (behind TLS).")
@pass_settings
def web(
    s: Settings,
    host: str,
    port: int,
    demo: bool,
    clock_file: Path | None,
    run_worker: bool | None,
    sweep_every: float,
    session_idle: str,
    session_max: str,
    secure_cookies: bool,
) -> None:
    """Serve the web app (sign in, Mina ärenden, cases, procedures, audit)."""
    import uvicorn

    from engine.duration import parse_duration
    from engine.errors import RutinError

    try:
        idle, absolute = parse_duration(session_idle), parse_duration(session_max)
    except ValueError as exc:
        fail(RutinError(f"a session length is not a duration: {exc}", "use e.g. 30m, 8h or 1d"))
    if clock_file is not None and not clock_file.is_file():
        fail(
            RutinError(
                f"the clock file {clock_file} does not exist",
                "write a time into it first, e.g. echo 2024-06-03T10:30 > " + str(clock_file),
            )
        )
    with refusals():
        app_, service, authenticator = build_web(
            s, clock_file=clock_file, idle=idle, absolute=absolute, secure_cookies=secure_cookies
        )
        if demo:
            from web.demo import seed_demo, sign_in_help

            started = seed_demo(service, authenticator)
            if started:
                click.echo("Demoärenden: " + ", ".join(started))
            click.echo(sign_in_help(host, port))
        else:
            click.echo(f"Rutin körs på http://{host}:{port}/  (Ctrl-C avslutar)")
            click.echo("Logga in med en användare som har ett lösenord (sätt ett med `rutin users password NAMN`).")
    if run_worker is None:
        run_worker = not service.store.supports_many_workers
    sweeper = SweepThread(service, sweep_every) if run_worker else None
    if sweeper is not None:
        sweeper.start()
    collector.settled()
    try:
        uvicorn.run(app_, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        if sweeper is not None:
            sweeper.stopped.set()
            sweeper.join(timeout=10)
