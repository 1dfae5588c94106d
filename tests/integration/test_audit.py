"""Auditors' guarantees: replay reproduces the case; any change to a stored event is caught and named."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import World
from tests.integration.test_grade_revocation import PROC, ROUTES, walk


@pytest.fixture
def finished(world: World) -> str:
    case = world.service.start(PROC, ROUTES["fel_betygsgrupp"], "anna")
    walk(world, case.id)
    return case.id


def sql(world: World, statement: str, *args: object) -> None:
    with sqlite3.connect(world.db_path) as conn:
        conn.execute(statement, args)


def test_an_untouched_history_verifies_and_replays(world: World, finished: str) -> None:
    report = world.service.verify("anna")
    assert report.ok, report.problems
    assert report.streams == 2  # the case and the system stream (users added)
    replay = world.service.replay(finished, "anna")
    assert replay.ok, replay.problems
    assert all(step.matches for step in replay.steps)
    assert replay.steps[0].kind == "case_started"
    assert {s.actor for s in replay.steps} == {"anna", "rutin-worker"}


def test_changing_one_byte_of_an_event_is_caught_naming_case_and_event(world: World, finished: str) -> None:
    sql(world, "UPDATE events SET actor = 'bnna' WHERE stream = ? AND seq = 4", finished)
    report = world.service.verify("anna", finished)
    assert not report.ok
    assert (report.problems[0].stream, report.problems[0].seq) == (finished, 4)
    assert "altered" in report.problems[0].problem


def test_changing_an_events_data_is_caught(world: World, finished: str) -> None:
    with sqlite3.connect(world.db_path) as conn:
        data = json.loads(conn.execute("SELECT data FROM events WHERE stream=? AND seq=5", (finished,)).fetchone()[0])
        data["fields"] = {"beslutande_larare": "Någon annan"}
        conn.execute("UPDATE events SET data=? WHERE stream=? AND seq=5", (json.dumps(data), finished))
    report = world.service.verify("anna")
    assert [(p.stream, p.seq) for p in report.problems] == [(finished, 5)]


def test_deleting_an_event_in_the_middle_is_caught(world: World, finished: str) -> None:
    sql(world, "DELETE FROM events WHERE stream = ? AND seq = 3", finished)
    report = world.service.verify("anna", finished)
    assert [(p.stream, p.seq) for p in report.problems] == [(finished, 3)]
    assert "missing" in report.problems[0].problem


def test_deleting_the_last_event_is_caught_by_the_head(world: World, finished: str) -> None:
    with sqlite3.connect(world.db_path) as conn:
        last = conn.execute("SELECT max(seq) FROM events WHERE stream=?", (finished,)).fetchone()[0]
        conn.execute("DELETE FROM events WHERE stream=? AND seq=?", (finished, last))
    report = world.service.verify("anna", finished)
    assert not report.ok
    assert report.problems[0].stream == finished
    assert "removed" in report.problems[0].problem


def test_inserting_an_event_is_caught(world: World, finished: str) -> None:
    with sqlite3.connect(world.db_path) as conn:
        conn.execute("UPDATE events SET seq = seq + 1000 WHERE stream = ? AND seq >= 6", (finished,))
        conn.execute("UPDATE events SET seq = seq - 999 WHERE stream = ? AND seq >= 1000", (finished,))
        row = conn.execute("SELECT * FROM events WHERE stream=? AND seq=5", (finished,)).fetchone()
        forged = list(row)
        forged[1] = 6
        forged[3] = "mallory"
        conn.execute(f"INSERT INTO events VALUES ({','.join('?' * len(forged))})", forged)
    report = world.service.verify("anna", finished)
    assert [(p.stream, p.seq) for p in report.problems] == [(finished, 6)]


def test_replay_fails_loudly_when_the_stored_case_differs(world: World, finished: str) -> None:
    sql(world, "UPDATE cases SET state = 'ed_spara' WHERE id = ?", finished)
    replay = world.service.replay(finished, "anna")
    assert not replay.ok
    assert "step" in replay.problems[0] and "ed_spara" in replay.problems[0]


def test_tampering_with_the_system_stream_is_caught(world: World, finished: str) -> None:
    sql(world, "UPDATE events SET data = replace(data, 'Anna Berg', 'Anna B') WHERE stream = 'system'")
    report = world.service.verify("anna")
    assert [p.stream for p in report.problems] == ["system"]


def test_export_carries_every_event_with_its_hash(world: World, finished: str) -> None:
    exported = json.loads(world.service.export(finished, "json", "anna"))
    assert exported["case"]["id"] == finished
    assert len(exported["events"]) == exported["case"]["version"]
    assert exported["events"][-1]["hash"] == exported["case"]["head_hash"]
    csv_text = world.service.export(finished, "csv", "anna")
    assert csv_text.count("\n") == len(exported["events"]) + 1


def test_changing_a_stored_procedure_text_is_caught(world: World, finished: str) -> None:
    sql(world, "UPDATE procedure_versions SET text = replace(text, 'Spara', 'Spar')")
    report = world.service.verify("anna")
    assert [p.problem for p in report.problems] == ["its text was changed after it was stored (hash mismatch)"]


def test_changing_a_stored_procedures_data_is_caught(world: World, finished: str) -> None:
    sql(world, "UPDATE procedure_versions SET data = replace(data, 'ed_spara', 'ed_bekrafta')")
    report = world.service.verify("anna", finished)
    assert [p.problem for p in report.problems] == ["its stored data differs from its text"]
