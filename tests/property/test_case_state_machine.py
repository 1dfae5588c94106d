"""Random legal and illegal use of the real service keeps the invariants auditors and users rely on.

Hypothesis starts cases of the grade-revocation routine (sometimes with inputs the routine refuses), lets a
person with the role (anna) or without it (erik) press random buttons (the case's own or made-up ones, with
right or wrong fields), and moves the clock while the worker sweeps. After every step: each case is at a
declared step, every hash chain verifies, and every case replays from its history to its stored state. A
refused action changes neither the step nor the data; only a role or rule refusal adds one 'refused' event.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from adapters.sql.store import SqlCaseStore
from engine.audit import VerifyReport, verify_stream
from engine.errors import ActionRefused, InvalidInputs
from engine.service import Rutin
from tests.conftest import World, make_world
from tests.integration.test_grade_revocation import FIELDS, PROC, ROUTES

# Who answers the waits: the simulated systems, a person for BER only, or a person everywhere.
ADAPTERS = ("sandbox", "BER=manual", "manual")
WITH_ROLE, WITHOUT_ROLE = "anna", "erik"
JUNK_ACTIONS = ("klart", "inte_annu", "_satisfied", "_route", "ed_bekrafta", "ja", "hoppa_over")
JUNK_FIELDS: tuple[dict[str, object], ...] = (
    {},
    {"betyg": "z"},
    {"status": "kanske"},
    {"okant_falt": "x"},
    {"beslutande_larare": ""},
)
MAX_STARTS = 4  # each start validates the procedure file (~50 ms); the steps are what this explores
SPOILERS = ("none", "missing_course", "bad_personnummer", "same_group", "same_course")


def _inputs(reason: str, spoiler: str) -> dict[str, object]:
    inputs: dict[str, object] = dict(ROUTES[reason])
    if spoiler == "missing_course":
        inputs.pop("kurskod")
    elif spoiler == "bad_personnummer":
        inputs["personnummer"] = "19121212-1213"
    elif spoiler == "same_group":
        inputs["ny_betygsgrupp"] = inputs["betygsgrupp"]
    elif spoiler == "same_course":
        inputs["ny_kurskod"] = inputs["kurskod"]
    return inputs


def _visible(case: Any) -> tuple[object, ...]:
    return (case.state, case.status, case.data, case.wait)


class CaseLife(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        self.world: World | None = None
        self.cases: list[str] = []
        self.step_ids: set[str] = set()
        self.starts = 0

    @property
    def service(self) -> Rutin:
        assert self.world is not None
        return self.world.service

    @property
    def store(self) -> SqlCaseStore:
        assert self.world is not None
        return self.world.store

    def teardown(self) -> None:
        if self.world is None:
            self._tmp.cleanup()
            return
        try:
            # The full audit also re-validates every stored procedure version (a YAML parse each), too slow to
            # run after every step; the invariant below checks the hash chains themselves after every step.
            report = self.service.verify("admin")
            assert report.ok, [str(p) for p in report.problems]
        finally:
            self.store.engine.dispose()
            self._tmp.cleanup()

    @initialize(adapters=st.sampled_from(ADAPTERS))
    def one_case_to_begin_with(self, adapters: str) -> None:
        self.world = make_world(Path(self._tmp.name), adapters=adapters)
        case_id = self.service.start(PROC, ROUTES["ej_last"], WITH_ROLE).id
        self.cases.append(case_id)
        pinned = self.service.pinned(self.store.load_case(case_id).procedure_hash)
        self.step_ids = {s.id for s in pinned.procedure.steps}

    @precondition(lambda self: self.starts < MAX_STARTS)
    @rule(
        reason=st.sampled_from(sorted(ROUTES)),
        spoiler=st.sampled_from(SPOILERS),
        user=st.sampled_from([WITH_ROLE, WITH_ROLE, WITHOUT_ROLE]),
    )
    def start(self, reason: str, spoiler: str, user: str) -> None:
        self.starts += 1
        before = len(self.service.list_cases("admin"))
        try:
            view = self.service.start(PROC, _inputs(reason, spoiler), user)
        except (ActionRefused, InvalidInputs):
            assert len(self.service.list_cases("admin")) == before
            return
        assert user == WITH_ROLE, "a user without the role started a case"
        assert view.events == 1
        self.cases.append(view.id)

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data(), user=st.sampled_from([WITH_ROLE, WITH_ROLE, WITH_ROLE, WITHOUT_ROLE]))
    def act(self, data: st.DataObject, user: str) -> None:
        case_id = data.draw(st.sampled_from(self.cases), label="case")
        view = self.service.show(case_id, WITH_ROLE)
        offered = [a.name for a in view.actions]
        how = data.draw(st.sampled_from(["right", "right", "wrong_fields", "junk"]), label="how")
        if offered and how != "junk":
            action = data.draw(st.sampled_from(offered), label="action")
            right = FIELDS.get(view.state, {})
            fields = right if how == "right" else data.draw(st.sampled_from(JUNK_FIELDS), label="fields")
        else:
            action = data.draw(st.sampled_from(JUNK_ACTIONS), label="junk action")
            fields = data.draw(st.sampled_from(JUNK_FIELDS), label="fields")
        case = self.store.load_case(case_id)
        events = self.store.events(case_id)
        try:
            self.service.do(case_id, action, fields, user)
        except (ActionRefused, InvalidInputs) as refused:
            after = self.store.load_case(case_id)
            after_events = self.store.events(case_id)
            assert _visible(after) == _visible(case), f"{action!r} was refused but changed the case"
            assert after_events[: len(events)] == events
            added = [e.kind for e in after_events[len(events) :]]
            recorded = isinstance(refused, ActionRefused) and refused.recorded
            assert added == (["refused"] if recorded else []), (action, refused)
            return
        assert user == WITH_ROLE, f"{user} acted without the role"
        assert action in offered, f"{action!r} was accepted though the case did not offer it"
        assert self.store.load_case(case_id).version == case.version + 1

    @precondition(lambda self: bool(self.cases))
    @rule(data=st.data(), steps=st.integers(min_value=1, max_value=8))
    def a_person_works_through_the_case(self, data: st.DataObject, steps: int) -> None:
        """The way forward is always open to someone with the role who gives the right values."""
        case_id = data.draw(st.sampled_from(self.cases), label="case")
        for _ in range(steps):
            view = self.service.show(case_id, WITH_ROLE)
            if not view.actions:
                return
            action = data.draw(st.sampled_from([a.name for a in view.actions]), label="action")
            self.service.do(case_id, action, FIELDS.get(view.state, {}), WITH_ROLE)

    @rule(minutes=st.sampled_from([0, 1, 2, 5, 9, 10, 15, 16, 30, 61]))
    def time_passes(self, minutes: int) -> None:
        assert self.world is not None
        self.world.advance(minutes)
        report = self.service.sweep()
        assert report.errors == []

    @invariant()
    def every_case_is_at_a_declared_step(self) -> None:
        for case_id in self.cases:
            case = self.store.load_case(case_id)
            assert case.state in self.step_ids
            assert (case.status == "done") == (case.state == "klart")

    @invariant()
    def every_hash_chain_verifies(self) -> None:
        report = VerifyReport()
        for stream, version, head in self.store.streams():
            verify_stream(report, stream, self.store.events(stream), version, head)
        assert report.ok, [str(p) for p in report.problems]

    @invariant()
    def every_case_replays_to_its_stored_state(self) -> None:
        for case_id in self.cases:
            report = self.service.replay(case_id, "admin")
            assert report.ok, report.problems


CaseLife.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_use_of_cases_keeps_their_invariants = CaseLife.TestCase
