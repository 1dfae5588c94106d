"""engine.source: YAML text becomes plain data typed by Rutin's rules, with a position for every node."""

from __future__ import annotations

import time

import pytest

from engine.diagnostics import Diagnostic, Location
from engine.errors import ProcedureInvalid
from engine.source import MAX_NODES, MAX_TEXT_BYTES, SourceDoc, line_text, parse_yaml

FILE = "rutin.yaml"


def parse(text: str) -> SourceDoc:
    return parse_yaml(text, FILE)


def problems(text: str, match: str = "invalid") -> list[Diagnostic]:
    with pytest.raises(ProcedureInvalid, match=match) as exc_info:
        parse(text)
    return exc_info.value.diagnostics


def only_problem(text: str) -> Diagnostic:
    found = problems(text)
    assert len(found) == 1, [d.format() for d in found]
    return found[0]


def at(line: int, column: int) -> Location:
    return Location(FILE, line, column)


# --- rule 2: scalars are typed by Rutin's rules ---------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("42", 42),
        ("-7", -7),
        ("1.50", 1.5),
        ("-0.25", -0.25),
    ],
)
def test_plain_scalars_take_only_rutins_types(written: str, expected: object) -> None:
    doc = parse(f"value: {written}\n")

    assert isinstance(doc.data, dict)
    assert doc.data == {"value": expected}
    assert type(doc.data["value"]) is type(expected)


@pytest.mark.parametrize(
    "written",
    [
        "on",
        "off",
        "yes",
        "no",
        "True",
        "FALSE",
        "Null",
        "010",
        "0x1F",
        "0o17",
        "1_000",
        "+5",
        "1e3",
        "1.",
        ".5",
        "2024-06-30",
        "12:30",
        ".inf",
        "-.inf",
        ".nan",
        "2024-06-30T12:00:00Z",
    ],
)
def test_plain_scalars_outside_rutins_types_stay_the_text_written(written: str) -> None:
    doc = parse(f"value: {written}\n")

    assert doc.data == {"value": written}


def test_key_on_stays_the_text_on() -> None:
    doc = parse("on: x\n")

    assert doc.data == {"on": "x"}


def test_version_010_stays_the_string_010() -> None:
    doc = parse("version: 010\n")

    assert doc.data == {"version": "010"}


def test_quoted_scalars_are_always_text() -> None:
    doc = parse("a: 'true'\nb: \"12\"\nc: ''\nd: 'null'\n")

    assert doc.data == {"a": "true", "b": "12", "c": "", "d": "null"}


def test_block_scalars_are_text() -> None:
    doc = parse("literal: |\n  12\n  true\nfolded: >\n  one\n  two\n")

    assert doc.data == {"literal": "12\ntrue\n", "folded": "one two\n"}


def test_keys_are_always_the_text_written() -> None:
    doc = parse("true: a\n1: b\nnull: c\n010: d\n")

    assert doc.data == {"true": "a", "1": "b", "null": "c", "010": "d"}


def test_standard_tags_are_accepted_and_typed() -> None:
    doc = parse("a: !!str 12\nb: !!int 12\nc: !!bool true\nd: !!null ~\ne: !!float 3\nf: !!seq [1]\ng: !!map {}\n")

    assert doc.data == {"a": "12", "b": 12, "c": True, "d": None, "e": 3.0, "f": [1], "g": {}}


# --- rule 3: keys ----------------------------------------------------------------------------------------


def test_duplicate_key_names_both_lines_and_is_located_at_the_second() -> None:
    text = "id: x\nsteps:\n  - id: a\n    next: b\n    title: A\n    next: c\n"

    found = only_problem(text)

    assert found.code == "yaml-duplicate-key"
    assert found.message == "duplicate key 'next' (first at line 4)"
    assert found.location == at(6, 5)


def test_every_duplicate_key_is_reported() -> None:
    found = problems("a: 1\na: 2\nb:\n  c: 1\n  c: 2\n")

    assert [(d.code, d.location) for d in found] == [
        ("yaml-duplicate-key", at(2, 1)),
        ("yaml-duplicate-key", at(5, 3)),
    ]


def test_keys_that_differ_only_in_how_they_are_written_are_duplicates() -> None:
    found = only_problem("'1': a\n1: b\n")

    assert found.code == "yaml-duplicate-key"
    assert found.location == at(2, 1)


def test_mapping_used_as_a_key_is_an_error() -> None:
    found = only_problem("? {a: 1}\n: x\n")

    assert found.code == "yaml-complex-key"
    assert found.location == at(1, 3)


def test_merge_key_is_not_supported() -> None:
    found = only_problem("base: &base\n  role: admin\nstep:\n  <<: *base\n  title: T\n")

    assert found.code == "yaml-merge-key"
    assert found.location == at(4, 3)
    assert found.hint is not None


def test_quoted_merge_key_is_an_ordinary_key() -> None:
    doc = parse("'<<': x\n")

    assert doc.data == {"<<": "x"}


# --- rule 4: tags ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("a: !!python/object:os.system x\n", 4),
        ("a: !custom 1\n", 4),
        ("a: !!binary aGk=\n", 4),
        ("a: !!timestamp 2024-06-30\n", 4),
        ("a: !!set {x}\n", 4),
        ("a: !custom [1]\n", 4),
        ("!custom k: v\n", 1),
    ],
)
def test_tags_outside_the_standard_few_are_errors(text: str, column: int) -> None:
    found = only_problem(text)

    assert found.code == "yaml-tag"
    assert found.location == at(1, column)


def test_python_object_tag_constructs_nothing() -> None:
    found = only_problem("a: !!python/object/apply:os.system ['echo hacked']\n")

    assert found.code == "yaml-tag"


@pytest.mark.parametrize("text", ["a: !!int 010\n", "a: !!bool yes\n", "a: !!null x\n", "a: !!str [1]\n"])
def test_standard_tag_on_a_value_it_does_not_fit_is_an_error(text: str) -> None:
    found = only_problem(text)

    assert found.code == "yaml-tag"


# --- rule 5: aliases and size ----------------------------------------------------------------------------


def test_aliases_repeat_the_anchored_value() -> None:
    doc = parse("who: &who [rektor, admin]\nalso: *who\n")

    assert doc.data == {"who": ["rektor", "admin"], "also": ["rektor", "admin"]}
    assert doc.values[("also",)] == at(2, 7)


def test_billion_laughs_fails_fast_as_too_large() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    lines += [f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
    text = "\n".join(lines) + "\n"

    started = time.perf_counter()
    found = only_problem(text)
    elapsed = time.perf_counter() - started

    assert found.code == "yaml-too-large"
    assert f"{MAX_NODES:,}" in found.message
    assert elapsed < 1.0


def test_alias_inside_its_own_anchor_is_an_error() -> None:
    found = only_problem("a: &x [1, *x]\n")

    assert found.code == "yaml-recursive-alias"
    assert found.location == at(1, 11)


def test_text_over_one_megabyte_is_refused_unparsed() -> None:
    found = only_problem("a: " + "x" * MAX_TEXT_BYTES + "\n")

    assert found.code == "yaml-too-large"
    assert found.location == at(1, 1)


def test_deep_nesting_is_too_large_not_a_crash() -> None:
    found = only_problem("[" * 5000 + "]" * 5000)

    assert found.code == "yaml-too-large"


# --- rule 6: syntax errors -------------------------------------------------------------------------------


def test_tab_indentation_is_a_syntax_error_with_a_hint() -> None:
    found = only_problem("steps:\n\t- id: a\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(2, 1)
    assert found.hint == "YAML does not allow tabs for indentation; use spaces"


def test_key_indented_less_than_its_siblings_is_a_syntax_error() -> None:
    found = only_problem("step:\n  id: a\n title: A\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(3, 2)
    assert found.hint == "check that keys at the same level start in the same column"


def test_key_indented_more_than_its_siblings_is_a_syntax_error() -> None:
    found = only_problem("step:\n  id: a\n   title: A\n")

    assert found.code == "yaml-syntax"
    assert found.message == "a ':' is not allowed here"
    assert found.location == at(3, 9)
    assert found.hint is not None
    assert "quote the text" in found.hint


def test_unquoted_colon_in_a_text_points_at_the_colon() -> None:
    found = only_problem("title: Obs: läs detta\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(1, 11)


def test_unclosed_quote_is_located_at_the_opening_quote() -> None:
    found = only_problem("id: a\ntitle: 'Betyg\nnext: b\n")

    assert found.code == "yaml-syntax"
    assert found.message == "this quoted text is never closed"
    assert found.location == at(2, 8)


def test_list_item_where_a_key_was_expected_is_a_syntax_error() -> None:
    found = only_problem("id: a\n- next: b\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(2, 1)
    assert found.hint is not None


def test_key_among_list_items_is_a_syntax_error() -> None:
    found = only_problem("steps:\n  - a\n  next: b\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(3, 3)


def test_line_without_colon_points_at_that_line() -> None:
    found = only_problem("id: a\ntitle\nnext: b\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(2, 1)


def test_undefined_alias_is_a_syntax_error() -> None:
    found = only_problem("a: *nowhere\n")

    assert found.code == "yaml-syntax"
    assert "nowhere" in found.message
    assert found.location == at(1, 4)


def test_control_character_is_located() -> None:
    found = only_problem("a: 1\nb: x\x07\n")

    assert found.code == "yaml-syntax"
    assert found.location == at(2, 5)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_document_is_an_error(text: str) -> None:
    found = only_problem(text)

    assert found.code == "yaml-empty"
    assert found.location == at(1, 1)


@pytest.mark.parametrize("text", ["a: 1\n---\nb: 2\n", "---\na: 1\n---\n"])
def test_more_than_one_document_is_an_error(text: str) -> None:
    found = only_problem(text)

    assert found.code == "yaml-multiple-documents"


def test_explicit_document_markers_around_one_document_are_fine() -> None:
    doc = parse("---\na: 1\n...\n")

    assert doc.data == {"a": 1}


def test_all_problems_are_reported_sorted_by_position() -> None:
    found = problems("b: !custom 1\na: 1\na: 2\nc: !!int x\n")

    assert [(d.code, d.location.line if d.location else 0) for d in found] == [
        ("yaml-tag", 1),
        ("yaml-duplicate-key", 3),
        ("yaml-tag", 4),
    ]


def test_error_message_counts_the_errors() -> None:
    problems("a: 1\na: 2\nb: 1\nb: 2\n", match=r"2 error\(s\)")


# --- rule 7: positions -----------------------------------------------------------------------------------

PROCEDURE = """\
id: betyg
steps:
  - id: registrera
    next: granska
  - id: granska
    roles: [rektor, admin]
    then:
      ok: klar
"""


def test_root_and_top_level_values_are_located() -> None:
    doc = parse(PROCEDURE)

    assert doc.values[()] == at(1, 1)
    assert doc.values[("id",)] == at(1, 5)
    assert doc.keys[("id",)] == at(1, 1)
    assert doc.values[("steps",)] == at(3, 3)
    assert doc.keys[("steps",)] == at(2, 1)


def test_sequence_items_and_their_keys_are_located() -> None:
    doc = parse(PROCEDURE)

    assert doc.values[("steps", 0)] == at(3, 5)
    assert doc.values[("steps", 1)] == at(5, 5)
    assert doc.keys[("steps", 0, "next")] == at(4, 5)
    assert doc.values[("steps", 0, "next")] == at(4, 11)


def test_nested_flow_sequence_and_mapping_values_are_located() -> None:
    doc = parse(PROCEDURE)

    assert doc.values[("steps", 1, "roles")] == at(6, 12)
    assert doc.values[("steps", 1, "roles", 1)] == at(6, 21)
    assert doc.values[("steps", 1, "then")] == at(8, 7)
    assert doc.keys[("steps", 1, "then", "ok")] == at(8, 7)
    assert doc.values[("steps", 1, "then", "ok")] == at(8, 11)


def test_locate_falls_back_to_the_nearest_known_ancestor() -> None:
    doc = parse(PROCEDURE)

    assert doc.locate(("steps", 1, "missing")) == at(5, 5)
    assert doc.locate(("steps", 9, "id")) == at(3, 3)
    assert doc.locate(("nothing",)) == at(1, 1)


def test_locate_gives_the_key_position_when_asked() -> None:
    doc = parse(PROCEDURE)

    assert doc.locate(["steps", 0, "next"], key=True) == at(4, 5)
    assert doc.locate(["steps", 0, "next"]) == at(4, 11)
    assert doc.locate(["steps", 0], key=True) == at(3, 5)


def test_locate_on_a_scalar_root_still_answers() -> None:
    doc = parse("hello\n")

    assert doc.data == "hello"
    assert doc.locate(("a", 1)) == at(1, 1)


def test_columns_count_characters_not_bytes() -> None:
    doc = parse("åäö: x\n")

    assert doc.values[("åäö",)] == at(1, 6)


# --- line_text -------------------------------------------------------------------------------------------


def test_line_text_returns_the_source_line_for_a_caret() -> None:
    text = "id: a\r\ntitle: 'b\nnext: c"

    assert line_text(text, 2) == "title: 'b"
    assert line_text(text, 3) == "next: c"
    assert line_text(text, 9) == ""
    assert line_text(text, 0) == ""


def test_a_broken_flow_mapping_is_a_diagnostic_not_a_crash() -> None:
    with pytest.raises(ProcedureInvalid) as caught:
        parse_yaml("steps: {id: a, title: b\nnext: c\n", "x.yaml")
    assert caught.value.diagnostics[0].code == "yaml-syntax"
