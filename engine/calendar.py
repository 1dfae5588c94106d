"""Swedish working days: weekends, public holidays and the de facto holidays offices close on.

Holidays come from the `holidays` package (imported on first use: only deadline arithmetic needs it).
Midsummer Eve, Christmas Eve and New Year's Eve are not public holidays in law but no office works
them, so they count as non-working; the half days before them count as working days.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache


@cache
def _holidays(year: int) -> frozenset[date]:
    import holidays

    found = holidays.country_holidays("SE", years=year, categories=("public", "de_facto"))
    return frozenset(d for d, name in found.items() if not name.startswith("Day before"))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_days(start: date, days: int, *, working: bool) -> date:
    """`days` calendar or working days after (or, when negative, before) `start`."""
    if not working:
        return start + timedelta(days=days)
    step = 1 if days >= 0 else -1
    current, left = start, abs(days)
    while left:
        current += timedelta(days=step)
        if is_working_day(current):
            left -= 1
    return current
