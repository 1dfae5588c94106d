"""`rutin worker`, `rutin digest` and `rutin outbox`: the background work and the mail it leaves."""

from __future__ import annotations

import click

from cli import JSON, Settings, app, emit_json, fail, pass_settings, refusals, show_table, table
from commands import collector


@app.command("worker")
@click.option("--once", is_flag=True, help="One sweep (and one round of mail), then exit.")
@click.option(
    "--interval", type=click.FloatRange(1, 3600), default=30, show_default=True, help="Seconds between sweeps."
)
@click.option("--no-mail", is_flag=True, help="Leave mail in the outbox even when SMTP is configured.")
@JSON
@pass_settings
def worker(s: Settings, once: bool, interval: float, no_mail: bool, as_json: bool) -> None:
    """Re-check due waits, mark overdue ones and escalate, send deadline reminders, deliver mail.

    Mail goes out over SMTP when RUTIN_SMTP_HOST is set (RUTIN_SMTP_PORT, RUTIN_SMTP_SECURITY=starttls|tls|none,
    RUTIN_SMTP_USER, RUTIN_SMTP_PASSWORD, RUTIN_MAIL_FROM); otherwise it waits in the outbox.
    """
    from adapters.smtp_mailer import SmtpMailer, SmtpSettings
    from engine.errors import RutinError
    from worker.loop import run_forever, run_once, worker_id

    with refusals():
        smtp = None if no_mail else SmtpSettings.from_env()
        mailer = SmtpMailer(smtp) if smtp else None
        service = s.service()
        if not once:
            if s.now:
                fail(
                    RutinError(
                        "--now stops the clock, so the worker would never see time pass", "use --now only with --once"
                    )
                )
            collector.settled()
            run_forever(service, mailer, interval=interval, single_only=not service.store.supports_many_workers)
            return
        result = run_once(service, mailer, worker_id())
        if mailer is not None:
            mailer.close()
    report = result["sweep"]
    if as_json:
        emit_json({**report, "mail": result.get("mail")})
        return
    click.echo(
        f"checked {report['checked']}, advanced {len(report['advanced'])}, overdue {len(report['overdue'])}, "
        f"to a person {len(report['asked_person'])}, reminders {report['reminders']}, "
        f"deadlines missed {len(report['deadlines_missed'])}, simulated actions {report['performed']}, "
        f"errors {len(report['errors'])}"
    )
    if "mail" in result:
        click.echo(
            f"mail: sent {result['mail']['sent']}, to retry {result['mail']['retried']}, "
            f"failed {result['mail']['failed']}"
        )
    for problem in report["errors"]:
        click.echo(f"  {problem['case']}: {problem['error']}", err=True)


@app.command("digest")
@pass_settings
def digest_command(s: Settings) -> None:
    """Write today's digest for each administrator to the outbox (the worker does this at 07:00)."""
    from engine.sweep import send_digests

    with refusals():
        written = send_digests(s.service())
    if s.lang == "en":
        click.echo(f"{written} digest(s) written to the outbox")
    else:
        what = "daglig sammanställning lagd" if written == 1 else "dagliga sammanställningar lagda"
        click.echo(f"{written} {what} i utkorgen")


@app.group("outbox")
def outbox_group() -> None:
    """Mail and simulated actions waiting to go out."""


@outbox_group.command("list")
@click.option("--case", "case_id", help="Only this case's items.")
@JSON
@pass_settings
def outbox_list(s: Settings, case_id: str | None, as_json: bool) -> None:
    """The outbox: what is pending, sent or failed."""
    with refusals():
        s.service().user(s.user)
        items = s.service().store.outbox_items(case_id)
    if as_json:
        emit_json(
            [
                {
                    "id": i.id,
                    "case": i.case_id,
                    "kind": i.kind,
                    "status": i.status,
                    "attempts": i.attempts,
                    "to": i.payload.get("to"),
                    "subject": i.payload.get("subject") or i.payload.get("action"),
                }
                for i in items
            ]
        )
        return
    out = table("id", "case", "kind", "status", "tries", "to / action", "subject")
    for i in items:
        out.add_row(
            str(i.id),
            i.case_id,
            i.kind,
            i.status,
            str(i.attempts),
            str(i.payload.get("to") or i.payload.get("action")),
            str(i.payload.get("subject") or ""),
        )
    show_table(out)
