"""`rutin case guide`: an interactive checklist over the application layer, one step at a time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.errors import InvalidInputs, RutinError
from engine.service import Rutin
from engine.views import CaseView

PrintCase = Callable[[CaseView, str], None]


def run_guide(
    service: Rutin, case_id: str, actor: str, lang: str, print_case: PrintCase, ask: Callable[[str], str] = input
) -> CaseView:
    """Walk the case until it is done or the person quits. `ask` reads an answer (input() by default)."""
    en = lang == "en"
    while True:
        view = service.show(case_id, actor)
        print("")
        print_case(view, lang)
        if view.status == "done":
            print("\n" + ("The case is done." if en else "Ärendet är klart."))
            return view
        if view.actions:
            chosen = _choose(view, ask, en)
            if chosen is None:
                return view
            values = {f.name: ask(f"  {f.label} ({f.name}): ").strip() for f in chosen.fields}
            try:
                service.do(case_id, chosen.name, {k: v for k, v in values.items() if v}, actor)
            except InvalidInputs as exc:
                for p in exc.problems:
                    print(f"  ! {p.message}" + (f" ({p.hint})" if p.hint else ""))
            except RutinError as exc:
                print(f"  ! {exc.message}" + (f"\n    {exc.hint}" if exc.hint else ""))
            continue
        if view.waiting is not None:
            if not _wait(service, ask, en):
                return view
            continue
        return view


def _choose(view: CaseView, ask: Callable[[str], str], en: bool) -> Any:
    for i, action in enumerate(view.actions, 1):
        print(f"  [{i}] {action.label}")
    while True:
        answer = ask("Choose (number, q to quit): " if en else "Välj (nummer, q för att avsluta): ").strip().lower()
        if answer in ("q", "quit", "avsluta"):
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(view.actions):
            return view.actions[int(answer) - 1]
        print("  ! " + ("give one of the numbers above" if en else "ange ett av numren ovan"))


def _wait(service: Rutin, ask: Callable[[str], str], en: bool) -> bool:
    """The case waits on another system: check now, move a training clock, or quit."""
    movable = hasattr(service.clock, "advance")
    prompt = "[Enter] check now" if en else "[Enter] kontrollera nu"
    if movable:
        prompt += ", [+N] move the clock N minutes" if en else ", [+N] flytta klockan N minuter"
    prompt += ", [q] quit: " if en else ", [q] avsluta: "
    answer = ask(prompt).strip().lower()
    if answer in ("q", "quit", "avsluta"):
        return False
    if movable and answer.startswith("+") and answer[1:].isdigit():
        service.clock.advance(timedelta(minutes=int(answer[1:])))  # type: ignore[attr-defined]
    report = service.sweep()
    if report.errors:
        for case, error in report.errors:
            print(f"  ! {case}: {error}")
    return True
