"""Conditions in procedures: a small, safe language, parsed once and evaluated by walking the checked tree.

Process owners write conditions such as `samma_ar and orsak in ['fel_kurs', 'fel_betygsgrupp']`. The text is
parsed with Python's own parser and every node is checked against an allow-list; the text is never given to
`eval`, `exec` or `compile`. Evaluation reads names from a mapping and never raises for a missing or
mismatched value. This module must not grow function calls, attribute access or arithmetic: without them,
evaluation does at most one step per node, and the size caps below bound the nodes.
"""

from __future__ import annotations

import ast
import operator
import re
import warnings
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.diagnostics import did_you_mean
from engine.errors import RutinError

MAX_LENGTH = 500
MAX_NODES = 100
MAX_DEPTH = 20
MAX_STRING = 200

# Process owners write YAML all day, so its spellings are accepted beside Python's True/False/None.
LITERAL_NAMES: Mapping[str, bool | None] = {"true": True, "false": False, "null": None}

_SEVERAL_VALUES_HINT = "to accept any of several values, write orsak in ['fel_kurs', 'fel_betygsgrupp']"
_COMPARE_HINT = "compare it with something, e.g. orsak == 'fel_kurs'; " + _SEVERAL_VALUES_HINT
_ALONE_LIST_HINT = _SEVERAL_VALUES_HINT + "; a comma outside brackets makes a list"
_LIST_HINT = "write a list in square brackets, e.g. ['fel_kurs', 'fel_betygsgrupp']"
_COMBINE_HINT = "combine conditions with 'and', 'or' and 'not'"
_COMPREHENSION = ("comprehensions (... for ... in ...) are not allowed in a condition", None)
_F_STRING = ("f-strings are not allowed in a condition", "write plain text in quotes, e.g. 'fel_kurs'")
_YIELD = ("yield is not allowed in a condition", None)
_SUBSCRIPT = ("indexing (x[...]) is not allowed in a condition", "write the name of an input or field alone")

_NOT_ALLOWED: Mapping[type[ast.AST], tuple[str, str | None]] = {
    ast.Call: (
        "function calls are not allowed in a condition",
        "compare values directly; to test that a list or text is not empty, write its name alone",
    ),
    ast.Attribute: (
        "attribute access (x.y) is not allowed in a condition",
        "write the name of an input alone",
    ),
    ast.Subscript: _SUBSCRIPT,
    ast.Slice: _SUBSCRIPT,
    ast.Lambda: ("lambda functions are not allowed in a condition", None),
    ast.ListComp: _COMPREHENSION,
    ast.SetComp: _COMPREHENSION,
    ast.DictComp: _COMPREHENSION,
    ast.GeneratorExp: _COMPREHENSION,
    ast.BinOp: (
        "arithmetic and bit operators (+ - * / % ** & | ^ << >>) are not allowed in a condition",
        None,
    ),
    ast.JoinedStr: _F_STRING,
    ast.FormattedValue: _F_STRING,
    ast.NamedExpr: ("assignment (:=) is not allowed in a condition", "write == to compare two values"),
    ast.Starred: ("starred expressions (*x) are not allowed in a condition", None),
    ast.IfExp: ("conditional expressions (x if c else y) are not allowed in a condition", _COMBINE_HINT),
    ast.Dict: ("dictionaries ({key: value}) are not allowed in a condition", _LIST_HINT),
    ast.Set: ("sets ({...}) are not allowed in a condition", _LIST_HINT),
    ast.Await: ("await is not allowed in a condition", None),
    ast.Yield: _YIELD,
    ast.YieldFrom: _YIELD,
}

_ORDERINGS: Mapping[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(RutinError):
    """A condition that does not parse or uses something not allowed.

    `column` is the 1-based character position in the condition text (a newline counts as one character).
    """

    def __init__(self, message: str, column: int, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.column = column


@dataclass(frozen=True)
class Expression:
    """A checked condition. Made only by `parse_expression`; `tree` is the allow-listed syntax tree."""

    source: str
    names: frozenset[str]
    tree: ast.expr = field(repr=False, compare=False)

    def evaluate(self, env: Mapping[str, object]) -> object:
        """The condition's value with names read from `env`; see `parse_expression` for the rules."""
        return _evaluate(self.tree, env)

    def holds(self, env: Mapping[str, object]) -> bool:
        return bool(self.evaluate(env))


def parse_expression(text: str) -> Expression:
    """Parse and check a condition, or raise ExpressionError with the column of the first problem.

    The language: names of inputs and fields; values 'text', 12, -1.5, True/False/None (also written
    true/false/null); lists ['a', 'b'] (a tuple ('a', 'b') is the same list); comparisons == != < <= > >=,
    chains such as a < b < c, `in` / `not in` a list or a named value, `is None` / `is not None`; `and`, `or`,
    `not` and parentheses. There are no functions: write `larare` alone to test that a list is not empty.
    Lists, texts and numbers cannot stand alone as a condition, and `and`/`or` cannot appear inside a
    comparison, which catches `orsak == 'a' or 'b'` and `orsak == ('a' or 'b')`.

    When evaluated, a name missing from the mapping is None. An ordering comparison with a missing or
    mismatched value (None < '2024-01-01', 'a' < 1) is false. `in` against something that is not a container
    finds nothing, so `not in` is always the opposite of `in`. `and`/`or` short-circuit and return an operand,
    as in Python; `holds` gives the bool.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the condition is too long: {len(text)} characters (at most {MAX_LENGTH})",
            MAX_LENGTH + 1,
            "split it into several simpler conditions",
        )
    body = text.lstrip(" \t\f\r\n")
    source = _Source(text, lead=len(text) - len(body))
    if not body.strip():
        raise ExpressionError("a condition cannot be empty", 1, "write e.g. orsak == 'fel_kurs'")
    tree = _parse(body, source).body
    _check_size(tree, source)
    _Checker(source).condition(tree)
    names = frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id not in LITERAL_NAMES)
    return Expression(source=text, names=names, tree=tree)


def check_names(expr: Expression, known: Iterable[str]) -> list[tuple[str, str | None]]:
    """Each name in `expr` not in `known`, in order of appearance, with a 'did you mean' hint or None."""
    pool = sorted(set(known))
    found = [node for node in ast.walk(expr.tree) if isinstance(node, ast.Name)]
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    unknown = dict.fromkeys(node.id for node in found if node.id not in LITERAL_NAMES and node.id not in pool)
    return [(name, _name_hint(name, pool)) for name in unknown]


def _name_hint(name: str, pool: list[str]) -> str | None:
    spelled = name.lower()
    if spelled in ("none", "null"):
        return "did you mean 'None'?"
    if spelled in ("true", "false"):
        return f"did you mean '{spelled}'?"
    return did_you_mean(name, [*pool, *LITERAL_NAMES])


class _Source:
    """Maps parser positions (line, UTF-8 byte column) back to a character column in the original text."""

    def __init__(self, text: str, lead: int) -> None:
        self.text = text
        self.lead = lead
        body = text[lead:]
        self.line_starts = [0, *(m.end() for m in re.finditer(r"\r\n|\r|\n", body))]

    def _line(self, lineno: int) -> tuple[int, str]:
        index = min(max(lineno, 1), len(self.line_starts)) - 1
        start = self.line_starts[index]
        end = self.line_starts[index + 1] if index + 1 < len(self.line_starts) else len(self.text) - self.lead
        return start, self.text[self.lead + start : self.lead + end]

    def column_of(self, node: ast.expr) -> int:
        start, line = self._line(node.lineno)
        chars = len(line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="ignore"))
        return self.lead + start + chars + 1

    def column_at(self, lineno: int | None, offset: int | None) -> int:
        if not lineno or not offset or offset < 1:
            return len(self.text.rstrip()) + 1
        start, line = self._line(lineno)
        return self.lead + start + min(offset, len(line) + 1)


def _parse(body: str, source: _Source) -> ast.Expression:
    try:
        # Invalid escapes such as '\d' become errors instead of warnings that depend on global filters.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return ast.parse(body, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"not a valid condition: {exc.msg}", source.column_at(exc.lineno, exc.offset), _syntax_hint(body)
        ) from exc
    except (ValueError, RecursionError, MemoryError, Warning) as exc:
        raise ExpressionError(f"not a valid condition: {exc}", 1) from exc


def _syntax_hint(body: str) -> str | None:
    if "&&" in body or "||" in body or re.search(r"!(?!=)", body):
        return "write 'and', 'or' and 'not' instead of &&, || and !"
    if re.search(r"(?<![=!<>])=(?!=)", body):
        return "write == to compare two values"
    return None


def _check_size(tree: ast.expr, source: _Source) -> None:
    """Cap the node count and nesting before any recursive walk, so the checker and evaluator stay shallow."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, ast.expr):
            count += 1
            if count > MAX_NODES:
                raise ExpressionError(
                    f"the condition has too many parts (at most {MAX_NODES} names, values and operations)",
                    source.column_of(node),
                    "split it into several simpler conditions",
                )
            if depth > MAX_DEPTH:
                raise ExpressionError(
                    f"the condition is nested too deeply (at most {MAX_DEPTH} levels)",
                    source.column_of(node),
                    "split it into several simpler conditions",
                )
            depth += 1
        stack.extend((child, depth) for child in reversed(list(ast.iter_child_nodes(node))))


class _Checker:
    """The allow-list. A condition is something true or false; a value is something to compare."""

    def __init__(self, source: _Source) -> None:
        self.source = source

    def fail(self, node: ast.expr, message: str, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, self.source.column_of(node), hint)

    def condition(self, node: ast.expr) -> None:
        match node:
            case ast.BoolOp(values=values):
                for value in values:
                    self.condition(value)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                self.condition(operand)
            case ast.Compare():
                self.compare(node)
            case ast.Name():
                self.name(node)
            case ast.Constant(value=bool()):
                pass
            case ast.List() | ast.Tuple():
                raise self.fail(node, "a list on its own is not a condition", _ALONE_LIST_HINT)
            case ast.Constant() | ast.UnaryOp():
                self.value(node)
                raise self.fail(node, f"{_describe(node)} on its own is not a condition", _COMPARE_HINT)
            case _:
                raise self.rejected(node)

    def value(self, node: ast.expr) -> None:
        match node:
            case ast.Name():
                self.name(node)
            case ast.Constant():
                self.constant(node)
            case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as number)) if not (
                isinstance(number, bool)
            ):
                pass
            case ast.UnaryOp(op=ast.USub()):
                raise self.fail(node, "a minus sign is only allowed directly before a number")
            case ast.UnaryOp(op=ast.UAdd()):
                raise self.fail(node, "a plus sign (+x) is not allowed in a condition")
            case ast.UnaryOp(op=ast.Invert()):
                raise self.fail(node, "the operator ~ is not allowed in a condition", _COMBINE_HINT)
            case ast.List(elts=elements) | ast.Tuple(elts=elements):
                for element in elements:
                    self.value(element)
            case ast.BoolOp() | ast.UnaryOp(op=ast.Not()):
                raise self.fail(
                    node,
                    "'and', 'or' and 'not' combine conditions; they cannot be used in a comparison or a list",
                    _SEVERAL_VALUES_HINT,
                )
            case ast.Compare():
                raise self.fail(
                    node,
                    "a comparison cannot be compared again or put in a list",
                    "combine comparisons with 'and'; a chain such as a < b < c is allowed",
                )
            case _:
                raise self.rejected(node)

    def compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        for operand in operands:
            self.value(operand)
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            if isinstance(op, ast.Is | ast.IsNot) and not (_is_none(left) or _is_none(right)):
                raise self.fail(
                    right,
                    "'is' can only be used with None, as in 'x is None'",
                    "write == to compare two values",
                )
            if isinstance(op, ast.In | ast.NotIn) and not isinstance(right, ast.List | ast.Tuple | ast.Name):
                raise self.fail(
                    right,
                    "'in' needs a list after it, such as ['a', 'b'], or the name of one",
                    "to compare with one value, write ==; note that ('a') is text, not a list",
                )

    def name(self, node: ast.Name) -> None:
        if node.id.startswith("__"):
            raise self.fail(node, "names starting with '__' are not allowed in a condition")

    def constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise self.fail(
                    node,
                    f"a text in a condition can be at most {MAX_STRING} characters (this has {len(value)})",
                )
        elif isinstance(value, bytes):
            raise self.fail(node, "byte strings (b'...') are not allowed in a condition", "write 'text' instead")
        elif isinstance(value, complex):
            raise self.fail(node, "imaginary numbers (1j) are not allowed in a condition")
        elif not (value is None or isinstance(value, int | float)):
            raise self.fail(node, f"{value!r} is not allowed in a condition")

    def rejected(self, node: ast.expr) -> ExpressionError:
        message, hint = _NOT_ALLOWED.get(type(node), (f"{type(node).__name__} is not allowed in a condition", None))
        return self.fail(node, message, hint)


def _is_none(node: ast.expr) -> bool:
    match node:
        case ast.Constant(value=None):
            return True
        case ast.Name(id=name):
            return name == "null"
    return False


def _describe(node: ast.expr) -> str:
    match node:
        case ast.Constant(value=str()):
            return "a text"
        case ast.Constant(value=None):
            return "None"
    return "a number"


def _evaluate(node: ast.expr, env: Mapping[str, object]) -> object:
    match node:
        case ast.Constant(value=value):
            return value
        case ast.Name(id=name):
            return LITERAL_NAMES[name] if name in LITERAL_NAMES else env.get(name)
        case ast.BoolOp(op=ast.And(), values=values):
            result: object = True
            for operand in values:
                result = _evaluate(operand, env)
                if not result:
                    return result
            return result
        case ast.BoolOp(values=values):
            result = False
            for operand in values:
                result = _evaluate(operand, env)
                if result:
                    return result
            return result
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return not _evaluate(operand, env)
        case ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=int() | float() as number)):
            return -number
        case ast.Compare():
            return _evaluate_compare(node, env)
        case ast.List(elts=elements) | ast.Tuple(elts=elements):
            return [_evaluate(element, env) for element in elements]
    raise ExpressionError(f"{type(node).__name__} cannot be evaluated; use parse_expression", 1)


def _evaluate_compare(node: ast.Compare, env: Mapping[str, object]) -> bool:
    left = _evaluate(node.left, env)
    for op, comparator in zip(node.ops, node.comparators, strict=True):
        right = _evaluate(comparator, env)
        if not _compare(op, left, right):
            return False
        left = right
    return True


def _compare(op: ast.cmpop, left: object, right: object) -> bool:
    match op:
        case ast.In():
            return _contains(right, left)
        case ast.NotIn():
            return not _contains(right, left)
        case ast.Is():
            return left is right
        case ast.IsNot():
            return left is not right
    try:
        return bool(_ORDERINGS[type(op)](left, right))
    except TypeError:
        return False


def _contains(container: object, item: object) -> bool:
    if not isinstance(container, Container):
        return False
    try:
        return item in container
    except TypeError:
        return False
