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
