"""Swedish working days (engine/calendar.py): weekends, public holidays and the eves offices close on.

Every expected date here is worked out by hand from a Swedish calendar, not from the `holidays` package, so
a change in the package's data or in how the engine filters it shows up as a failing test.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.calendar import add_days, is_working_day

NON_WORKING = {
    "new_years_day": date(2025, 1, 1),
    "epiphany": date(2025, 1, 6),
    "good_friday": date(2024, 3, 29),
    "easter_monday": date(2024, 4, 1),
    "may_day": date(2024, 5, 1),
    "ascension_day": date(2024, 5, 9),
    "national_day_thursday": date(2024, 6, 6),
    "national_day_friday": date(2025, 6, 6),
    "midsummer_eve": date(2024, 6, 21),
    "midsummer_eve_2025": date(2025, 6, 20),
    "christmas_eve": date(2024, 12, 24),
    "christmas_day": date(2024, 12, 25),
    "boxing_day": date(2024, 12, 26),
    "new_years_eve": date(2024, 12, 31),
    "saturday": date(2024, 6, 8),
    "sunday": date(2024, 6, 9),
}
WORKING = {
    "maundy_thursday": date(2024, 3, 28),  # skärtorsdagen: a half day, but a working day
    "tuesday_after_easter": date(2024, 4, 2),
    "day_before_national_day": date(2024, 6, 5),
    "day_before_midsummer_eve": date(2024, 6, 20),
    "day_before_midsummer_eve_2025": date(2025, 6, 19),
    "monday_after_midsummer": date(2024, 6, 24),
    "day_before_christmas_eve": date(2024, 12, 23),
    "friday_between_christmas_and_new_year": date(2024, 12, 27),
    "day_before_new_years_eve": date(2024, 12, 30),
    "first_working_day_of_2025": date(2025, 1, 2),
    "day_before_all_saints_day": date(2024, 11, 1),  # allhelgonaafton is a working day
    "ordinary_wednesday": date(2024, 6, 12),
}


@pytest.mark.parametrize("day", NON_WORKING.values(), ids=NON_WORKING.keys())
def test_weekends_public_holidays_and_the_eves_are_not_working_days(day: date) -> None:
    assert not is_working_day(day)


@pytest.mark.parametrize("day", WORKING.values(), ids=WORKING.keys())
def test_ordinary_days_and_the_days_before_the_eves_are_working_days(day: date) -> None:
    assert is_working_day(day)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2024, 3, 28), 1, date(2024, 4, 2)),  # Good Friday, the Easter weekend and Easter Monday skipped
        (date(2024, 4, 2), -1, date(2024, 3, 28)),
        (date(2024, 3, 27), 2, date(2024, 4, 2)),
        (date(2024, 6, 20), 1, date(2024, 6, 24)),  # Midsummer Eve and the weekend of Midsummer Day skipped
        (date(2024, 6, 24), -1, date(2024, 6, 20)),
        (date(2024, 6, 19), 1, date(2024, 6, 20)),  # the day before Midsummer Eve counts
        (date(2024, 6, 5), 1, date(2024, 6, 7)),  # National Day (a Thursday) skipped
        (date(2024, 6, 7), -1, date(2024, 6, 5)),
        (date(2024, 12, 23), 1, date(2024, 12, 27)),  # Christmas Eve, Christmas Day, Boxing Day skipped
        (date(2024, 12, 27), 1, date(2024, 12, 30)),
        (date(2024, 12, 30), 1, date(2025, 1, 2)),  # New Year's Eve and Day skipped, across the year
        (date(2025, 1, 2), -2, date(2024, 12, 27)),
        (date(2024, 12, 20), 10, date(2025, 1, 13)),  # Christmas, New Year and Epiphany (a Monday) skipped
        (date(2025, 1, 13), -10, date(2024, 12, 20)),
        (date(2024, 6, 14), 10, date(2024, 7, 1)),
        (date(2024, 6, 7), 1, date(2024, 6, 10)),  # a Friday to the Monday
        (date(2024, 6, 10), -1, date(2024, 6, 7)),
        (date(2024, 6, 8), 1, date(2024, 6, 10)),  # counting from a Saturday
        (date(2024, 6, 9), -1, date(2024, 6, 7)),  # and back from a Sunday
        (date(2024, 6, 12), 5, date(2024, 6, 19)),
    ],
)
def test_working_days_are_counted_past_weekends_and_holidays(start: date, days: int, expected: date) -> None:
    assert add_days(start, days, working=True) == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2024, 5, 31), 14, date(2024, 6, 14)),  # "som senast två veckor efter kursslut"
        (date(2024, 8, 19), -14, date(2024, 8, 5)),  # "Senast två veckor innan kursstart"
        (date(2024, 8, 19), -7, date(2024, 8, 12)),  # "senast en vecka före skolstart"
        (date(2024, 12, 20), 14, date(2025, 1, 3)),  # holidays do not matter in calendar days
        (date(2024, 2, 20), 14, date(2024, 3, 5)),  # across a leap day
        (date(2025, 1, 3), -14, date(2024, 12, 20)),
    ],
)
def test_calendar_days_ignore_weekends_and_holidays(start: date, days: int, expected: date) -> None:
    assert add_days(start, days, working=False) == expected


@pytest.mark.parametrize("working", [True, False])
def test_zero_days_is_the_start_itself(working: bool) -> None:
    assert add_days(date(2024, 6, 21), 0, working=working) == date(2024, 6, 21)


def _working_days_from(first: date, last: date) -> int:
    """How many working days lie in [first, last): the days a count from `first` towards `last` passes."""
    return sum(is_working_day(first + timedelta(days=i)) for i in range((last - first).days))


@given(
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31)),
    days=st.integers(min_value=-40, max_value=40).filter(bool),
)
def test_counting_working_days_lands_on_a_working_day_that_many_working_days_away(start: date, days: int) -> None:
    end = add_days(start, days, working=True)
    assert is_working_day(end)
    if days > 0:
        assert start < end
        assert _working_days_from(start + timedelta(days=1), end + timedelta(days=1)) == days  # (start, end]
    else:
        assert end < start
        assert _working_days_from(end, start) == -days  # [end, start)


@given(
    start=st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31)).filter(is_working_day),
    days=st.integers(min_value=-40, max_value=40),
)
def test_from_a_working_day_counting_back_undoes_counting_forward(start: date, days: int) -> None:
    assert add_days(add_days(start, days, working=True), -days, working=True) == start
