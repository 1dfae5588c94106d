"""The worker's own mail: reminders, missed deadlines, overdue waits and the daily digest, in Swedish.

Plain text with the case's facts; a personnummer is shown only masked (YYYYMMDD-****). Pure: each
function returns a MailDraft for the outbox, and times are written in Swedish local time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from engine.case import Case
from engine.personnummer import SWEDEN, mask_personnummer
from engine.procedure import Deadline, LoadedProcedure, TaskStep, WaitStep
from engine.step import MailDraft


def local(moment: datetime | None) -> str:
    """Swedish local time as administrators read it; nothing for no moment."""
    return moment.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M") if moment else ""


def case_facts(loaded: LoadedProcedure, case: Case) -> str:
    """The case's inputs and fields as 'label: value' lines, personnummer masked."""
    specs = {i.name: i for i in loaded.procedure.inputs}
    for step in loaded.procedure.steps:
        if isinstance(step, TaskStep):
            specs.update({f.name: f for f in step.fields})
    lines = []
    for name, value in case.data.items():
        spec = specs.get(name)
        if spec is None or value is None:
            continue
        shown = mask_personnummer(str(value)) if spec.type in ("personnummer", "interim_or_personnummer") else value
        if spec.choices:
            shown = next((c.label for c in spec.choices if c.value == value), value)
        if isinstance(shown, bool):
            shown = "ja" if shown else "nej"
        lines.append(f"  {spec.label}: {shown}")
    return "\n".join(lines)


def _footer(loaded: LoadedProcedure, case: Case) -> str:
    step = loaded.procedure.step(case.state)
    system = getattr(step, "system", None)
    where = f" i {system}" if system else ""
    return (
        f"\nÄrendet står nu vid steget: {step.title}{where}.\n"
        f"Ärende: {case.id} ({loaded.procedure.title})\n"
        f"Visa ärendet: rutin case show {case.id}\n\n"
        "Det här meddelandet skickades automatiskt av Rutin.\n"
    )


def reminder(loaded: LoadedProcedure, case: Case, deadline: Deadline, due: datetime, to: str) -> MailDraft:
    body = (
        f"Hej,\n\nPåminnelse: {deadline.title} senast {local(due)}.\n"
        + (f"Rutinen: ”{deadline.cite}”\n" if deadline.cite else "")
        + f"\n{case_facts(loaded, case)}\n"
        + _footer(loaded, case)
    )
    return MailDraft(
        to,
        f"Påminnelse: {deadline.title} senast {due.astimezone(SWEDEN):%Y-%m-%d} ({case.id})",
        body,
        f"deadline:{deadline.id}",
    )


def deadline_missed(loaded: LoadedProcedure, case: Case, deadline: Deadline, due: datetime, to: str) -> MailDraft:
    body = (
        f"Hej,\n\nTidsgränsen har passerat: {deadline.title} skulle ha varit klart senast {local(due)}.\n"
        + (f"Rutinen: ”{deadline.cite}”\n" if deadline.cite else "")
        + f"\n{case_facts(loaded, case)}\n"
        + _footer(loaded, case)
    )
    return MailDraft(to, f"Försenat: {deadline.title} ({case.id})", body, f"deadline:{deadline.id}")


def wait_overdue(loaded: LoadedProcedure, case: Case, step: WaitStep, to: str) -> MailDraft:
    assert case.wait is not None
    body = (
        f"Hej,\n\nVäntan är försenad: {step.title} ({step.system}).\n"
        f"Väntan började {local(case.wait.started_at)}, förväntades vara klar senast {local(case.wait.expected_by)} "
        f"och räknas som försenad sedan {local(case.wait.overdue_at)}.\n"
        f"Kontrollera i {step.system} och kontakta teknisk support om det dröjer.\n"
        f"\n{case_facts(loaded, case)}\n" + _footer(loaded, case)
    )
    return MailDraft(to, f"Försenad väntan: {step.title} ({case.id})", body, f"overdue:{step.id}")


def digest(name: str, now: datetime, sections: Mapping[str, Sequence[tuple[str, str, str]]], to: str) -> MailDraft:
    """The daily digest: for each heading, lines of (case id, what, when)."""
    parts = [f"Hej {name},\n\nDina ärenden i Rutin {now.astimezone(SWEDEN):%Y-%m-%d}:\n"]
    for heading, rows in sections.items():
        parts.append(f"\n{heading} ({len(rows)})")
        parts.extend(f"  {case_id}  {what}  {when}" for case_id, what, when in rows)
        if not rows:
            parts.append("  –")
    parts.append("\nDet här meddelandet skickades automatiskt av Rutin.\n")
    return MailDraft(to, f"Rutin: dina ärenden {now.astimezone(SWEDEN):%Y-%m-%d}", "\n".join(parts), "digest")
