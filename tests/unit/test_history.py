"""The sealed history: every event hashed over its content and the hash before it, so any change shows."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.history import GENESIS, Event, compact_json, compute_hash, seal, verify_chain

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)


def _chain(length: int = 4, stream: str = "C1") -> list[Event]:
    events: list[Event] = []
    prev = GENESIS
    for seq in range(1, length + 1):
        event = seal(
            stream,
            seq,
            T0 + timedelta(minutes=seq),
            "anna",
            "case_started" if seq == 1 else "step_done",
            prev_hash=prev,
            step=f"steg_{seq}",
            action=f"steg_{seq}",
            data={"fields": {"n": seq}},
            state=f"steg_{seq + 1}",
            procedure_hash="p" * 64,
        )
        events.append(event)
        prev = event.hash
    return events


def _verify(events: list[Event], head: list[Event] | None = None) -> list[str]:
    """The problems found, as text, against the head of `head` (the untouched chain) or of `events`."""
    reference = head if head is not None else events
    return [str(p) for p in verify_chain("C1", events, len(reference), reference[-1].hash)]


def test_an_untouched_chain_verifies() -> None:
    assert _verify(_chain()) == []


def test_an_empty_stream_with_an_empty_head_verifies() -> None:
    assert verify_chain("C1", [], 0, GENESIS) == []


def test_each_event_links_to_the_one_before_and_the_first_to_genesis() -> None:
    events = _chain()
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]


def test_sealing_is_deterministic_and_covers_every_field() -> None:
    event = _chain(1)[0]
    assert compute_hash(event.payload()) == event.hash
    again = seal(
        "C1",
        1,
        event.at,
        "anna",
        event.kind,
        prev_hash=GENESIS,
        step=event.step,
        action=event.action,
        data=event.data,
        state=event.state,
        procedure_hash=event.procedure_hash,
    )
    assert again == event
    changes: list[dict[str, Any]] = [
        {"actor": "bo"},
        {"at": event.at + timedelta(seconds=1)},
        {"data": {}},
        {"prev_hash": "1" * 64},
    ]
    for change in changes:
        assert compute_hash(replace(event, **change).payload()) != event.hash, change


def test_the_same_moment_in_another_zone_seals_differently_so_times_must_be_stored_as_given() -> None:
    # The hash covers `at` as written (isoformat), so a store must give back exactly the zone it was given.
    event = _chain(1)[0]
    elsewhere = replace(event, at=event.at.astimezone(timezone(timedelta(hours=2))))
    assert elsewhere.at == event.at
    assert compute_hash(elsewhere.payload()) != event.hash


@pytest.mark.parametrize("seq", [1, 2, 4])
def test_an_altered_event_is_named(seq: int) -> None:
    events = _chain()
    events[seq - 1] = replace(events[seq - 1], data={"fields": {"n": 99}})
    assert _verify(events) == [f"C1: event {seq}: was altered after it was written (hash mismatch)"]


def test_an_altered_and_resealed_event_breaks_the_link_of_the_next() -> None:
    events = _chain()
    forged = replace(events[1], actor="mallory")
    events[1] = replace(forged, hash=compute_hash(forged.payload()))
    assert _verify(events) == ["C1: event 3: does not link to the event before it (removed or inserted)"]


def test_a_removed_event_in_the_middle_is_named() -> None:
    original = _chain()
    events = original[:1] + original[2:]
    assert _verify(events, head=original) == ["C1: event 2: event 2 is missing (found 3)"]


def test_a_removed_and_renumbered_event_breaks_the_link() -> None:
    original = _chain()
    events = [original[0], replace(original[2], seq=2), replace(original[3], seq=3)]
    [problem] = _verify(events, head=original)
    assert problem.startswith("C1: event 2:")


def test_an_inserted_event_is_named() -> None:
    original = _chain()
    intruder = seal("C1", 2, T0, "mallory", "step_done", prev_hash=original[0].hash)
    events = [original[0], intruder, *original[1:]]
    assert _verify(events, head=original) == ["C1: event 3: event 3 is inserted or duplicated (found 2)"]


def test_an_inserted_and_renumbered_event_breaks_the_link_after_it() -> None:
    original = _chain()
    intruder = seal("C1", 2, T0, "mallory", "step_done", prev_hash=original[0].hash)
    events = [original[0], intruder, *(replace(e, seq=e.seq + 1) for e in original[1:])]
    assert _verify(events, head=original) == ["C1: event 3: does not link to the event before it (removed or inserted)"]


def test_a_removed_last_event_is_caught_by_the_head() -> None:
    original = _chain()
    [problem] = verify_chain("C1", original[:-1], len(original), original[-1].hash)
    assert problem.seq == 4
    assert "the history has 3 events but the case records 4" in problem.problem


def test_an_event_appended_outside_rutin_is_caught_by_the_head() -> None:
    original = _chain()
    extra = seal("C1", 5, T0, "mallory", "step_done", prev_hash=original[-1].hash)
    [problem] = verify_chain("C1", [*original, extra], len(original), original[-1].hash)
    assert problem.seq is None
    assert "the history has 5 events but the case records 4" in problem.problem


def test_a_head_whose_hash_differs_is_a_mismatch_even_with_the_right_length() -> None:
    original = _chain()
    [problem] = verify_chain("C1", original, len(original), "f" * 64)
    assert "appended outside Rutin" in problem.problem


def test_only_the_first_problem_in_a_stream_is_reported() -> None:
    events = _chain()
    events[0] = replace(events[0], actor="mallory")
    events[2] = replace(events[2], actor="mallory")
    assert _verify(events) == ["C1: event 1: was altered after it was written (hash mismatch)"]


def test_the_hash_is_sha256_of_the_sorted_compact_json_of_every_field_but_the_hash() -> None:
    # pinned independently of engine.history: chains stored by any version must keep verifying
    event = _chain(2)[1]
    body = {k: v for k, v in event.to_json().items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert event.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_sealed_event_is_the_event_its_fields_make() -> None:
    event = _chain(1)[0]
    assert event == Event(*(getattr(event, f.name) for f in fields(Event)))
    assert seal("C1", 1, T0, "anna", "case_started", prev_hash=GENESIS).data == {}


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@given(_JSON)
def test_the_compact_encoders_write_what_json_dumps_writes(value: Any) -> None:
    for sort_keys in (True, False):
        expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)
        assert compact_json(sort_keys=sort_keys)(value) == expected


def test_the_compact_encoder_refuses_what_json_refuses() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        compact_json(sort_keys=True)({"at": datetime(2024, 1, 1, tzinfo=UTC)})
