"""The batch check of group registrations: an export in, every planted mistake out, and nothing else.

`make_export` builds a realistic export (every kind of row the registration rules judge) with mistakes
planted at known rows; bench/ may import it to time the check. No test here is timed.
"""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.registrations import (
    COLUMNS,
    RegistrationFileInvalid,
    RegistrationReport,
    check_registrations,
    decode_export,
    mask_personnummer,
)
from engine.rules import catalogue
from engine.rules.base import RuleSwitches

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "tests" / "data" / "registrations" / "sample.csv"
DOCS = ROOT / "docs" / "registrations-csv.md"
HEADER = [column.name for column in COLUMNS]
COURSES = ("MATMAT01a", "MATMAT02c", "ENGENG05", "SVESVE01", "SVASVA02", "HISHIS01b", "SAMSAM01b", "NAKNAK01a1")
REGISTRATION_RULES = (
    "provning.same_dates",
    "grading.grade_date_is_course_end",
    "scb.not_started_status_date",
    "scb.dropout_day_one",
    "scb.replaced_group_dates",
    "scb.package_container",
    "scb.package_dropout",
)


# --- the fixture generator -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    text: str
    planted: frozenset[tuple[int, str]]  # (line, rule id)
    bad: frozenset[int]  # lines of rows that cannot be read
    rows: int


def _iso(day: date) -> str:
    return day.isoformat()


def _valid_row(i: int, rng: random.Random) -> dict[str, str]:
    """One correct registration; which kind cycles with i so that every rule meets the rows it judges."""
    spring = rng.random() < 0.5
    year = rng.choice((2023, 2024))
    start = date(year, 1, 15) if spring else date(year, 8, 19)
    start += timedelta(days=rng.randrange(0, 40))
    end = start + timedelta(days=rng.randrange(40, 130))
    course = COURSES[i % len(COURSES)]
    row = dict.fromkeys(HEADER, "")
    row.update(
        personnummer=f"19{rng.randrange(50, 99)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}-{i % 10_000:04d}",
        kurskod=course,
        grupp=f"{course[3:]}-{'VT' if spring else 'HT'}{year % 100}",
        status="Aktiv",
        statusdatum=_iso(start),
        startdatum=_iso(start),
        slutdatum=_iso(end),
        rapporteras_scb="ja",
        paketavbrott="nej",
        paborjad="ja",
    )
    kind = i % 9
    if kind == 1:
        row.update(status="Slutförd", statusdatum=_iso(end), betygsdatum=_iso(end))
    elif kind == 2:
        row.update(status="Ej påbörjat", paborjad="nej")
    elif kind == 3:
        row.update(status="Avbrott", statusdatum=_iso(start + timedelta(days=rng.randrange(1, 30))))
    elif kind == 4:
        term = f"{year % 100}{'VT' if spring else 'HT'}"
        row.update(
            grupp=f"PRÖ:KC{term}{course[3:].upper()}",
            grupptyp="PRÖ",
            status="Slutförd",
            slutdatum=_iso(start),
            betygsdatum=_iso(start),
        )
    elif kind == 5:
        row.update(kurskod="KURSPAKET", grupp=f"PAKET-{i}", rapporteras_scb="nej", ekonomimarke="2")
    elif kind == 6:
        notice = start - timedelta(days=rng.randrange(0, 10))
        row.update(status="Ej påbörjat", statusdatum=_iso(notice), paketavbrott="ja", paborjad="nej")
    elif kind == 7:
        row.update(status="Avbrott", statusdatum=_iso(start + timedelta(days=12)), paketavbrott="ja")
    elif kind == 8:
        row.update(status="Gruppen är ersatt", ersatt_startdatum=_iso(start), ersatt_slutdatum=_iso(end))
    return row


def _mistake(rule_id: str, row: dict[str, str]) -> None:
    """Break `row` (made by _valid_row with the matching kind) against exactly one rule."""
    start = date.fromisoformat(row["startdatum"])
    end = date.fromisoformat(row["slutdatum"])
    if rule_id == "provning.same_dates":
        row["startdatum"] = _iso(start - timedelta(days=1))
    elif rule_id == "grading.grade_date_is_course_end":
        row["betygsdatum"] = _iso(end + timedelta(days=3))
    elif rule_id == "scb.not_started_status_date":
        row["statusdatum"] = _iso(start + timedelta(days=7))
    elif rule_id == "scb.dropout_day_one":
        row["statusdatum"] = _iso(start)
    elif rule_id == "scb.replaced_group_dates":
        row["ersatt_slutdatum"] = _iso(end + timedelta(days=14))
    elif rule_id == "scb.package_container":
        row["rapporteras_scb"] = "ja"
    elif rule_id == "scb.package_dropout":
        row.update(status="Avbrott", statusdatum=_iso(start + timedelta(days=10)))


_KIND_OF = {  # which kind of row each rule's mistake is planted in (see _valid_row)
    "provning.same_dates": 4,
    "grading.grade_date_is_course_end": 1,
    "scb.not_started_status_date": 2,
    "scb.dropout_day_one": 3,
    "scb.replaced_group_dates": 8,
    "scb.package_container": 5,
    "scb.package_dropout": 6,
}

_BAD_ROWS = {
    "too few columns": lambda cells: cells[:-2],
    "impossible date": lambda cells: [*cells[:6], "2024-02-30", *cells[7:]],
    "empty status": lambda cells: [*cells[:4], "", *cells[5:]],
    "not yes or no": lambda cells: [*cells[:13], "kanske", *cells[14:]],
}


def make_export(
    valid: int = 10_000,
    *,
    mistakes: bool = True,
    seed: int = 20240819,
    delimiter: str = ";",
    bom: bool = True,
    crlf: bool = True,
) -> Export:
    """`valid` correct rows and, at known places, three mistakes per registration rule and four bad rows."""
    rng = random.Random(seed)
    rows: list[list[str]] = [list(_valid_row(i, rng).values()) for i in range(valid)]
    inserts: list[tuple[int, list[str], str | None]] = []
    for n, (rule_id, kind) in enumerate(_KIND_OF.items() if mistakes else ()):
        for copy in range(3):
            row = _valid_row(kind + 9 * (n * 3 + copy), rng)
            _mistake(rule_id, row)
            inserts.append((rng.randrange(0, valid), list(row.values()), rule_id))
    for make_bad in _BAD_ROWS.values() if mistakes else ():
        inserts.append((rng.randrange(0, valid), make_bad(list(_valid_row(0, rng).values())), None))
    for position, cells, _ in sorted(inserts, key=lambda item: item[0], reverse=True):
        rows.insert(position, cells)
    line_of = {id(cells): line for line, cells in enumerate(rows, start=2)}
    planted = frozenset((line_of[id(cells)], rule_id) for _, cells, rule_id in inserts if rule_id)
    bad = frozenset(line_of[id(cells)] for _, cells, rule_id in inserts if rule_id is None)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows([HEADER, *rows])
    return Export(("\ufeff" if bom else "") + out.getvalue(), planted, bad, len(rows))


def found(report: RegistrationReport) -> set[tuple[int, str]]:
    return {(v.row, v.rule) for v in report.violations}


# --- the large export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delimiter", "bom", "crlf"), [(";", True, True), (",", False, False)], ids=["semicolon-bom-crlf", "comma-lf"]
)
def test_a_large_export_reports_exactly_the_planted_mistakes(delimiter: str, bom: bool, crlf: bool) -> None:
    export = make_export(delimiter=delimiter, bom=bom, crlf=crlf)
    report = check_registrations(export.text)
    assert report.rows == export.rows
    assert found(report) == set(export.planted)
    assert {b.row for b in report.bad_rows} == set(export.bad)
    assert report.rules_run == REGISTRATION_RULES
    assert {rule_id for _, rule_id in export.planted} == set(REGISTRATION_RULES)
    assert (len(export.planted), len(export.bad)) == (21, 4)


def test_the_generated_rows_without_mistakes_are_clean() -> None:
    report = check_registrations(make_export(2_000, mistakes=False).text)
    assert report.ok
    assert report.rows == 2_000


# --- the sample file ---------------------------------------------------------------------------------------


def test_the_sample_export_reports_its_seven_mistakes_and_two_bad_rows() -> None:
    report = check_registrations(decode_export(SAMPLE.read_bytes()))
    assert report.delimiter == ";"
    assert report.rows == 20
    assert sorted(found(report)) == [
        (4, "scb.not_started_status_date"),
        (5, "scb.dropout_day_one"),
        (8, "provning.same_dates"),
        (9, "grading.grade_date_is_course_end"),
        (11, "scb.package_container"),
        (13, "scb.replaced_group_dates"),
        (16, "scb.package_dropout"),
    ]
    assert [(b.row, b.reason) for b in report.bad_rows] == [
        (17, "statusdatum '2024-09-31' är inte ett datum (ÅÅÅÅ-MM-DD)"),
        (19, "raden har 7 kolumner, rubrikraden 15"),
    ]


def test_the_text_report_gives_row_rule_message_and_fix_then_the_summary() -> None:
    text = check_registrations(SAMPLE.read_text(encoding="utf-8")).to_text()
    lines = text.splitlines()
    assert lines[0] == (
        "rad 4: scb.not_started_status_date: Status 'Ej påbörjat' har statusdatum 2024-08-26, men kursens "
        "startdatum är 2024-08-19.  åtgärd: Ändra statusdatum till kursens startdatum 2024-08-19. Ändra inte kursens "
        "tänkta slutdatum."
    )
    assert "rad 17: felaktig rad: statusdatum '2024-09-31'" in text
    assert "20 rader: 18 kontrollerade, 7 regelbrott, 2 felaktiga rader" in text
    assert "  scb.dropout_day_one: 1" in text


def test_the_text_report_can_be_in_english() -> None:
    text = check_registrations(SAMPLE.read_text(encoding="utf-8")).to_text("en")
    assert "row 5: scb.dropout_day_one: A dropout dated 2024-08-19, the course's first day" in text
    assert "row 19: bad row: the row has 7 columns, the header 15" in text


def test_the_json_report_carries_the_offending_values_and_masks_personnummer() -> None:
    report = check_registrations(SAMPLE.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(report.to_json()))
    first = data["violations"][0]
    assert first["row"] == 4
    assert first["values"] == {"status": "Ej påbörjat", "statusdatum": "2024-08-26", "startdatum": "2024-08-19"}
    assert first["person"] == "19900101-****"
    assert first["group"] == "SV1-HT24"
    assert data["counts"]["scb.package_container"] == 1
    assert "0017" not in json.dumps(data)
    assert "0017" not in report.to_text()


# --- reading the file --------------------------------------------------------------------------------------

MINIMAL = "kurskod;grupp;status;statusdatum;startdatum;slutdatum"


def test_english_headers_and_a_comma_are_accepted() -> None:
    text = (
        "course_code,group,status,status_date,start_date,end_date\n"
        "MATMAT01a,MA1,Avbrott,2024-08-19,2024-08-19,2024-12-20\n"
    )
    report = check_registrations(text)
    assert report.delimiter == ","
    assert found(report) == {(2, "scb.dropout_day_one")}


def test_headers_as_spreadsheets_write_them_are_recognised() -> None:
    text = "Kurskod;Grupp;Status;Status datum;Startdatum;Slutdatum;Rapporteras till SCB;Ekonomimärke;Påbörjad\n"
    report = check_registrations(text)
    assert "ekonomimarke" in report.columns
    assert "paborjad" in report.columns


def test_dates_without_dashes_are_read() -> None:
    report = check_registrations(f"{MINIMAL}\nMATMAT01a;MA1;Ej påbörjat;20240826;20240819;20241220\n")
    assert found(report) == {(2, "scb.not_started_status_date")}
    assert report.violations[0].values["statusdatum"] == "20240826"


def test_a_bad_date_is_a_bad_row_and_not_a_violation() -> None:
    report = check_registrations(f"{MINIMAL}\nMATMAT01a;MA1;Ej påbörjat;2024-08-32;2024-08-19;2024-12-20\n")
    assert report.violations == ()
    assert [(b.row, b.reason_en) for b in report.bad_rows] == [(2, "statusdatum '2024-08-32' is not a date")]


def test_every_problem_of_a_bad_row_is_named() -> None:
    report = check_registrations(f"{MINIMAL}\n;MA1;;x;2024-08-19;2024-12-20\n")
    assert report.bad_rows[0].reason_en == "kurskod is empty; status is empty; statusdatum 'x' is not a date"


def test_line_numbers_count_blank_lines_and_quoted_line_breaks() -> None:
    text = (
        f"{MINIMAL}\n\n"
        'MATMAT01a;"MA1\nkväll";Aktiv;2024-08-19;2024-08-19;2024-12-20\n'
        "MATMAT01a;MA1;Avbrott;2024-08-19;2024-08-19;2024-12-20\n"
    )
    report = check_registrations(text)
    assert found(report) == {(5, "scb.dropout_day_one")}
    assert report.rows == 2


def test_a_delimiter_inside_quotes_is_part_of_the_value() -> None:
    report = check_registrations(f'{MINIMAL}\nMATMAT01a;"MA1;kväll";Avbrott;2024-08-19;2024-08-19;2024-12-20\n')
    assert report.violations[0].group == "MA1;kväll"


def test_trailing_empty_cells_are_tolerated() -> None:
    report = check_registrations(f"{MINIMAL};\nMATMAT01a;MA1;Aktiv;2024-08-19;2024-08-19;2024-12-20;;\n")
    assert report.ok


def test_a_quote_never_closed_is_a_bad_row_that_says_so() -> None:
    report = check_registrations(f'{MINIMAL}\nMATMAT01a;"MA1;Aktiv;2024-08-19;2024-08-19;2024-12-20\nX;Y;Aktiv;;;\n')
    assert [(b.row, b.reason_en) for b in report.bad_rows] == [
        (2, "the row has 2 columns, the header 6 (a quote that is never closed?)")
    ]


def test_a_cell_too_large_to_read_is_a_bad_row_and_the_run_goes_on() -> None:
    text = f"{MINIMAL}\nMATMAT01a;{'x' * 200_000};Aktiv;;2024-08-19;2024-12-20\n"
    report = check_registrations(text + "MATMAT01a;MA1;Avbrott;2024-08-19;2024-08-19;2024-12-20\n")
    assert report.bad_rows[0].row == 2
    assert "field larger than field limit" in report.bad_rows[0].reason_en
    assert found(report) == {(3, "scb.dropout_day_one")}


def test_an_unknown_column_is_refused_with_a_did_you_mean_and_the_known_columns() -> None:
    with pytest.raises(RegistrationFileInvalid, match="unknown column 'statusdatun'") as caught:
        check_registrations("kurskod;grupp;status;statusdatun;startdatum;slutdatum\n")
    assert "did you mean 'statusdatum'?" in caught.value.message
    assert caught.value.hint is not None
    assert "rapporteras_scb" in caught.value.hint


def test_a_missing_required_column_is_refused() -> None:
    with pytest.raises(RegistrationFileInvalid, match="missing required column") as caught:
        check_registrations("kurskod;grupp;status\n")
    assert caught.value.problems == ["missing required column(s): startdatum, slutdatum"]


def test_a_column_given_twice_is_refused() -> None:
    with pytest.raises(RegistrationFileInvalid, match="appears twice"):
        check_registrations(f"{MINIMAL};start_date\n")


@pytest.mark.parametrize("text", ["", "\ufeff", "\n\n  \n"])
def test_an_empty_file_is_refused(text: str) -> None:
    with pytest.raises(RegistrationFileInvalid, match="empty"):
        check_registrations(text)


def test_rules_whose_columns_are_missing_are_named_as_not_run() -> None:
    report = check_registrations(f"{MINIMAL}\n")
    assert report.rules_not_run["scb.replaced_group_dates"] == (
        "the file has no columns ersatt_startdatum, ersatt_slutdatum"
    )
    assert "scb.package_container" in report.rules_not_run
    assert "not run: scb.package_dropout" in report.summary("en")
    assert "kördes inte: scb.package_dropout" in report.summary()


def test_switched_off_rules_do_not_run() -> None:
    text = f"{MINIMAL}\nMATMAT01a;MA1;Avbrott;2024-08-19;2024-08-19;2024-12-20\n"
    report = check_registrations(text, switches=RuleSwitches.parse("scb.dropout_day_one"))
    assert report.ok
    assert report.rules_not_run["scb.dropout_day_one"] == "switched off"
    assert check_registrations(text, switches=RuleSwitches.parse("municipal:Järfälla")).rules_run == ()


def test_a_package_dropouts_not_started_group_may_be_dated_the_notice() -> None:
    text = (
        f"{MINIMAL};paketavbrott;paborjad\n"
        "VÅRVÅR02;VÅRD2-PAKET;Ej påbörjat;2024-10-01;2024-11-04;2024-12-20;ja;nej\n"
        "VÅRVÅR02;VÅRD2-PAKET;Ej påbörjat;2024-10-01;2024-11-04;2024-12-20;nej;nej\n"
    )
    assert found(check_registrations(text)) == {(3, "scb.not_started_status_date")}


@pytest.mark.parametrize(
    ("grupptyp", "grupp", "status"),
    [("PRÖ", "MA3", "Slutförd"), ("", "PRÖ:KC24HTMAT03B", "Slutförd"), ("", "MA3", "Prövning"), ("prövning", "X", "")],
)
def test_provning_rows_are_found_by_type_group_name_or_status(grupptyp: str, grupp: str, status: str) -> None:
    text = f"{MINIMAL};grupptyp\nMATMAT03b;{grupp};{status or 'Aktiv'};;2024-11-04;2024-11-05;{grupptyp}\n"
    assert found(check_registrations(text)) == {(2, "provning.same_dates")}


def test_an_ordinary_row_is_not_judged_as_a_provning() -> None:
    text = f"{MINIMAL};grupptyp\nMATMAT03b;MA3-HT24;Aktiv;;2024-08-19;2024-12-20;\n"
    assert check_registrations(text).ok


def test_every_registration_rule_of_the_library_runs_on_a_full_export() -> None:
    registration = [rule.id for rule in catalogue().values() if rule.registration]
    report = check_registrations(",".join(HEADER) + "\n")
    assert sorted(report.rules_run) == sorted(registration)


def test_the_docs_name_every_column_and_cite_every_registration_rule() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| `{column.name}` |" in docs
    for rule in catalogue().values():
        if rule.registration:
            assert f"### `{rule.id}`" in docs
            assert f"> {rule.cite}" in docs


def test_exported_bytes_are_read_as_utf8_with_or_without_bom_or_as_windows_1252() -> None:
    text = f"{MINIMAL}\nMATMAT01a;MA1;Ej påbörjat;2024-08-19;2024-08-19;2024-12-20\n"
    assert decode_export(text.encode("utf-8-sig")) == text
    assert decode_export(text.encode("utf-8")) == text
    assert decode_export(text.encode("cp1252")) == text


@pytest.mark.parametrize(
    ("value", "masked"),
    [("19850101-1234", "19850101-****"), ("198501011234", "19850101-****"), ("850101-1234", "850101-****")],
)
def test_personnummer_are_masked_to_the_birth_date(value: str, masked: str) -> None:
    assert mask_personnummer(value) == masked


@settings(max_examples=60, deadline=None)
@given(body=st.lists(st.sampled_from([*';,"\r\n \t-09aÖ:', "2024-08-19", "Avbrott", "Ej påbörjat", "ja"])).map("".join))
def test_garbage_rows_under_a_good_header_never_crash_the_run(body: str) -> None:
    report = check_registrations(f"{';'.join(HEADER)}\n{body}")
    assert report.rows == len(report.bad_rows) + report.checked
    report.to_text()
    json.dumps(report.to_json())
