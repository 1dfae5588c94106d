"""The prövning rules: Stockholm's group naming and term dates, Järfälla's one date for start, end and grade."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rules import get_rule
from engine.rules.base import Verdict
from tests.rules.support import check

MODULE_RULES = ("provning.group_name", "provning.end_date_in_term", "provning.same_dates")


# --- provning.group_name ---


def test_the_routines_example_group_name_holds() -> None:
    assert check("provning.group_name", group="PRÖ:KC23VTMAT03B", course_code="MATMAT03b", start_date="2023-01-16").ok


def test_a_second_teachers_group_may_end_with_a_digit() -> None:
    assert check("provning.group_name", group="PRÖ:KC22VTMAT03B2", course_code="MATMAT03b").ok


def test_a_group_name_is_checked_for_shape_without_a_course_code() -> None:
    assert check("provning.group_name", group="PRÖ:ABCD24HTSVA01").ok


def test_the_digit_one_does_not_mark_a_second_teacher() -> None:
    verdict = check("provning.group_name", group="PRÖ:KC22VTMAT03B1", course_code="MATMAT03b")
    assert not verdict.ok
    assert "siffran i slutet är 1" in verdict.message
    assert verdict.fix == "Döp om gruppen till PRÖ:KC22VTMAT03B."


def test_a_group_without_the_pro_prefix_breaks() -> None:
    verdict = check("provning.group_name", group="KC23VTMAT03B")
    assert not verdict.ok
    assert "'KC23VTMAT03B'" in verdict.message
    assert "PRÖ:" in (verdict.fix or "")


def test_the_suffix_must_be_the_last_part_of_the_course_code() -> None:
    verdict = check("provning.group_name", group="PRÖ:KC23VTMAT03B", course_code="SVASVA01")
    assert not verdict.ok
    assert "SVA01" in verdict.message
    assert verdict.fix == "Döp om gruppen till PRÖ:KC23VTSVA01."


def test_year_and_term_must_match_the_start_date() -> None:
    verdict = check("provning.group_name", group="PRÖ:KC23VTMAT03B", course_code="MATMAT03b", start_date="2023-08-21")
    assert not verdict.ok
    assert "23VT" in verdict.message
    assert "23HT" in verdict.message
    assert verdict.fix == "Döp om gruppen till PRÖ:KC23HTMAT03B."


def test_a_group_name_in_lower_case_breaks_and_is_given_in_capitals() -> None:
    verdict = check("provning.group_name", group="PRÖ:kc23vtmat03b", course_code="MATMAT03b")
    assert not verdict.ok
    assert verdict.fix == "Döp om gruppen till PRÖ:KC23VTMAT03B."


@pytest.mark.parametrize("name", ["PRÖ:K23VTMAT03B", "PRÖ:KCABC23VTMAT03B", "PRÖ:KC2023VTMAT03B", "PRÖ:KC23STMAT03B"])
def test_names_off_the_coding_break(name: str) -> None:
    verdict = check("provning.group_name", group=name)
    assert not verdict.ok
    assert name in verdict.message


# --- provning.end_date_in_term ---


def test_a_spring_group_may_end_on_30_june() -> None:
    assert check("provning.end_date_in_term", start_date="2024-01-15", end_date="2024-06-30").ok


def test_a_spring_group_ending_after_30_june_breaks() -> None:
    verdict = check("provning.end_date_in_term", start_date="2024-01-15", end_date="2024-07-02")
    assert not verdict.ok
    assert verdict.message == "Slutdatum 2024-07-02 är efter 30 juni för en vårterminsgrupp (startdatum 2024-01-15)."
    assert "2024-06-30" in (verdict.fix or "")


def test_an_autumn_group_may_end_on_31_december() -> None:
    assert check("provning.end_date_in_term", start_date="2024-08-19", end_date="2024-12-31").ok


def test_an_autumn_group_ending_in_january_breaks() -> None:
    verdict = check("provning.end_date_in_term", start_date="2024-08-19", end_date="2025-01-10")
    assert not verdict.ok
    assert "31 december" in verdict.message
    assert "31 December" in verdict.message_en


def test_a_group_may_not_end_before_it_starts() -> None:
    verdict = check("provning.end_date_in_term", start_date="2024-03-10", end_date="2024-03-01")
    assert not verdict.ok
    assert "före startdatum 2024-03-10" in verdict.message


# --- provning.same_dates ---


def test_a_provning_on_one_day_holds() -> None:
    assert check("provning.same_dates", start_date="2024-11-12", end_date="2024-11-12", grade_date="2024-11-12").ok


def test_an_ungraded_provning_needs_only_start_and_end_to_agree() -> None:
    assert check("provning.same_dates", start_date="2024-11-12", end_date="2024-11-12", grade_date=None).ok


def test_a_provning_spread_over_two_days_breaks() -> None:
    verdict = check("provning.same_dates", start_date="2024-11-04", end_date="2024-11-05", grade_date="2024-11-05")
    assert not verdict.ok
    assert "2024-11-04" in verdict.message
    assert "2024-11-05" in verdict.message


def test_a_grade_dated_after_the_provning_breaks() -> None:
    verdict = check("provning.same_dates", start_date="2024-11-12", end_date="2024-11-12", grade_date="2024-11-20")
    assert not verdict.ok
    assert "betygsdatum 2024-11-20" in verdict.message


def test_dates_as_date_objects_or_without_dashes_are_read() -> None:
    assert check("provning.same_dates", start_date=date(2024, 11, 12), end_date="20241112").ok


# --- odd input ---


def test_a_missing_date_breaks_with_a_message_naming_it() -> None:
    verdict = check("provning.end_date_in_term", start_date="2024-01-15")
    assert not verdict.ok
    assert verdict.message == "Slutdatum saknas."


def test_an_impossible_date_breaks_with_a_message_naming_it() -> None:
    verdict = check("provning.same_dates", start_date="2024-02-30", end_date="2024-02-30")
    assert not verdict.ok
    assert "'2024-02-30' är inte ett datum" in verdict.message


@pytest.mark.parametrize("rule_id", MODULE_RULES)
def test_values_that_are_not_a_mapping_break_without_raising(rule_id: str) -> None:
    found = get_rule(rule_id)
    assert found is not None
    assert not found(None).ok  # type: ignore[arg-type]


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["2024-06-30", "20240630", "2024-13-01", "PRÖ:KC23VTMAT03B", "MATMAT03b", "ja", ""]),
    st.lists(st.integers(), max_size=2),
)


@pytest.mark.parametrize("rule_id", MODULE_RULES)
@given(data=st.data())
def test_odd_values_never_raise(rule_id: str, data: st.DataObject) -> None:
    found = get_rule(rule_id)
    assert found is not None
    values = data.draw(st.dictionaries(st.sampled_from([p.name for p in found.params]), _ODD))
    verdict = found(values)
    assert isinstance(verdict, Verdict)
    assert verdict.ok or (verdict.message and verdict.message_en and verdict.fix)
