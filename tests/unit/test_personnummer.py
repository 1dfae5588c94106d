"""Personal identity numbers, checked against the personnummer/meta test data and the `personnummer` package.

The package (3.2.x) is an oracle for personnummer and samordningsnummer only. Where Rutin deliberately differs
it is not consulted: it knows no interim numbers, it accepts birth dates in the future, and it does not strip
surrounding whitespace.
"""

from __future__ import annotations

import functools
import json
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from personnummer import personnummer as oracle_module

from engine.personnummer import (
    INTERIM_LETTERS,
    InvalidPersonalNumber,
    PersonalNumber,
    luhn_check_digit,
    parse_personal_number,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "personnummer"
TODAY = date(2024, 6, 1)
FORMATS = ("long_format", "short_format", "separated_format", "separated_long")


def _load(name: str) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return loaded


@functools.cache
def _pins() -> list[str]:
    pins: list[str] = json.loads((DATA / "allPins.json").read_text(encoding="utf-8"))
    return pins


def _cases(name: str) -> list[Any]:
    return [pytest.param(entry, form, id=f"{entry[form]}-{form}") for entry in _load(name) for form in FORMATS]


def _parse(text: str, **kwargs: Any) -> PersonalNumber:
    return parse_personal_number(text, today=TODAY, **kwargs)


def _expected_long(entry: dict[str, Any]) -> str:
    long_format: str = entry["long_format"]
    return f"{long_format[:8]}-{long_format[8:]}"


# The test data


@pytest.mark.parametrize(("entry", "form"), _cases("list.json"))
def test_list_entry_is_accepted_or_rejected_as_the_data_says(entry: dict[str, Any], form: str) -> None:
    text = entry[form]
    if not entry["valid"]:
        with pytest.raises(InvalidPersonalNumber):
            _parse(text)
        return
    number = _parse(text)
    assert number.kind == {"ssn": "personnummer", "con": "samordningsnummer"}[entry["type"]]
    assert number.long[-4:] == entry["long_format"][-4:]
    if form != "short_format":  # without '+', a 10-digit number is read as younger than 100
        assert number.long == _expected_long(entry)
        assert number.short(TODAY) == entry["separated_format"]


@pytest.mark.parametrize(("entry", "form"), _cases("interim.json"))
def test_interim_entry_is_accepted_or_rejected_as_the_data_says(entry: dict[str, Any], form: str) -> None:
    text = entry[form]
    if not entry["valid"]:
        with pytest.raises(InvalidPersonalNumber):
            _parse(text, allow_interim=True)
        return
    number = _parse(text, allow_interim=True)
    assert number.kind == "interim"
    assert number.long == _expected_long(entry)
    assert number.short(TODAY) == entry["separated_format"]
    assert number.birth_date == date(2000, 1, 1)


@pytest.mark.parametrize(("entry", "form"), _cases("interim.json"))
def test_interim_number_is_rejected_unless_allowed(entry: dict[str, Any], form: str) -> None:
    with pytest.raises(InvalidPersonalNumber, match="interim"):
        _parse(entry[form])


def test_allpins_agree_with_the_personnummer_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(oracle_module, "_get_current_date", lambda: TODAY)
    pins = _pins()
    assert len(pins) == 41_129
    for pin in pins:
        ours = _parse(pin)
        theirs = oracle_module.parse(pin)
        assert ours.long.replace("-", "") == theirs.format(long_format=True), pin
        assert ours.short(TODAY) == theirs.format(), pin
        assert ours.birth_date == theirs.get_date(), pin
        assert ours.kind == "personnummer", pin
        again = _parse(ours.short(TODAY))
        assert again == ours, pin


def test_allpins_with_a_wrong_check_digit_are_rejected_like_the_package_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(oracle_module, "_get_current_date", lambda: TODAY)
    for pin in _pins()[::7]:
        wrong = pin[:-1] + str((int(pin[-1]) + 3) % 10)
        assert not oracle_module.valid(wrong), pin
        with pytest.raises(InvalidPersonalNumber, match="check digit"):
            _parse(wrong)


def test_allpins_as_samordningsnummer_agree_with_the_personnummer_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(oracle_module, "_get_current_date", lambda: TODAY)
    for pin in _pins()[::5]:
        nine = pin[2:6] + str(int(pin[6:8]) + 60) + pin[8:11]
        coordination = pin[:2] + nine + str(luhn_check_digit(nine))
        ours = _parse(coordination)
        theirs = oracle_module.parse(coordination)
        assert ours.kind == "samordningsnummer", coordination
        assert theirs.is_coordination_number(), coordination
        assert ours.long.replace("-", "") == theirs.format(long_format=True), coordination
        assert ours.birth_date == theirs.get_date() == _parse(pin).birth_date, coordination


# Formats and centuries


def test_ten_digits_without_separator_pick_the_century_below_100_years() -> None:
    assert _parse("1212121212").long == "20121212-1212"
    assert _parse("2506011234").birth_date == date(1925, 6, 1)


def test_plus_separator_with_ten_digits_means_100_or_older() -> None:
    number = _parse("121212+1212")

    assert number.long == "19121212-1212"
    assert number.short(TODAY) == "121212+1212"


def test_plus_applies_from_the_calendar_year_of_the_100th_birthday() -> None:
    number = _parse("19241231-1231")

    assert number.short(TODAY) == "241231+1231"
    assert number.short(date(2023, 12, 31)) == "241231-1231"
    assert number.age(TODAY) == 99


def test_separator_in_twelve_digit_form_does_not_change_the_century() -> None:
    assert _parse("19121212+1212") == _parse("19121212-1212") == _parse("191212121212")


def test_surrounding_whitespace_is_ignored() -> None:
    assert _parse("  19121212-1212\n").long == "19121212-1212"


def test_lowercase_interim_letter_is_normalised_to_uppercase() -> None:
    assert _parse("20000101-t220", allow_interim=True).long == "20000101-T220"


def test_default_reference_date_is_today() -> None:
    assert parse_personal_number("19121212-1212").long == "19121212-1212"


# Derived values


def test_samordningsnummer_day_plus_60_is_accepted() -> None:
    number = _parse("19730288-9931")

    assert number.kind == "samordningsnummer"
    assert number.birth_date == date(1973, 2, 28)
    assert number.long == "19730288-9931"
    assert number.day == 28


def test_masked_hides_the_last_four() -> None:
    assert _parse("19730288-9931").masked == "19730288-****"
    assert _parse("20000101-T220", allow_interim=True).masked == "20000101-****"


def test_repr_does_not_reveal_the_full_number() -> None:
    text = repr(_parse("19121212-1212"))

    assert "1212-1212" not in text
    assert "19121212-****" in text


def test_age_counts_completed_years() -> None:
    number = _parse("20000229-2399")

    assert number.age(date(2024, 2, 28)) == 23
    assert number.age(date(2024, 2, 29)) == 24
    assert number.age(date(2023, 2, 28)) == 22
    assert number.age(date(2023, 3, 1)) == 23


def test_interim_letters_count_as_one_in_the_check_digit() -> None:
    assert {luhn_check_digit(f"000101{letter}22") for letter in INTERIM_LETTERS} == {0}
    assert luhn_check_digit("000101122") == 0


# Rejections say what is wrong


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no personal identity number"),
        ("19121212-121", "has 11 digits"),
        ("1912121212123", "has 13 digits"),
        ("19121212 1212", "contains a space"),
        ("19121212/1212", "contains '/'"),
        ("191212-12-12", "not in the form"),
        ("19121312-1212", "month 13 does not exist"),
        ("19230229-1234", "day 29 in 1923-02 is not a valid date"),
        ("19420692-9899", "day 92 in 1942-06 is not a valid samordningsnummer"),
        ("19900160-1234", "day 60 means a samordningsnummer without a known birth day"),
        ("19121212-0000", "birth number 000"),
        ("17001212-1212", "not a possible birth year"),
        ("20000101-E221", "'E' is not an interim-number letter"),
        ("802005-1952", "month 20 does not exist"),
    ],
)
def test_invalid_number_is_rejected_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(InvalidPersonalNumber, match=message) as caught:
        _parse(text, allow_interim=True)

    assert isinstance(caught.value, ValueError)


def test_wrong_check_digit_names_the_expected_digit() -> None:
    with pytest.raises(InvalidPersonalNumber) as caught:
        _parse("19121212-1213")

    assert "is 3 but should be 2" in str(caught.value)


def test_birth_date_in_the_future_is_rejected() -> None:
    with pytest.raises(InvalidPersonalNumber, match="in the future") as caught:
        _parse("20240602-1234")

    assert "2024-06-02" in str(caught.value)


def test_birth_today_is_accepted() -> None:
    number = _parse("240601-1235")

    assert number.birth_date == TODAY
    assert number.age(TODAY) == 0


# Rejections in Swedish


@pytest.mark.parametrize(
    ("text", "english", "swedish"),
    [
        ("19121212-1213", "is 3 but should be 2", "kontrollsiffran ska vara 2, inte 3; kontrollera att numret"),
        ("19230229-1234", "day 29 in 1923-02", "födelsedatumet 1923-02-29 finns inte i kalendern"),
        (
            "19420692-9899",
            "day 92 in 1942-06",
            "dag 92 ger inget giltigt samordningsnummer, eftersom födelsedatumet 1942-06-32",
        ),
        ("19121312-1212", "month 13 does not exist", "månad 13 finns inte"),
        ("", "no personal identity number", "inget personnummer angavs"),
        ("19121212-121", "has 11 digits", "det har 11 siffror; ett personnummer har 12 (ÅÅÅÅMMDD-NNNN)"),
        ("19121212 1212", "contains a space", "det innehåller mellanslag; skriv numret utan mellanslag"),
        ("19121212/1212", "contains '/'", "det innehåller tecknet '/'; bara siffror är tillåtna"),
        ("191212-12-12", "not in the form", "det är inte skrivet som ÅÅÅÅMMDD-NNNN eller ÅÅMMDD-NNNN"),
        ("19900160-1234", "day 60 means", "dag 60 betyder ett samordningsnummer utan känd födelsedag"),
        ("19121212-0000", "birth number 000", "födelsenumret 000 delas aldrig ut"),
        ("17001212-1212", "not a possible birth year", "året 1700 är inte ett möjligt födelseår"),
        ("20000101-E221", "'E' is not an interim-number letter", "'E' är ingen bokstav som används i interimsnummer"),
        ("20240602-1234", "in the future", "födelsedatumet 2024-06-02 ligger i framtiden"),
    ],
)
def test_rejection_says_what_is_wrong_in_swedish_too(text: str, english: str, swedish: str) -> None:
    with pytest.raises(InvalidPersonalNumber, match=english) as caught:
        _parse(text, allow_interim=True)

    assert caught.value.message == str(caught.value)
    assert caught.value.message_sv.startswith(swedish)


def test_interim_number_where_not_allowed_is_explained_in_swedish() -> None:
    with pytest.raises(InvalidPersonalNumber, match="interim number") as caught:
        _parse("20000101-T220")

    assert caught.value.message_sv == (
        "bokstaven 'T' gör det till ett interimsnummer, och sådana godtas inte här; "
        "ange personens personnummer eller samordningsnummer"
    )


def test_rejection_survives_pickling_with_both_languages() -> None:
    with pytest.raises(InvalidPersonalNumber) as caught:
        _parse("19121212-1213")

    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.message_sv) == (str(caught.value), caught.value.message_sv)
