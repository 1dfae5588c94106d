"""Reads Ping Pong's grade feed (Betyg API 1.1, namespace http://pingpong.se/schemas/grades/v1.1) into a FeedRead.

The document is checked against the feed's schema as we understand it (element order and counts, enumerations,
dates, booleans), and anything else is a `FeedError` naming the source, line, column and element, never a partial
read: a half-read list would look like removed grades. Parsing uses expat directly so every element keeps its line;
a DOCTYPE (and with it every entity declaration) is refused, which is what stops entity-expansion bombs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast
from xml.parsers import expat
from zoneinfo import ZoneInfo

from engine.errors import AdapterError
from engine.grade_feed import (
    ASSESSMENT_FORMS,
    DECIDER_ROLES,
    GRADE_VALUES,
    SCHOOL_FORMS,
    TERM_KINDS,
    Decider,
    FeedRead,
    GradeKind,
    GradeRecord,
    StudentGrades,
    Term,
    allowed_values,
)
from engine.personnummer import mask_personnummer
from engine.ports import OutboxItem
from engine.values import JsonValue

NAMESPACE = "http://pingpong.se/schemas/grades/v1.1"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_SEP = "}"
_MAX_DEPTH = 8  # the schema nests five deep; anything deeper is refused before it is built
_SWEDEN = ZoneInfo("Europe/Stockholm")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}

# Each grade element's children in schema order: (name, min occurs, max occurs).
_COMMON = (
    ("value", 1, 1),
    ("datum", 1, 1),
    ("prövning", 1, 1),
    ("betygsgrupp", 0, 1),
    ("skola", 1, 1),
    ("beslutsfattare", 1, 1),
    ("skolform", 1, 1),
)
_CHILDREN: dict[str, tuple[tuple[str, int, int], ...]] = {
    "betyg": (("elev", 0, -1),),
    "elev": (("ämnesbetyg", 0, -1), ("kursbetyg", 0, -1)),
    "kursbetyg": (*_COMMON, ("kurskod", 1, 1), ("omdöme", 1, 1)),
    "ämnesbetyg": (*_COMMON, ("ämnesförkortning", 1, 1), ("språk", 0, 1), ("termin", 0, 1), ("slutbetyg", 1, 1)),
    "beslutsfattare": (("person", 0, -1),),
    "termin": (("typ", 1, 1), ("år", 1, 1)),
}
_KNOWN = set(_CHILDREN) | {name for spec in _CHILDREN.values() for name, _, _ in spec}
_ATTRIBUTES = {"betyg": {"from", "tom"}, "elev": {"id"}, "beslutsfattare": {"roll"}}


class FeedError(AdapterError):
    """The feed document is not one we can trust; nothing from it was used. Not retryable: the same bytes fail again."""

    def __init__(self, source: str, line: int, column: int, element: str | None, problem: str) -> None:
        where = f"<{element}>: " if element else ""
        super().__init__(
            f"{source}:{line}:{column}: {where}{problem}",
            "the grade feed was not applied; report the document to the Ping Pong administrator",
            retryable=False,
        )
        self.source = source
        self.line = line
        self.column = column
        self.element = element
        self.problem = problem


@dataclass
class _Node:
    name: str
    attributes: dict[str, str]
    line: int
    column: int
    children: list[_Node] = field(default_factory=list)
    text: str = ""


def read_feed_file(path: Path) -> FeedRead:
    """Read and check one feed document from a file."""
    return parse_feed(path.read_bytes(), source=str(path))


def parse_feed(document: bytes, *, source: str = "<feed>") -> FeedRead:
    """Parse and check one feed document; raise FeedError on anything the schema does not allow."""
    root = _build_tree(document, source)
    return _Reader(source).read(root)


def _build_tree(document: bytes, source: str) -> _Node:
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Node] = []
    roots: list[_Node] = []

    def fail(problem: str) -> FeedError:
        element = stack[-1].name if stack else None
        return FeedError(source, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1, element, problem)

    def refuse_doctype(*_: object) -> None:
        raise fail("a DOCTYPE is not allowed in the grade feed (entity declarations are refused)")

    def start(qualified: str, attributes: dict[str, str]) -> None:
        namespace, _, name = qualified.rpartition(_SEP)
        if namespace != NAMESPACE:
            shown = f"{{{namespace}}}{name}" if namespace else name
            raise fail(f"element <{shown}> is not in the grade feed's namespace {NAMESPACE}")
        if len(stack) >= _MAX_DEPTH:
            raise fail(f"element <{name}> is nested deeper than the feed allows")
        node = _Node(name, attributes, parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    handlers = cast(Any, parser)
    handlers.StartDoctypeDeclHandler = refuse_doctype
    handlers.EntityDeclHandler = refuse_doctype
    handlers.ExternalEntityRefHandler = refuse_doctype
    handlers.StartElementHandler = start
    handlers.EndElementHandler = end
    handlers.CharacterDataHandler = text
    try:
        parser.Parse(document, True)
    except expat.ExpatError as exc:
        element = stack[-1].name if stack else None
        problem = f"not well-formed XML: {expat.ErrorString(exc.code)}"
        raise FeedError(source, exc.lineno, exc.offset + 1, element, problem) from exc
    except ValueError as exc:  # e.g. an encoding expat does not know
        raise FeedError(source, 1, 1, None, f"cannot be read as XML: {exc}") from exc
    return roots[0]


class _Reader:
    """Turns a checked element tree into records; every check raises a FeedError at the offending element."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: _Node, problem: str) -> FeedError:
        return FeedError(self.source, node.line, node.column, node.name, problem)

    def read(self, root: _Node) -> FeedRead:
        if root.name != "betyg":
            raise self.fail(root, "the document's root must be <betyg>")
        self.check_shape(root)
        seen: dict[str, int] = {}
        students: list[StudentGrades] = []
        for elev in root.children:
            student = self.required_text(elev, elev.attributes.get("id", ""), "attribute id")
            if student in seen:
                raise self.fail(elev, f"student {student} is listed twice (first on line {seen[student]})")
            seen[student] = elev.line
            grades = tuple(self.check_value(child, self.grade(student, child)) for child in elev.children)
            students.append(StudentGrades(student, grades))
        return FeedRead(
            self.date_time(root, root.attributes["from"], "from"),
            self.date_time(root, root.attributes["tom"], "tom"),
            tuple(students),
        )

    def check_shape(self, node: _Node) -> None:
        allowed = _ATTRIBUTES.get(node.name, set())
        for name in node.attributes:
            if name.startswith(_XSI + _SEP) or name.startswith("http://www.w3.org/XML/1998/namespace" + _SEP):
                continue
            if name not in allowed:
                raise self.fail(node, f"unknown attribute {name!r}")
        missing = sorted(allowed - set(node.attributes))
        if missing:
            raise self.fail(node, f"missing required attribute {missing[0]!r}")
        spec = _CHILDREN.get(node.name)
        if spec is None:
            if node.children:
                raise self.fail(
                    node.children[0], f"element <{node.children[0].name}> is not allowed inside <{node.name}>"
                )
            return
        if node.text.strip():
            raise self.fail(node, f"text {node.text.strip()[:40]!r} is not allowed directly inside <{node.name}>")
        self.check_sequence(node, spec)
        for child in node.children:
            self.check_shape(child)

    def check_sequence(self, node: _Node, spec: tuple[tuple[str, int, int], ...]) -> None:
        position = 0
        children = node.children
        for name, least, most in spec:
            count = 0
            while position < len(children) and children[position].name == name and (most < 0 or count < most):
                position, count = position + 1, count + 1
            if count < least:
                found = children[position] if position < len(children) else node
                expected = f"missing <{name}> in <{node.name}>"
                raise self.fail(found, expected if found is node else f"{expected}, found <{found.name}>")
        if position < len(children):
            extra = children[position]
            expected = ", ".join(f"<{name}>" for name, _, _ in spec)
            if extra.name not in _KNOWN:
                raise self.fail(extra, f"unknown element <{extra.name}> in <{node.name}> (expected {expected})")
            raise self.fail(
                extra, f"element <{extra.name}> is out of place in <{node.name}> (expected, in order: {expected})"
            )

    def grade(self, student: str, node: _Node) -> GradeRecord:
        parts = {child.name: child for child in node.children}
        kind: GradeKind = "course" if node.name == "kursbetyg" else "subject"
        code_element = "kurskod" if kind == "course" else "ämnesförkortning"
        termin = parts.get("termin")
        return GradeRecord(
            student=student,
            kind=kind,
            code=self.required_text(parts[code_element], parts[code_element].text, "the code"),
            value=self.choice(parts["value"], GRADE_VALUES, "a grade in the feed's scale"),
            decided_on=self.date(parts["datum"]),
            by_examination=self.boolean(parts["prövning"]),
            school=self.required_text(parts["skola"], parts["skola"].text, "the school id"),
            decider=self.decider(parts["beslutsfattare"]),
            school_form=self.choice(parts["skolform"], SCHOOL_FORMS, "a school form"),
            grading_group=self.optional(parts.get("betygsgrupp")),
            language=self.optional(parts.get("språk")),
            term=None if termin is None else self.term(termin),
            final=self.optional_value(parts.get("slutbetyg"), self.boolean),
            assessment=self.optional_value(parts.get("omdöme"), self.boolean),
            line=node.line,
        )

    def check_value(self, node: _Node, record: GradeRecord) -> GradeRecord:
        """The value must be one the record's school form (and kind) sets: a value out of place is a broken
        feed, never read as some other grade."""
        allowed = allowed_values(record.school_form, code=record.code, assessment=record.assessment)
        if record.value in allowed:
            return record
        value_node = next(child for child in node.children if child.name == "value")
        if record.assessment and not allowed:
            problem = (
                f"an assessment (omdöme) is only given in {' and '.join(ASSESSMENT_FORMS)}, not {record.school_form}"
            )
        else:
            what = "an assessment (omdöme)" if record.assessment else f"a grade in {record.school_form}"
            if record.school_form == "GY" and record.code.upper().startswith("GYAR"):
                what = "a gymnasiearbete grade"
            problem = f"{record.value!r} is not {what} (allowed: {', '.join(allowed)})"
        raise self.fail(value_node, problem)

    def decider(self, node: _Node) -> Decider:
        role = node.attributes["roll"]
        if role not in DECIDER_ROLES:
            raise self.fail(node, f"roll {role!r} is not a decider role (allowed: {', '.join(DECIDER_ROLES)})")
        persons = sorted(self.required_text(p, p.text, "the person id") for p in node.children)
        return Decider(role, tuple(persons))

    def term(self, node: _Node) -> Term:
        typ, year = node.children
        kind = self.choice(typ, TERM_KINDS, "a term")
        digits = year.text.strip()
        if not digits.isdigit() or int(digits) < 1:
            raise self.fail(year, f"{digits!r} is not a positive integer year")
        return Term(kind, int(digits))

    def choice(self, node: _Node, allowed: tuple[str, ...], what: str) -> str:
        value = node.text.strip()
        if value not in allowed:
            raise self.fail(node, f"{value!r} is not {what} (allowed: {', '.join(allowed)})")
        return value

    def date(self, node: _Node) -> date:
        value = node.text.strip()
        match = _DATE.fullmatch(value)
        try:
            if match:
                return date.fromisoformat(match.group(1))
        except ValueError:
            pass
        raise self.fail(node, f"{value!r} is not a date (expected YYYY-MM-DD)")

    def date_time(self, node: _Node, value: str, attribute: str) -> datetime:
        value = value.strip()
        try:
            if _DATETIME.fullmatch(value):
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                return moment if moment.tzinfo else moment.replace(tzinfo=_SWEDEN)
        except ValueError:
            pass
        raise self.fail(node, f"attribute {attribute}={value!r} is not a date and time (expected YYYY-MM-DDTHH:MM:SS)")

    def boolean(self, node: _Node) -> bool:
        value = node.text.strip()
        if value not in _BOOLEANS:
            raise self.fail(node, f"{value!r} is not a boolean (allowed: true, false, 1, 0)")
        return _BOOLEANS[value]

    def required_text(self, node: _Node, value: str, what: str) -> str:
        if not value.strip():
            raise self.fail(node, f"{what} must not be empty")
        return value.strip()

    def optional(self, node: _Node | None) -> str | None:
        return None if node is None else (node.text.strip() or None)

    def optional_value(self, node: _Node | None, convert: Callable[[_Node], bool]) -> bool | None:
        return None if node is None else convert(node)


# -- the feed as a SystemAdapter ------------------------------------------------------------------------


class FeedLookupError(AdapterError):
    """The feed tells nothing about this case (a student it never listed): a person must look."""

    def __init__(self, message: str, hint: str, sv: tuple[str, str], *, kind: str) -> None:
        super().__init__(message, hint, retryable=False)
        self.sv = sv
        self.kind = kind


class PingPongFeedAdapter:
    """Answers `grade_registered` from the saved feed documents of a folder, read in name order.

    Each document replaces the complete lists of the students it lists, so the newest list of a student is what
    Ping Pong holds now. A student the feed has never listed is an error, not a "no": only a list that was sent and
    lacks the grade tells that it is gone. Any document that fails to read stops every answer (nothing from a
    folder with a broken document is trusted). `students_file` maps personnummer to the feed's student ids
    (CSV `personnummer,id`); without it the case's value is the feed's id.
    """

    name = "pingpong_feed"
    answers_by_person = False
    simulates = False
    SUPPORTED = frozenset({"grade_registered"})

    def __init__(self, folder: Path, *, system: str = "Ping Pong", students_file: Path | None = None) -> None:
        self.folder = folder
        self.system = system
        self.students_file = students_file
        self._seen: tuple[tuple[str, int, int], ...] | None = None
        self._lists: dict[str, tuple[GradeRecord, ...]] = {}

    def __repr__(self) -> str:
        return f"PingPongFeedAdapter({self.system}, {self.folder})"

    def supports(self, query: str) -> bool:
        return query in self.SUPPORTED

    def reachable(self, at: datetime) -> None:
        self._current()

    def ask(self, system: str, query: str, args: Mapping[str, JsonValue], at: datetime) -> bool | None:
        if query not in self.SUPPORTED:
            raise FeedLookupError(
                f"{system}: the Ping Pong grade feed cannot tell '{query}'",
                "configure manual for this system, so a person answers this question",
                (f"{system}: Ping Pongs betygsflöde kan inte svara på '{query}'", "låt en person svara för systemet"),
                kind="unsupported",
            )
        lists = self._current()
        student = self._feed_id(str(args.get("student", "")))
        grades = lists.get(student)
        if grades is None:
            raise FeedLookupError(
                f"{system}: the grade feed has never listed the student {mask_personnummer(student)}",
                "a person checks in Ping Pong; the feed lists a student once a grade of theirs changes",
                (
                    f"{system}: betygsflödet har aldrig listat eleven {mask_personnummer(student)}",
                    "en person kontrollerar i Ping Pong; flödet listar en elev när något av elevens betyg ändras",
                ),
                kind="unknown_student",
            )
        group = str(args.get("group", "")).strip().casefold()
        return any((g.grading_group or "").strip().casefold() == group for g in grades)

    def perform(self, item: OutboxItem) -> None:
        return None

    def _current(self) -> dict[str, tuple[GradeRecord, ...]]:
        try:
            files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() == ".xml")
            seen = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in files)
        except OSError as exc:
            raise AdapterError(
                f"{self.system}: the grade feed folder {self.folder} cannot be read ({exc.strerror})",
                "check `folder` in the adapters configuration and that rutin's user may read it",
                retryable=True,
            ) from None
        if seen != self._seen:
            lists: dict[str, tuple[GradeRecord, ...]] = {}
            for path in files:
                for listed in read_feed_file(path).students:
                    lists[listed.student] = listed.grades  # the newest complete list wins
            self._lists, self._seen = lists, seen
        return self._lists

    def _feed_id(self, student: str) -> str:
        if self.students_file is None:
            return student
        import csv

        try:
            with self.students_file.open(encoding="utf-8", newline="") as handle:
                for row in csv.reader(handle):
                    if len(row) >= 2 and _digits(row[0]) == _digits(student):
                        return row[1].strip()
        except OSError as exc:
            raise AdapterError(
                f"{self.system}: the students file {self.students_file} cannot be read ({exc.strerror})",
                "check `students_file` in the adapters configuration",
                retryable=False,
            ) from None
        return student


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
