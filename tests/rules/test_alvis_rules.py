"""alvis.staff_username: school prefix + two letters of the first name + three of the surname (Järfälla)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.rules import get_rule
from engine.rules.alvis import expected_username, folded, unaccented
from engine.rules.base import Verdict
from tests.rules.support import check as check_rule


def check(username: Any, prefix: Any = "JK", first: Any = "Anna", last: Any = "Svensson") -> Verdict:
    """The username rule over the four values, Anna Svensson at school JK unless told otherwise."""
    return check_rule("alvis.staff_username", username=username, school_prefix=prefix, first_name=first, last_name=last)


def test_rule_is_registered_with_the_agreed_parameters() -> None:
    found = get_rule("alvis.staff_username")

    assert found is not None
    assert [(p.name, p.type, p.required) for p in found.params] == [
        ("username", "text", True),
        ("school_prefix", "text", True),
        ("first_name", "text", True),
        ("last_name", "text", True),
    ]
    assert (found.scope, found.municipality, found.registration) == ("municipal", "Järfälla", False)


# Holding


@pytest.mark.parametrize("username", ["JKAnSve", "jkansve", "JKANSVE", "  JKAnSve "])
def test_prefix_two_and_three_letters_hold_in_any_case(username: str) -> None:
    assert check(username).ok


@pytest.mark.parametrize("username", ["JKÅsÖst", "JKAsOst", "jkåsost", "JKAsÖst"])
def test_a_ring_and_umlauts_may_be_written_as_they_are_or_as_a_and_o(username: str) -> None:
    assert check(username, "JK", "Åsa", "Öst").ok


def test_short_names_give_all_their_letters_unpadded() -> None:
    assert check("JKLiEk", "JK", "Li", "Ek").ok
    assert check("JKAEk", "JK", "A", "Ek").ok
    assert expected_username("JK", "Li", "Ek") == "JKLiEk"


@pytest.mark.parametrize(
    ("first", "last", "username"),
    [
        ("Anna-Karin", "Berg-Öman", "JKAnBer"),
        ("A-Li", "O'Brien", "JKALOBr"),
        ("Karl Johan", "af Klint", "JKKaafK"),
        ("Zoë", "Müller", "JKZoMul"),
        ("Søren", "Ærø", "JKSoAero"),
    ],
)
def test_only_letters_count_and_accents_fold(first: str, last: str, username: str) -> None:
    assert check(username, "JK", first, last).ok


def test_prefix_is_taken_as_given_without_spaces() -> None:
    assert check("KCAnSve", " KC ").ok


# Breaking


def test_wrong_letters_break_explaining_the_expected_username() -> None:
    verdict = check("JKAnnSv")

    assert not verdict.ok
    assert verdict.message == (
        "Användarnamnet JKAnnSv följer inte Järfällas mönster: det ska vara JKAnSve, dvs. prefixet JK + An från "
        "förnamnet Anna + Sve från efternamnet Svensson."
    )
    assert "it should be JKAnSve" in verdict.message_en
    assert verdict.fix == "Ändra användarnamnet till JKAnSve; stora eller små bokstäver spelar ingen roll."


def test_expected_username_with_a_ring_also_shows_the_plain_spelling() -> None:
    verdict = check("JKAsaOst", "JK", "Åsa", "Öst")

    assert not verdict.ok
    assert "det ska vara JKÅsÖst (eller JKAsOst)" in verdict.message
    assert "it should be JKÅsÖst (or JKAsOst)" in verdict.message_en


def test_double_letter_spelling_of_a_ring_is_not_accepted() -> None:
    assert not check("JKAasOst", "JK", "Åsa", "Öst").ok


def test_missing_prefix_breaks() -> None:
    assert not check("AnSve", "JK").ok
    verdict = check("AnSve", "")
    assert not verdict.ok
    assert verdict.message == "Skolans prefix saknas."


def test_short_names_are_not_padded() -> None:
    verdict = check("JKLi_Ek_", "JK", "Li", "Ek")

    assert not verdict.ok
    assert "det ska vara JKLiEk" in verdict.message


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ((None, "JK", "Anna", "Svensson"), "Användarnamnet saknas."),
        (("JKAnSve", None, "Anna", "Svensson"), "Skolans prefix saknas."),
        (("JKAnSve", "JK", "   ", "Svensson"), "Förnamnet saknas."),
        (("JKAnSve", "JK", "Anna", None), "Efternamnet saknas."),
        ((42, "JK", "Anna", "Svensson"), "Användarnamnet ska vara text, inte 42."),
        (("JKAnSve", "JK", True, "Svensson"), "Förnamnet ska vara text, inte True."),
        (("JK", "JK", "--", "Svensson"), "Förnamnet '--' innehåller inga bokstäver."),
    ],
)
def test_missing_or_mistyped_values_break_without_raising(values: tuple[Any, ...], said: str) -> None:
    verdict = check(*values)

    assert not verdict.ok
    assert verdict.message == said
    assert verdict.message_en and verdict.fix


# Helpers


def test_folded_compares_without_case_and_accents() -> None:
    assert folded("JKÅsÖst") == folded("jkasost") == "jkasost"
    assert unaccented("JKÅsÖst") == "JKAsOst"
