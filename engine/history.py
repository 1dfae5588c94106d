"""The event history of a case: append-only, each event sealed with a hash chained to the one before.

`seal` computes an event's hash over its canonical JSON and the previous hash; `verify_chain` recomputes a
stored chain and names the first event that was altered, removed or inserted. The stream's head (its
length and last hash, kept beside the case) catches a removed last event, which a chain alone cannot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

GENESIS = "0" * 64


def compact_json(*, sort_keys: bool) -> Callable[[Any], str]:
    """`json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=...)`, made once.

    `JSONEncoder.encode` builds its C routine anew on every call, a third of the cost of encoding an event; this
    builds it once. Same text byte for byte (tests compare the two); the plain encoder where there is no C one.
    """
    encoder = json.JSONEncoder(sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False)
    if c_make_encoder is None:
        return encoder.encode
    # markers=None: no circular-reference bookkeeping (JSON values built from JSON never refer to themselves)
    routine = c_make_encoder(None, encoder.default, encode_basestring, None, ":", ",", sort_keys, False, True)

    def encode(value: Any) -> str:
        return "".join(routine(value, 0))

    return encode


_canonical_text = compact_json(sort_keys=True)


EventKind = str  # case_started, step_done, wait_satisfied, wait_not_yet, wait_overdue, refused, user_added, ...


@dataclass(frozen=True)
class Event:
    stream: str  # a case id, or "system" for events that belong to no case
    seq: int  # 1-based position in its stream
    at: datetime
    actor: str
    kind: EventKind
    step: str | None
    action: str | None
    data: dict[str, Any]
    state: str | None  # the case's step after this event
    procedure_hash: str | None
    prev_hash: str
    hash: str

    def payload(self) -> dict[str, Any]:
        """What the hash covers: every field but the hash itself (`seal` hashes the same dict)."""
        return _payload(
            self.stream,
            self.seq,
            self.at,
            self.actor,
            self.kind,
            self.step,
            self.action,
            self.data,
            self.state,
            self.procedure_hash,
            self.prev_hash,
        )

    def to_json(self) -> dict[str, Any]:
        body = self.payload()
        body["hash"] = self.hash
        return body


def _payload(
    stream: str,
    seq: int,
    at: datetime,
    actor: str,
    kind: EventKind,
    step: str | None,
    action: str | None,
    data: dict[str, Any],
    state: str | None,
    procedure_hash: str | None,
    prev_hash: str,
) -> dict[str, Any]:
    # by hand rather than dataclasses.asdict, which deep-copies: this runs for every event written and verified
    return {
        "stream": stream,
        "seq": seq,
        "at": at.isoformat(),
        "actor": actor,
        "kind": kind,
        "step": step,
        "action": action,
        "data": data,
        "state": state,
        "procedure_hash": procedure_hash,
        "prev_hash": prev_hash,
    }


def canonical(payload: dict[str, Any]) -> bytes:
    return _canonical_text(payload).encode("utf-8")


def compute_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def seal(
    stream: str,
    seq: int,
    at: datetime,
    actor: str,
    kind: EventKind,
    *,
    prev_hash: str,
    step: str | None = None,
    action: str | None = None,
    data: dict[str, Any] | None = None,
    state: str | None = None,
    procedure_hash: str | None = None,
) -> Event:
    body = data or {}
    fields = {
        "stream": stream,
        "seq": seq,
        "at": at,
        "actor": actor,
        "kind": kind,
        "step": step,
        "action": action,
        "data": body,
        "state": state,
        "procedure_hash": procedure_hash,
        "prev_hash": prev_hash,
    }
    # the very payload Event.payload() gives, so the two can never hash different field lists
    digest = compute_hash(_payload(stream, seq, at, actor, kind, step, action, body, state, procedure_hash, prev_hash))
    # the fields set directly, as Case.evolve does: a frozen dataclass's __init__ sets each through
    # object.__setattr__, which costs as much as the hash; Event has no validation to run
    event = object.__new__(Event)
    event.__dict__.update(fields, hash=digest)
    return event


@dataclass(frozen=True)
class ChainProblem:
    stream: str
    seq: int | None
    problem: str
    problem_sv: str | None = None  # the same for the Swedish output of `audit verify`

    def __str__(self) -> str:
        where = f"event {self.seq}" if self.seq is not None else "its head"
        return f"{self.stream}: {where}: {self.problem}"

    def localized(self, lang: str) -> str:
        if lang != "sv" or self.problem_sv is None:
            return str(self)
        where = f"händelse {self.seq}" if self.seq is not None else "kedjans slut"
        return f"{self.stream}: {where}: {self.problem_sv}"


def verify_chain(stream: str, events: list[Event], head_version: int, head_hash: str) -> list[ChainProblem]:
    """Problems in one stream's chain, first one first; empty when the chain is intact."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_seq = 1
    for event in events:
        if event.seq != expected_seq:
            what, what_sv = (
                ("missing", "saknas")
                if event.seq > expected_seq
                else ("inserted or duplicated", "infogad eller dubblerad")
            )
            problems.append(
                ChainProblem(
                    stream,
                    expected_seq,
                    f"event {expected_seq} is {what} (found {event.seq})",
                    f"händelse {expected_seq} är {what_sv} (hittade {event.seq})",
                )
            )
            return problems
        if event.prev_hash != prev:
            problems.append(
                ChainProblem(
                    stream,
                    event.seq,
                    "does not link to the event before it (removed or inserted)",
                    "hänger inte ihop med händelsen före (borttagen eller infogad)",
                )
            )
            return problems
        if compute_hash(event.payload()) != event.hash:
            problems.append(
                ChainProblem(
                    stream,
                    event.seq,
                    "was altered after it was written (hash mismatch)",
                    "har ändrats efter att den skrevs (hashen stämmer inte)",
                )
            )
            return problems
        prev = event.hash
        expected_seq += 1
    if len(events) != head_version or prev != head_hash:
        problems.append(
            ChainProblem(
                stream,
                len(events) + 1 if len(events) < head_version else None,
                f"the history has {len(events)} events but the case records {head_version}: "
                "an event was removed or appended outside Rutin",
                f"historiken har {len(events)} händelser men ärendet anger {head_version}: "
                "en händelse har tagits bort eller lagts till utanför Rutin",
            )
        )
    return problems


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)
