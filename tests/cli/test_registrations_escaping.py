"""`rutin check registrations` never lets a file drive the terminal, and says what a file that is not CSV text is.

Control and escape characters from the file are written out visibly (`\\x1b`), long values are cut, and a
UTF-16 export, a workbook or a binary file is refused with how to save it as CSV. The escape tests read what a
real `rutin` process writes, character by character.
"""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from engine.registrations import RegistrationFileInvalid, check_registrations, decode_export, shown
from tests.cli.helpers import clean_environment, run_rutin

HEADER = "kurskod;grupp;status;statusdatum;startdatum;slutdatum"
SAVE_AS = "tips: spara filen som UTF-8 eller CSV (semikolonavgränsad)"


def check(path: Path, *options: str, as_json: bool = False) -> CompletedProcess[str]:
    """`rutin check registrations PATH` in the default language (Swedish) unless `options` say otherwise."""
    env = clean_environment(RUTIN_DB=str(path.parent / "rutin.db"))
    return run_rutin(*options, "check", "registrations", str(path), *(["--json"] if as_json else []), env=env)


def terminal_safe(output: str) -> bool:
    """No control character but the line break, and no bidi or other format character, in what was printed."""
    return not any(c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in output)


# --- escape sequences and long values ----------------------------------------------------------------------


def test_an_escape_sequence_in_the_header_is_shown_escaped_and_never_sent_raw(tmp_path: Path) -> None:
    export = tmp_path / "esc.csv"
    export.write_bytes(b"kurskod;grupp;status;startdatum;slutdatum;\x1b]0;HACKED\x07\x1b[31mred\n")
    done = check(export)
    assert done.returncode == 1
    assert terminal_safe(done.stdout + done.stderr)
    stderr = done.stderr
    assert "okänd kolumn '\\x1b]0'" in stderr
    assert "okänd kolumn 'HACKED\\x07\\x1b[31mred'" in stderr


def test_an_escape_sequence_in_a_cell_is_shown_escaped_in_the_report(tmp_path: Path) -> None:
    export = tmp_path / "cell.csv"
    export.write_bytes(f"{HEADER}\nMATMAT01a;MA1;Ej påbörjat;2024-\x1b[2J08-26\x9b31m;2024-08-19;2024-12-20\n".encode())
    done = check(export)
    assert done.returncode == 1
    assert terminal_safe(done.stdout + done.stderr)
    assert "rad 2: felaktig rad: statusdatum '2024-\\x1b[2J08-26\\x9b31m' är inte ett datum (ÅÅÅÅ-MM-DD)" in done.stdout


def test_a_very_long_value_is_cut_and_its_length_said(tmp_path: Path) -> None:
    export = tmp_path / "long.csv"
    export.write_text(f"{HEADER}\nMATMAT01a;MA1;Aktiv;{'9' * 10_000};2024-08-19;2024-12-20\n", encoding="utf-8")
    done = check(export)
    assert done.returncode == 1
    line = done.stdout.splitlines()[0]
    assert line.startswith("rad 2: felaktig rad: statusdatum '" + "9" * 60 + "… (10000 tecken)'")
    assert len(line) < 200


def test_a_header_of_many_unknown_columns_names_five_and_counts_the_rest(tmp_path: Path) -> None:
    export = tmp_path / "wide.csv"
    export.write_text(HEADER + "".join(f";okänd{i}" for i in range(500)) + "\n", encoding="utf-8")
    done = check(export)
    assert done.returncode == 1
    stderr = done.stderr
    assert stderr.count("okänd kolumn") == 5
    assert "och 495 kolumner till som inte känns igen" in stderr
    assert len(stderr.splitlines()[0]) < 400


def test_a_stray_control_character_does_not_make_a_file_binary(tmp_path: Path) -> None:
    export = tmp_path / "stray.csv"
    export.write_text(f"{HEADER}\nMATMAT01a;MA1\x01;Avbrott;2024-08-19;2024-08-19;2024-12-20\n", encoding="utf-8")
    done = check(export, "--lang", "en")
    assert done.returncode == 1  # the dropout-on-day-one rule is broken; the file was checked
    assert "row 2: scb.dropout_day_one" in done.stdout
    assert terminal_safe(done.stdout + done.stderr)


def test_the_json_report_keeps_its_keys_and_is_valid_json(tmp_path: Path) -> None:
    export = tmp_path / "json.csv"
    export.write_bytes(f"{HEADER}\nMATMAT01a;MA1;Aktiv;x\x1b[31m;2024-08-19;2024-12-20\n".encode())
    body = json.loads(check(export, as_json=True).stdout)
    assert set(body) >= {"ok", "rows", "checked", "violations", "bad_rows", "rules_not_run"}
    assert body["bad_rows"] == [
        {
            "row": 2,
            "reason": "statusdatum 'x\\x1b[31m' är inte ett datum (ÅÅÅÅ-MM-DD)",
            "reason_en": "statusdatum 'x\\x1b[31m' is not a date",
        }
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x1bb", "a\\x1bb"),
        ("\x7f", "\\x7f"),
        ("\x9b", "\\x9b"),  # C1 CSI: some terminals take it as ESC [
        ("\u202eabc", "\\u202eabc"),  # right-to-left override: would reverse what follows
        ("a\u2028b", "a\\u2028b"),
        ("\t\r\n", "\\x09\\x0d\\x0a"),
        ("Ej påbörjat", "Ej påbörjat"),
        ("x" * 61, "x" * 60 + "… (61 tecken)"),
    ],
)
def test_shown_writes_out_control_characters_and_cuts_long_values(value: str, expected: str) -> None:
    assert shown(value) == expected


# --- files that are not CSV text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-be-bom", "utf-16-le"], ids=["utf-16-le-bom", "utf-16-be-bom", "utf-16-le-no-bom"]
)
def test_a_utf16_export_is_refused_with_how_to_save_it(tmp_path: Path, encoding: str) -> None:
    text = f"{HEADER}\nMATMAT01a;MA1;Aktiv;2024-08-19;2024-08-19;2024-12-20\n"
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    export = tmp_path / "unicode.txt"
    export.write_bytes(data)
    done = check(export)
    assert done.returncode == 1
    stderr = done.stderr
    assert "fel: registreringsfilen kan inte kontrolleras: filen är UTF-16-text" in stderr
    assert SAVE_AS in stderr
    english = check(export, "--lang", "en").stderr
    assert "error: the registrations file cannot be checked: the file is UTF-16 text" in english
    assert "hint: save it as UTF-8 text or as CSV (semicolon-delimited)" in english


def test_a_binary_file_is_refused_without_echoing_its_bytes(tmp_path: Path) -> None:
    export = tmp_path / "random.csv"
    export.write_bytes(random.Random(19).randbytes(20_000))
    done = check(export)
    assert done.returncode == 1
    assert terminal_safe(done.stdout + done.stderr)
    assert done.stderr.splitlines() == [
        "fel: registreringsfilen kan inte kontrolleras: "
        "filen är inte text (den innehåller binära data, t.ex. NUL-byte)",
        "    " + SAVE_AS + ", t.ex. i Excel: Spara som > CSV UTF-8",
    ]


@pytest.mark.parametrize(
    ("magic", "says"),
    [
        (b"PK\x03\x04", "filen är en Excel-arbetsbok (.xlsx) eller annan zip-fil, inte CSV-text"),
        (b"\xd0\xcf\x11\xe0", "filen är en äldre Excel-arbetsbok (.xls), inte CSV-text"),
        (b"%PDF", "filen är ett PDF-dokument, inte CSV-text"),
    ],
)
def test_a_workbook_or_pdf_is_named_for_what_it_is(magic: bytes, says: str) -> None:
    with pytest.raises(RegistrationFileInvalid, match="cannot be checked") as caught:
        decode_export(magic + b"rest of the file")
    message, hint = caught.value.localized("sv")
    assert message == f"registreringsfilen kan inte kontrolleras: {says}"
    assert hint is not None and hint.startswith("spara filen som UTF-8 eller CSV (semikolonavgränsad)")


def test_a_windows_1252_export_is_still_read(tmp_path: Path) -> None:
    text = f"{HEADER}\nMATMAT01a;MA1;Ej påbörjat;2024-08-26;2024-08-19;2024-12-20\n"
    report = check_registrations(decode_export(text.encode("cp1252")))
    assert [(v.row, v.rule) for v in report.violations] == [(2, "scb.not_started_status_date")]
