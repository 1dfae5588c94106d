"""Properties of the condition language: any text either parses or is refused cleanly, and a parsed
condition evaluates without raising whatever values the case holds."""

from __future__ import annotations

from hypothesis import assume, given
from hypothesis import strategies as st

from engine.expression import MAX_LENGTH, ExpressionError, parse_expression

NAMES = ["orsak", "kurskod", "poang", "godkand", "larare", "datum"]
TOKENS = [
    *NAMES,
    *["and", "or", "not", "in", "is", "None", "True", "false", "null", "if", "else", "lambda", "for"],
    *["==", "!=", "<", "<=", ">", ">=", "=", "+", "-", "*", "**", "~", "|", "&&", ":=", "!", ".", ","],
    *["(", ")", "[", "]", "{", "}", ":", "'", '"', "f'", "b'", "\\", "\n", "0", "1.5", "1j", "...", "__x__"],
    *["len(", "'fel_kurs'", "'2024-01-01'"],
]

values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-1000, max_value=1000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=10),
        st.dates().map(lambda d: d.isoformat()),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
envs = st.dictionaries(st.sampled_from(NAMES), values)

literals = st.one_of(
    st.sampled_from(["None", "True", "False", "true", "false", "null"]),
    st.integers(min_value=-(10**6), max_value=10**6).map(repr),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(repr),
    st.dates().map(lambda d: repr(d.isoformat())),
)
scalars = st.one_of(st.sampled_from(NAMES), literals)
operands = st.one_of(scalars, st.lists(scalars, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"))
orderings = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["order", "chain", "in", "is", "name"]))
    if kind == "order":
        return f"{draw(operands)} {draw(orderings)} {draw(operands)}"
    if kind == "chain":
        return f"{draw(scalars)} {draw(orderings)} {draw(scalars)} {draw(orderings)} {draw(scalars)}"
    if kind == "in":
        right = draw(st.one_of(st.sampled_from(NAMES), operands.filter(lambda s: s.startswith("["))))
        return f"{draw(operands)} {draw(st.sampled_from(['in', 'not in']))} {right}"
    if kind == "is":
        return f"{draw(st.sampled_from(NAMES))} {draw(st.sampled_from(['is', 'is not']))} None"
    return draw(st.sampled_from(NAMES))


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        inner.map(lambda c: f"not ({c})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
    ),
    max_leaves=4,
)


@given(st.text(max_size=600))
def test_any_text_parses_or_raises_expression_error(text: str) -> None:
    try:
        parse_expression(text)
    except ExpressionError as exc:
        assert exc.column >= 1


@given(st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join))
def test_any_token_soup_parses_or_raises_expression_error(text: str) -> None:
    try:
        parse_expression(text)
    except ExpressionError as exc:
        assert 1 <= exc.column <= len(text) + 1


@given(conditions, envs)
def test_generated_condition_evaluates_without_raising(text: str, env: dict[str, object]) -> None:
    assume(len(f"not ({text})") <= MAX_LENGTH)
    expr = parse_expression(text)

    assert isinstance(expr.holds(env), bool)
    assert parse_expression(f"not ({text})").holds(env) is not expr.holds(env)


@given(operands, st.sampled_from(NAMES), envs)
def test_not_in_is_always_the_opposite_of_in(item: str, container: str, env: dict[str, object]) -> None:
    found = parse_expression(f"{item} in {container}").holds(env)

    assert parse_expression(f"{item} not in {container}").holds(env) is not found
