"""The identity rules against the public personnummer/meta test data (tests/data/personnummer)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from engine.personnummer import InvalidPersonalNumber, luhn_check_digit, parse_personal_number
from engine.rules import get_rule
from engine.rules.identity import REFERENCE_DATE, masked, reason_in_swedish
from tests.rules.support import check

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "personnummer"
FORMATS = ("long_format", "short_format", "separated_format", "separated_long")


def _load(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _pins() -> list[str]:
    pins: list[str] = json.loads((DATA / "allPins.json").read_text(encoding="utf-8"))
    return pins


def _forms(name: str, *, valid: bool) -> list[Any]:
    return [
        pytest.param(entry[form], id=f"{entry[form]}-{form}")
        for entry in _load(name)
        if entry["valid"] is valid
        for form in FORMATS
    ]


def _pin_sample() -> list[Any]:
    pins = _pins()
    step = len(pins) // 50
    return [pytest.param(pin, id=pin) for pin in pins[::step][:50]]


def _numbered(birth: str, serial: str = "123") -> str:
    """`YYYYMMDD-NNNC` with the right check digit C, for a written birth date and birth number."""
    return f"{birth}-{serial}{luhn_check_digit(birth[2:] + serial)}"


# The rules as the spec names them


@pytest.mark.parametrize("rule_id", ["identity.personnummer", "identity.interim"])
def test_rule_is_national_with_one_text_parameter_named_value(rule_id: str) -> None:
    found = get_rule(rule_id)

    assert found is not None
    assert [(p.name, p.type, p.required) for p in found.params] == [("value", "text", True)]
    assert (found.scope, found.municipality, found.registration) == ("national", None, False)


@pytest.mark.parametrize("rule_id", ["identity.personnummer", "identity.interim"])
def test_rule_cites_a_sentence_on_personnummer_and_names_the_law(rule_id: str) -> None:
    found = get_rule(rule_id)

    assert found is not None
    assert "personnummer" in found.cite
    assert "folkbokföringslagen" in found.source


# identity.personnummer against the test data


@pytest.mark.parametrize("value", _forms("list.json", valid=True))
def test_valid_number_from_the_test_data_holds_in_every_format(value: str) -> None:
    assert check("identity.personnummer", value=value).ok


@pytest.mark.parametrize("value", _forms("list.json", valid=False))
def test_invalid_number_from_the_test_data_breaks_in_every_format(value: str) -> None:
    verdict = check("identity.personnummer", value=value)

    assert not verdict.ok
    assert "är inte ett giltigt personnummer eller samordningsnummer" in verdict.message
    assert "is not a valid personnummer or samordningsnummer" in verdict.message_en
    assert verdict.fix


@pytest.mark.parametrize("pin", _pin_sample())
def test_skatteverkets_test_personnummer_hold_long_and_short(pin: str) -> None:
    number = parse_personal_number(pin, today=REFERENCE_DATE)

    assert check("identity.personnummer", value=pin).ok
    assert check("identity.personnummer", value=f"{pin[:8]}-{pin[8:]}").ok
    assert check("identity.personnummer", value=number.short(REFERENCE_DATE)).ok


@pytest.mark.parametrize("pin", _pin_sample())
def test_skatteverkets_test_personnummer_with_a_wrong_check_digit_break(pin: str) -> None:
    wrong = pin[:-1] + str((int(pin[-1]) + 1) % 10)
    verdict = check("identity.personnummer", value=wrong)

    assert not verdict.ok
    assert "kontrollsiffran (sista siffran)" in verdict.message


def test_sample_is_at_least_fifty_numbers() -> None:
    assert len(_pin_sample()) == 50


@pytest.mark.parametrize("value", _forms("interim.json", valid=True) + _forms("interim.json", valid=False))
def test_interim_number_is_not_a_personnummer(value: str) -> None:
    verdict = check("identity.personnummer", value=value)

    assert not verdict.ok
    assert "interimsnummer" in verdict.message


# Samordningsnummer and the 100+ separator


def test_samordningsnummer_with_day_plus_60_holds() -> None:
    assert check("identity.personnummer", value="19730288-9931").ok  # born 28 February 1973
    assert check("identity.personnummer", value="730288-9931").ok


def test_samordningsnummer_beyond_the_month_breaks() -> None:
    verdict = check("identity.personnummer", value=_numbered("19730290"))  # 30 February

    assert not verdict.ok
    assert "dag 90 i 1973-02 ger inget giltigt samordningsnummer (födelsedag + 60)" in verdict.message


def test_plus_marks_someone_aged_100_or_more() -> None:
    assert check("identity.personnummer", value="121212+1212").ok
    assert check("identity.personnummer", value="19121212+1212").ok
    assert check("identity.personnummer", value="090527+1474").ok


def test_29_february_00_is_2000_with_minus_but_1900_with_plus_which_was_no_leap_year() -> None:
    short = _numbered("20000229")[2:]

    assert check("identity.personnummer", value=short).ok
    verdict = check("identity.personnummer", value=short.replace("-", "+"))
    assert not verdict.ok
    assert "dag 29 i 1900-02 är inget giltigt datum" in verdict.message


def test_verdict_does_not_depend_on_the_clock() -> None:
    assert check("identity.personnummer", value=_numbered("20900101")).ok  # the case's date is checked on input
    verdict = check("identity.personnummer", value=_numbered("21000101"))
    assert not verdict.ok
    assert "födelsedatumet 2100-01-01 har inte inträffat än" in verdict.message


# Messages and odd values


def test_message_masks_the_last_four_and_names_the_wrong_check_digit() -> None:
    verdict = check("identity.personnummer", value="19121212-1213")

    assert verdict.message == (
        "19121212-**** är inte ett giltigt personnummer eller samordningsnummer: kontrollsiffran (sista siffran) "
        "är 3 men ska vara 2; kontrollera om numret är felskrivet."
    )
    assert verdict.message_en.startswith("19121212-**** is not a valid personnummer or samordningsnummer: the check")
    assert "1213" not in verdict.message + verdict.message_en


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (None, "Personnummer eller samordningsnummer saknas."),
        ("", "Personnummer eller samordningsnummer saknas."),
        ("  ", "Personnummer eller samordningsnummer saknas."),
        (True, "ska vara text, inte True"),
        (19121212.5, "ska vara text, inte 19121212.5"),
        ("1912-12-12", "det har 8 siffror"),
        ("19121212 1212", "mellanslag"),
        ("19121212/1212", "det innehåller '/'"),
        ("19121212-0002", "födelsenumret 000 delas aldrig ut"),
        ("19121312-1212", "månad 13 finns inte"),
        ("17121212-1212", "året 1712 är inte ett möjligt födelseår"),
        ("19121260-1212", "dag 60 betyder ett samordningsnummer utan känd födelsedag"),
        ("1912121-21212", "det har inte formen"),
    ],
)
def test_odd_or_malformed_value_breaks_with_a_swedish_reason(value: Any, said: str) -> None:
    verdict = check("identity.personnummer", value=value)

    assert not verdict.ok
    assert said in verdict.message
    assert verdict.message_en and verdict.fix


def test_number_given_as_a_json_integer_holds() -> None:
    assert check("identity.personnummer", value=191212121212).ok


def test_surrounding_spaces_are_ignored() -> None:
    assert check("identity.personnummer", value=" 19121212-1212\n").ok


@pytest.mark.parametrize(
    "text",
    [
        "",
        "19121212 1212",
        "19121212/1212",
        "12345",
        "1912121-21212",
        "19121212-0002",
        "19121212-E212",
        "20000101-T220",
        "19121312-1212",
        "17121212-1212",
        "19121260-1212",
        "19120230-1212",
        "19120290-1212",
        "19121212-1213",
    ],
)
def test_every_reason_of_the_parser_has_a_swedish_translation(text: str) -> None:
    try:
        parse_personal_number(text, today=REFERENCE_DATE)
    except InvalidPersonalNumber as exc:
        assert reason_in_swedish(str(exc)) != str(exc)
    else:
        pytest.fail(f"{text!r} parsed")


def test_masked_hides_only_numbers_long_enough_to_identify() -> None:
    assert masked("19121212-1212") == "19121212-****"
    assert masked("121212+1212") == "121212+****"
    assert masked("abc") == "abc"
    assert masked("x" * 100).endswith("…")


# identity.interim


@pytest.mark.parametrize("value", _forms("interim.json", valid=True))
def test_valid_interim_number_holds_in_every_format(value: str) -> None:
    assert check("identity.interim", value=value).ok


@pytest.mark.parametrize("value", _forms("interim.json", valid=False))
def test_interim_number_with_a_letter_not_in_use_breaks(value: str) -> None:
    verdict = check("identity.interim", value=value)

    assert not verdict.ok
    assert "E är ingen bokstav i interimsnummer" in verdict.message
    assert "is not a valid interim number or personnummer" in verdict.message_en


@pytest.mark.parametrize("value", _forms("list.json", valid=True))
def test_personnummer_is_also_accepted_where_interim_numbers_are(value: str) -> None:
    assert check("identity.interim", value=value).ok


@pytest.mark.parametrize("value", _forms("list.json", valid=False))
def test_invalid_personnummer_breaks_where_interim_numbers_are_accepted(value: str) -> None:
    assert not check("identity.interim", value=value).ok


def test_lowercase_interim_letter_holds() -> None:
    assert check("identity.interim", value="20000101-t220").ok


def test_interim_number_with_a_wrong_check_digit_breaks() -> None:
    verdict = check("identity.interim", value="20000101-T221")

    assert not verdict.ok
    assert "kontrollsiffran (sista siffran) är 1 men ska vara 0" in verdict.message


@pytest.mark.parametrize("value", [None, 3.5, False])
def test_interim_rule_breaks_on_odd_values(value: Any) -> None:
    verdict = check("identity.interim", value=value)

    assert not verdict.ok
    assert "Interimsnummer eller personnummer" in verdict.message
