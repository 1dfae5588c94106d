"""What procedures may ask of other systems and ask them to do: the contract between YAML and adapters.

A `wait` step names a query and a `task` step may name an action; both are checked against this catalogue
when a procedure loads, so a misspelled query or a missing argument is a load error. Every adapter answers
the queries of the systems it stands in for (see the contract tests); the manual adapter answers by asking
a person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuerySpec:
    name: str
    params: tuple[str, ...]
    question_sv: str  # how a person is asked when the manual adapter answers
    question_en: str


@dataclass(frozen=True)
class ActionSpec:
    name: str
    params: tuple[str, ...]
    description: str


QUERIES: dict[str, QuerySpec] = {
    q.name: q
    for q in (
        QuerySpec(
            "grade_registered",
            ("student", "group"),
            "Finns betyget för {student} registrerat på gruppen {group}?",
            "Is a grade for {student} registered on the group {group}?",
        ),
        QuerySpec(
            "in_group",
            ("student", "group"),
            "Finns {student} i gruppen {group}?",
            "Is {student} in the group {group}?",
        ),
        QuerySpec(
            "grade_locked",
            ("student", "group"),
            "Är betyget för {student} registrerat och låst på gruppen {group}?",
            "Is the grade for {student} registered and locked on the group {group}?",
        ),
    )
}

ACTIONS: dict[str, ActionSpec] = {
    a.name: a
    for a in (
        ActionSpec("remove_grade", ("student", "group"), "unlock and remove the student's grade on the group"),
        ActionSpec("register_grade", ("student", "group"), "register and lock the student's grade on the group"),
        ActionSpec(
            "change_group",
            ("student", "from_group", "to_group"),
            "deregister the student from one group (status 'ej börjat') and enrol in another",
        ),
        ActionSpec(
            "register_status",
            ("student", "group", "status"),
            "register a status such as avbrott or ej börjat on the student's course group",
        ),
    )
}
