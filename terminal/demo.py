"""`rutin demo`: a grade-revocation case run end to end on the sandbox, with the clock moved through its waits.

It uses the same application layer as every other command and leaves the case in the database, so the
person can look at it afterwards (`rutin case show`, `rutin audit replay`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from adapters.clock import FixedClock, SystemClock
from engine.access import User
from engine.errors import ActionRefused
from engine.views import CaseView

DEMO_ROLES = ("Vux intern anordnare Sthlm",)
DEMO_TASKS = ("Betygsadministratör",)
DEMO_INPUTS = {
    "personnummer": "19121212-1212",  # Skatteverket's well-known test number
    "orsak": "fel_betygsgrupp",
    "kurskod": "MATMAT01a",
    "betygsgrupp": "MA1A-HT24",
    "ny_betygsgrupp": "MA1B-HT24",
}
DEMO_FIELDS = {"beslutande_larare": "Karin Lind", "betyg": "c", "status": "avbrott"}


def ensure_demo_users(service: Any) -> None:
    store = service.store
    if store.get_user("demo-admin") is None:
        service.save_user(User("demo-admin", display_name="Demo administratör", admin=True), "demo-admin")
    for name, full, roles, tasks in (
        ("anna", "Anna Berg, betygsadministratör", DEMO_ROLES, DEMO_TASKS),
        ("erik", "Erik Ek, utan behörighet", (), ()),
    ):
        if store.get_user(name) is None:
            service.save_user(User(name, roles, tasks, full), "demo-admin")


def run_demo(settings: Any, interactive: bool, print_case: Callable[[CaseView, str], None]) -> None:
    from engine.service import Rutin

    base = settings.service(create=True)
    start = base.clock.now() if isinstance(base.clock, SystemClock | FixedClock) else None
    clock = FixedClock(start.replace(second=0, microsecond=0)) if start else FixedClock(base.now())
    service = Rutin(base.store, base.source, base.systems, clock, lang=base.lang)
    ensure_demo_users(service)
    en = settings.lang == "en"
    say = print
    view = service.start("avregistrering-betyg", DEMO_INPUTS, "anna")
    say(
        ("Started case " if en else "Startade ärende ")
        + view.id
        + (" as anna (sandbox: BER and ED are simulated)" if en else " som anna (sandlåda: BER och ED är simulerade)")
    )
    try:
        service.do(view.id, view.actions[0].name, {}, "erik")
    except ActionRefused as refused:
        say(("erik, who has no role, is refused: " if en else "erik, utan behörighet, nekas: ") + refused.message)
    if interactive:
        from terminal.guide import run_guide

        run_guide(service, view.id, "anna", settings.lang, print_case)
    else:
        view = _walk(service, view.id, print_case, settings.lang)
    verify = service.verify("anna", view.id)
    replay = service.replay(view.id, "anna")
    mails = [i for i in service.store.outbox_items(view.id) if i.kind == "mail"]
    say("")
    say(f"audit verify: {verify.events} events, " + ("intact" if verify.ok else "BROKEN"))
    say("audit replay: " + ("matches the stored case" if replay.ok else "DIFFERS: " + "; ".join(replay.problems)))
    for mail in mails:
        say(f"\nmail to {mail.payload['to']} (in the outbox): {mail.payload['subject']}\n{mail.payload['body']}")
    say(
        ("Look again: " if en else "Titta igen: ") + f"rutin --as anna case show {view.id}   ·   "
        f"rutin --as anna audit log {view.id}"
    )


def _walk(service: Any, case_id: str, print_case: Callable[[CaseView, str], None], lang: str) -> CaseView:
    for _ in range(100):
        view: CaseView = service.show(case_id, "anna")
        print("\n" + "─" * 78)
        print_case(view, lang)
        if view.status == "done":
            return view
        if view.actions:
            action = view.actions[0]
            fields = {f.name: DEMO_FIELDS[f.name] for f in action.fields if f.name in DEMO_FIELDS}
            print(f"\n→ anna: {action.label}")
            service.do(case_id, action.name, fields, "anna")
        elif view.waiting is not None:
            service.clock.advance(timedelta(minutes=5))
            report = service.sweep()
            print(f"\n⏱  +5 min → {service.clock.now():%H:%M} UTC; worker: {len(report.advanced)} case(s) moved on")
    raise RuntimeError("the demo did not finish in 100 moves")
