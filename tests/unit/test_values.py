"""Typed inputs: raw text (or a typed JSON value) in, a normalised value or an explained refusal out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

import pytest

from engine.errors import InvalidValue, RutinError
from engine.values import VALUE_TYPES, describe_type, parse_value

TODAY = date(2024, 6, 1)
LEVELS = ("Grundläggande", "Gymnasial", "SFI")


def _reject(type_: str, raw: object, match: str, choices: Sequence[str] | None = None) -> InvalidValue:
    with pytest.raises(InvalidValue, match=match) as caught:
        parse_value("field", type_, raw, choices=choices, today=TODAY)
    return caught.value


def test_value_types_are_listed_in_declared_order() -> None:
    assert VALUE_TYPES == (
        "text",
        "personnummer",
        "date",
        "course_code",
        "group",
        "email",
        "choice",
        "yes_no",
        "number",
        "interim_or_personnummer",
    )


@pytest.mark.parametrize("type_", VALUE_TYPES)
def test_every_type_has_a_label(type_: str) -> None:
    assert describe_type(type_)


@pytest.mark.parametrize("raw", ["   ", None])
@pytest.mark.parametrize("type_", VALUE_TYPES)
def test_missing_value_is_refused_with_a_hint(type_: str, raw: object) -> None:
    error = _reject(type_, raw, "field: a value is required", choices=LEVELS)

    assert isinstance(error, RutinError)
    assert error.name == "field"
    assert error.hint


def test_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown value type 'colour'") as caught:
        parse_value("field", "colour", "red")

    assert not isinstance(caught.value, InvalidValue)


def test_unknown_type_has_no_label() -> None:
    with pytest.raises(ValueError, match="known types: text, personnummer"):
        describe_type("colour")


def test_describe_personnummer_shows_the_format() -> None:
    assert describe_type("personnummer") == "personnummer (ÅÅÅÅMMDD-NNNN)"


# text


def test_text_is_stripped() -> None:
    assert parse_value("note", "text", "  Bytt grupp.\n") == "Bytt grupp."


def test_text_keeps_newlines_and_tabs_and_normalises_crlf() -> None:
    assert parse_value("note", "text", "rad 1\r\nrad\t2") == "rad 1\nrad\t2"


def test_text_with_control_character_is_refused() -> None:
    error = _reject("text", "a\x07b", "control character U\\+0007")

    assert error.hint is not None


def test_text_longer_than_2000_characters_is_refused() -> None:
    assert parse_value("note", "text", "x" * 2000) == "x" * 2000
    _reject("text", "x" * 2001, "2001 characters long; at most 2000")


def test_text_refuses_a_number() -> None:
    _reject("text", 12, "expected text, got the number 12")


# personnummer


def test_personnummer_is_returned_in_long_form() -> None:
    assert parse_value("pnr", "personnummer", "121212+1212", today=TODAY) == "19121212-1212"
    assert parse_value("pnr", "personnummer", "201212121212", today=TODAY) == "20121212-1212"


def test_personnummer_accepts_samordningsnummer() -> None:
    assert parse_value("pnr", "personnummer", "730288-9931", today=TODAY) == "19730288-9931"


def test_personnummer_accepts_a_json_integer() -> None:
    assert parse_value("pnr", "personnummer", 191212121212, today=TODAY) == "19121212-1212"


def test_personnummer_with_wrong_check_digit_explains_and_hints() -> None:
    error = _reject("personnummer", "19121212-1213", "should be 2")

    assert error.hint is not None
    assert "YYYYMMDD-NNNN" in error.hint


def test_personnummer_refuses_interim_number() -> None:
    _reject("personnummer", "20000101-T220", "interim number, which is not accepted here")


def test_interim_or_personnummer_accepts_both() -> None:
    assert parse_value("pnr", "interim_or_personnummer", "000101-T220", today=TODAY) == "20000101-T220"
    assert parse_value("pnr", "interim_or_personnummer", "19121212-1212", today=TODAY) == "19121212-1212"


def test_personnummer_refuses_true() -> None:
    _reject("personnummer", True, "expected text, got a yes/no value")


# date


@pytest.mark.parametrize("raw", ["2024-08-19", "20240819", " 2024-08-19 "])
def test_date_is_returned_in_iso_form(raw: str) -> None:
    assert parse_value("start", "date", raw) == "2024-08-19"


def test_date_accepts_a_date_object() -> None:
    assert parse_value("start", "date", date(2024, 2, 29)) == "2024-02-29"


@pytest.mark.parametrize("raw", ["2024-8-19", "19/08/2024", "2024-0819", "240819", "2024-08-19T10:00"])
def test_date_in_another_form_is_refused(raw: str) -> None:
    error = _reject("date", raw, "is not a date in the form YYYY-MM-DD")

    assert error.hint == "write the date as YYYY-MM-DD, e.g. 2024-08-19"


def test_date_not_in_the_calendar_is_refused() -> None:
    _reject("date", "2023-02-29", "not a date in the calendar")


def test_date_refuses_a_datetime() -> None:
    _reject("date", datetime(2024, 1, 1, 12, 0), "expected text")  # noqa: DTZ001


# course_code


@pytest.mark.parametrize(
    "raw", ["MATMAT01a", "MATMAT03b", "SVASVA01", "GRNMATA", "GRNSVE2", "KGYORI11A", "ENGENG05", "FÖRFÖR01"]
)
def test_course_code_is_kept_as_written(raw: str) -> None:
    assert parse_value("course", "course_code", f" {raw} ") == raw


def test_course_code_with_a_space_is_refused() -> None:
    error = _reject("course_code", "MAT MAT01a", "contains a space")

    assert error.hint is not None
    assert "MATMAT01a" in error.hint


@pytest.mark.parametrize("raw", ["MA", "MATMAT01a12345", "HT23-ABC", "MAT_01"])
def test_course_code_of_wrong_length_or_characters_is_refused(raw: str) -> None:
    _reject("course_code", raw, "is not a course code")


# group


@pytest.mark.parametrize("raw", ["PRÖ:KC23VTMAT03B", "MA1A-HT23", "SVA 1 kväll", "A/B_c.d"])
def test_group_name_is_kept_stripped(raw: str) -> None:
    assert parse_value("group", "group", f"  {raw}\t") == raw


def test_group_name_with_other_punctuation_is_refused() -> None:
    _reject("group", "MA1A;drop", "contains ';'")


def test_group_name_with_a_line_break_is_refused() -> None:
    _reject("group", "MA1A\nHT23", "contains U\\+000A")


def test_group_name_longer_than_80_characters_is_refused() -> None:
    _reject("group", "G" * 81, "81 characters long; at most 80")


# email


def test_email_domain_is_lowercased_but_not_the_local_part() -> None:
    assert parse_value("mail", "email", " Anna.Svensson@Skola.SE ") == "Anna.Svensson@skola.se"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("anna.skola.se", "exactly one '@'"),
        ("anna@@skola.se", "exactly one '@'"),
        ("@skola.se", "nothing before the '@'"),
        ("anna@skola", "not a domain"),
        ("anna@skola..se", "not a domain"),
        ("anna svensson@skola.se", "contains a space"),
    ],
)
def test_malformed_email_is_refused(raw: str, message: str) -> None:
    _reject("email", raw, message)


def test_email_longer_than_254_characters_is_refused() -> None:
    _reject("email", "a" * 250 + "@x.se", "255 characters long")


# choice


def test_choice_exact_match_is_returned() -> None:
    assert parse_value("level", "choice", "SFI", choices=LEVELS) == "SFI"


def test_choice_matches_case_insensitively_and_returns_the_canonical_choice() -> None:
    assert parse_value("level", "choice", "gymnasial", choices=LEVELS) == "Gymnasial"


def test_choice_not_listed_suggests_the_closest() -> None:
    error = _reject("choice", "Gymnasiel", "'Gymnasiel' is not one of the choices", choices=LEVELS)

    assert error.hint == "did you mean 'Gymnasial'? choose one of: Grundläggande, Gymnasial, SFI"


def test_choice_far_from_all_lists_them() -> None:
    error = _reject("choice", "Högskola", "not one of the choices", choices=LEVELS)

    assert error.hint == "choose one of: Grundläggande, Gymnasial, SFI"


def test_choice_without_choices_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="needs a non-empty list of choices") as caught:
        parse_value("level", "choice", "SFI")

    assert not isinstance(caught.value, InvalidValue)


# yes_no


@pytest.mark.parametrize("raw", ["ja", "JA", "j", "yes", "Y", "true", True])
def test_yes_is_true(raw: object) -> None:
    assert parse_value("ok", "yes_no", raw) is True


@pytest.mark.parametrize("raw", ["nej", "Nej", "n", "no", "FALSE", False])
def test_no_is_false(raw: object) -> None:
    assert parse_value("ok", "yes_no", raw) is False


def test_neither_yes_nor_no_is_refused() -> None:
    error = _reject("yes_no", "kanske", "neither yes nor no")

    assert error.hint == "answer ja or nej (yes or no)"


def test_yes_no_refuses_a_number() -> None:
    _reject("yes_no", 1, "expected text, got the number 1")


# number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12", 12), ("-3", -3), ("+7", 7), ("3,5", 3.5), ("3.5", 3.5), ("2,0", 2), (" 100 ", 100), (4, 4)],
)
def test_number_is_parsed_with_decimal_comma_or_point(raw: object, expected: float) -> None:
    value = parse_value("points", "number", raw)

    assert value == expected
    assert type(value) is type(expected)


def test_integral_float_becomes_int() -> None:
    value = parse_value("points", "number", 50.0)

    assert value == 50
    assert isinstance(value, int)


@pytest.mark.parametrize("raw", ["1 000", "3,5 p", "1e3", ".5", "12.", "tolv"])
def test_text_that_is_not_a_plain_number_is_refused(raw: str) -> None:
    error = _reject("number", raw, "is not a number")

    assert error.hint is not None
    assert "3,5" in error.hint


def test_number_refuses_true() -> None:
    _reject("number", True, "expected text, got a yes/no value")


def test_number_refuses_infinity() -> None:
    _reject("number", float("inf"), "not a number that can be stored")


# Swedish


@pytest.mark.parametrize(
    ("type_", "raw", "swedish", "english"),
    [
        ("text", "a\x07b", "field: texten innehåller det osynliga styrtecknet U+0007", "control character U+0007"),
        ("text", "x" * 2001, "field: texten är 2001 tecken lång; högst 2000 tecken är tillåtna", "2001 characters"),
        ("text", 12, "field: här ska det stå text, inte talet 12", "expected text, got the number 12"),
        (
            "personnummer",
            "19121212-1213",
            "field: inte ett giltigt personnummer: kontrollsiffran ska vara 2, inte 3",
            "should be 2",
        ),
        (
            "personnummer",
            "19230229-1234",
            "field: inte ett giltigt personnummer: födelsedatumet 1923-02-29 finns inte i kalendern",
            "day 29 in 1923-02 is not a valid date",
        ),
        (
            "personnummer",
            "20000101-T220",
            "field: inte ett giltigt personnummer: bokstaven 'T' gör det till ett interimsnummer",
            "interim number, which is not accepted here",
        ),
        (
            "interim_or_personnummer",
            "20000101-E221",
            "field: inte ett giltigt personnummer eller interimsnummer: 'E' är ingen bokstav",
            "'E' is not an interim-number letter",
        ),
        ("date", "19/08/2024", "field: '19/08/2024' är inte ett datum på formen ÅÅÅÅ-MM-DD", "in the form YYYY-MM-DD"),
        (
            "date",
            "2024-02-30",
            "field: 2024-02-30 finns inte i kalendern",
            "'2024-02-30' is not a date in the calendar",
        ),
        ("course_code", "MAT MAT01a", "field: kurskoden 'MAT MAT01a' innehåller mellanslag", "contains a space"),
        ("course_code", "MA", "field: 'MA' är ingen kurskod (3–12 bokstäver och siffror)", "is not a course code"),
        ("group", "G" * 81, "field: gruppnamnet är 81 tecken långt; högst 80", "81 characters long"),
        ("group", "MA1A;drop", "field: gruppnamnet 'MA1A;drop' innehåller tecknet ';'", "contains ';'"),
        ("email", "a" * 250 + "@x.se", "field: adressen är 255 tecken lång; högst 254", "255 characters long"),
        ("email", "anna svensson@skola.se", "field: adressen 'anna svensson@skola.se' innehåller", "contains a space"),
        ("email", "anna.skola.se", "field: 'anna.skola.se' måste innehålla exakt ett '@'", "exactly one '@'"),
        ("email", "@skola.se", "field: '@skola.se' saknar namnet före '@'", "nothing before the '@'"),
        ("email", "anna@skola", "field: i 'anna@skola' är 'skola' ingen giltig domän", "not a domain"),
        ("choice", "Högskola", "field: 'Högskola' är inte ett av alternativen", "not one of the choices"),
        ("yes_no", "kanske", "field: 'kanske' är varken ja eller nej", "neither yes nor no"),
        ("number", "tolv", "field: 'tolv' är inte ett tal", "'tolv' is not a number"),
        ("number", float("inf"), "field: inf är inte ett tal som kan sparas", "not a number that can be stored"),
        ("number", True, "field: här ska det stå text, inte ja/nej-värdet ja", "got a yes/no value"),
    ],
)
def test_refusal_is_in_swedish_as_well_as_english(type_: str, raw: object, swedish: str, english: str) -> None:
    error = _reject(type_, raw, re.escape(english), choices=LEVELS)

    message_sv, hint_sv = error.localized("sv")
    assert message_sv.startswith(swedish)
    assert hint_sv is not None
    assert hint_sv != error.hint
    message_en, hint_en = error.localized("en")
    assert english in message_en
    assert hint_en == error.hint


@pytest.mark.parametrize(
    ("type_", "hint_sv"),
    [
        ("text", "skriv valfri text, högst 2000 tecken"),
        ("personnummer", "skriv personnumret eller samordningsnumret som ÅÅÅÅMMDD-NNNN, t.ex. 19121212-1212"),
        ("date", "ange datumet som ÅÅÅÅ-MM-DD, t.ex. 2024-08-19"),
        ("course_code", "skriv kurskoden exakt som i kurskatalogen"),
        ("group", "skriv gruppnamnet som i skolans system"),
        ("email", "skriv en adress som namn.efternamn@skola.se"),
        ("choice", "välj ett av alternativen i listan"),
        ("yes_no", "svara ja eller nej"),
        ("number", "skriv ett tal, t.ex. 12, 3,5 eller 3.5"),
        ("interim_or_personnummer", "skriv personnumret, samordningsnumret eller interimsnumret"),
    ],
)
def test_missing_value_is_refused_in_swedish_with_the_types_swedish_hint(type_: str, hint_sv: str) -> None:
    error = _reject(type_, None, "a value is required", choices=LEVELS)

    message, hint = error.localized("sv")
    assert message == "field: ett värde måste anges"
    assert hint is not None
    assert hint.startswith(hint_sv)


def test_choice_suggestion_is_in_swedish() -> None:
    error = _reject("choice", "Gymnasiel", "not one of the choices", choices=LEVELS)

    assert error.localized("sv") == (
        "field: 'Gymnasiel' är inte ett av alternativen",
        "menade du 'Gymnasial'? välj ett av: Grundläggande, Gymnasial, SFI",
    )
    assert error.localized("en") == (
        "field: 'Gymnasiel' is not one of the choices",
        "did you mean 'Gymnasial'? choose one of: Grundläggande, Gymnasial, SFI",
    )
