"""Broken copies of the shipped procedure: every mistake is an error at its file:line:column, with a hint.

The issue's acceptance: "At least ten broken copies of the procedure (missing step, unreachable step, typo in
an input name, wrong type, bad indentation, a condition that does not parse, ...) each give file:line:column
errors, exit 1, and write nothing." Each copy is one precise text edit of procedures/avregistrering-betyg.yaml,
and the expected line and column are computed from where the edit lands, so the cases keep working as the
procedure evolves. Most cases load in-process; a few representative ones run the real CLI in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.diagnostics import Diagnostic, Location
from engine.errors import ProcedureInvalid
from engine.loader import load_procedure_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "procedures" / "avregistrering-betyg.yaml"
ORIGINAL = SHIPPED.read_text(encoding="utf-8")
FILE = SHIPPED.name


def step_block(step_id: str) -> str:
    """The whole step `step_id` as written (from the newline before `- id:` to its last line)."""
    start = ORIGINAL.index(f"\n  - id: {step_id}\n")
    end = ORIGINAL.index("\n\n  - id: ", start + 1)
    return ORIGINAL[start:end]


@dataclass(frozen=True)
class Broken:
    """One mistake: `old` (written exactly once in the shipped file) becomes `new`.

    The expected diagnostic has `code` and points at the first character of `at`, which is looked for in `new`
    (so the position follows the edit), else must occur once in the edited file; `after` is text written just
    before `at`, to tell it apart. `hint` is a part of the expected hint (None: the hint is not asserted).
    """

    name: str
    old: str
    new: str
    code: str
    at: str
    hint: str | None
    message: str = ""
    after: str = ""

    def text(self) -> str:
        assert ORIGINAL.count(self.old) == 1, f"{self.name}: the shipped procedure changed; update `old`"
        return ORIGINAL.replace(self.old, self.new)

    def where(self) -> tuple[int, int]:
        """The 1-based line and column of `at` in the edited text."""
        text = self.text()
        needle = self.after + self.at
        if needle in self.new:
            offset = ORIGINAL.index(self.old) + self.new.index(needle)
        else:
            assert text.count(needle) == 1, f"{self.name}: {needle!r} must occur once in the edited file"
            offset = text.index(needle)
        offset += len(self.after)
        line_start = text.rfind("\n", 0, offset) + 1
        return text.count("\n", 0, offset) + 1, offset - line_start + 1


QUOTE_HINT = "close the quote on the same line, or remove it"
RUNS_ON = "this quoted text is not closed on its line: it runs on to line "

WAIT_TIMING = "".join(
    [
        "    check_every: 2m\n",
        "    expected: 15m\n",
        "    overdue_after: 1h\n",
        "    confirm_label: Betyget har försvunnit från BER\n",
    ]
)

CASES = [
    Broken(
        "missing_step",
        step_block("posta_kataloger"),
        "",
        "unknown-step",
        at="posta_kataloger}",
        hint="allowed: ",
        message="leads to 'posta_kataloger', which is not a step in this procedure",
    ),
    Broken(
        "next_names_a_misspelled_step",
        "    next: ed_las_upp\n",
        "    next: ed_las_up\n",
        "unknown-step",
        at="ed_las_up\n",
        hint="did you mean 'ed_las_upp'?",
    ),
    Broken(
        "unreachable_step",
        "    next: ed_katalog_felaktig\n",
        "    next: ed_katalog_bada\n",
        "unreachable-step",
        at="ed_katalog_felaktig",
        after="- id: ",
        hint="lead to it from another step",
        message="step 'ed_katalog_felaktig' cannot be reached",
    ),
    Broken(
        "loop_without_an_end",
        "    next: ed_katalog_bada\n",
        "    next: ed_vanta_ny\n",
        "dead-end",
        at="ed_vanta_ny",
        after="- id: ",
        hint="a way on to an end step",
        message="step 'ed_vanta_ny' has no way to an end",
    ),
    Broken(
        "input_name_typo_in_a_condition",
        "ny_betygsgrupp != betygsgrupp",
        "ny_betygsgrup != betygsgrupp",
        "unknown-name",
        at="\"orsak == 'ej_last' or ny_betygsgrup",
        hint="did you mean 'ny_betygsgrupp'?",
        message="'ny_betygsgrup'",
    ),
    Broken(
        "placeholder_typo_in_instructions",
        'via betygsgruppen {betygsgrupp}."\n',
        'via betygsgruppen {betygsgrup}."\n',
        "unknown-name",
        at='"I Elevdokumentation (ED): sök upp eleven',
        hint="did you mean 'betygsgrupp'?",
        message="'{betygsgrup}'",
    ),
    Broken(
        "placeholder_typo_in_a_premise_argument",
        "{system: ED, query: grade_locked, args: {student: personnummer,",
        "{system: ED, query: grade_locked, args: {student: personummer,",
        "unknown-name",
        at="personummer,",
        hint="did you mean 'personnummer'?",
    ),
    Broken(
        "misspelled_key",
        '    instructions: "Klicka på Spara."',
        '    instructons: "Klicka på Spara."',
        "unknown-key",
        at="instructons",
        hint=None,  # see test_a_misspelled_step_key_gets_a_did_you_mean_hint
        message="unknown key 'instructons'",
    ),
    Broken(
        "misspelled_guard_key_in_a_check",
        "    condition: \"orsak != 'fel_kurs'",
        "    conditon: \"orsak != 'fel_kurs'",
        "unknown-key",
        at="conditon",
        hint=None,
        message="unknown key 'conditon'",
    ),
    Broken(
        "yes_is_not_a_boolean",
        "    label_en: The right course's code\n",
        "    label_en: The right course's code\n    required: yes\n",
        "wrong-type",
        at="yes\n",
        hint="write true or false",
        message="'required' must be true or false, not 'yes'",
    ),
    Broken(
        "duration_written_as_a_number",
        WAIT_TIMING,
        WAIT_TIMING.replace("check_every: 2m", "check_every: 15"),
        "wrong-type",
        at="15\n",
        hint="quote",
        message="must be a text, not the number 15",
    ),
    Broken(
        "duration_that_does_not_parse",
        WAIT_TIMING,
        WAIT_TIMING.replace("check_every: 2m", "check_every: 2 min"),
        "bad-duration",
        at="2 min",
        hint="30s, 15m, 2h or 1d",
        message="'2 min' is not a duration",
    ),
    Broken(
        "on_is_a_key_not_true",
        "title_en: Revoking a wrongly registered grade\n",
        "title_en: Revoking a wrongly registered grade\non: true\n",
        "unknown-key",
        at="on: true",
        hint="allowed: access",
        message="unknown key 'on'",
    ),
    Broken(
        "bad_indentation",
        "    done_label: Sparat\n",
        "      done_label: Sparat\n",
        "yaml-syntax",
        at="done_label: Sparat",
        hint="start in the same column",
        message="not indented in line",
    ),
    Broken(
        "tab_for_indentation",
        "    title_en: Save\n",
        "\ttitle_en: Save\n",
        "yaml-syntax",
        at="\t",
        hint="tabs",
        message="tab",
    ),
    Broken(
        "condition_that_does_not_parse",
        "      - when: \"orsak == 'ej_last'\"\n        next: ber_avbrott",
        "      - when: \"orsak = 'ej_last'\"\n        next: ber_avbrott",
        "bad-condition",
        at="\"orsak = 'ej_last'\"",
        hint="write == to compare",
        message="does not parse",
    ),
    Broken(
        "function_call_in_a_condition",
        "      - when: \"orsak == 'ej_last'\"\n        next: ber_avbrott",
        "      - when: \"__import__('os')\"\n        next: ber_avbrott",
        "bad-condition",
        at="\"__import__('os')\"",
        hint="compare values directly",
        message="function calls are not allowed",
    ),
    Broken(
        "duplicate_key",
        "    title_en: Save\n",
        "    title_en: Save\n    title: Spara igen\n",
        "yaml-duplicate-key",
        at="title: Spara igen",
        hint="remove or rename one",
        message="duplicate key 'title' (first at line",
    ),
    Broken(
        "duplicate_step_id",
        "  - id: ed_bekrafta\n",
        "  - id: ed_spara\n",
        "duplicate-step",
        at="ed_spara",
        hint=None,
        message="the step 'ed_spara' is declared twice",
    ),
    Broken(
        "unknown_step_kind",
        "  - id: ed_spara\n    kind: task\n",
        "  - id: ed_spara\n    kind: tsk\n",
        "unknown-kind",
        at="tsk",
        hint="did you mean 'task'?",
        message="unknown step kind 'tsk'",
    ),
    Broken(
        "unknown_query_in_a_wait",
        "      query: in_group\n      args: {student: personnummer, group: betygsgrupp}\n",
        "      query: in_grup\n      args: {student: personnummer, group: betygsgrupp}\n",
        "unknown-query",
        at="in_grup",
        hint="did you mean 'in_group'?",
    ),
    Broken(
        "unknown_action_in_performs",
        "      action: remove_grade\n",
        "      action: remove_grades\n",
        "unknown-action",
        at="remove_grades",
        hint="did you mean 'remove_grade'?",
    ),
    Broken(
        "condition_compares_with_a_value_not_among_the_choices",
        "      - when: \"orsak == 'fel_kurs'\"\n        next: ber_byt_kurs",
        "      - when: \"orsak == 'fel_krus'\"\n        next: ber_byt_kurs",
        "wrong-type",
        at="\"orsak == 'fel_krus'\"",
        hint="did you mean 'fel_kurs'?",
        message="'fel_krus' is not one of the choices of 'orsak'",
    ),
    Broken(
        "unclosed_quote",  # the file's last quoted text: it runs on to the end of the file
        'outcome: "Betyget är makulerat och Vuxenutbildningscentrum är informerat."',
        'outcome: "Betyget är makulerat och Vuxenutbildningscentrum är informerat.',
        "yaml-syntax",
        at='"Betyget är makulerat',
        hint=QUOTE_HINT,
        message="this quoted text is never closed",
    ),
    # A quote left open mid-file reads on to the next quote mark of its kind; PyYAML breaks only there.
    Broken(
        "single_quote_left_open_mid_file",
        "    title: Spara\n",
        "    title: 'Spara\n",
        "yaml-syntax",
        at="'Spara",
        hint=QUOTE_HINT,
        message=RUNS_ON,
    ),
    Broken(
        "double_quote_left_open_mid_file",
        "    title: Spara\n",
        '    title: "Spara\n',
        "yaml-syntax",
        at='"Spara',
        hint=QUOTE_HINT,
        message=RUNS_ON,
    ),
    Broken(
        "quote_left_open_on_the_procedures_title",  # top level: the run-on text takes in title_en and inputs
        "title: Avregistrering av felaktigt registrerat betyg\n",
        "title: 'Avregistrering av felaktigt registrerat betyg\n",
        "yaml-syntax",
        at="'Avregistrering av",
        hint=QUOTE_HINT,
        message=RUNS_ON,
    ),
    Broken(
        "quote_left_open_in_a_flow_mapping",  # PyYAML's error is about the { } mapping, 10 lines on
        'source: {section: "Process, steg 4", quote: "Klicka på Spara"}',
        'source: {section: "Process, steg 4", quote: "Klicka på Spara}',
        "yaml-syntax",
        at='"Klicka på Spara}',
        hint=QUOTE_HINT,
        message=RUNS_ON,
    ),
    Broken(
        "quote_left_open_before_a_backslash",  # PyYAML's error is a bad escape in the line it took in
        "    title: Spara\n    title_en: Save\n",
        '    title: "Spara\n    title_en: Save C:\\Spara\n',
        "yaml-syntax",
        at='"Spara',
        hint=QUOTE_HINT,
        message=RUNS_ON,
    ),
    Broken(
        "apostrophe_inside_single_quotes",
        "    label_en: The student's personal identity number\n",
        "    label_en: 'The student's personal identity number\n",
        "yaml-syntax",
        at="'The student",
        hint="write a ' inside '...' as two (''), or put the text in double quotes",
        message="this quoted text ends at the ' in column 27, and the rest of the line is left over",
    ),
]
BY_NAME = {case.name: case for case in CASES}


def diagnostics_of(text: str, path: str = FILE) -> list[Diagnostic]:
    with pytest.raises(ProcedureInvalid, match="procedure is invalid") as exc_info:
        load_procedure_text(text, path)
    return exc_info.value.diagnostics


def one_at(found: list[Diagnostic], code: str, line: int, column: int) -> Diagnostic:
    here = [
        d for d in found if d.code == code and d.location and (d.location.line, d.location.column) == (line, column)
    ]
    assert len(here) == 1, f"no single [{code}] at {line}:{column}; found:\n" + "\n".join(d.format() for d in found)
    return here[0]


def line_of(text: str, written: str) -> int:
    assert text.count(written) == 1, written
    return text[: text.index(written)].count("\n") + 1


# --- in-process: every broken copy -----------------------------------------------------------------------


def test_there_are_at_least_fourteen_distinct_broken_copies() -> None:
    assert len(BY_NAME) == len(CASES) >= 14
    assert len({case.text() for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_broken_copy_is_an_error_at_the_edited_line_and_column(case: Broken) -> None:
    found = diagnostics_of(case.text())

    line, column = case.where()
    diagnostic = one_at(found, case.code, line, column)
    assert diagnostic.severity == "error"
    assert diagnostic.location is not None
    assert diagnostic.location.path == FILE
    assert case.message in diagnostic.message
    if case.hint is not None:
        assert diagnostic.hint is not None
        assert case.hint in diagnostic.hint
    assert found == sorted(found, key=lambda d: (d.location.line, d.location.column) if d.location else (0, 0))


def test_a_duplicate_key_names_both_lines() -> None:
    case = BY_NAME["duplicate_key"]
    text = case.text()

    found = diagnostics_of(text)

    first = line_of(text, "    title: Spara\n")
    second, column = case.where()
    diagnostic = one_at(found, "yaml-duplicate-key", second, column)
    assert f"(first at line {first})" in diagnostic.message
    assert first < second


def test_a_duplicate_step_id_names_the_first_one() -> None:
    case = BY_NAME["duplicate_step_id"]

    found = diagnostics_of(case.text())

    first = line_of(ORIGINAL, "  - id: ed_spara\n")
    diagnostic = one_at(found, "duplicate-step", *case.where())
    assert f"(first at line {first})" in diagnostic.message


def test_a_misspelled_guard_is_an_error_never_an_unguarded_step() -> None:
    case = BY_NAME["misspelled_guard_key_in_a_check"]

    found = diagnostics_of(case.text())

    errors = [d for d in found if d.severity == "error"]
    assert [d.code for d in errors] == ["unknown-key"]
    assert errors[0].hint == "did you mean 'condition'?"


@pytest.mark.parametrize("name", ["misspelled_key", "misspelled_guard_key_in_a_check"])
def test_a_misspelled_step_key_gets_a_did_you_mean_hint(name: str) -> None:
    case = BY_NAME[name]

    found = diagnostics_of(case.text())

    diagnostic = one_at(found, "unknown-key", *case.where())
    right = case.old.split(":")[0].strip()
    assert diagnostic.hint == f"did you mean '{right}'?"


@dataclass(frozen=True)
class LeftOpen:
    """What a quote left open is reported as: the line its text runs on to and the first key it takes in.

    `ends_on` and `key_on` are written once in the edited file, on those two lines.
    """

    case: str
    ends_on: str
    key: str
    key_on: str

    def message(self) -> str:
        text = BY_NAME[self.case].text()
        ends, taken = line_of(text, self.ends_on), line_of(text, self.key_on)
        return f"{RUNS_ON}{ends} and takes in the key '{self.key}' on line {taken}"


LEFT_OPEN = [
    LeftOpen(
        "single_quote_left_open_mid_file",
        ends_on="      - when: \"orsak == 'ej_last'\"\n        next: ber_avbrott",
        key="title_en",
        key_on="    title_en: Save\n",
    ),
    LeftOpen(
        "double_quote_left_open_mid_file",
        ends_on='    instructions: "Klicka på Spara."',
        key="title_en",
        key_on="    title_en: Save\n",
    ),
    LeftOpen(
        "quote_left_open_on_the_procedures_title",
        ends_on="label_en: The student's personal identity number",
        key="title_en",
        key_on="title_en: Revoking a wrongly registered grade",
    ),
    LeftOpen(
        "quote_left_open_in_a_flow_mapping",
        ends_on='    instructions: "I fönstret',
        key="done_label",
        key_on="    done_label: Sparat\n",
    ),
    LeftOpen(
        "quote_left_open_before_a_backslash",
        ends_on="    title_en: Save C:",
        key="title_en",
        key_on="    title_en: Save C:",
    ),
]


def test_an_unclosed_quote_in_the_middle_of_the_file_points_at_its_opening_line() -> None:
    text = ORIGINAL.replace("    title: Spara\n", "    title: 'Spara\n")
    opening = line_of(text, "    title: 'Spara\n")

    found = diagnostics_of(text)

    assert [(d.code, d.location, d.hint) for d in found] == [
        ("yaml-syntax", Location(FILE, opening, len("    title: ") + 1), QUOTE_HINT)
    ]


@pytest.mark.parametrize("left_open", LEFT_OPEN, ids=lambda c: c.case)
def test_a_quote_left_open_is_the_one_error_naming_where_its_text_runs_on_to_and_the_key_it_takes_in(
    left_open: LeftOpen,
) -> None:
    case = BY_NAME[left_open.case]

    found = diagnostics_of(case.text())

    line, column = case.where()
    assert found == [Diagnostic("yaml-syntax", left_open.message(), Location(FILE, line, column), QUOTE_HINT)]
    assert line < line_of(case.text(), left_open.ends_on), "the text must run on past its own line"


@pytest.mark.parametrize("name", ["unclosed_quote", "apostrophe_inside_single_quotes"])
def test_a_quote_that_ends_wrongly_on_its_own_line_is_the_one_error_at_the_opening_quote(name: str) -> None:
    case = BY_NAME[name]

    found = diagnostics_of(case.text())

    line, column = case.where()
    assert case.hint is not None
    assert found == [Diagnostic("yaml-syntax", case.message, Location(FILE, line, column), case.hint)]


# --- YAML keeps what was written -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"), [("010", "010"), ("0x1F", "0x1F"), ("1_000", "1_000"), ("2024-06-30", "2024-06-30")]
)
def test_unquoted_numbers_with_a_leading_zero_and_dates_stay_the_text_written(written: str, read: str) -> None:
    loaded = load_procedure_text(ORIGINAL.replace('revision: "1"', f"revision: {written}", 1), FILE)

    assert loaded.procedure.revision == read


def test_no_as_a_choice_value_stays_the_text_no() -> None:
    loaded = load_procedure_text(ORIGINAL.replace("ej_last", "no"), FILE)

    orsak = next(i for i in loaded.procedure.inputs if i.name == "orsak")
    assert orsak.choices is not None
    assert [c.value for c in orsak.choices] == ["fel_kurs", "fel_betygsgrupp", "no"]


@pytest.mark.parametrize("written", ["no", "on", "off", "True", "'true'"])
def test_only_lower_case_true_and_false_are_booleans(written: str) -> None:
    old = "    label_en: The right course's code\n"
    text = ORIGINAL.replace(old, f"{old}    required: {written}\n")

    found = diagnostics_of(text)

    line = line_of(text, f"    required: {written}\n")
    diagnostic = one_at(found, "wrong-type", line, len("    required: ") + 1)
    assert "must be true or false" in diagnostic.message


# --- all errors at once ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # Checked in the order conditions, then templates: the later line is found first, yet reported last.
        ("placeholder_typo_in_instructions", "condition_compares_with_a_value_not_among_the_choices"),
        ("unknown_step_kind", "duration_written_as_a_number"),
    ],
)
def test_two_independent_mistakes_give_two_errors_sorted_by_position(first: str, second: str) -> None:
    a, b = BY_NAME[first], BY_NAME[second]
    assert a.old.count("\n") == a.new.count("\n"), "the first edit must keep the second's line numbers"
    text = a.text()
    assert text.count(b.old) == 1
    text = text.replace(b.old, b.new)

    found = diagnostics_of(text)

    assert [d.code for d in found] == [a.code, b.code]
    assert [(d.location.line, d.location.column) for d in found if d.location] == [a.where(), b.where()]


def test_the_shipped_procedure_loads_without_errors_or_warnings() -> None:
    loaded = load_procedure_text(ORIGINAL, str(SHIPPED))

    assert loaded.id == "avregistrering-betyg"
    assert loaded.warnings == []


# --- the real command line -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def validate(tmp_path: Path, text: str, *options: str) -> tuple[Run, Path]:
    """Write `text` as the procedure and run `rutin procedures validate` on it; assert nothing was written."""
    folder = tmp_path / "procedures"
    folder.mkdir()
    path = folder / FILE
    path.write_text(text, encoding="utf-8")
    db = tmp_path / "x.db"
    before = snapshot(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
    command = [sys.executable, "-c", "import cli; cli.main()", "--db", str(db), "--procedures", str(folder)]
    done = subprocess.run(
        [*command, "procedures", "validate", str(path), *options],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert not db.exists()
    assert snapshot(tmp_path) == before
    return Run(done.returncode, done.stdout, done.stderr), path


CLI_CASES = [
    "next_names_a_misspelled_step",
    "misspelled_guard_key_in_a_check",
    "tab_for_indentation",
    "condition_that_does_not_parse",
    "duplicate_key",
    "unknown_step_kind",
    "single_quote_left_open_mid_file",
    "unclosed_quote",
]


@pytest.mark.parametrize("name", CLI_CASES)
def test_the_cli_reports_a_broken_copy_as_file_line_column_exits_1_and_writes_nothing(
    tmp_path: Path, name: str
) -> None:
    case = BY_NAME[name]

    run, path = validate(tmp_path, case.text())

    assert run.code == 1
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    line, column = case.where()
    prefix = f"{path}:{line}:{column}: error: "
    at = [i for i, text in enumerate(lines) if text.startswith(prefix) and text.endswith(f"  [{case.code}]")]
    assert len(at) == 1, run.stderr
    assert case.message in lines[at[0]]
    if case.hint is not None:
        assert lines[at[0] + 1].startswith("    hint: ")
        assert case.hint in lines[at[0] + 1]
    errors = sum(1 for text in lines if ": error: " in text)
    assert f"{errors} error{'s' if errors != 1 else ''}, 0 warnings" in lines
    assert lines[-1] == "1 file(s) checked, 0 valid"


def test_the_cli_json_output_carries_the_same_diagnostics_as_objects(tmp_path: Path) -> None:
    case = BY_NAME["unknown_query_in_a_wait"]

    run, path = validate(tmp_path, case.text(), "--json")

    assert run.code == 1
    [result] = json.loads(run.stdout)
    assert result["path"] == str(path)
    assert result["ok"] is False
    line, column = case.where()
    assert result["diagnostics"] == [
        {
            "code": "unknown-query",
            "severity": "error",
            "message": "unknown query 'in_grup'",
            "path": str(path),
            "line": line,
            "column": column,
            "hint": "did you mean 'in_group'?",
        }
    ]


def test_the_cli_validates_the_shipped_procedure_with_exit_0_and_writes_nothing(tmp_path: Path) -> None:
    run, _ = validate(tmp_path, ORIGINAL)

    assert run.code == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines() == ["1 file(s) checked, 1 valid"]


def test_the_cli_blames_a_quote_left_open_mid_file_at_the_opening_quote_and_writes_nothing(tmp_path: Path) -> None:
    case = BY_NAME["single_quote_left_open_mid_file"]
    [left_open] = [c for c in LEFT_OPEN if c.case == case.name]

    run, path = validate(tmp_path, case.text())

    assert run.code == 1
    assert run.stdout == ""
    line, column = case.where()
    assert run.stderr.splitlines() == [
        f"{path}:{line}:{column}: error: {left_open.message()}  [yaml-syntax]",
        f"    hint: {QUOTE_HINT}",
        "1 error, 0 warnings",
        "1 file(s) checked, 0 valid",
    ]
