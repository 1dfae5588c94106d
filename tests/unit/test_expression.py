"""The condition language: what it accepts, what it refuses (with where and why), and how it evaluates."""

from __future__ import annotations

import ast
import time

import pytest

from engine.errors import RutinError
from engine.expression import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    MAX_STRING,
    Expression,
    ExpressionError,
    check_names,
    parse_expression,
)


def holds(text: str, **env: object) -> bool:
    return parse_expression(text).holds(env)


# --- accepted constructs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("orsak == 'fel_betygsgrupp'", {"orsak": "fel_betygsgrupp"}, True),
        ("orsak == 'fel_betygsgrupp'", {"orsak": "fel_kurs"}, False),
        ("ny_kurskod != kurskod", {"ny_kurskod": "MATMAT01a", "kurskod": "MATMAT01b"}, True),
        ("ny_kurskod != kurskod", {"ny_kurskod": "MATMAT01a", "kurskod": "MATMAT01a"}, False),
        ("betygsdatum >= kursslut", {"betygsdatum": "2024-06-14", "kursslut": "2024-06-14"}, True),
        ("betygsdatum > kursslut", {"betygsdatum": "2024-06-13", "kursslut": "2024-06-14"}, False),
        ("betygsdatum < kursslut", {"betygsdatum": "2023-12-31", "kursslut": "2024-01-01"}, True),
        ("betygsdatum <= '2024-01-01'", {"betygsdatum": "2024-01-02"}, False),
        ("poang > 100", {"poang": 150}, True),
        ("poang >= 2.5", {"poang": 2.5}, True),
        ("poang > -1", {"poang": 0}, True),
        ("poang == -1.5", {"poang": -1.5}, True),
        ("orsak in ['fel_kurs', 'fel_betygsgrupp']", {"orsak": "fel_kurs"}, True),
        ("orsak in ('fel_kurs', 'fel_betygsgrupp')", {"orsak": "annat"}, False),
        ("orsak not in ['fel_kurs']", {"orsak": "annat"}, True),
        ("'MAT' in kurskoder", {"kurskoder": ["MAT", "ENG"]}, True),
        ("orsak in giltiga", {"orsak": "a", "giltiga": ["a"]}, True),
        ("samma_ar and orsak in ['fel_kurs']", {"samma_ar": True, "orsak": "fel_kurs"}, True),
        ("samma_ar and orsak in ['fel_kurs']", {"samma_ar": False, "orsak": "fel_kurs"}, False),
        ("godkand or rektor_beslut", {"godkand": False, "rektor_beslut": True}, True),
        ("not godkand", {"godkand": False}, True),
        ("not (a and b)", {"a": True, "b": False}, True),
        ("poang is None", {}, True),
        ("poang is not None", {"poang": 0}, True),
        ("None is poang", {"poang": None}, True),
        ("poang is null", {}, True),
        ("1 < poang < 10", {"poang": 5}, True),
        ("1 < poang < 10", {"poang": 10}, False),
        ("a == b == c", {"a": 1, "b": 1, "c": 1}, True),
        ("larare", {"larare": ["Anna"]}, True),
        ("larare", {"larare": []}, False),
        ("larare == []", {"larare": []}, True),
        ("True", {}, True),
        ("False", {}, False),
        ("godkand == True", {"godkand": True}, True),
        ("(a\n and b)", {"a": True, "b": True}, True),
        ("  orsak == 'x'", {"orsak": "x"}, True),
        ("samma_år", {"samma_år": True}, True),
    ],
)
def test_allowed_construct_evaluates_like_python(text: str, env: dict[str, object], expected: bool) -> None:
    assert parse_expression(text).holds(env) is expected


def test_yaml_spellings_true_false_null_are_the_constants() -> None:
    assert holds("true")
    assert not holds("false")
    assert holds("godkand == true", godkand=True)
    assert holds("godkand == false", godkand=False)
    assert holds("poang == null")
    assert holds("true == True and false == False and null == None")


def test_yaml_spellings_are_not_names_and_ignore_the_env() -> None:
    expr = parse_expression("true and x is not null")

    assert expr.names == frozenset({"x"})
    assert expr.holds({"true": False, "null": 1, "x": 1})


def test_names_lists_every_referenced_name() -> None:
    expr = parse_expression("samma_ar and orsak in [annan_orsak, 'x'] or poang > gräns")

    assert expr.names == frozenset({"samma_ar", "orsak", "annan_orsak", "poang", "gräns"})
    assert expr.source == "samma_ar and orsak in [annan_orsak, 'x'] or poang > gräns"


def test_expressions_from_the_same_text_are_equal() -> None:
    assert parse_expression("a == 1") == parse_expression("a == 1")
    assert isinstance(parse_expression("a"), Expression)


# --- evaluation semantics ------------------------------------------------------------------------------


def test_missing_name_evaluates_to_none() -> None:
    expr = parse_expression("ny_kurskod")

    assert expr.evaluate({}) is None
    assert holds("ny_kurskod == None")
    assert holds("ny_kurskod != 'MATMAT01a'")


@pytest.mark.parametrize(
    ("text", "env"),
    [
        ("betygsdatum >= kursslut", {"kursslut": "2024-01-01"}),
        ("betygsdatum < '2024-01-01'", {}),
        ("poang > 'tio'", {"poang": 5}),
        ("poang <= 10", {"poang": "tio"}),
        ("lista < 1", {"lista": [1]}),
        ("1 < poang < 10", {"poang": None}),
    ],
)
def test_ordering_with_a_missing_or_mismatched_value_is_false(text: str, env: dict[str, object]) -> None:
    assert parse_expression(text).evaluate(env) is False


@pytest.mark.parametrize("right", [None, 5, 2.5, True, object()])
def test_in_against_a_non_container_finds_nothing(right: object) -> None:
    assert parse_expression("x in y").evaluate({"x": 1, "y": right}) is False
    assert parse_expression("x not in y").evaluate({"x": 1, "y": right}) is True


def test_in_with_unhashable_item_or_mismatched_text_finds_nothing() -> None:
    assert holds("x in y", x=[1], y={1, 2}) is False
    assert holds("x in y", x=1, y="abc") is False
    assert holds("x in y", x="b", y="abc") is True


def test_and_or_short_circuit_and_return_an_operand() -> None:
    assert parse_expression("a and b").evaluate({"a": 0, "b": "x"}) == 0
    assert parse_expression("a or b").evaluate({"a": "", "b": "x"}) == "x"
    assert parse_expression("a or b").evaluate({"a": "", "b": ""}) == ""
    assert parse_expression("a and b").evaluate({"a": 1, "b": "x"}) == "x"


def test_short_circuit_skips_the_comparison_that_would_be_mismatched() -> None:
    expr = parse_expression("poang is not None and poang > 10")

    assert expr.evaluate({}) is False
    assert expr.evaluate({"poang": 11}) is True


def test_holds_returns_a_bool() -> None:
    expr = parse_expression("a or b")

    assert expr.holds({"a": "", "b": "x"}) is True
    assert expr.holds({}) is False


def test_a_list_written_as_a_tuple_is_the_same_list() -> None:
    assert parse_expression("x == (1, 2)").holds({"x": [1, 2]})
    assert parse_expression("x == [1, 2]").holds({"x": [1, 2]})


def test_chained_comparison_stops_at_the_first_false_link() -> None:
    assert parse_expression("a < b < c").evaluate({"a": 2, "b": 1, "c": "x"}) is False


def test_names_never_resolve_to_python_builtins() -> None:
    expr = parse_expression("open or len or eval or print")

    assert expr.evaluate({}) is None
    assert expr.names == frozenset({"open", "len", "eval", "print"})


# --- rejected constructs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("len(larare) > 0", "function calls are not allowed", 1),
        ("__import__('os')", "function calls are not allowed", 1),
        ("().__class__", r"attribute access \(x\.y\) is not allowed", 1),
        ("a and kurs.kod == 'x'", r"attribute access \(x\.y\) is not allowed", 7),
        ("larare[0] == 'Anna'", r"indexing \(x\[\.\.\.\]\) is not allowed", 1),
        ("(lambda: 1) == a", "lambda functions are not allowed", 2),
        ("x in [y for y in z]", "comprehensions", 6),
        ("x in {y for y in z}", "comprehensions", 6),
        ("x in {y: 1 for y in z}", "comprehensions", 6),
        ("x in (y for y in z)", "comprehensions", 6),
        ("poang + 1 > 2", "arithmetic and bit operators", 1),
        ("a | b", "arithmetic and bit operators", 1),
        ("x == f'{y}'", "f-strings are not allowed", 6),
        ("(x := 1)", r"assignment \(:=\) is not allowed", 2),
        ("x in [*y]", r"starred expressions \(\*x\) are not allowed", 7),
        ("a if b else c", "conditional expressions", 1),
        ("x in {'a': 1}", r"dictionaries \(\{key: value\}\) are not allowed", 6),
        ("x in {'a', 'b'}", r"sets \(\{\.\.\.\}\) are not allowed", 6),
        ("await x", "await is not allowed", 1),
        ("(yield)", "yield is not allowed", 2),
        ("x == b'abc'", r"byte strings \(b'\.\.\.'\) are not allowed", 6),
        ("x == 1j", r"imaginary numbers \(1j\) are not allowed", 6),
        ("x == ...", "Ellipsis is not allowed", 6),
        ("__class__ == 1", "names starting with '__' are not allowed", 1),
        ("x == __builtins__", "names starting with '__' are not allowed", 6),
        ("x is 1", "'is' can only be used with None", 6),
        ("x is not y", "'is' can only be used with None", 10),
        ("x in 'fel_kurs'", "'in' needs a list after it", 6),
        ("x in ('fel_kurs')", "'in' needs a list after it", 7),
        ("x not in 5", "'in' needs a list after it", 10),
        ("x == --1", "a minus sign is only allowed directly before a number", 6),
        ("x == -y", "a minus sign is only allowed directly before a number", 6),
        ("x == -True", "a minus sign is only allowed directly before a number", 6),
        ("x == +1", r"a plus sign \(\+x\) is not allowed", 6),
        ("x == ~1", "the operator ~ is not allowed", 6),
        ("'fel_kurs'", "a text on its own is not a condition", 1),
        ("orsak == 'a' or 'b'", "a text on its own is not a condition", 17),
        ("not 5", "a number on its own is not a condition", 5),
        ("-1", "a number on its own is not a condition", 1),
        ("['a']", "a list on its own is not a condition", 1),
        ("a, b", "a list on its own is not a condition", 1),
        ("orsak == 'a', 'b'", "a list on its own is not a condition", 1),
        ("None", "None on its own is not a condition", 1),
        ("orsak == ('a' or 'b')", "'and', 'or' and 'not' combine conditions", 11),
        ("x in [not a]", "'and', 'or' and 'not' combine conditions", 7),
        ("(a < b) == c", "a comparison cannot be compared again", 2),
        ("x in [a < b]", "a comparison cannot be compared again", 7),
    ],
)
def test_rejected_construct_is_named_in_plain_words_with_its_column(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError, match=message) as caught:
        parse_expression(text)

    assert caught.value.column == column


def test_rejection_carries_a_hint_on_what_to_write_instead() -> None:
    with pytest.raises(ExpressionError, match="function calls") as caught:
        parse_expression("len(larare) > 0")

    assert caught.value.hint is not None
    assert "write its name alone" in caught.value.hint


def test_expression_error_is_a_rutin_error_with_message_and_hint() -> None:
    with pytest.raises(RutinError, match="'in' needs a list") as caught:
        parse_expression("orsak in 'fel_kurs'")

    assert isinstance(caught.value, ExpressionError)
    assert caught.value.message == str(caught.value)
    assert caught.value.hint is not None


def test_column_counts_characters_not_bytes() -> None:
    with pytest.raises(ExpressionError, match="attribute access") as caught:
        parse_expression("år == 'å' and x.y")

    assert caught.value.column == 15


def test_column_counts_lines_and_leading_whitespace_in_the_original_text() -> None:
    with pytest.raises(ExpressionError, match="attribute access") as caught:
        parse_expression("\n  (a and\n  b.c)")

    assert caught.value.column == 13


# --- syntax errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "hint"),
    [
        ("a && b", 4, "write 'and', 'or' and 'not'"),
        ("a = 1", 3, "write == to compare"),
        ("a b", 3, None),
        ("a ==", 5, None),
    ],
)
def test_syntax_error_is_an_expression_error_with_column_and_hint(text: str, column: int, hint: str | None) -> None:
    with pytest.raises(ExpressionError, match="not a valid condition") as caught:
        parse_expression(text)

    assert caught.value.column == column
    if hint is None:
        assert caught.value.hint is None
    else:
        assert caught.value.hint is not None
        assert hint in caught.value.hint


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_condition_is_refused(text: str) -> None:
    with pytest.raises(ExpressionError, match="cannot be empty") as caught:
        parse_expression(text)

    assert caught.value.column == 1


def test_invalid_escape_in_text_is_a_syntax_error_not_a_warning() -> None:
    with pytest.raises(ExpressionError, match="invalid escape sequence") as caught:
        parse_expression(r"x == '\d'")

    assert caught.value.column >= 1


def test_null_byte_is_refused() -> None:
    with pytest.raises(ExpressionError, match="not a valid condition") as caught:
        parse_expression("a\x00")

    assert caught.value.column >= 1


# --- size caps -----------------------------------------------------------------------------------------


def test_text_longer_than_the_cap_is_refused_before_parsing() -> None:
    with pytest.raises(ExpressionError, match=f"too long: {MAX_LENGTH + 1} characters") as caught:
        parse_expression("a" * (MAX_LENGTH + 1))

    assert caught.value.column == MAX_LENGTH + 1


def test_text_at_the_length_cap_is_accepted() -> None:
    assert parse_expression("a" * MAX_LENGTH).names == frozenset({"a" * MAX_LENGTH})


def test_huge_input_is_refused_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(ExpressionError, match="too long") as caught:
        parse_expression("(" * 5_000 + "a" + ")" * 5_000)
    elapsed = time.perf_counter() - started

    assert caught.value.column == MAX_LENGTH + 1
    assert elapsed < 0.1


def test_too_many_nodes_is_refused() -> None:
    text = "x in [" + ", ".join(["1"] * MAX_NODES) + "]"
    with pytest.raises(ExpressionError, match=f"too many parts \\(at most {MAX_NODES}") as caught:
        parse_expression(text)

    assert caught.value.column == len("x in [") + 3 * (MAX_NODES - 3) + 1


def test_node_count_at_the_cap_is_accepted() -> None:
    # Compare + x + list = 3 nodes, so 97 elements make exactly the cap.
    text = "x in [" + ", ".join(["1"] * (MAX_NODES - 3)) + "]"

    assert parse_expression(text).holds({"x": 1})


def test_nesting_deeper_than_the_cap_is_refused() -> None:
    text = "not " * MAX_DEPTH + "a"
    with pytest.raises(ExpressionError, match=f"nested too deeply \\(at most {MAX_DEPTH} levels") as caught:
        parse_expression(text)

    assert caught.value.column == len(text)


def test_nesting_at_the_cap_is_accepted() -> None:
    assert parse_expression("not " * (MAX_DEPTH - 1) + "a").holds({"a": False})


def test_deep_parentheses_beyond_the_parser_limit_are_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="not a valid condition") as caught:
        parse_expression("(" * 240 + "a" + ")" * 240)

    assert caught.value.column >= 1


def test_long_text_constant_is_refused() -> None:
    text = "x == '" + "a" * (MAX_STRING + 1) + "'"
    with pytest.raises(ExpressionError, match=f"at most {MAX_STRING} characters") as caught:
        parse_expression(text)

    assert caught.value.column == 6


def test_text_constant_at_the_cap_is_accepted() -> None:
    assert parse_expression("x == '" + "a" * MAX_STRING + "'").names == frozenset({"x"})


# --- check_names ---------------------------------------------------------------------------------------


def test_check_names_reports_unknown_names_with_did_you_mean() -> None:
    expr = parse_expression("orsk == 'fel_kurs' and samma_ar and helt_okand")

    unknown = check_names(expr, ["orsak", "samma_ar", "kurskod"])

    assert unknown == [("orsk", "did you mean 'orsak'?"), ("helt_okand", None)]


def test_check_names_lists_each_unknown_name_once_in_order_of_appearance() -> None:
    expr = parse_expression("b == 1 or a == 2 or b == 3 or c")

    assert [name for name, _ in check_names(expr, ["c"])] == ["b", "a"]


def test_check_names_accepts_known_names_and_yaml_spellings() -> None:
    expr = parse_expression("godkand == true or poang is null")

    assert check_names(expr, {"godkand", "poang"}) == []


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ("none", "did you mean 'None'?"),
        ("NULL", "did you mean 'None'?"),
        ("TRUE", "did you mean 'true'?"),
        ("helt_okand", None),
        ("flase", "did you mean 'false'?"),
    ],
)
def test_check_names_hints_at_the_constants_for_misspelled_literals(written: str, hint: str | None) -> None:
    expr = parse_expression(f"x == {written}")

    assert check_names(expr, ["x"]) == [(written, hint)]


# --- safety of the checked tree ------------------------------------------------------------------------


def test_evaluate_refuses_a_tree_that_was_not_checked() -> None:
    unchecked = Expression(source="f()", names=frozenset(), tree=ast.parse("f()", mode="eval").body)

    with pytest.raises(ExpressionError, match="cannot be evaluated"):
        unchecked.evaluate({"f": lambda: True})
