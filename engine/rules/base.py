"""What a rule is: a named, typed check over a few values, citing the sentence of the routine it comes from.

A rule is a pure function from named values to a `Verdict`. Procedures use rules by name in `check`
steps (`rule: provning.same_dates` with `args`), the batch checker runs the registration rules over a
CSV export, and `rutin rules list` shows them. Each rule says whether it is national, municipal (which
municipality) or local, so a municipality can switch its own rules off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from engine.values import JsonValue

Scope = Literal["national", "municipal", "local"]


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # one of engine.values.VALUE_TYPES
    required: bool = True
    description: str = ""


@dataclass(frozen=True)
class Verdict:
    """The outcome of a rule: whether it holds and, when not, why (Swedish and English) and how to fix it."""

    ok: bool
    message: str = ""
    message_en: str = ""
    fix: str | None = None

    @staticmethod
    def holds() -> Verdict:
        return Verdict(True)

    @staticmethod
    def breaks(message: str, message_en: str, fix: str | None = None) -> Verdict:
        return Verdict(False, message, message_en, fix)


Check = Callable[[Mapping[str, JsonValue]], Verdict]


@dataclass(frozen=True)
class Rule:
    id: str  # dotted, e.g. "provning.group_name"
    title: str  # Swedish
    title_en: str
    scope: Scope
    source: str  # the routine's document (seed file and title)
    cite: str  # the sentence the rule comes from, as written
    params: tuple[Param, ...]
    check: Check = field(compare=False)
    municipality: str | None = None  # for municipal rules: Stockholm, Järfälla, ...
    registration: bool = False  # run by `rutin check registrations` over each CSV row

    def __call__(self, values: Mapping[str, JsonValue]) -> Verdict:
        return self.check(values)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "title_en": self.title_en,
            "scope": self.scope,
            "municipality": self.municipality,
            "source": self.source,
            "cite": self.cite,
            "params": [{"name": p.name, "type": p.type, "required": p.required} for p in self.params],
            "registration": self.registration,
        }


@dataclass(frozen=True)
class RuleSwitches:
    """Which rules are off: by id, or whole groups as `municipal:Stockholm`, `local`, `national`."""

    off: frozenset[str] = frozenset()

    def is_on(self, rule: Rule) -> bool:
        keys = {rule.id, rule.scope, f"{rule.scope}:{rule.municipality}" if rule.municipality else rule.scope}
        return not (keys & self.off)

    @staticmethod
    def parse(text: str | None) -> RuleSwitches:
        return RuleSwitches(frozenset(p.strip() for p in (text or "").split(",") if p.strip()))
