"""The grading rules: grade dates, the two-week grading window and the grade catalogue."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rules import get_rule
from engine.rules.base import Verdict
from tests.rules.support import check

MODULE_RULES = (
    "grading.grade_date_is_test_date",
    "grading.grade_date_is_course_end",
    "grading.window",
    "catalog.all_grades_locked",
    "catalog.signed_by_decider",
)


def test_only_the_course_end_rule_runs_over_registrations() -> None:
    registration = {rule_id for rule_id in MODULE_RULES if (found := get_rule(rule_id)) and found.registration}
    assert registration == {"grading.grade_date_is_course_end"}


# --- grading.grade_date_is_test_date ---


def test_a_grade_dated_on_the_provning_date_holds() -> None:
    assert check("grading.grade_date_is_test_date", grade_date="2024-03-14", test_date="2024-03-14").ok


def test_a_grade_dated_apart_from_the_provning_date_breaks() -> None:
    verdict = check("grading.grade_date_is_test_date", grade_date="2024-03-15", test_date="2024-03-14")
    assert not verdict.ok
    assert verdict.message == "Betygsdatum 2024-03-15 i Ping Pong är inte prövningsdatumet 2024-03-14 i BER."
    assert "2024-03-14" in (verdict.fix or "")


# --- grading.grade_date_is_course_end ---


def test_a_grade_dated_on_the_course_end_holds() -> None:
    assert check("grading.grade_date_is_course_end", grade_date="2024-12-20", course_end="2024-12-20").ok


def test_a_stress_grade_without_moving_the_end_date_breaks() -> None:
    verdict = check("grading.grade_date_is_course_end", grade_date="2024-11-29", course_end="2024-12-20")
    assert not verdict.ok
    assert "2024-11-29" in verdict.message
    assert "2024-12-20" in verdict.message
    assert "stressbetyg" in (verdict.fix or "")


# --- grading.window ---


@pytest.mark.parametrize("registered", ["2024-12-20", "2024-12-27", "2025-01-03"])
def test_grades_registered_from_the_last_day_to_two_weeks_after_hold(registered: str) -> None:
    assert check("grading.window", registered_date=registered, course_end="2024-12-20").ok


def test_grades_registered_before_the_last_day_break() -> None:
    verdict = check("grading.window", registered_date="2024-12-19", course_end="2024-12-20")
    assert not verdict.ok
    assert "före kursslutsdagen 2024-12-20" in verdict.message


def test_grades_registered_fifteen_days_after_the_end_break() -> None:
    verdict = check("grading.window", registered_date="2025-01-04", course_end="2024-12-20")
    assert not verdict.ok
    assert "15 dagar" in verdict.message
    assert "2025-01-03" in verdict.message


# --- catalog.all_grades_locked ---


def test_the_catalogue_may_be_printed_when_every_grade_is_locked() -> None:
    assert check("catalog.all_grades_locked", locked=24, total=24).ok


def test_the_catalogue_waits_while_a_grade_is_unlocked() -> None:
    verdict = check("catalog.all_grades_locked", locked=23, total=24)
    assert not verdict.ok
    assert verdict.message == "Bara 23 av 24 betyg är registrerade och låsta."
    assert "1 återstående" in (verdict.fix or "")


@pytest.mark.parametrize(("locked", "total"), [(0, 0), (25, 24), (-1, 3), (2.5, 3)])
def test_an_empty_group_or_impossible_counts_break(locked: float, total: float) -> None:
    assert not check("catalog.all_grades_locked", locked=locked, total=total).ok


def test_counts_written_as_text_are_read() -> None:
    assert check("catalog.all_grades_locked", locked="12", total="12").ok


def test_a_yes_no_value_is_not_a_count() -> None:
    verdict = check("catalog.all_grades_locked", locked=True, total=1)
    assert not verdict.ok
    assert "ska vara ett tal" in verdict.message


# --- catalog.signed_by_decider ---


def test_the_deciding_teacher_signs_with_a_title() -> None:
    assert check(
        "catalog.signed_by_decider", signer="Anna Svensson", decider="anna  svensson", signer_title="Lärare"
    ).ok


def test_the_head_of_education_may_not_sign_for_the_teacher() -> None:
    verdict = check("catalog.signed_by_decider", signer="Per Rektorsson", decider="Anna Svensson")
    assert not verdict.ok
    assert "'Per Rektorsson'" in verdict.message
    assert "Anna Svensson" in (verdict.fix or "")


def test_a_catalogue_without_the_deciders_title_breaks() -> None:
    verdict = check("catalog.signed_by_decider", signer="Anna Svensson", decider="Anna Svensson", signer_title=" ")
    assert not verdict.ok
    assert "titel" in verdict.message


# --- odd input ---


@pytest.mark.parametrize("rule_id", MODULE_RULES)
def test_values_that_are_not_a_mapping_break_without_raising(rule_id: str) -> None:
    found = get_rule(rule_id)
    assert found is not None
    assert not found(["not", "a", "mapping"]).ok  # type: ignore[arg-type]


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["2024-12-20", "20241220", "2024-02-30", "12", "1e400", "nan", "Anna"]),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
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
