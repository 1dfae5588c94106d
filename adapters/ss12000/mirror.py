"""A copy of the SS 12000 entities Rutin asks about, kept in step incrementally, and the questions answered from it.

The first sync reads every person, group, activity, grade and syllabus; later ones ask only for what was modified
after the newest `meta.modified` seen (`meta.modified.after`; read back an overlap when that moment was close to the
last sync, where a change stamped earlier may commit later; reading an entity twice is harmless) and for what was
deleted since the last sync, less the overlap (`/deletedEntities`). A sync is applied only once every page of
every endpoint has been read, so a failure midway leaves the copy as it was. Once a day the copy is read again in
full, which heals anything an incremental sync could have missed.

The answers never guess: a student or group the registry does not know is an error, not a "no", because "no" is
what some waits wait for ("the grade has disappeared"), and a typo must not look like a removed grade.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from adapters.ss12000.client import RegistryError, Ss12000Client
from adapters.ss12000.models import Activity, Grade, Group, Person, Syllabus
from engine.personnummer import mask_personnummer as _mask

ENDPOINTS: dict[str, type[Person | Group | Activity | Grade | Syllabus]] = {
    "persons": Person,
    "groups": Group,
    "activities": Activity,
    "grades": Grade,
    "syllabuses": Syllabus,
}
_CIVIC = re.compile(r"[\s+-]")


def civic_key(text: str) -> str:
    """A personnummer in any spelling as the spec's 12 characters: 19121212-1212 and 191212121212 alike."""
    return _CIVIC.sub("", text.strip())


@dataclass
class Mirror:
    persons: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    activities: dict[str, Activity] = field(default_factory=dict)
    grades: dict[str, Grade] = field(default_factory=dict)
    syllabuses: dict[str, Syllabus] = field(default_factory=dict)
    watermarks: dict[str, datetime] = field(default_factory=dict)  # newest meta.modified seen, per endpoint
    synced_at: datetime | None = None
    full_at: datetime | None = None
    syncs: int = 0
    fetched: int = 0  # entities read over all syncs: shows that incremental syncs read little

    def table(self, endpoint: str) -> dict[str, object]:
        return getattr(self, endpoint)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SyncPolicy:
    refresh: timedelta = timedelta(minutes=1)  # answers within this long of the last sync reuse it
    overlap: timedelta = timedelta(minutes=5)  # read back this far before the watermark: clocks differ a little
    full_every: timedelta = timedelta(hours=24)


def sync(client: Ss12000Client, mirror: Mirror, at: datetime, policy: SyncPolicy) -> Mirror:
    """Bring the copy up to date as of `at`; return the new copy (the old one is untouched on failure)."""
    full = mirror.synced_at is None or mirror.full_at is None or at - mirror.full_at >= policy.full_every
    fetched: dict[str, list[Person | Group | Activity | Grade | Syllabus]] = {}
    for endpoint, model in ENDPOINTS.items():
        params: dict[str, str] = {}
        mark = mirror.watermarks.get(endpoint)
        if not full and mark is not None:
            params["meta.modified.after"] = _after(mark, mirror.synced_at, policy.overlap).isoformat()
        fetched[endpoint] = list(client.list_all(endpoint, model, params))
    deleted = None
    if not full and mirror.synced_at is not None:
        deleted = client.deleted(mirror.synced_at - policy.overlap, list(ENDPOINTS))
    new = Mirror() if full else _copy(mirror)
    for endpoint, items in fetched.items():
        table = new.table(endpoint)
        for item in items:
            table[item.id] = item
            if item.meta is not None:
                modified = min(item.meta.modified, at)  # a server clock ahead of ours must not make us skip
                if endpoint not in new.watermarks or modified > new.watermarks[endpoint]:
                    new.watermarks[endpoint] = modified
    if deleted is not None:
        for endpoint in ENDPOINTS:
            table = new.table(endpoint)
            for gone in getattr(deleted, endpoint):
                table.pop(gone, None)
    new.synced_at = at
    new.full_at = at if full else mirror.full_at
    new.syncs = mirror.syncs + 1
    new.fetched = mirror.fetched + sum(len(items) for items in fetched.values())
    return new


def _after(mark: datetime, last_sync: datetime | None, overlap: timedelta) -> datetime:
    """Where an incremental read starts. A watermark near the last sync may have a twin stamped the same moment
    but committed after we read, so read back `overlap`; an older one was settled long before we read it."""
    recent = last_sync is None or mark > last_sync - overlap
    return mark - overlap if recent else mark


def _copy(mirror: Mirror) -> Mirror:
    return Mirror(
        dict(mirror.persons),
        dict(mirror.groups),
        dict(mirror.activities),
        dict(mirror.grades),
        dict(mirror.syllabuses),
        dict(mirror.watermarks),
        mirror.synced_at,
        mirror.full_at,
        mirror.syncs,
        mirror.fetched,
    )


# -- the questions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupFacts:
    """What the registry says about a group: its course(s), dates and members on a day."""

    id: str
    name: str
    start: date
    end: date | None
    courses: tuple[str, ...]
    members: tuple[str, ...]  # civic numbers (12 digits) of the members on the day asked
    graders: int


class Answers:
    """Questions about one copy, in the terms procedures use: a personnummer and a group's name (or id)."""

    def __init__(self, mirror: Mirror, system: str) -> None:
        self.mirror = mirror
        self.system = system

    def student(self, personnummer: str) -> Person:
        key = civic_key(personnummer)
        found = [p for p in self.mirror.persons.values() if p.civic_no and civic_key(p.civic_no.value) == key]
        if not found:
            raise RegistryError(
                "unknown_student",
                f"{self.system} (SS 12000) has no person with the personnummer {_mask(key)}",
                "check the personnummer in the case; if it is right, the student is not in the registry yet",
                (
                    f"{self.system} (SS 12000) har ingen person med personnumret {_mask(key)}",
                    "kontrollera personnumret i ärendet; stämmer det finns eleven inte i registret ännu",
                ),
            )
        if len(found) > 1:
            raise RegistryError(
                "ambiguous",
                f"{self.system} (SS 12000) has {len(found)} persons with the personnummer {_mask(key)}",
                "the registry must be corrected; a person answers meanwhile",
                (
                    f"{self.system} (SS 12000) har {len(found)} personer med personnumret {_mask(key)}",
                    "registret behöver rättas; en person svarar så länge",
                ),
            )
        return found[0]

    def group(self, name: str, day: date) -> Group:
        wanted = name.strip().casefold()
        found = [g for g in self.mirror.groups.values() if g.id == name or g.display_name.strip().casefold() == wanted]
        if len(found) > 1:
            found = [g for g in found if g.is_active(day)] or found
        if not found:
            raise RegistryError(
                "unknown_group",
                f"{self.system} (SS 12000) has no group named '{name}'",
                "check the group's name in the case (as it is written in the registry)",
                (
                    f"{self.system} (SS 12000) har ingen grupp som heter '{name}'",
                    "kontrollera gruppens namn i ärendet (så som det står i registret)",
                ),
            )
        if len(found) > 1:
            ids = ", ".join(sorted(g.id for g in found))
            raise RegistryError(
                "ambiguous",
                f"{self.system} (SS 12000) has {len(found)} groups named '{name}' in force on {day} ({ids})",
                "give the group's id instead of its name, or have the registry's duplicates removed",
                (
                    f"{self.system} (SS 12000) har {len(found)} grupper som heter '{name}' den {day} ({ids})",
                    "ange gruppens id i stället för namnet, eller be att dubbletterna i registret tas bort",
                ),
            )
        return found[0]

    def grade_registered(self, personnummer: str, group: str, day: date) -> bool:
        student = self.student(personnummer)
        wanted = self.group(group, day)
        return any(
            g.student.id == student.id and g.group is not None and g.group.id == wanted.id
            for g in self.mirror.grades.values()
        )

    def in_group(self, personnummer: str, group: str, day: date) -> bool:
        student = self.student(personnummer)
        wanted = self.group(group, day)
        return any(m.person.id == student.id and m.is_active(day) for m in wanted.group_memberships)

    def group_exists(self, group: str, day: date) -> bool:
        try:
            self.group(group, day)
        except RegistryError as exc:
            if exc.kind == "unknown_group":
                return False
            raise
        return True

    def has_grader(self, group: str, day: date) -> bool:
        wanted = self.group(group, day)
        return any(
            t.grader is True and t.is_active(day)
            for a in self.mirror.activities.values()
            if any(ref.id == wanted.id for ref in a.groups)
            for t in a.teachers
        )

    def group_facts(self, group: str, day: date) -> GroupFacts:
        wanted = self.group(group, day)
        activities = [a for a in self.mirror.activities.values() if any(r.id == wanted.id for r in a.groups)]
        courses = sorted(
            {
                s.course_code or s.subject_name
                for a in activities
                if a.syllabus is not None and (s := self.mirror.syllabuses.get(a.syllabus.id)) is not None
            }
        )
        members = sorted(
            civic_key(p.civic_no.value)
            for m in wanted.group_memberships
            if m.is_active(day) and (p := self.mirror.persons.get(m.person.id)) is not None and p.civic_no
        )
        graders = sum(1 for a in activities for t in a.teachers if t.grader is True and t.is_active(day))
        return GroupFacts(
            wanted.id, wanted.display_name, wanted.start_date, wanted.end_date, tuple(courses), tuple(members), graders
        )
