"""The SQL store's hot path: a step read by position, written from rows keyed by column, JSON not re-encoded when
unchanged. Whatever it skips, what it stores must be exactly what the general path would store."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from adapters.sql.base_store import _Hot
from adapters.sql.fastpath import Prepared, transaction
from adapters.sql.rows import ReadTexts, dumps, loads
from adapters.sql.tables import streams
from engine.access import User
from engine.case import Case
from terminal.demo import DEMO_FIELDS, DEMO_INPUTS
from tests.conftest import ADMIN_ROLES, World

INPUTS, FIELDS = DEMO_INPUTS, DEMO_FIELDS  # the demo's route: the longest, through every kind of step


def _walk(world: World, case_id: str) -> list[tuple[Case, Case]]:
    """Every person step of the longest route, each as (the case `do` returned, the case read back after it)."""
    service = world.service
    seen: list[tuple[Case, Case]] = []
    view = service.show(case_id, "anna")
    for _ in range(100):
        if view.status == "done":
            return seen
        if not view.actions:
            world.advance(20)
            service.sweep()
            view = service.show(case_id, "anna")
            continue
        action = view.actions[0]
        fields = {f.name: FIELDS[f.name] for f in action.fields if f.name in FIELDS}
        returned = service.do(case_id, action.name, fields, "anna", show=False)
        seen.append((returned, world.store.load_case(case_id)))
        view = service.show(case_id, "anna")
    raise AssertionError("the case did not finish")


def test_each_step_stores_exactly_the_case_it_returns(world: World) -> None:
    case_id = world.service.start("avregistrering-betyg", INPUTS, "anna").id
    walked = _walk(world, case_id)
    assert len(walked) == 10  # every person step of the route: waits, performs, mails and the end among them
    for returned, stored in walked:
        assert returned == stored
    assert walked[-1][1].status == "done"
    assert world.service.verify("anna", case_id).ok


def test_a_step_shown_or_not_does_the_same_work(world: World) -> None:
    shown = world.service.start("avregistrering-betyg", INPUTS, "anna").id
    quiet = world.service.start("avregistrering-betyg", INPUTS, "anna").id
    view = world.service.do(shown, "ed_sok_elev", {}, "anna")
    case = world.service.do(quiet, "ed_sok_elev", {}, "anna", show=False)
    assert (view.state, view.events) == (case.state, case.version)
    assert [e.kind for e in world.store.events(shown)] == [e.kind for e in world.store.events(quiet)]


def test_unchanged_data_is_written_back_as_the_text_it_was_read_as() -> None:
    texts = ReadTexts()
    data: dict[str, Any] = {"b": 1, "a": "å"}
    case = _case(data, ("x", "y"))
    texts.remember(case, '{"b":1,"a":"å"}', '["x","y"]')
    assert texts.data(data) == '{"b":1,"a":"å"}'
    equal_but_another = dict(data)
    assert texts.data(equal_but_another) == dumps(equal_but_another)  # only the very dict read is trusted


def test_a_route_that_grew_is_extended_and_any_other_is_encoded_afresh() -> None:
    texts = ReadTexts()
    case = _case({}, ("x", "y"))
    texts.remember(case, "{}", '["x", "y"]')  # written by anything: spaces and all
    grown = texts.route(case.id, ("x", "y", "z", "å"))
    assert json.loads(grown) == ["x", "y", "z", "å"]
    assert texts.route(case.id, ("x", "y")) == '["x", "y"]'
    assert texts.route(case.id, ("x", "q", "z")) == dumps(["x", "q", "z"])
    assert texts.route("another", ("x", "y", "z")) == dumps(["x", "y", "z"])


def test_the_remembered_texts_stay_bounded() -> None:
    texts = ReadTexts(size=4)
    for i in range(50):
        texts.remember(_case({"i": i}, ("x",), f"C{i}"), dumps({"i": i}), '["x"]')
    assert len(texts._data) <= 4 and len(texts._routes) <= 4


def test_json_columns_are_read_as_strictly_as_json_loads() -> None:
    assert loads('{"a":[1,true,null]}') == {"a": [1, True, None]}
    assert loads(' {"a":1} \n') == {"a": 1}
    with pytest.raises(json.JSONDecodeError):
        loads('{"a":1} x')
    with pytest.raises(json.JSONDecodeError):
        loads('{"a":1}{}')
    with pytest.raises(json.JSONDecodeError):
        loads("")


def test_a_step_reads_the_user_as_stored_now(world: World) -> None:
    case_id = world.service.start("avregistrering-betyg", INPUTS, "anna").id
    user, _ = world.store.load_step(case_id, "anna")
    assert user == world.store.get_user("anna")
    world.service.save_user(User("anna", ADMIN_ROLES, (), "Anna Berg"), "admin")  # a task taken away
    user, _ = world.store.load_step(case_id, "anna")
    assert user is not None and user.tasks == ()
    assert world.store.load_step(case_id, "nobody")[0] is None


class _Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any) -> _Recording:
        self.calls.append((sql, params))
        return self


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://"])
def test_a_row_keyed_by_column_binds_as_the_named_values_would(url: str) -> None:
    engine = create_engine(url)  # compiling needs the dialect only, no server
    hot = _Hot(engine)
    row = {
        "procedure_hash": "h",
        "state": "s",
        "status": "open",
        "data": "{}",
        "wait": None,
        "due_at": None,
        "overdue_at": None,
        "updated_at": "t",
        "route": "[]",
        "deadline_at": None,
        "lease_owner": None,
        "lease_until": None,
        "cid": "C1",
    }
    by_row, by_name = _Recording(), _Recording()
    hot.update_case.run_row(by_row, row)
    hot.update_case.run(by_name, {("cid" if k == "cid" else f"v_{k}"): v for k, v in row.items()})
    assert by_row.calls == by_name.calls
    bump = {"sid": "C1", "before": 1, "after": 2, "head": "x"}
    by_row, by_name = _Recording(), _Recording()
    hot.bump.run_row(by_row, bump)
    hot.bump.run(by_name, bump)
    assert by_row.calls == by_name.calls


def test_a_statement_with_a_fixed_value_takes_it_when_not_given() -> None:
    prepared = Prepared(create_engine("sqlite://"), select(streams.c.id).limit(1))
    recording = _Recording()
    prepared.run(recording, {})
    assert recording.calls[0][1][0] == 1  # the LIMIT, fixed in the statement


def test_a_failed_write_leaves_nothing_and_the_connection_usable(world: World) -> None:
    engine = world.store.engine
    with pytest.raises(RuntimeError, match="boom"), transaction(engine, write=True) as cursor:
        cursor.execute("INSERT INTO streams (id, version, head_hash) VALUES ('X1', 1, 'h')")
        raise RuntimeError("boom")
    with transaction(engine, write=True) as cursor:
        cursor.execute("INSERT INTO streams (id, version, head_hash) VALUES ('X2', 1, 'h')")
    with engine.connect() as conn:
        found = {r[0] for r in conn.execute(text("SELECT id FROM streams WHERE id IN ('X1', 'X2')"))}
    assert found == {"X2"}


def test_a_write_that_cannot_begin_says_so_and_leaves_the_connection_usable(world: World) -> None:
    engine = world.store.engine
    with transaction(engine, write=False) as cursor:
        cursor.execute("PRAGMA busy_timeout=50")  # this thread's held connection: give up on a lock at once
    other = create_engine(str(engine.url), connect_args={"isolation_level": None})
    try:
        with other.connect() as locker:
            locker.exec_driver_sql("BEGIN IMMEDIATE")  # another process writes
            with transaction(engine, write=False) as cursor:  # reads go on meanwhile
                assert cursor.execute("SELECT count(*) FROM streams").fetchone()[0] >= 1
            with pytest.raises(sqlite3.OperationalError, match="locked"), transaction(engine, write=True) as cursor:
                cursor.execute("INSERT INTO streams (id, version, head_hash) VALUES ('X3', 1, 'h')")
            locker.exec_driver_sql("ROLLBACK")
        with transaction(engine, write=True) as cursor:
            cursor.execute("INSERT INTO streams (id, version, head_hash) VALUES ('X4', 1, 'h')")
            cursor.execute("PRAGMA busy_timeout=30000")
    finally:
        other.dispose()
    with engine.connect() as conn:
        found = {r[0] for r in conn.execute(text("SELECT id FROM streams WHERE id IN ('X3', 'X4')"))}
    assert found == {"X4"}


def _case(data: dict[str, Any], route: tuple[str, ...], case_id: str = "C1") -> Case:
    now = datetime(2024, 6, 3, tzinfo=UTC)
    return Case(case_id, "p", "h", "s", "open", data, 1, "x", now, now, "anna", None, route)
