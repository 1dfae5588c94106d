"""Showing a case in a terminal: what to do now, in which system, what it waits for and until when.

Plain text with click's styles (colour only on a terminal), so showing or doing a step needs no heavy
import. Times are shown in Swedish local time (RUTIN_TZ to change).
"""

from __future__ import annotations

import os
from datetime import datetime

import click

from engine.views import CaseView

DEFAULT_TZ = "Europe/Stockholm"
STATUS_SV = {"open": "att göra", "waiting": "väntar", "overdue": "försenad", "done": "klar"}
COLOUR = {"overdue": "red", "waiting": "yellow", "done": "green", "open": "cyan"}


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if moment is None:
        return "–"
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(os.environ.get("RUTIN_TZ", DEFAULT_TZ))).strftime(fmt)


def status_text(status: str, lang: str) -> str:
    return status if lang == "en" else STATUS_SV[status]


def print_case(view: CaseView, lang: str) -> None:
    en = lang == "en"
    say = click.echo
    status = click.style(status_text(view.status, lang), fg=COLOUR[view.status], bold=view.status == "overdue")
    say(f"{click.style(view.id, bold=True)}  {view.procedure_title}  {status}")
    if en:
        events = f"{view.events} event{'' if view.events == 1 else 's'}"
        started = f"started {local(view.created_at)} by {view.created_by}"
    else:
        events = f"{view.events} {'händelse' if view.events == 1 else 'händelser'}"
        started = f"startat {local(view.created_at)} av {view.created_by}"
    say(click.style(f"{view.procedure} version {view.version[:12]} · {events} · {started}", dim=True))
    system = "  " + click.style(view.system, fg="magenta") if view.system else ""
    say(f"\n{click.style(view.step_title, bold=True)}{system}  ({view.state})")
    if view.instructions:
        say(view.instructions)
    if view.source and view.source.get("quote"):
        routine = "Routine" if en else "Rutinen"
        say(click.style(f"{routine}: ”{view.source['quote']}” ({view.source.get('section', '')})", dim=True))
    if view.waiting:
        w = view.waiting
        label = (
            ("waiting since", "expected by", "overdue after", "next check")
            if en
            else ("väntar sedan", "förväntas senast", "försenad efter", "nästa kontroll")
        )
        say("\n" + click.style(w.what, fg="yellow") + f" ({w.system})")
        late = click.style(" OVERDUE" if en else " FÖRSENAD", fg="red", bold=True) if w.overdue else ""
        expected = click.style(local(w.expected_by, "%H:%M"), bold=True)
        say(
            f"  {label[0]} {local(w.since, '%H:%M')}, {label[1]} {expected}, "
            f"{label[2]} {local(w.overdue_at, '%H:%M')}; {label[3]} {local(w.next_check_at, '%H:%M')}{late}"
        )
        if w.answered_by == "system":
            say(
                click.style(
                    "  "
                    + (
                        "the system is checked automatically by `rutin worker`"
                        if en
                        else "systemet kontrolleras automatiskt av `rutin worker`"
                    ),
                    dim=True,
                )
            )
    if view.actions:
        say("\n" + ("Actions:" if en else "Åtgärder:"))
        for action in view.actions:
            sets = "".join(f" --set {f.name}=…" for f in action.fields if f.required or f.required_when)
            say(
                f"  {click.style(action.name, bold=True)}  {action.label}    "
                + click.style(f"rutin case do {view.id} {action.name}{sets}", dim=True)
            )
            for f in action.fields:
                choices = f" ({', '.join(c['value'] for c in f.choices)})" if f.choices else ""
                say(f"      {f.name}: {f.label} [{f.type}]{choices}")
