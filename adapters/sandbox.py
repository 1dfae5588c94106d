"""The sandbox: a simulated BER and ED that behave as the routines describe, for practice and tests.

The world is a log of facts ("a grade for S is registered on group G in ED", true from 10:02), kept in
the database so it outlives a command. Actions write facts at the moment the step was taken and, where
the routine says changes travel between systems, again in the other system after a delay: a grade
removed and unlocked in ED disappears from BER 15 minutes later; a group change in BER reaches ED after
10. A question is answered from the newest fact in force at the time asked; a fact never written is
false. Applying an action twice (a retried outbox item) writes nothing the second time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, bindparam, insert, select

from adapters.sql.fastpath import Prepared, transaction
from adapters.sql.store import iso
from adapters.sql.tables import sandbox_facts
from engine.catalogue import QUERIES
from engine.errors import AdapterError
from engine.ports import OutboxItem
from engine.values import JsonValue

_SUBJECT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
REGISTRY = "BER"
GRADING = ("ED", "Ping Pong")  # Stockholm's grading stores: Elevdokumentation, and Lärportalen Ping Pong after it


@dataclass(frozen=True)
class SandboxDelays:
    grade_to_registry: timedelta = timedelta(minutes=15)  # ED/Ping Pong -> BER ("upp till 15 min")
    group_to_grading: timedelta = timedelta(minutes=10)  # BER -> ED/Ping Pong
    answer: timedelta = timedelta(hours=4)  # someone answers a mailed request, approves a list, a catalog arrives


@dataclass(frozen=True)
class _Fact:
    system: str
    fact: str
    args: dict[str, JsonValue]
    value: bool
    delay: timedelta = timedelta(0)


def _mirrored(fact: str, args: dict[str, JsonValue], value: bool, delay: timedelta) -> list[_Fact]:
    """A change made in BER reaches the grading stores after a delay."""
    return [_Fact(system, fact, args, value, delay) for system in GRADING]


def subject(args: Mapping[str, JsonValue]) -> str:
    return _SUBJECT({k: args[k] for k in sorted(args)})


class SandboxAdapter:
    name = "sandbox"
    answers_by_person = False
    simulates = True

    def __init__(self, engine: Engine, delays: SandboxDelays | None = None) -> None:
        self.engine = engine
        self.delays = delays or SandboxDelays()
        p = bindparam  # the statements of `perform`, compiled once for this engine
        self._seen = Prepared(engine, select(sandbox_facts.c.id).where(sandbox_facts.c.source == p("source")).limit(1))
        columns = ("system", "fact", "subject", "value", "effective_at", "source")
        self._add = Prepared(engine, insert(sandbox_facts).values({c: p(f"v_{c}") for c in columns}))
        f = sandbox_facts.c
        self._ask = Prepared(
            engine,
            select(f.value)
            .where(
                and_(f.system == p("system"), f.fact == p("fact"), f.subject == p("subject"), f.effective_at <= p("at"))
            )
            .order_by(f.effective_at.desc(), f.id.desc())
            .limit(1),
        )

    def ask(self, system: str, query: str, args: Mapping[str, JsonValue], at: datetime) -> bool | None:
        if query not in QUERIES:
            raise AdapterError(f"the sandbox does not know the query '{query}'", retryable=False)
        values = {"system": system, "fact": query, "subject": subject(args), "at": iso(at)}
        with transaction(self.engine, write=False) as cursor:
            row = self._ask.run(cursor, values).fetchone()
        return bool(row[0]) if row is not None else False

    def perform(self, item: OutboxItem) -> None:
        facts = self._facts(item.payload)
        seen, add = self._seen, self._add
        with transaction(self.engine, write=True) as cursor:
            if seen.run(cursor, {"source": item.key}).fetchone() is not None:
                return  # applied already: a retried outbox item changes nothing
            for f in facts:
                add.run(
                    cursor,
                    {
                        "v_system": f.system,
                        "v_fact": f.fact,
                        "v_subject": subject(f.args),
                        "v_value": f.value,
                        "v_effective_at": iso(item.created_at + f.delay),
                        "v_source": item.key,
                    },
                )

    def _facts(self, payload: Mapping[str, JsonValue]) -> list[_Fact]:
        action = str(payload.get("action"))
        system = str(payload.get("system"))
        raw = payload.get("args")
        args: dict[str, JsonValue] = dict(raw) if isinstance(raw, dict) else {}
        later = self.delays
        if action == "fact":
            return [_Fact(system, str(payload["query"]), args, bool(payload.get("value", True)))]
        student = args.get("student")
        group = {"group": args.get("group")}
        if action in ("remove_grade", "register_grade"):
            present = action == "register_grade"
            where = {"student": student, "group": args.get("group")}
            return [
                _Fact(system, "grade_registered", where, present),
                _Fact(system, "grade_locked", where, present),
                _Fact(REGISTRY, "grade_registered", where, present, later.grade_to_registry),
            ]
        if action == "change_group":
            old = {"student": student, "group": args.get("from_group")}
            new = {"student": student, "group": args.get("to_group")}
            return [
                _Fact(system, "in_group", old, False),
                _Fact(system, "in_group", new, True),
                *_mirrored("in_group", old, False, later.group_to_grading),
                *_mirrored("in_group", new, True, later.group_to_grading),
            ]
        if action == "place_student":
            where = {"student": student, "group": args.get("group")}
            return [_Fact(system, "in_group", where, True), *_mirrored("in_group", where, True, later.group_to_grading)]
        if action == "register_status":
            where = {"student": student, "group": args.get("group")}
            return [_Fact(system, f"status:{args.get('status')}", where, True)]
        if action in ("create_group", "link_grader"):
            fact = "group_exists" if action == "create_group" else "has_grader"
            return [_Fact(system, fact, group, True), *_mirrored(fact, group, True, later.group_to_grading)]
        if action == "lock_group_grades":
            return [_Fact(system, "group_grades_locked", group, True)]
        simple = {
            "send_list": ("list_approved", {"list": args.get("list")}, later.answer),
            "approve_list": ("list_approved", {"list": args.get("list")}, timedelta(0)),
            "register_list": ("list_registered", {"list": args.get("list")}, timedelta(0)),
            "post_catalog": ("catalog_received", group, later.answer),
            "approve_grades": ("grades_approved", group, timedelta(0)),
            "export_grades": ("grades_exported", group, timedelta(0)),
            "send_request": ("request_answered", {"subject": args.get("subject")}, later.answer),
        }
        if action in simple:
            fact, where, delay = simple[action]
            return [_Fact(system, fact, where, True, delay)]
        raise AdapterError(f"the sandbox cannot simulate the action '{action}'", retryable=False)
