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
        QuerySpec(
            "group_exists",
            ("group",),
            "Finns gruppen {group}?",
            "Does the group {group} exist?",
        ),
        QuerySpec(
            "has_grader",
            ("group",),
            "Har gruppen {group} en betygsättande lärare kopplad?",
            "Does the group {group} have a grading teacher linked?",
        ),
        QuerySpec(
            "group_grades_locked",
            ("group",),
            "Är alla betyg i gruppen {group} registrerade och låsta?",
            "Are all grades in the group {group} registered and locked?",
        ),
        QuerySpec(
            "list_approved",
            ("list",),
            "Har examinator godkänt resultatlistan {list}?",
            "Has the examiner approved the result list {list}?",
        ),
        QuerySpec(
            "list_registered",
            ("list",),
            "Är resultatlistan {list} definitivt inlagd i Ladok?",
            "Is the result list {list} entered in Ladok for good?",
        ),
        QuerySpec(
            "catalog_received",
            ("group",),
            "Har betygskatalogen för {group} kommit fram?",
            "Has the grade catalog for {group} arrived?",
        ),
        QuerySpec(
            "grades_approved",
            ("group",),
            "Har kommunen godkänt betygen för {group}?",
            "Has the municipality approved the grades for {group}?",
        ),
        QuerySpec(
            "grades_exported",
            ("group",),
            "Är betygen för {group} exporterade till Beda?",
            "Have the grades for {group} been exported to Beda?",
        ),
        QuerySpec(
            "request_answered",
            ("subject",),
            "Har svaret på förfrågan om {subject} kommit?",
            "Has the answer to the request about {subject} arrived?",
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
        ActionSpec("create_group", ("group",), "create a (teaching, prövning) group"),
        ActionSpec("link_grader", ("group", "teacher"), "link a grading teacher to the group"),
        ActionSpec("place_student", ("student", "group"), "place (enrol) the student in the group"),
        ActionSpec("lock_group_grades", ("group",), "register and lock every grade in the group"),
        ActionSpec("send_list", ("list",), "send a result list to the examiner"),
        ActionSpec("approve_list", ("list",), "the examiner approves the result list"),
        ActionSpec("register_list", ("list",), "enter the result list in Ladok for good"),
        ActionSpec("post_catalog", ("group",), "post the signed grade catalog"),
        ActionSpec("approve_grades", ("group",), "the municipality approves the group's grades"),
        ActionSpec("export_grades", ("group",), "export the group's grades to Beda"),
        ActionSpec("send_request", ("subject",), "send a request by mail that someone answers"),
    )
}
