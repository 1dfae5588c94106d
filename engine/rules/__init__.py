"""The rule library: every named rule the routines give, in one registry.

Rules are registered by the modules of this package when it is imported (`catalogue()` imports them on
first use, so a step that uses no rule pays nothing). See `base.py` for what a rule is.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from engine.rules.base import Check, Param, Rule, RuleSwitches, Scope, Verdict

__all__ = ["Param", "Rule", "RuleSwitches", "Verdict", "catalogue", "get_rule", "rule"]

_RULES: dict[str, Rule] = {}
_MODULES: tuple[str, ...] = tuple(
    f"engine.rules.{name}" for name in ("identity", "courses", "provning", "grading", "scb", "csn", "alvis")
)


def rule(
    id: str,
    *,
    title: str,
    title_en: str,
    scope: Scope,
    source: str,
    cite: str,
    params: tuple[Param, ...],
    municipality: str | None = None,
    registration: bool = False,
) -> Callable[[Check], Rule]:
    """Register the decorated function as a rule; the module keeps the returned Rule under its name."""

    def register(check: Check) -> Rule:
        if id in _RULES:
            raise ValueError(f"rule '{id}' is registered twice")
        made = Rule(id, title, title_en, scope, source, cite, params, check, municipality, registration)
        _RULES[id] = made
        return made

    return register


def catalogue() -> dict[str, Rule]:
    for name in _MODULES:  # importing registers; a module already imported costs a dict lookup
        importlib.import_module(name)
    return _RULES


def get_rule(rule_id: str) -> Rule | None:
    return catalogue().get(rule_id)


def judge(rule_id: str, args: dict[str, str], data: dict[str, object], switches: RuleSwitches) -> tuple[Verdict, bool]:
    """The verdict of a rule over a case's values (`args` maps rule parameters to value names or '=text').

    Returns the verdict and whether the rule ran; a rule switched off holds without running.
    """
    found = get_rule(rule_id)
    if found is None:
        raise KeyError(rule_id)
    if not switches.is_on(found):
        return Verdict.holds(), False
    values = {param: (name[1:] if name.startswith("=") else data.get(name)) for param, name in args.items()}
    return found.check(values), True  # type: ignore[arg-type]


def switch_names() -> set[str]:
    """Every name `--rules-off` understands: rule ids, scopes, and `municipal:<municipality>` groups."""
    names: set[str] = {"national", "municipal", "local"}
    for found in catalogue().values():
        names.add(found.id)
        if found.municipality:
            names.add(f"{found.scope}:{found.municipality}")
    return names


def checked_switches(text: str | None) -> RuleSwitches:
    """`RuleSwitches.parse`, refusing a name no rule answers to: a misspelt id would leave its rule on unnoticed.

    Without `text` (every command run without --rules-off) it reads no rule module."""
    switches = RuleSwitches.parse(text)
    if not switches.off and not (text and text.strip()):
        return switches
    from difflib import get_close_matches

    from engine.errors import RutinError

    if not switches.off:
        raise RutinError(
            f"--rules-off '{text}' names no rule",
            "give rule ids or groups separated by commas (`rutin rules list` shows them), or leave it out",
            sv=(
                f"--rules-off '{text}' anger ingen regel",
                "ange regel-id eller grupper med kommatecken emellan (`rutin rules list` visar dem), "
                "eller utelämna det",
            ),
        )
    known = sorted(switch_names())
    unknown = sorted(switches.off.difference(known))
    if unknown:
        close = {name: get_close_matches(name, known, n=1) for name in unknown}
        en = "; ".join(f"did you mean '{c[0]}' for '{n}'?" for n, c in close.items() if c)
        sv = "; ".join(f"menade du '{c[0]}' i stället för '{n}'?" for n, c in close.items() if c)
        names = ", ".join(f"'{n}'" for n in unknown)
        raise RutinError(
            f"--rules-off: no rule or group is called {names}",
            f"{en + ' ' if en else ''}`rutin rules list` shows every rule id; groups are national, local and "
            "municipal:<kommun>",
            sv=(
                f"--rules-off: ingen regel eller grupp heter {names}",
                f"{sv + ' ' if sv else ''}`rutin rules list` visar alla regel-id; grupperna är national, local och "
                "municipal:<kommun>",
            ),
        )
    return switches
