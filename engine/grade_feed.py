"""Grade records from a grading system's feed, and what changed between two reads of it.

A feed read holds, for each student it mentions, that student's complete list of grade records (Ping Pong resends
the whole list whenever one record changes). `diff_reads` compares two reads: a record in the later list and not the
earlier is added, one whose identity stays but whose content differs is changed, and one missing from the later list
of a student present in both reads is removed. A student absent from the later read tells nothing, so never yields a
removal. This module is pure: it parses nothing and reads no files; `adapters.pingpong_feed` builds the records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Literal

GradeKind = Literal["course", "subject"]
ChangeKind = Literal["added", "changed", "removed"]
DeciderRole = Literal["LÄRARE", "REKTOR", "EXTERN"]

GRADE_VALUES = ("A", "B", "C", "D", "E", "F", "-", "***", "VG", "G", "IG", "1")
"""Every value the Ping Pong schema allows; which of them a school form uses is narrower."""
SCHOOL_FORMS = ("GR", "GRSAR", "GY", "GYSAR", "SFI", "SARVUX", "VUX", "YH")
DECIDER_ROLES: tuple[DeciderRole, ...] = ("LÄRARE", "REKTOR", "EXTERN")
TERM_KINDS = ("VT", "HT")


_AF = ("A", "B", "C", "D", "E", "F", "-")
ASSESSMENT_VALUES = ("G", "IG")
"""An omdöme (grade-like assessment of an orientation course) is G or IG, and only in komvux and särvux."""
ASSESSMENT_FORMS = ("VUX", "SARVUX")
VALUES_BY_FORM: dict[str, tuple[str, ...]] = {
    "VUX": _AF,
    "SARVUX": _AF,
    "GY": _AF,
    "SFI": _AF,
    "YH": ("VG", "G", "IG"),
}
"""The grades each school form sets, per the feed's documentation; forms it leaves open (GR, GRSAR, GYSAR) are
checked against the schema's scale only."""
GYMNASIEARBETE_VALUES = ("E", "F", "-")
"""The gymnasiearbete (course codes GYAR...) is graded E, F or -."""


def allowed_values(school_form: str, *, code: str, assessment: bool | None) -> tuple[str, ...]:
    """The values a grade record of this school form (and course, and kind) may carry."""
    if assessment:
        return ASSESSMENT_VALUES if school_form in ASSESSMENT_FORMS else ()
    if school_form == "GY" and code.upper().startswith("GYAR"):
        return GYMNASIEARBETE_VALUES
    return VALUES_BY_FORM.get(school_form, GRADE_VALUES)


@dataclass(frozen=True)
class Decider:
    """Who decided a grade: a role and the people's ids, sorted so a reordered list is not a change."""

    role: DeciderRole
    persons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Term:
    """The term a compulsory-school subject grade was set in, e.g. HT 2014."""

    kind: str
    year: int

    def __str__(self) -> str:
        return f"{self.kind} {self.year}"


@dataclass(frozen=True)
class GradeRecord:
    """One grade (or grade-like assessment) as the feed states it. `line` is where it was read, not content."""

    student: str
    kind: GradeKind
    code: str
    value: str
    decided_on: date
    by_examination: bool
    """The prövning flag: the grade was obtained through prövning."""
    school: str
    decider: Decider
    school_form: str
    grading_group: str | None = None
    language: str | None = None
    term: Term | None = None
    final: bool | None = None
    """slutbetyg, for subject grades only."""
    assessment: bool | None = None
    """omdöme (a grade-like assessment, G/IG), for course grades only."""
    line: int = field(default=0, compare=False)

    @property
    def identity(self) -> tuple[str, str, str | None, Term | None]:
        """What makes two records 'the same grade' across reads: kind, code, language and term."""
        return (self.kind, self.code, self.language, self.term)

    def describe(self) -> str:
        extra = "".join(f" {part}" for part in (self.language, self.term) if part is not None)
        return f"{self.kind} {self.code}{extra}"


_CONTENT_FIELDS = tuple(
    f.name for f in fields(GradeRecord) if f.name not in {"student", "kind", "code", "language", "term", "line"}
)


@dataclass(frozen=True)
class StudentGrades:
    """A student's complete list of grade records in one read."""

    student: str
    grades: tuple[GradeRecord, ...]


@dataclass(frozen=True)
class FeedRead:
    """One read of a grade feed: the period it covers and every student it lists, in document order."""

    period_from: datetime
    period_to: datetime
    students: tuple[StudentGrades, ...]

    def grades_of(self, student: str) -> tuple[GradeRecord, ...] | None:
        """The student's list, or None when this read does not mention the student (not the same as empty)."""
        return next((s.grades for s in self.students if s.student == student), None)


@dataclass(frozen=True)
class GradeChange:
    """A difference between two reads; `fields` names what changed (empty unless kind is 'changed')."""

    kind: ChangeKind
    student: str
    before: GradeRecord | None
    after: GradeRecord | None
    fields: tuple[str, ...] = ()

    @property
    def grade(self) -> GradeRecord:
        record = self.after if self.after is not None else self.before
        assert record is not None
        return record

    def describe(self) -> str:
        what = f"{self.student}: {self.grade.describe()} {self.kind}"
        return f"{what} ({', '.join(self.fields)})" if self.fields else what


def diff_reads(before: FeedRead, after: FeedRead) -> list[GradeChange]:
    """What changed between two reads, per student in the later read's order.

    Only students in the later read are compared; one missing from it may simply not have changed in its period.
    """
    changes: list[GradeChange] = []
    for listed in after.students:
        earlier = before.grades_of(listed.student)
        changes.extend(diff_student(listed.student, earlier or (), listed.grades))
    return changes


def diff_student(student: str, before: Iterable[GradeRecord], after: Iterable[GradeRecord]) -> list[GradeChange]:
    """Compare two complete lists of one student's records.

    Identical records cancel first, so a student with the same course graded twice (F, then E after prövning) keeps
    both; what is left is paired by identity in date order: pairs are changes, the surplus added or removed.
    """
    unmatched_before = list(before)
    unmatched_after: list[GradeRecord] = []
    for record in after:
        if record in unmatched_before:
            unmatched_before.remove(record)
        else:
            unmatched_after.append(record)
    olds = _by_identity(unmatched_before)
    news = _by_identity(unmatched_after)
    changes: list[GradeChange] = []
    for identity in [*news, *(i for i in olds if i not in news)]:
        old_list, new_list = olds.get(identity, []), news.get(identity, [])
        for old, new in zip(old_list, new_list, strict=False):
            changes.append(GradeChange("changed", student, old, new, _changed_fields(old, new)))
        changes.extend(GradeChange("added", student, None, new) for new in new_list[len(old_list) :])
        changes.extend(GradeChange("removed", student, old, None) for old in old_list[len(new_list) :])
    return changes


def _by_identity(records: list[GradeRecord]) -> dict[tuple[str, str, str | None, Term | None], list[GradeRecord]]:
    grouped: dict[tuple[str, str, str | None, Term | None], list[GradeRecord]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.decided_on, r.line)):
        grouped[record.identity].append(record)
    return grouped


def _changed_fields(old: GradeRecord, new: GradeRecord) -> tuple[str, ...]:
    return tuple(name for name in _CONTENT_FIELDS if getattr(old, name) != getattr(new, name))
