"""Source: YAML text -> plain data, plus the line and column of every node in it.

Procedure files are written by hand, so the text is read once, safely, by PyYAML's composer, and the plain
data is built here from the node tree: values and positions come from the same parse. Scalars follow Rutin's
rules, not YAML 1.1's (`on`, `no`, `010`, `2024-06-30` stay the text written), duplicate keys, merge keys,
custom tags and oversized or too deeply nested input are diagnostics, never silent surprises.
This module does no file I/O and never constructs Python objects from tags.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple, Protocol

import yaml
from yaml.error import Mark, MarkedYAMLError
from yaml.events import AliasEvent, Event
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError
from yaml.tokens import ScalarToken, StreamEndToken

from engine.diagnostics import Diagnostic, Location, sort_diagnostics
from engine.errors import ProcedureInvalid

Path = tuple[str | int, ...]

MAX_TEXT_BYTES = 1_000_000
MAX_NODES = 50_000
MAX_DEPTH = 100

_YAML_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_YAML_TAG + name for name in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP = _YAML_TAG + "seq", _YAML_TAG + "map"
_PLAIN = "tag:rutin,2024:plain"  # an unquoted, untagged scalar: typed by `_plain_value`, not by YAML 1.1

_INT_RE = re.compile(r"-?(0|[1-9][0-9]*)")
_FLOAT_RE = re.compile(r"-?(0|[1-9][0-9]*)\.[0-9]+")
_NULL_WORDS = frozenset({"null", "~", ""})
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # the breaks PyYAML counts lines by


@dataclass(frozen=True)
class SourceDoc:
    """One parsed file: its plain data and where each node's value (and each mapping key) starts."""

    path: str
    data: object
    values: Mapping[Path, Location]
    keys: Mapping[Path, Location]

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Where `path` is written (its key if `key` and known), else its nearest known ancestor.

        Never raises: with nothing known it is line 1, column 1.
        """
        here = tuple(path)
        if key and here in self.keys:
            return self.keys[here]
        while here not in self.values:
            if not here:
                return Location(self.path, 1, 1)
            here = here[:-1]
        return self.values[here]


def parse_yaml(text: str, path: str) -> SourceDoc:
    """Parse one YAML document into a `SourceDoc`; raise `ProcedureInvalid` with every problem found."""
    if len(text.encode("utf-8", errors="surrogatepass")) > MAX_TEXT_BYTES:
        message = f"the file is larger than {MAX_TEXT_BYTES:,} bytes"
        hint = "a procedure is far smaller than this: check that this is the right file, or split it"
        raise ProcedureInvalid([Diagnostic("yaml-too-large", message, Location(path, 1, 1), hint)])
    root = _compose(text, path)
    builder = _Builder(path)
    try:
        data = builder.build(root, ())
    except _TooLarge as exc:
        builder.diagnostics.append(Diagnostic("yaml-too-large", exc.message, exc.location, exc.hint))
    if builder.diagnostics:
        raise ProcedureInvalid(sort_diagnostics(builder.diagnostics))
    return SourceDoc(path, data, MappingProxyType(builder.values), MappingProxyType(builder.keys))


def line_text(text: str, line: int) -> str:
    """The text of 1-based `line` (without its line break), or "" past the end; for showing a caret."""
    lines = _LINE_BREAK.split(text)
    return lines[line - 1] if 1 <= line <= len(lines) else ""


class _Position(Protocol):
    """A PyYAML mark (pure-Python or libyaml): 0-based line and column."""

    @property
    def line(self) -> int: ...
    @property
    def column(self) -> int: ...


# --- composing -------------------------------------------------------------------------------------------


class _Alias(Node):
    """Where a `*name` was written; `value` is the anchored node it stands for."""

    id = "alias"

    def __init__(self, target: Node, at: _Position) -> None:
        super().__init__(target.tag, target, None, None)
        self.at = at


class _TooDeep(Exception):
    def __init__(self, mark: _Position | None) -> None:
        super().__init__("too deep")
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader's scanner, parser and composer; typing of plain scalars is left to `_plain_value`."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def resolve(self, kind: type[Node], value: str | None, implicit: tuple[bool, bool] | bool) -> str:
        # Called only for untagged nodes; YAML 1.1's implicit types (yes/no, octal, dates...) never apply.
        if kind is ScalarNode:
            plain = isinstance(implicit, tuple) and implicit[0]
            return _PLAIN if plain else _STR
        return _SEQ if kind is SequenceNode else _MAP

    def peek_mark(self) -> _Position | None:
        """Where the next event starts."""
        event: Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
        return event.start_mark

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # Composition recurses; stop at a fixed depth rather than at Python's recursion limit.
        if self._depth >= MAX_DEPTH:
            raise _TooDeep(self.peek_mark())
        alias_mark = self.peek_mark() if self.check_event(AliasEvent) else None
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if alias_mark is None or node is None:
            return node
        return _Alias(node, alias_mark)


def _compose(text: str, path: str) -> Node:
    try:
        root = _compose_single(_Loader(text), path)
    except _TooDeep as exc:
        message = f"the file is nested more than {MAX_DEPTH} levels deep"
        hint = "write the procedure with fewer levels of lists and mappings inside each other"
        raise ProcedureInvalid([Diagnostic("yaml-too-large", message, _location(path, exc.mark), hint)]) from None
    except MarkedYAMLError as exc:
        raise ProcedureInvalid([_syntax_diagnostic(exc, text, path)]) from exc
    except ReaderError as exc:  # raised while the loader is built, before any parsing
        raise ProcedureInvalid([_reader_diagnostic(exc, text, path)]) from exc
    return root


def _compose_single(loader: _Loader, path: str) -> Node:
    try:
        if not loader.check_node():  # no document at all: empty, or only comments
            raise ProcedureInvalid([_empty(path)])
        root = loader.compose_document()
        if loader.check_node():
            raise ProcedureInvalid([_multiple_documents(path, loader.peek_mark())])
    finally:
        loader.dispose()
    if root is None:  # pragma: no cover - a document always has a root node
        raise ProcedureInvalid([_empty(path)])
    return root


# --- building plain data -------------------------------------------------------------------------------


class _TooLarge(Exception):
    def __init__(self, message: str, location: Location, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint


class _Builder:
    """Walks the node tree once, expanding aliases, recording positions and collecting diagnostics."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[Path, Location] = {}
        self.keys: dict[Path, Location] = {}
        self.diagnostics: list[Diagnostic] = []
        self._count = 0
        self._open: set[int] = set()  # ids of the collections being built: an alias to one is a cycle
        self._outer_alias: Location | None = None  # the alias whose expansion is being built, if any

    def build(self, node: Node, path: Path) -> object:
        location = self._at(node)
        self.values[path] = location
        outermost = isinstance(node, _Alias) and self._outer_alias is None
        if outermost:
            self._outer_alias = location
        try:
            self._check_size(path, location)
            return self._node(_unalias(node), path, location)
        finally:
            if outermost:
                self._outer_alias = None

    def _check_size(self, path: Path, location: Location) -> None:
        """Stop a 'billion laughs' early; blame the alias being expanded, if there is one."""
        self._count += 1
        if self._count > MAX_NODES:
            raise _TooLarge(
                f"the file expands to more than {MAX_NODES:,} values",
                self._outer_alias or location,
                "an alias (*name) repeats everything under its anchor: write the parts out instead",
            )
        if len(path) > MAX_DEPTH:
            raise _TooLarge(
                f"the data is nested more than {MAX_DEPTH} levels deep",
                self._outer_alias or location,
                "an alias (*name) inside what it repeats nests it again: write the parts out instead",
            )

    def _node(self, node: Node, path: Path, location: Location) -> object:
        if isinstance(node, ScalarNode):
            return self._scalar(node, location)
        if id(node) in self._open:
            self._error(
                "yaml-recursive-alias",
                "this alias refers to a list or mapping that contains it",
                location,
                "an alias (*name) may only repeat something that is complete above it",
            )
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return self._sequence(node, path, location)
            assert isinstance(node, MappingNode)
            return self._mapping(node, path, location)
        finally:
            self._open.discard(id(node))

    def _sequence(self, node: SequenceNode, path: Path, location: Location) -> list[object]:
        if node.tag != _SEQ:
            self._bad_tag(node.tag, "a list", location)
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def _mapping(self, node: MappingNode, path: Path, location: Location) -> dict[str, object]:
        if node.tag != _MAP:
            self._bad_tag(node.tag, "a mapping", location)
        data: dict[str, object] = {}
        first_lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_location = self._at(key_node)
            key = self._key(key_node, key_location)
            if key is None:
                continue
            if key in first_lines:
                self._error(
                    "yaml-duplicate-key",
                    f"duplicate key '{key}' (first at line {first_lines[key]})",
                    key_location,
                    "each key may appear once in a mapping: remove or rename one",
                )
                continue
            first_lines[key] = key_location.line
            self.keys[(*path, key)] = key_location
            data[key] = self.build(value_node, (*path, key))
        return data

    def _key(self, node: Node, location: Location) -> str | None:
        """A key is always the text written (`true:` is the key "true", `1:` is "1"); None if unusable."""
        target = _unalias(node)
        if not isinstance(target, ScalarNode):
            self._error(
                "yaml-complex-key",
                "a key must be a single word or text, not a list or mapping",
                location,
                "write the key as plain text followed by ':'",
            )
            return None
        if target.tag == _PLAIN and target.value == "<<":
            self._error(
                "yaml-merge-key",
                "the merge key '<<' is not supported",
                location,
                "write the keys out in full (an alias *name may still repeat a whole value)",
            )
            return None
        self._scalar(target, location)  # only to report a bad tag; the key stays the text written
        return str(target.value)

    def _scalar(self, node: ScalarNode, location: Location) -> object:
        text: str = node.value
        if node.tag == _PLAIN:
            return _plain_value(text)
        convert = _TAGGED_SCALARS.get(node.tag)
        if convert is None:
            self._bad_tag(node.tag, "a single value", location)
            return text
        value = convert(text)
        if value is _INVALID:
            self._error(
                "yaml-tag",
                f"'{text}' is not a valid {_show_tag(node.tag)} value",
                location,
                "remove the tag: Rutin reads true/false, numbers and null without one",
            )
            return text
        return value

    def _bad_tag(self, tag: str, kind: str, location: Location) -> None:
        allowed = ", ".join(_show_tag(t) for t in (*_TAGGED_SCALARS, _SEQ, _MAP))
        self._error(
            "yaml-tag",
            f"the tag {_show_tag(tag)} cannot be used on {kind} here",
            location,
            f"remove the tag; the only tags allowed are {allowed}",
        )

    def _error(self, code: str, message: str, location: Location, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, location, hint))

    def _at(self, node: Node) -> Location:
        return _location(self.path, node.at if isinstance(node, _Alias) else node.start_mark)


def _unalias(node: Node) -> Node:
    while isinstance(node, _Alias):
        node = node.value
    return node


# --- scalars ---------------------------------------------------------------------------------------------

_INVALID = object()


def _plain_value(text: str) -> object:
    """Rutin's typing of an unquoted scalar: true/false, null/~/empty, decimal int and float, else text."""
    if text in ("true", "false"):
        return text == "true"
    if text in _NULL_WORDS:
        return None
    if _INT_RE.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts; no procedure needs such a number
            return text
    if _FLOAT_RE.fullmatch(text):
        return float(text)
    return text


def _tagged_int(text: str) -> object:
    value = _plain_value(text)
    return value if isinstance(value, int) and not isinstance(value, bool) else _INVALID


def _tagged_float(text: str) -> object:
    value = _plain_value(text)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else _INVALID


def _tagged_bool(text: str) -> object:
    value = _plain_value(text)
    return value if isinstance(value, bool) else _INVALID


def _tagged_null(text: str) -> object:
    return None if text in _NULL_WORDS else _INVALID


_TAGGED_SCALARS: dict[str, Callable[[str], object]] = {
    _STR: str,
    _INT: _tagged_int,
    _FLOAT: _tagged_float,
    _BOOL: _tagged_bool,
    _NULL: _tagged_null,
}


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


# --- diagnostics -----------------------------------------------------------------------------------------

_TAB_HINT = "YAML does not allow tabs for indentation; use spaces"
_INDENT_HINT = "check that keys at the same level start in the same column"
_QUOTE_HINT = "close the quote on the same line, or remove it"
_COLON_HINT = (
    "often a missing space after ':' or an unquoted ':' in a text: quote the text; "
    "or a key indented deeper than the key above it"
)


class _SyntaxRule(NamedTuple):
    pattern: re.Pattern[str]  # searched in "context | problem" of the PyYAML error
    message: str  # may use the pattern's named groups
    hint: str | None
    at_context: bool = False  # locate at the context mark (where the construct began), not the problem


def _rule(pattern: str, message: str, hint: str | None, *, at_context: bool = False) -> _SyntaxRule:
    return _SyntaxRule(re.compile(pattern), message, hint, at_context)


# First match wins; the fallback is PyYAML's own words. Quotes left open or closed too soon are found before
# these rules (`_quote_diagnostic`): PyYAML reports them far from the mistake.
_SYNTAX_RULES = (
    _rule(r"found character '\\t'", "a tab character is not allowed here", _TAB_HINT),
    _rule(r"mapping values are not allowed here", "a ':' is not allowed here", _COLON_HINT),
    _rule(
        r"block mapping \| expected <block end>, but found '-'",
        "a list item ('- ') appears where a key was expected",
        "put list items under a key that ends with ':', each starting with '- ' in the same column",
    ),
    _rule(
        r"block collection \| expected <block end>, but found '\?'",
        "a key appears among the items of a list",
        "start each list item with '- ', or move the key out of the list; " + _INDENT_HINT,
    ),
    _rule(
        r"block (mapping|collection) \| expected <block end>",
        "this line is not indented in line with the lines above it",
        _INDENT_HINT,
    ),
    _rule(
        r"simple key \| could not find expected ':'",
        "this line has no ':' after its key",
        "write 'key: value', or indent the line further if it continues the text above",
        at_context=True,
    ),
    _rule(
        r"unknown escape character '(?P<char>.*)'",
        "'\\{char}' is not a known escape in a double-quoted text",
        "write \\\\ for a backslash, or put the text in single quotes instead",
    ),
    _rule(
        r"undefined alias '(?P<name>.*)'",
        "the alias '*{name}' refers to no anchor '&{name}' above it",
        "define '&{name}' before using '*{name}', or check the spelling",
    ),
    _rule(
        r"duplicate anchor '(?P<name>.*)'",
        "the anchor '&{name}' is defined twice",
        "give each anchor a name of its own",
    ),
    _rule(
        r"flow (sequence|mapping) \|",
        "a list in [ ] or mapping in {{ }} is not written correctly",
        "check the commas and the closing bracket, and quote texts containing ':' or ','",
    ),
)


def _syntax_diagnostic(exc: MarkedYAMLError, text: str, path: str) -> Diagnostic:
    quoted = _quote_diagnostic(exc, text, path)
    if quoted is not None:
        return quoted
    problem = exc.problem or "the text is not valid YAML"
    haystack = f"{exc.context or ''} | {problem}"
    for rule in _SYNTAX_RULES:
        found = rule.pattern.search(haystack)
        if found:
            names = found.groupdict()
            mark = exc.context_mark if rule.at_context else exc.problem_mark
            return Diagnostic(
                "yaml-syntax",
                rule.message.format(**names),
                _location(path, mark or exc.problem_mark),
                rule.hint.format(**names) if rule.hint else None,
            )
    message = f"{problem} ({exc.context})" if exc.context else problem
    return Diagnostic("yaml-syntax", message, _location(path, exc.problem_mark or exc.context_mark))


# A line that starts a YAML key, list item or comment as procedure files write them (`  title:`, `  - id:`,
# `  - BER`, `  # ...`): inside a quoted text it is a sign that the quote was never meant to run on to it.
_ITEM_LINE = re.compile(
    r"""[ \t]*(?:
        (?P<key>[A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]|$)
        | -[ \t]+(?:(?P<item_key>[A-Za-z_][A-Za-z0-9_-]*):(?:[ \t]|$))?
        | (?P<comment>\#)
    )""",
    re.VERBOSE,
)
_SCANNING_QUOTED = re.compile(r"while scanning a (double-|single-)?quoted scalar")
_QUOTE_INSIDE_HINT = {
    "'": "write a ' inside '...' as two (''), or put the text in double quotes",
    '"': 'write a " inside "..." as \\", or put the text in single quotes',
}


def _quote_diagnostic(exc: MarkedYAMLError, text: str, path: str) -> Diagnostic | None:
    """The opening quote behind `exc`, when a quoted text ran on too far or ended too soon; else None.

    A quote left open reads on to the next quote mark of its kind, often dozens of lines later, and PyYAML stops
    only there: at the end of the file, or at whatever the rest of that line then looks like (an indentation,
    ':' or flow error). An apostrophe inside '...' ends the text too soon, and the rest of the line is left
    over. Either way the error PyYAML reports is far from the mistake; the opening quote is where it was made.
    """
    problem = exc.problem_mark
    if problem is None:
        return None
    if _SCANNING_QUOTED.fullmatch(exc.context or "") and exc.context_mark is not None:  # the text never ended
        ends_file = exc.problem == "found unexpected end of stream"
        return _run_on(text, exc.context_mark, None if ends_file else problem, path)
    # The scanner error "could not find expected ':'" is raised on the line after the plain text it is about.
    marks = [m for m in (problem, exc.context_mark) if m is not None]
    for token in reversed(_quoted_tokens_before(text, problem.index)):
        end: Mark = token.end_mark
        if not any(m.index >= end.index and m.line == end.line for m in marks):
            continue
        run_on = _run_on(text, token.start_mark, end, path) if token.start_mark.line < end.line else None
        if run_on is not None:
            return run_on
        # In [ ] or { } a space before the rest is more likely a missing comma: the flow rule below says so.
        in_flow = (exc.context or "").startswith("while parsing a flow")
        if _left_over(text, end, adjacent=in_flow):  # `'The student's number'` ends at the apostrophe
            quote = text[end.index - 1]
            where = f"line {end.line + 1}, " if end.line > token.start_mark.line else ""
            return Diagnostic(
                "yaml-syntax",
                f"this quoted text ends at the {quote} in {where}column {end.column}, "
                "and the rest of the line is left over",
                _location(path, token.start_mark),
                _QUOTE_INSIDE_HINT[quote],
            )
        return None
    return None


def _left_over(text: str, end: Mark, *, adjacent: bool) -> bool:
    """Whether text that YAML cannot take follows a quoted text on its line (a ':', ',' or comment it can).

    With `adjacent`, only text written right after the closing quote counts.
    """
    after = _LINE_BREAK.split(text[end.index :], maxsplit=1)[0]
    if not adjacent:
        after = after.lstrip(" \t")
    return bool(after) and after[0] not in ":,#]} \t"


def _quoted_tokens_before(text: str, index: int) -> list[ScalarToken]:
    """The quoted scalars PyYAML's scanner reads before `index` (scanned again: the parser keeps no tokens)."""
    scanner = yaml.SafeLoader(text)
    found: list[ScalarToken] = []
    try:
        while scanner.check_token():
            token = scanner.get_token()  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            if token.start_mark.index >= index or isinstance(token, StreamEndToken):
                break
            if isinstance(token, ScalarToken) and token.style in ("'", '"'):
                found.append(token)
    except MarkedYAMLError:
        pass  # the error being explained, met again: what was read before it is all that is needed
    finally:
        scanner.dispose()
    return found


def _run_on(text: str, start: Mark, end: Mark | None, path: str) -> Diagnostic | None:
    """The diagnostic for a quoted text from `start` to `end` (None: the end of the file) that took in a key.

    None if no line after the opening quote starts with a key or list item: a text may be written over several
    lines on purpose, and then the error is elsewhere. A quote never closed is the mistake either way.
    """
    lines = _LINE_BREAK.split(text)
    last = len(lines) - 1 if end is None else min(end.line, len(lines) - 1)
    taken = ""
    for number in range(start.line + 1, last + 1):
        written = lines[number][: end.column] if end is not None and number == end.line else lines[number]
        item = _ITEM_LINE.match(written)
        if item is not None:
            key = item.group("key") or item.group("item_key")
            taken = f"the key '{key}'" if key else "the comment" if item.group("comment") else "the list item"
            taken += f" on line {number + 1}"
            break
    if end is None:
        message = "this quoted text is never closed"
    elif taken:
        message = f"this quoted text is not closed on its line: it runs on to line {end.line + 1} and takes in {taken}"
    else:
        return None
    return Diagnostic("yaml-syntax", message, _location(path, start), _QUOTE_HINT)


def _reader_diagnostic(exc: ReaderError, text: str, path: str) -> Diagnostic:
    position: int = exc.position
    before = text[:position]
    breaks = list(_LINE_BREAK.finditer(before))
    column = position - breaks[-1].end() + 1 if breaks else position + 1
    character = exc.character  # a code point for text input; PyYAML also reports undecodable bytes
    shown = f"U+{character:04X}" if isinstance(character, int) else repr(character)
    return Diagnostic(
        "yaml-syntax",
        f"the file contains a character that is not allowed ({shown})",
        Location(path, len(breaks) + 1, column),
        "remove the invisible control character; it often comes from text copied from another program",
    )


def _empty(path: str) -> Diagnostic:
    return Diagnostic(
        "yaml-empty",
        "the file is empty",
        Location(path, 1, 1),
        "a procedure file starts with its keys, such as 'id:' and 'steps:'",
    )


def _multiple_documents(path: str, mark: _Position | None) -> Diagnostic:
    return Diagnostic(
        "yaml-multiple-documents",
        "the file holds more than one YAML document",
        _location(path, mark),
        "a line '---' starts a new document: keep one per file",
    )


def _location(path: str, mark: _Position | None) -> Location:
    if mark is None:
        return Location(path, 1, 1)
    return Location(path, mark.line + 1, mark.column + 1)
