"""Whether an open case may move to a new version of its procedure (issue 6's rule).

A case may move when none of the steps whose behaviour changed has run for it (its current step counts
as run). Pure: it reads only the changes `diff_procedures` found and the new version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.change_words import Change
from engine.procedure import Procedure


@dataclass(frozen=True)
class Assessment:
    """Whether one case may move to the new version, why not, and the step it would stand at."""

    safe: bool
    reasons_sv: list[str]
    reasons_en: list[str]
    new_state: str | None


def assess_migration(case_route: Sequence[str], state: str, changes: Sequence[Change], new: Procedure) -> Assessment:
    """Whether a case at `state`, having been at `case_route`, may move to `new` (the version `changes` lead to).

    Conservative: unsafe when any step that changed in behaviour is in the route or is the current step (a
    wait in progress whose query or timing changed included), when the new version requires an input the
    case was started without or changed the rules of one it was given, or when the current step has no place
    in the new version. Wording changes are always safe. A step that was only renamed is safe: the case's
    state moves to its new id (`new_state`).
    """
    rename = {c.step_id: c.new_step_id for c in changes if c.kind == "step_renamed" and c.step_id and c.new_step_id}
    been = {*case_route, state}
    reasons: list[tuple[str, str]] = []
    for change in changes:
        if not change.affects_cases or change.kind in ("step_added", "step_renamed"):
            continue
        if change.step_id is None:
            reasons.append(
                (
                    f"Det gäller alla öppna ärenden: {change.detail_sv}",
                    f"This concerns every open case: {change.detail_en}",
                )
            )
        elif change.step_id == state:
            reasons.append(
                (
                    f"Ärendet står vid steget '{state}', som har ändrats: {change.detail_sv}",
                    f"The case is at step '{state}', which changed: {change.detail_en}",
                )
            )
        elif change.step_id in been:
            reasons.append(
                (
                    f"Steget '{change.step_id}' har redan körts för ärendet och har ändrats: {change.detail_sv}",
                    f"Step '{change.step_id}' has already run for the case and changed: {change.detail_en}",
                )
            )
    new_state: str | None = rename.get(state, state)
    if new_state not in {s.id for s in new.steps}:
        new_state = None
        reasons.append(
            (
                f"Steget där ärendet står, '{state}', finns inte i den nya versionen",
                f"The step the case is at, '{state}', does not exist in the new version",
            )
        )
    return Assessment(not reasons, [r[0] for r in reasons], [r[1] for r in reasons], new_state)
