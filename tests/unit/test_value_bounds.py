"""Values stay within what the engine can store and compute with; a required input says why in values."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInputs, InvalidValue
from engine.loader import load_procedure_text
from engine.step import parse_inputs
from engine.values import parse_value
from tests.conftest import PROCEDURES


@pytest.mark.parametrize("raw", ["9" * 5000, "1" * 16, "-1234567890123456", 10**15, -(10**15), 1e15])
def test_a_number_of_more_than_15_digits_is_refused_before_any_conversion(raw: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_value("antal", "number", raw)

    message_sv = caught.value.localized("sv")[0]
    assert "högst 15 siffror" in message_sv and len(message_sv) < 120


@pytest.mark.parametrize(("raw", "read"), [("999999999999999", 999_999_999_999_999), ("-3,5", -3.5), (12, 12)])
def test_numbers_of_up_to_15_digits_are_read(raw: object, read: float) -> None:
    assert parse_value("antal", "number", raw) == read


@pytest.mark.parametrize("raw", ["9999-12-20", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_date_outside_the_years_1900_2199_is_refused(raw: str) -> None:
    with pytest.raises(InvalidValue, match="outside the years 1900-2199") as caught:
        parse_value("kursslut", "date", raw)

    assert caught.value.localized("sv") == (f"kursslut: {raw} ligger utanför åren 1900-2199", "kontrollera årtalet")


def test_a_required_input_names_the_values_that_make_it_required_in_each_language() -> None:
    loaded = load_procedure_text((PROCEDURES / "avregistrering-betyg.yaml").read_text(encoding="utf-8"))
    given = {"personnummer": "19121212-1212", "orsak": "fel_kurs", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"}

    with pytest.raises(InvalidInputs) as caught:
        parse_inputs(loaded.procedure.inputs, given)

    [problem] = [p for p in caught.value.problems if p.name == "ny_kurskod"]
    assert problem.message == "ny_kurskod: 'The right course's code' is required (because orsak = 'fel_kurs')"
    assert (
        problem.localized("sv")[0]
        == "ny_kurskod: 'Den rätta kursens kurskod' måste anges (eftersom orsak = 'fel_kurs')"
    )
    assert " in [" not in problem.message  # never the procedure's condition syntax


def test_an_unknown_field_is_named_in_swedish_with_its_gender_right() -> None:
    loaded = load_procedure_text((PROCEDURES / "avregistrering-betyg.yaml").read_text(encoding="utf-8"))
    fields = next(s for s in loaded.procedure.steps if s.id == "ed_beslutad_av").fields  # type: ignore[union-attr]

    with pytest.raises(InvalidInputs) as caught:
        parse_inputs(fields, {"beslutande_larare": "Bo", "extra": "x"}, what="field")

    assert caught.value.problems[0].localized("sv") == ("extra: okänt fält 'extra'", "tillåtna: beslutande_larare")
