"""The course rules against Järfälla's own examples (50p/35h, delkurser, KGYORI11A–F) and Skolverket's list."""

from __future__ import annotations

import csv
import hashlib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from engine.rules import courses as courses_module
from engine.rules import get_rule
from engine.rules.courses import (
    NATIONAL_SUBCOURSES,
    ORIENTATION_COURSES,
    find_course,
    provning_suffix,
)
from tests.rules.support import check

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "engine" / "rules" / "data"
SHARED_CSV = ROOT.parent / "shared" / "data" / "courses" / "courses.csv"


def _csv_rows() -> list[dict[str, str]]:
    with (DATA / "courses.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# The rules as the spec names them


SPEC = {
    "courses.hours_from_points": (("points", "number"), ("hours", "number")),
    "courses.known_code": (("course_code", "course_code"),),
    "courses.subcourse_choosable": (("course_code", "course_code"),),
    "courses.subcourse_points": (("course_code", "course_code"), ("points", "number")),
    "courses.orientation_code": (("course_code", "course_code"),),
}


@pytest.mark.parametrize(("rule_id", "params"), SPEC.items())
def test_rule_is_registered_with_the_agreed_parameters(rule_id: str, params: tuple[tuple[str, str], ...]) -> None:
    found = get_rule(rule_id)

    assert found is not None
    assert tuple((p.name, p.type) for p in found.params) == params
    assert all(p.required for p in found.params)
    assert found.registration is False


def test_scopes_are_as_agreed() -> None:
    scopes = {rule_id: (get_rule(rule_id).scope, get_rule(rule_id).municipality) for rule_id in SPEC}  # type: ignore[union-attr]

    assert scopes == {
        "courses.hours_from_points": ("municipal", "Järfälla"),
        "courses.known_code": ("national", None),
        "courses.subcourse_choosable": ("municipal", "Järfälla"),
        "courses.subcourse_points": ("municipal", "Järfälla"),
        "courses.orientation_code": ("municipal", "Järfälla"),
    }


# The course table


def test_table_matches_the_checksum_in_sources_md() -> None:
    digest = hashlib.sha256((DATA / "courses.csv").read_bytes()).hexdigest()

    assert digest in (DATA / "SOURCES.md").read_text(encoding="utf-8")


def test_table_is_a_byte_copy_of_the_shared_table() -> None:
    if not SHARED_CSV.exists():
        pytest.skip("the shared data is not here")
    assert (DATA / "courses.csv").read_bytes() == SHARED_CSV.read_bytes()


def test_table_is_found_as_a_package_resource() -> None:
    assert resources.files("engine.rules").joinpath("data").joinpath("courses.csv").is_file()


def test_table_has_every_row_and_no_code_twice_even_ignoring_case() -> None:
    rows = _csv_rows()

    assert len(rows) == 1077
    assert len({row["code"].upper() for row in rows}) == 1077


def test_table_is_read_only_when_a_rule_needs_it_and_only_once() -> None:
    courses_module._course_table.cache_clear()

    assert check("courses.hours_from_points", points=50, hours=35).ok
    assert check("courses.orientation_code", course_code="KGYORI11A").ok
    assert courses_module._course_table.cache_info().currsize == 0

    assert check("courses.known_code", course_code="MATMAT01a").ok
    assert check("courses.known_code", course_code="ENGENG05").ok
    info = courses_module._course_table.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_find_course_gives_name_and_points() -> None:
    course = find_course(" matmat03b ")

    assert course is not None
    assert (course.code, course.name, course.points, course.level) == ("MATMAT03b", "Matematik 3b", 100, "gymnasial")


def test_orientation_courses_have_no_points_in_the_table() -> None:
    course = find_course("KGYORI11A")

    assert course is not None
    assert course.points is None


# provning_suffix


@pytest.mark.parametrize(
    ("code", "suffix"),
    [("MATMAT03b", "MAT03B"), ("ENGENG05", "ENG05"), (" matmat01a ", "MAT01A"), ("SVASVA01", "SVA01"), ("MAT", "")],
)
def test_provning_suffix_drops_three_letters_and_upper_cases(code: str, suffix: str) -> None:
    assert provning_suffix(code) == suffix


# courses.hours_from_points: "ange antal timmar (50p/35h, 100p/70h osv.)"


@pytest.mark.parametrize(
    ("points", "hours"),
    [(50, 35), (100, 70), (150, 105), (200, 140), (300, 210), (100, 70.0), ("100", "70"), ("50", "35,0"), (25, 17.5)],
)
def test_hours_are_points_times_0_7(points: Any, hours: Any) -> None:
    assert check("courses.hours_from_points", points=points, hours=hours).ok


@pytest.mark.parametrize(("points", "hours", "expected"), [(50, 50, 35), (100, 75, 70), (100, 100, 70), (200, 70, 140)])
def test_hours_not_matching_points_break_naming_all_three_numbers(points: int, hours: int, expected: int) -> None:
    verdict = check("courses.hours_from_points", points=points, hours=hours)

    assert not verdict.ok
    assert f"{points} poäng ska registreras som {expected} timmar" in verdict.message
    assert f"inte {hours}" in verdict.message
    assert f"{points} points should be registered as {expected} hours" in verdict.message_en
    assert f"Ange {expected} timmar" in (verdict.fix or "")


def test_half_hours_are_written_with_a_swedish_comma() -> None:
    verdict = check("courses.hours_from_points", points=25, hours=17)

    assert "17,5 timmar" in verdict.message
    assert "17.5 hours" in verdict.message_en


@pytest.mark.parametrize("points", [0, -50])
def test_points_must_be_positive(points: int) -> None:
    verdict = check("courses.hours_from_points", points=points, hours=0)

    assert not verdict.ok
    assert "fler än 0" in verdict.message


@pytest.mark.parametrize(
    ("points", "hours"),
    [(None, 35), (True, 35), ("femtio", 35), (float("nan"), 35), ([50], 35), (50, None), (50, False), (50, "35h")],
)
def test_hours_rule_breaks_on_odd_values_without_raising(points: Any, hours: Any) -> None:
    verdict = check("courses.hours_from_points", points=points, hours=hours)

    assert not verdict.ok
    assert verdict.message and verdict.message_en and verdict.fix


def test_hours_rule_breaks_when_a_value_is_absent() -> None:
    verdict = check("courses.hours_from_points", points=50)

    assert not verdict.ok
    assert "Timmarna saknas" in verdict.message


# courses.known_code


def test_every_code_in_the_table_is_known() -> None:
    for row in _csv_rows():
        assert check("courses.known_code", course_code=row["code"]).ok, row["code"]


@pytest.mark.parametrize("code", [*NATIONAL_SUBCOURSES, "GRNSVEA", "GRNSVAA"])
def test_national_subcourse_codes_are_known(code: str) -> None:
    assert check("courses.known_code", course_code=code).ok


@pytest.mark.parametrize("code", ["matmat03b", "MATMAT03B", "  MATMAT03b ", "förför01", "grnenga"])
def test_known_code_ignores_case_and_surrounding_spaces(code: str) -> None:
    assert check("courses.known_code", course_code=code).ok


def test_routine_typo_gremata_is_unknown_with_a_hint_to_grnmata() -> None:
    verdict = check("courses.known_code", course_code="GREMATA")

    assert not verdict.ok
    assert 'Kurskoden "GREMATA" finns inte i Skolverkets kurslista. Menar du GRNMATA,' in verdict.message
    assert "Did you mean GRNMATA," in verdict.message_en
    assert verdict.fix == "Skriv kurskoden exakt som i kurskatalogen, troligen GRNMATA."


def test_misspelt_code_gets_the_closest_code_first() -> None:
    verdict = check("courses.known_code", course_code="MATMAT3b")

    assert not verdict.ok
    assert "Menar du MATMAT03b" in verdict.message


def test_code_without_any_near_miss_points_to_the_catalogue() -> None:
    verdict = check("courses.known_code", course_code="QQQQQQ")

    assert not verdict.ok
    assert "Menar du" not in verdict.message
    assert "kurskatalogen" in (verdict.fix or "")


def test_kurspaket_is_explained_as_alvis_container_not_a_course() -> None:
    verdict = check("courses.known_code", course_code="KURSPAKET")

    assert not verdict.ok
    assert "behållare" in verdict.message
    assert "container" in verdict.message_en


@pytest.mark.parametrize(("value", "said"), [(None, "saknas"), ("", "saknas"), ("   ", "saknas"), (12, "inte 12")])
def test_known_code_breaks_on_missing_or_mistyped_code(value: Any, said: str) -> None:
    verdict = check("courses.known_code", course_code=value)

    assert not verdict.ok
    assert said in verdict.message


# courses.subcourse_choosable: "delkurs 1 för GRNSVE och GRNSVA ... inte valbara här i Alvis"


@pytest.mark.parametrize(("code", "subject"), [("GRNSVEA", "GRNSVE"), ("GRNSVAA", "GRNSVA"), ("grnsvea", "GRNSVE")])
def test_part_course_1_of_swedish_is_not_choosable(code: str, subject: str) -> None:
    verdict = check("courses.subcourse_choosable", course_code=code)

    assert not verdict.ok
    assert f"{code} är delkurs 1 för {subject}" in verdict.message
    assert "cannot be chosen in Alvis" in verdict.message_en
    assert verdict.fix == f"Välj den delkurs eleven ska läsa: {subject}B, {subject}C eller {subject}D."


@pytest.mark.parametrize("code", ["GRNSVEB", "GRNSVAD", "GRNMATA", "GRNENGA", "MATMAT01a", "KGYORI11A"])
def test_other_courses_are_choosable(code: str) -> None:
    assert check("courses.subcourse_choosable", course_code=code).ok


def test_choosing_the_routines_typo_gremata_points_to_grnmata() -> None:
    verdict = check("courses.subcourse_choosable", course_code="GREMATA")

    assert not verdict.ok
    assert "skrivfel för GRNMATA" in verdict.message
    assert verdict.fix == "Välj GRNMATA."


def test_choosable_breaks_on_a_missing_code() -> None:
    assert not check("courses.subcourse_choosable", course_code=None).ok


# courses.subcourse_points: "GRNSVEB 200 p, ..."


@pytest.mark.parametrize(("code", "points"), NATIONAL_SUBCOURSES.items())
def test_national_part_course_with_the_routines_points_holds(code: str, points: int) -> None:
    assert check("courses.subcourse_points", course_code=code, points=points).ok
    assert check("courses.subcourse_points", course_code=code.lower(), points=str(points)).ok


@pytest.mark.parametrize(
    ("code", "given", "expected"), [("GRNENGC", 100, 200), ("GRNMATA", 200, 100), ("GRNSVEB", 100, 200)]
)
def test_national_part_course_with_other_points_breaks(code: str, given: int, expected: int) -> None:
    verdict = check("courses.subcourse_points", course_code=code, points=given)

    assert not verdict.ok
    assert f"Delkursen {code} ska ha {expected} poäng, inte {given}." == verdict.message
    assert f"has {expected} points, not {given}" in verdict.message_en


def test_routines_points_agree_with_skolverkets_table() -> None:
    for code, points in NATIONAL_SUBCOURSES.items():
        course = find_course(code)
        assert course is not None, code
        assert course.points == points, code


def test_part_courses_add_up_to_the_whole_subject() -> None:
    for subject, whole in (("GRNMAT", 600), ("GRNENG", 600)):
        parts = [points for code, points in NATIONAL_SUBCOURSES.items() if code.startswith(subject)]
        assert sum(parts) == whole == find_course(f"{subject}2").points  # type: ignore[union-attr]


@pytest.mark.parametrize("code", ["MATMAT01a", "GRNSVEA", "GREMATA"])
def test_points_of_other_codes_are_not_this_rules_concern(code: str) -> None:
    assert check("courses.subcourse_points", course_code=code, points=1).ok


@pytest.mark.parametrize("points", [None, "tvåhundra", True])
def test_part_course_points_that_are_not_a_number_break(points: Any) -> None:
    verdict = check("courses.subcourse_points", course_code="GRNMATC", points=points)

    assert not verdict.ok
    assert "Poängen" in verdict.message


# courses.orientation_code: KGYORI11A–F


@pytest.mark.parametrize("code", [*ORIENTATION_COURSES, "kgyori11f"])
def test_orientation_course_codes_hold(code: str) -> None:
    assert check("courses.orientation_code", course_code=code).ok


def test_orientation_names_are_those_of_the_routine_and_the_table() -> None:
    assert ORIENTATION_COURSES["KGYORI11A"] == "Orienteringskurs, studie- och yrkesval"
    assert ORIENTATION_COURSES["KGYORI11F"] == "Orienteringskurs, yrkessvenska"
    for code, name in ORIENTATION_COURSES.items():
        assert find_course(code).name == name  # type: ignore[union-attr]


def test_other_code_for_an_orientation_group_breaks_listing_the_six_with_names() -> None:
    verdict = check("courses.orientation_code", course_code="KGYORI11G")

    assert not verdict.ok
    assert verdict.message.startswith("KGYORI11G är inte en kurskod för orienteringskurs")
    assert "Menar du KGYORI11F (”Orienteringskurs, yrkessvenska”)?" in verdict.message
    fix = verdict.fix or ""
    assert all(f"{code} = ”{name}”" in fix for code, name in ORIENTATION_COURSES.items())


def test_ordinary_course_code_is_not_an_orientation_code() -> None:
    verdict = check("courses.orientation_code", course_code="MATMAT01a")

    assert not verdict.ok
    assert "Menar du" not in verdict.message


@pytest.mark.parametrize("value", [None, 11, ["KGYORI11A"]])
def test_orientation_rule_breaks_on_odd_values(value: Any) -> None:
    assert not check("courses.orientation_code", course_code=value).ok
