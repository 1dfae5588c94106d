"""The SCB registration rules from Järfälla's reminders: status dates, group changes and course packages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rules import get_rule
from engine.rules.base import Verdict
from tests.rules.support import check

MODULE_RULES = (
    "scb.not_started_status_date",
    "scb.dropout_day_one",
    "scb.replaced_group_dates",
    "scb.package_container",
    "scb.package_dropout",
)


@pytest.mark.parametrize("rule_id", MODULE_RULES)
def test_each_rule_is_a_jarfalla_registration_rule(rule_id: str) -> None:
    found = get_rule(rule_id)
    assert found is not None
    assert (found.scope, found.municipality, found.registration) == ("municipal", "Järfälla", True)
    assert found.source.startswith("004_b95a9f073a0234d6.txt – ")


# --- scb.not_started_status_date ---


def test_not_started_dated_the_course_start_holds() -> None:
    assert check(
        "scb.not_started_status_date", status="Ej påbörjat", status_date="2024-08-19", course_start="2024-08-19"
    ).ok


def test_not_started_dated_after_the_course_start_breaks() -> None:
    verdict = check(
        "scb.not_started_status_date", status="Ej påbörjat", status_date="2024-08-26", course_start="2024-08-19"
    )
    assert not verdict.ok
    assert "statusdatum 2024-08-26" in verdict.message
    assert "startdatum är 2024-08-19" in verdict.message
    assert "Ändra inte kursens tänkta slutdatum" in (verdict.fix or "")


@pytest.mark.parametrize("status", ["ej påbörjat", "EJ PÅBÖRJAT", "Ej  påbörjad", "ej börjat", "Ej paborjat"])
def test_not_started_is_recognised_however_it_is_written(status: str) -> None:
    assert not check(
        "scb.not_started_status_date", status=status, status_date="2024-08-26", course_start="2024-08-19"
    ).ok


def test_other_statuses_are_not_judged_by_the_not_started_rule() -> None:
    assert check("scb.not_started_status_date", status="Aktiv", status_date=None, course_start="2024-08-19").ok


def test_not_started_without_a_status_date_breaks() -> None:
    verdict = check("scb.not_started_status_date", status="Ej påbörjat", status_date="", course_start="2024-08-19")
    assert not verdict.ok
    assert verdict.message == "Statusdatum saknas."


# --- scb.dropout_day_one ---


def test_avbrott_dag_1_is_ej_paborjat() -> None:
    verdict = check("scb.dropout_day_one", status="Avbrott", status_date="2024-08-19", course_start="2024-08-19")
    assert not verdict.ok
    assert "2024-08-19, kursens första dag" in verdict.message
    assert verdict.fix == "Ändra status till Ej påbörjat med statusdatum 2024-08-19 (kursens startdatum)."


def test_a_dropout_dated_before_the_course_start_is_not_started_too() -> None:
    verdict = check("scb.dropout_day_one", status="Avbrott", status_date="2024-08-12", course_start="2024-08-19")
    assert not verdict.ok
    assert "före kursens startdatum 2024-08-19" in verdict.message


def test_a_dropout_on_day_two_holds() -> None:
    assert check("scb.dropout_day_one", status="Avbrott", status_date="2024-08-20", course_start="2024-08-19").ok


# --- scb.replaced_group_dates ---


def test_a_new_group_with_the_replaced_groups_dates_holds() -> None:
    assert check(
        "scb.replaced_group_dates",
        status="Gruppen är ersatt",
        start="2024-08-19",
        end="2024-12-20",
        replaced_start="2024-08-19",
        replaced_end="2024-12-20",
    ).ok


def test_a_new_group_starting_on_the_day_of_the_change_breaks() -> None:
    verdict = check(
        "scb.replaced_group_dates",
        status="Gruppen är ersatt",
        start="2024-09-09",
        end="2024-12-20",
        replaced_start="2024-08-19",
        replaced_end="2024-12-20",
    )
    assert not verdict.ok
    assert "startdatum 2024-09-09 men den ersatta gruppens 2024-08-19" in verdict.message
    assert "slutdatum" not in verdict.message
    assert "CSN" in (verdict.fix or "")


def test_both_dates_differing_are_both_named() -> None:
    verdict = check(
        "scb.replaced_group_dates",
        status="Gruppen är ersatt",
        start="2024-09-09",
        end="2025-01-17",
        replaced_start="2024-08-19",
        replaced_end="2024-12-20",
    )
    assert "2024-09-09" in verdict.message
    assert "2025-01-17" in verdict.message


def test_without_the_replaced_groups_dates_there_is_nothing_to_compare() -> None:
    assert check("scb.replaced_group_dates", status="Gruppen är ersatt", start="2024-09-09", end="2024-12-20").ok


# --- scb.package_container ---


def test_a_package_container_unreported_with_mark_2_holds() -> None:
    assert check("scb.package_container", course_code="KURSPAKET", reported_to_scb=False, ekonomimarke="2").ok


def test_a_package_container_reported_to_scb_breaks() -> None:
    verdict = check("scb.package_container", course_code="KURSPAKET", reported_to_scb=True, ekonomimarke="2")
    assert not verdict.ok
    assert "rapporteras till SCB" in verdict.message
    assert "Bocka ur" in (verdict.fix or "")


@pytest.mark.parametrize(("mark", "shown"), [("1", "'1'"), ("", "saknar ekonomimärke")])
def test_a_package_container_without_ekonomimarke_2_breaks(mark: str, shown: str) -> None:
    verdict = check("scb.package_container", course_code="kurspaket", reported_to_scb="nej", ekonomimarke=mark)
    assert not verdict.ok
    assert shown in verdict.message
    assert "Ekonomimärke 2" in (verdict.fix or "")


@pytest.mark.parametrize("mark", ["2", 2, "Ekonomimärke 2", " 2 "])
def test_ekonomimarke_2_is_recognised_however_it_is_written(mark: object) -> None:
    assert check("scb.package_container", course_code="KURSPAKET", reported_to_scb=False, ekonomimarke=mark).ok


def test_an_ordinary_course_may_be_reported_to_scb() -> None:
    assert check("scb.package_container", course_code="MATMAT01a", reported_to_scb=True).ok


def test_a_container_whose_reporting_is_unknown_breaks() -> None:
    verdict = check("scb.package_container", course_code="KURSPAKET", reported_to_scb="kanske")
    assert not verdict.ok
    assert "'kanske'" in verdict.message


# --- scb.package_dropout ---


def test_leaving_a_package_an_unstarted_group_is_not_started_dated_the_notice() -> None:
    assert check(
        "scb.package_dropout", status="Ej påbörjat", started=False, status_date="2024-10-01", package_dropout=True
    ).ok


def test_leaving_a_package_a_started_group_is_a_dated_dropout() -> None:
    assert check(
        "scb.package_dropout", status="Avbrott", started=True, status_date="2024-10-01", package_dropout=True
    ).ok


def test_leaving_a_package_a_completed_group_keeps_its_status() -> None:
    assert check("scb.package_dropout", status="Slutförd", started=True, package_dropout=True).ok


def test_leaving_a_package_an_unstarted_group_marked_avbrott_breaks() -> None:
    verdict = check(
        "scb.package_dropout", status="Avbrott", started=False, status_date="2024-10-01", package_dropout=True
    )
    assert not verdict.ok
    assert "inte påbörjats" in verdict.message
    assert "Ej påbörjat" in (verdict.fix or "")


def test_leaving_a_package_a_started_group_marked_not_started_breaks() -> None:
    verdict = check("scb.package_dropout", status="Ej påbörjat", started="ja", package_dropout="ja")
    assert not verdict.ok
    assert "Avbrott" in (verdict.fix or "")


def test_leaving_a_package_a_dropout_without_a_date_breaks() -> None:
    verdict = check("scb.package_dropout", status="Avbrott", started=True, status_date=None, package_dropout=True)
    assert not verdict.ok
    assert "saknar avbrottsdatum" in verdict.message


def test_leaving_a_package_a_started_group_still_active_breaks() -> None:
    verdict = check("scb.package_dropout", status="Aktiv", started=True, package_dropout=True)
    assert not verdict.ok
    assert "'Aktiv'" in verdict.message


def test_a_student_staying_in_the_package_is_not_judged() -> None:
    assert check("scb.package_dropout", status="Avbrott", started=False, package_dropout=False).ok


# --- odd input ---


@pytest.mark.parametrize("rule_id", MODULE_RULES)
def test_values_that_are_not_a_mapping_break_without_raising(rule_id: str) -> None:
    found = get_rule(rule_id)
    assert found is not None
    assert not found("status=Avbrott").ok  # type: ignore[arg-type]


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(
        ["Ej påbörjat", "Avbrott", "Gruppen är ersatt", "KURSPAKET", "ja", "nej", "2024-08-19", "2024-08-32", "2"]
    ),
    st.lists(st.text(max_size=3), max_size=2),
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
