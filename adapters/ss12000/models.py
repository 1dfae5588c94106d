"""Our own pydantic models of the SS 12000 entities the client reads, following the 2.1 OpenAPI file.

Only what Rutin uses is modelled; every other property the spec allows is ignored (extra="ignore"), so a server
that sends more than we know is fine. Known defects of the published file are tolerated on purpose:
`Grade.required` names a `schoolUnit` that is not a property (the property is `organisation`), so both are read
and neither is required; `DeletedEntities_data` spells activities `activitites`, so both spellings are read.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ObjectReference(_Model):
    """PersonReference, GroupReference, SyllabusReference, ...: an id, with displayName when asked for."""

    id: str
    display_name: str | None = Field(default=None, alias="displayName")


class Meta(_Model):
    created: datetime
    modified: datetime


class CivicNo(_Model):
    value: str
    nationality: str | None = None


class Person(_Model):
    id: str
    meta: Meta | None = None  # required by the spec; a server leaving it out only costs us the sync watermark
    given_name: str = Field(alias="givenName")
    family_name: str = Field(alias="familyName")
    civic_no: CivicNo | None = Field(default=None, alias="civicNo")


class GroupMembership(_Model):
    """A person's membership of a group; both dates are inclusive and either may be open."""

    person: ObjectReference
    start_date: date | None = Field(default=None, alias="startDate")
    end_date: date | None = Field(default=None, alias="endDate")

    def is_active(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (self.end_date is None or day <= self.end_date)


class Group(_Model):
    id: str
    meta: Meta | None = None
    display_name: str = Field(alias="displayName")
    group_type: str = Field(alias="groupType")
    start_date: date = Field(alias="startDate")
    end_date: date | None = Field(default=None, alias="endDate")
    school_type: str | None = Field(default=None, alias="schoolType")
    organisation: ObjectReference
    group_memberships: tuple[GroupMembership, ...] = Field(default=(), alias="groupMemberships")

    def is_active(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class DutyAssignment(_Model):
    """A teacher (a Duty) on an activity; `grader` marks the grading teacher."""

    duty: ObjectReference
    start_date: date | None = Field(default=None, alias="startDate")
    end_date: date | None = Field(default=None, alias="endDate")
    grader: bool | None = None

    def is_active(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (self.end_date is None or day <= self.end_date)


class Activity(_Model):
    id: str
    meta: Meta | None = None
    display_name: str = Field(alias="displayName")
    start_date: date = Field(alias="startDate")
    end_date: date | None = Field(default=None, alias="endDate")
    groups: tuple[ObjectReference, ...]
    teachers: tuple[DutyAssignment, ...] = ()
    syllabus: ObjectReference | None = None


class Syllabus(_Model):
    id: str
    meta: Meta | None = None
    school_type: str = Field(alias="schoolType")
    subject_name: str = Field(alias="subjectName")
    course_code: str | None = Field(default=None, alias="courseCode")
    course_name: str | None = Field(default=None, alias="courseName")
    official: bool


class Grade(_Model):
    id: str
    meta: Meta | None = None
    student: ObjectReference
    # Spec defect: `required` lists schoolUnit, which is no property; the property is organisation. Rutin needs
    # neither, so neither is required and schoolUnit (whatever a server puts there) is ignored.
    organisation: ObjectReference | None = None
    group: ObjectReference | None = None
    grade_value: str = Field(alias="gradeValue")
    registered_date: date = Field(alias="registeredDate")
    final_grade: bool = Field(alias="finalGrade")
    trial: bool = False
    syllabus: ObjectReference


EntityT = TypeVar("EntityT", bound=_Model)


class Page(_Model, Generic[EntityT]):
    """One page of a list endpoint; `pageToken` null or absent means there is nothing more."""

    data: tuple[EntityT, ...]
    page_token: str | None = Field(default=None, alias="pageToken")


class DeletedData(_Model):
    grades: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    syllabuses: tuple[str, ...] = ()
    # Spec defect: the published property name is `activitites`; a corrected server may send `activities`.
    activities: tuple[str, ...] = ()  # the published spelling is `activitites`: see _both_spellings

    @model_validator(mode="before")
    @classmethod
    def _both_spellings(cls, value: object) -> object:
        """Read activities from either spelling, or both as one list; a non-list under either name is ignored
        (the spec allows any extra property, so `activities` may be something else on a server that uses the
        published spelling)."""
        if not isinstance(value, dict):
            return value
        lists = [value[k] for k in ("activitites", "activities") if isinstance(value.get(k), list)]
        rest = {k: v for k, v in value.items() if k not in ("activities", "activitites")}
        return {**rest, "activities": [i for items in lists for i in items]}


class DeletedEntities(_Model):
    data: DeletedData
    page_token: str | None = Field(default=None, alias="pageToken")


class ErrorBody(_Model):
    code: str
    message: str


class Anything(_Model):
    """Any object: what a reachability probe reads without caring about the entity."""
