"""The CSN rule: no study declaration before the participant has started; and the declaration's colour."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.rules import get_rule
from engine.rules.csn import DECLARATION_LABELS, declaration_state, is_reported_yes
from tests.rules.support import check

RULE_ID = "csn.declaration_not_before_start"


def test_the_rule_is_national_and_cites_jarfallas_routine() -> None:
    found = get_rule(RULE_ID)
    assert found is not None
    assert (found.scope, found.municipality, found.registration) == ("national", None, False)
    assert found.source.startswith("004_b95a9f073a0234d6.txt – ")


def test_a_declaration_on_the_start_date_holds() -> None:
    assert check(RULE_ID, declaration_date="2024-08-19", start_date="2024-08-19").ok


def test_a_declaration_after_the_start_holds() -> None:
    assert check(RULE_ID, declaration_date="2024-09-02", start_date="2024-08-19").ok


def test_a_declaration_before_the_start_is_a_false_declaration() -> None:
    verdict = check(RULE_ID, declaration_date="2024-08-16", start_date="2024-08-19")
    assert not verdict.ok
    assert verdict.message.startswith("Studieförsäkran 2024-08-16 lämnas före kursdeltagarens startdatum 2024-08-19")
    assert "falskt intygande" in verdict.message
    assert verdict.fix == "Lämna studieförsäkran tidigast 2024-08-19, när kursdeltagaren har börjat."


def test_a_missing_start_date_breaks() -> None:
    verdict = check(RULE_ID, declaration_date="2024-08-16")
    assert not verdict.ok
    assert verdict.message == "Startdatum saknas."


@pytest.mark.parametrize(("declared", "state"), [(False, "red"), (None, "yellow"), (True, "green")])
def test_the_declaration_shows_as_red_yellow_or_green(declared: bool | None, state: str) -> None:
    assert declaration_state(declared) == state


def test_a_missing_declaration_is_reported_to_csn_as_no() -> None:
    assert not is_reported_yes(None)
    assert not is_reported_yes(False)
    assert is_reported_yes(True)
    assert "rapporteras som NEJ" in DECLARATION_LABELS["yellow"]


def test_something_that_is_not_a_yes_or_no_shows_as_missing() -> None:
    assert declaration_state("JA") == "yellow"  # type: ignore[arg-type]


@given(
    values=st.dictionaries(
        st.sampled_from(["declaration_date", "start_date"]),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20), st.just("2024-02-30")),
    )
)
def test_odd_values_never_raise(values: dict[str, object]) -> None:
    verdict = check(RULE_ID, **values)
    assert verdict.ok or (verdict.message and verdict.message_en and verdict.fix)
