"""A quote left open, or closed too soon, is reported at the opening quote, not where PyYAML finally breaks.

test_broken_procedures.py has the named cases on the shipped procedure; here are the smaller shapes (a list
item or a comment taken in, texts written over several lines on purpose) and a sweep over every shipped
procedure: a quote opened before any plain text value must be blamed at that quote.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.diagnostics import Diagnostic, Location
from engine.errors import ProcedureInvalid
from engine.source import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
QUOTE_HINT = "close the quote on the same line, or remove it"


def only_problem(text: str) -> Diagnostic:
    with pytest.raises(ProcedureInvalid, match="procedure is invalid") as exc_info:
        parse_yaml(text, "p.yaml")
    [found] = exc_info.value.diagnostics
    return found


def at(line: int, column: int) -> Location:
    return Location("p.yaml", line, column)


def test_a_quote_left_open_that_takes_in_a_list_item_is_blamed_at_the_opening_quote() -> None:
    found = only_problem("roles:\n  - 'Vux intern anordnare\n  - Rektor\n  - Lärarens vikarie's\n")

    assert found == Diagnostic(
        "yaml-syntax",
        "this quoted text is not closed on its line: it runs on to line 4 and takes in the list item on line 3",
        at(2, 5),
        QUOTE_HINT,
    )


def test_a_quote_left_open_that_ends_in_a_comment_is_blamed_at_the_opening_quote() -> None:
    text = "id: a\ntitle: 'Betyg\n# the student's own grade\nnext: b\n"

    found = only_problem(text)

    assert found == Diagnostic(
        "yaml-syntax",
        "this quoted text is not closed on its line: it runs on to line 3 and takes in the comment on line 3",
        at(2, 8),
        QUOTE_HINT,
    )


def test_a_double_quote_closed_too_soon_suggests_an_escape() -> None:
    found = only_problem('id: a\ntitle: "Klicka på "Spara" och vänta"\n')

    assert found == Diagnostic(
        "yaml-syntax",
        'this quoted text ends at the " in column 19, and the rest of the line is left over',
        at(2, 8),
        'write a " inside "..." as \\", or put the text in single quotes',
    )


@pytest.mark.parametrize(
    "written", ['source: {section: "Steg 1" quote: "Byt grupp"}\n', 'roles: ["Rektor" "Lärare"]\n']
)
def test_a_missing_comma_after_a_quoted_text_in_brackets_is_told_as_a_missing_comma(written: str) -> None:
    found = only_problem(written)

    assert found.message == "a list in [ ] or mapping in { } is not written correctly"
    assert found.hint is not None
    assert found.hint.startswith("check the commas")


def test_a_text_written_over_two_lines_on_purpose_loads() -> None:
    doc = parse_yaml('id: a\ntitle: "Betyg som\n  ska makuleras"\nnext: b\n', "p.yaml")

    assert doc.data == {"id": "a", "title": "Betyg som ska makuleras", "next": "b"}


def test_a_text_over_two_lines_is_not_blamed_for_an_error_further_down() -> None:
    found = only_problem('id: a\ntitle: "Betyg: som\n  next: b"\nsteps:\n  x: 1\n   y: 2\n')

    assert found.message == "a ':' is not allowed here"
    assert found.location == at(6, 5)


def test_text_left_over_after_a_text_over_two_lines_names_the_line_and_column_of_its_end() -> None:
    found = only_problem('id: a\ntitle: "Betyg som\n  ska makuleras" nu\n')

    assert found == Diagnostic(
        "yaml-syntax",
        'this quoted text ends at the " in line 3, column 16, and the rest of the line is left over',
        at(2, 8),
        'write a " inside "..." as \\", or put the text in single quotes',
    )


def _plain_values(text: str) -> list[tuple[int, int]]:
    """(0-based line, 0-based column) of each plain text value written after `key: ` or `- key: `."""
    found = []
    for number, line in enumerate(text.split("\n")):
        value = re.match(r"(\s*(?:- )?[a-z_]+: )[A-Za-zÅÄÖåäö]", line)
        if value:
            found.append((number, len(value.group(1))))
    return found


SHIPPED = sorted((ROOT / "procedures").glob("*.yaml"))
SAMPLES_PER_FILE = 12  # every value would be ~3,000 parses of whole files (a minute); a spread keeps it to seconds


@pytest.mark.parametrize("quote", ["'", '"'])
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_quote_opened_before_any_plain_value_of_a_shipped_procedure_is_blamed_there(path: Path, quote: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    values = _plain_values("\n".join(lines))
    assert len(values) >= SAMPLES_PER_FILE
    step = len(values) / SAMPLES_PER_FILE
    missed = []
    for number, column in (values[int(i * step)] for i in range(SAMPLES_PER_FILE)):
        edited = lines.copy()
        edited[number] = edited[number][:column] + quote + edited[number][column:]

        with pytest.raises(ProcedureInvalid) as exc_info:
            parse_yaml("\n".join(edited), path.name)

        [found] = exc_info.value.diagnostics
        if found.location != Location(path.name, number + 1, column + 1):
            missed.append(f"{number + 1}:{column + 1} {lines[number].strip()!r} -> {found.format()}")
    assert missed == []
