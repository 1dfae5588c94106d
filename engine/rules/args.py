"""Reading a rule's arguments: dates, text, yes/no and numbers out of the JSON values a rule receives.

A missing or mistyped argument raises `BadArgument` carrying a breaking `Verdict` that names the value (in
Swedish and English, with a fix); `guarded` turns it into the rule's verdict, so a rule never raises on odd
input. Used by the rule modules of this package; reads no clock and no files, and registers no rule.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from datetime import date, datetime

from engine.rules.base import Check, Verdict
from engine.values import JsonValue

__all__ = [
    "BadArgument",
    "guarded",
    "need_date",
    "need_number",
    "need_text",
    "need_yes_no",
    "optional_date",
    "optional_text",
    "shown",
]

_DATE = re.compile(r"(\d{4})(-?)(\d{2})\2(\d{2})")
_YES = frozenset({"ja", "j", "yes", "y", "true", "1", "x"})
_NO = frozenset({"nej", "n", "no", "false", "0"})


class BadArgument(Exception):
    """A rule's argument is missing or of the wrong kind; `guarded` turns it into the rule's verdict."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message_en)
        self.verdict = verdict


def guarded(check: Check) -> Check:
    """Make a rule total: a `BadArgument` (or values that are not a mapping at all) becomes a breaking verdict."""

    @functools.wraps(check)
    def run(values: Mapping[str, JsonValue]) -> Verdict:
        if not isinstance(values, Mapping):
            return Verdict.breaks(
                f"Regeln fick inga namngivna värden (fick {shown(values)}).",
                f"The rule got no named values (got {shown(values)}).",
                "Ge regeln sina argument som namn och värde.",
            )
        try:
            return check(values)
        except BadArgument as exc:
            return exc.verdict

    return run


def shown(raw: object) -> str:
    """A value as a message shows it: text in quotes and cut short, other values as written."""
    if isinstance(raw, str):
        return f"'{raw if len(raw) <= 40 else raw[:37] + '...'}'"
    return repr(raw)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _missing(sv: str, en: str, fix: str) -> BadArgument:
    return BadArgument(Verdict.breaks(f"{_capital(sv)} saknas.", f"The {en} is missing.", fix))


def _not_a(kind_sv: str, kind_en: str, raw: object, sv: str, en: str, fix: str) -> BadArgument:
    return BadArgument(
        Verdict.breaks(
            f"{_capital(sv)} ska vara {kind_sv}, men är {shown(raw)}.",
            f"The {en} should be {kind_en}, but is {shown(raw)}.",
            fix,
        )
    )


def _is_blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def optional_date(values: Mapping[str, object], name: str, sv: str, en: str) -> date | None:
    """The date under `name` ('YYYY-MM-DD', also 'YYYYMMDD'), or None when absent or blank."""
    raw = values.get(name)
    if _is_blank(raw):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        match = _DATE.fullmatch(raw.strip())
        if match is not None:
            try:
                return date(int(match.group(1)), int(match.group(3)), int(match.group(4)))
            except ValueError:
                pass
    raise BadArgument(
        Verdict.breaks(
            f"{_capital(sv)} {shown(raw)} är inte ett datum.",
            f"The {en} {shown(raw)} is not a date.",
            f"Skriv {sv} som ÅÅÅÅ-MM-DD, t.ex. 2024-06-30.",
        )
    )


def need_date(values: Mapping[str, object], name: str, sv: str, en: str) -> date:
    """The date under `name`; missing is a `BadArgument`."""
    found = optional_date(values, name, sv, en)
    if found is None:
        raise _missing(sv, en, f"Ange {sv} som ÅÅÅÅ-MM-DD.")
    return found


def optional_text(values: Mapping[str, object], name: str, sv: str, en: str) -> str | None:
    """The text under `name`, stripped; None when absent. An empty text stays '' (a blank cell is not absent)."""
    raw = values.get(name)
    if raw is None:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    if not isinstance(raw, str):
        raise _not_a("text", "text", raw, sv, en, f"Ange {sv} som text.")
    return raw.strip()


def need_text(values: Mapping[str, object], name: str, sv: str, en: str) -> str:
    """The non-blank text under `name`; missing or blank is a `BadArgument`."""
    found = optional_text(values, name, sv, en)
    if not found:
        raise _missing(sv, en, f"Ange {sv}.")
    return found


def need_yes_no(values: Mapping[str, object], name: str, sv: str, en: str) -> bool:
    """A required yes/no: a JSON boolean, or ja/nej, yes/no, true/false, 1/0 as text."""
    raw = values.get(name)
    if isinstance(raw, bool):
        return raw
    if _is_blank(raw):
        raise _missing(sv, en, f"Ange ja eller nej för {sv}.")
    if isinstance(raw, str) and raw.strip().casefold() in _YES | _NO:
        return raw.strip().casefold() in _YES
    raise _not_a("ja eller nej", "yes or no", raw, sv, en, f"Ange ja eller nej för {sv}.")


def need_number(values: Mapping[str, object], name: str, sv: str, en: str) -> float:
    """A required finite number: a JSON number, or a number written as text (3,5 or 3.5)."""
    raw = values.get(name)
    if _is_blank(raw):
        raise _missing(sv, en, f"Ange {sv} som ett tal.")
    number: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip().replace(",", "."))
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise _not_a("ett tal", "a number", raw, sv, en, f"Ange {sv} som ett tal, t.ex. 12.")
    return number
