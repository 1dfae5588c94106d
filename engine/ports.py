"""The small interfaces the application layer needs from the outside world.

Each has an in-memory or SQL implementation in `adapters/`, and one contract test suite runs over every
implementation. The engine never imports an adapter; `cli.py` (the composition root) wires them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from engine.access import User
from engine.case import Case, DisplayStatus
from engine.history import Event

if TYPE_CHECKING:
    from engine.deadlines import Timer
from engine.values import JsonValue


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


@dataclass(frozen=True)
class OutboxItem:
    """Something to do outside Rutin after a step commits: a mail to send, an action to simulate."""

    id: int | None
    case_id: str
    seq: int  # the event that caused it
    kind: Literal["mail", "perform"]
    payload: dict[str, JsonValue]
    created_at: datetime
    key: str  # unique per item; the mail's Message-ID is built from it, so every attempt carries the same one
    status: Literal["pending", "done", "failed"] = "pending"
    attempts: int = 0


@dataclass(frozen=True)
class TimerRow:
    """A stored deadline timer that fell due."""

    case_id: str
    key: str
    deadline: str
    kind: str  # reminder or deadline
    fire_at: datetime
    due: datetime


@dataclass(frozen=True)
class CaseFilter:
    """Which cases to list. The fields after `limit` serve the web's "Mina ärenden" and its paging."""

    status: DisplayStatus | None = None
    procedure_id: str | None = None
    limit: int = 200
    statuses: tuple[DisplayStatus, ...] = ()  # any of these (when `status` is None)
    procedure_ids: tuple[str, ...] | None = None  # only these procedures (None: any); () matches nothing
    student: str | None = None  # a personnummer, as stored (normalised)
    student_fields: tuple[str, ...] = ()  # the names of the inputs and fields that hold a student
    group: str | None = None
    group_fields: tuple[str, ...] = ()
    offset: int = 0
    urgent_first: bool = False  # overdue first, then the soonest expected, then the most recently changed


@dataclass(frozen=True)
class SystemEvents:
    """The 'system' stream read on from where a reader stopped (`CaseStore.system_events_after`)."""

    head: int  # the stream's version when read: every event up to it has been looked at, those of other kinds skipped
    head_hash: str | None  # the hash of event `head` (None while the stream is empty)
    events: list[Event]  # the events of the asked kinds after the given seq, up to `head`, oldest first
    seen_hash: str | None  # the hash of the event numbered as the given seq, as stored now (None when there is none)


@dataclass(frozen=True)
class Identity:
    """Who signed in, as an identity provider vouches for it (local passwords now, single sign-on later)."""

    name: str  # the Rutin user name; roles and tasks come from the user, not from the provider
    method: str  # "password", later e.g. "saml"


class Authenticator(Protocol):
    """Checks credentials. Another provider (single sign-on) implements this and nothing else changes."""

    def authenticate(self, name: str, password: str) -> Identity | None:
        """The identity when the credentials hold, else None (never says which part was wrong)."""
        ...

    def set_password(self, name: str, password: str) -> None:
        """Store a new password for a known user (hashed); raise NotFound for an unknown user."""
        ...


@dataclass(frozen=True)
class Session:
    token: str  # only in the cookie; the store keeps its hash
    identity: Identity
    created_at: datetime
    expires_at: datetime


class SessionStore(Protocol):
    """Server-side sessions with an idle and an absolute expiry, shared by every web worker."""

    def open(self, identity: Identity, now: datetime) -> Session: ...

    def resume(self, token: str, now: datetime, *, renew: bool = True) -> Session | None:
        """The live session for the token, its idle time renewed unless `renew` is false (a page's own polling is
        no sign of a person); None when unknown or expired (then removed)."""
        ...

    def close(self, token: str) -> None: ...

    def close_all(self, name: str) -> int:
        """End every session of a user (after a password change); how many there were."""
        ...


@dataclass(frozen=True)
class Throttled:
    """A sign-in attempt refused before any password check: too many failures for its name or its address."""

    scope: Literal["name", "address"]
    until: datetime  # when the window that holds the failures ends and attempts are checked again
    first: bool  # the first refusal of this lock (the one written to the audit history; a flood adds nothing)


class SignInThrottle(Protocol):
    """Counts failed sign-ins per user name and per client address, shared by every web process on one database."""

    def admit(self, name: str, address: str, now: datetime) -> Throttled | None:
        """None when the attempt may check its password, counted as a failure until `succeeded`; else the lock."""
        ...

    def succeeded(self, name: str, address: str, now: datetime) -> None:
        """The password held: clear the name's failures and give back the address's counted attempt."""
        ...

    def forget(self, name: str, address: str, now: datetime) -> None:
        """The admitted attempt was never checked (the server was busy): give back what `admit` counted."""
        ...


class CaseStore(Protocol):
    """Cases, their histories, the outbox, pinned procedure texts and users, with optimistic locking."""

    @property
    def supports_many_workers(self) -> bool:
        """Whether several worker processes may share this store (PostgreSQL yes, SQLite one at a time)."""
        ...

    def save_procedure_version(
        self, procedure_hash: str, procedure_id: str, text: str, data: str, at: datetime
    ) -> None:
        """Store a version once: its exact text and its validated data as JSON."""
        ...

    def procedure_hashes(self) -> list[str]: ...

    def procedure_versions(self, procedure_id: str) -> list[tuple[str, datetime]]:
        """The stored versions of one procedure (hash, when stored), oldest first."""
        ...

    def procedure_version(self, procedure_hash: str) -> tuple[str, str]:
        """(text, validated data as JSON) of a stored version; raise NotFound."""
        ...

    def create_case(
        self, case: Case, events: Sequence[Event], outbox: Sequence[OutboxItem], planned: Sequence[Timer] = ()
    ) -> None: ...

    def load_case(self, case_id: str) -> Case:
        """Raise NotFound for an unknown id."""
        ...

    def commit(
        self,
        before: Case,
        after: Case,
        events: Sequence[Event],
        outbox: Sequence[OutboxItem],
        planned: Sequence[Timer] = (),
        *,
        keep_lease: bool = False,
    ) -> None:
        """Write a step atomically; raise StaleCase when the case is no longer at `before.version`.

        A write ends any worker's claim on the case, unless `keep_lease` (the worker's own write mid-sweep)."""
        ...

    def update_wait(self, before: Case, after: Case) -> bool:
        """Change only the wait bookkeeping (no event); False when the case moved on meanwhile."""
        ...

    def append_refusal(self, before: Case, event: Event) -> None:
        """Record a refused attempt in the case's history; raise StaleCase like `commit`."""
        ...

    def append_note(self, before: Case, event: Event) -> None:
        """Append an event that leaves the case row as it is (a comment); raise StaleCase like `commit`."""
        ...

    def open_cases_by_step(self, procedure_id: str | None = None) -> list[tuple[str, str, str, int]]:
        """(procedure id, version hash, step, how many) of the cases not done (of one procedure, when given)."""
        ...

    def events(self, stream: str) -> list[Event]: ...

    def streams(self) -> list[tuple[str, int, str]]:
        """Every stream's id, version and head hash (cases and 'system')."""
        ...

    def stream_head(self, stream: str) -> tuple[int, str] | None:
        """One stream's version and head hash, or None when there is no such stream."""
        ...

    def list_cases(self, flt: CaseFilter, now: datetime) -> list[Case]: ...

    def count_cases(self, now: datetime) -> dict[DisplayStatus, int]: ...

    def due_cases(self, now: datetime, limit: int) -> list[str]:
        """Ids of waiting cases whose next check or overdue moment has come, oldest first."""
        ...

    def pending_outbox(self, kind: str, now: datetime, limit: int, case_id: str | None = None) -> list[OutboxItem]: ...

    def outbox_items(self, case_id: str | None = None) -> list[OutboxItem]: ...

    def mark_outbox(self, item_id: int, status: Literal["done", "failed", "pending"], attempts: int) -> None: ...

    def claim_due_cases(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[str]:
        """Lease the due waiting cases to `owner`: no other worker gets them until the lease ends."""
        ...

    def claim_outbox(self, kind: str, now: datetime, owner: str, lease: timedelta, limit: int) -> list[OutboxItem]: ...

    def mark_sent(self, item_id: int, at: datetime, attempts: int) -> None: ...

    def renew_outbox_lease(self, item_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
        """Extend this owner's claim on a pending item; False when the claim ran out and someone else has it."""
        ...

    def retry_later(self, item_id: int, attempts: int, at: datetime, error: str, *, give_up: bool = False) -> None: ...

    def claim_due_timers(self, now: datetime, owner: str, lease: timedelta, limit: int) -> list[TimerRow]: ...

    def close_timer(
        self,
        timer: TimerRow,
        status: Literal["fired", "met"],
        at: datetime,
        items: Sequence[OutboxItem] = (),
        before: Case | None = None,
        after: Case | None = None,
        new_events: Sequence[Event] = (),
    ) -> None:
        """Close a due timer with its mail (and the case's event) in one transaction; a second close is a no-op."""
        ...

    def add_outbox_once(self, items: Sequence[OutboxItem]) -> int: ...

    def open_cases_of(self, actor: str) -> list[Case]: ...

    def register_worker(self, worker: str, now: datetime, *, single_only: bool, stale_after: timedelta) -> None: ...

    def heartbeat(self, worker: str, now: datetime) -> None: ...

    def unregister_worker(self, worker: str) -> None: ...

    def load_step(self, case_id: str, actor: str) -> tuple[User | None, Case]:
        """The acting user (None when unknown) and the case, in one read; raise NotFound for the case."""
        ...

    def get_user(self, name: str) -> User | None: ...

    def save_user(self, user: User, actor: str, at: datetime, *, only_if_first: bool = False) -> bool:
        """Create or replace a user, recording it in the 'system' stream. With `only_if_first`, save only while
        there is no user at all, deciding that inside the write (two first users at once: one wins); returns
        whether the user was saved."""
        ...

    def list_users(self) -> list[User]: ...

    def append_system_event(self, actor: str, at: datetime, kind: str, data: Mapping[str, JsonValue]) -> None: ...

    def system_events_after(self, seq: int, kinds: Collection[str]) -> SystemEvents:
        """The 'system' stream's events of these kinds numbered after `seq`, up to its head, oldest first.

        Others are skipped in the database, not transferred. A reader keeps `head` and `head_hash` and reads on
        from them; a `seen_hash` that differs from the `head_hash` it kept means the stream it read was replaced
        (a restored backup), so it reads again from 0."""
        ...


class SystemAdapter(Protocol):
    """Another system (BER, ED, Ping Pong, Ladok...) as Rutin sees it: questions and simulated actions.

    `ask` answers a catalogue query (engine.catalogue.QUERIES) with True/False, or None when a person must
    answer instead (the manual adapter). `perform` is only meaningful for simulations: real systems are
    changed by people, and the manual and read-only adapters do nothing. Failures raise AdapterError.
    """

    # Read-only properties, so an adapter may hold them as plain attributes or compute them (the fallback does)
    @property
    def name(self) -> str: ...

    @property
    def answers_by_person(self) -> bool: ...

    simulates: bool  # True only for the sandbox: its `perform` changes its simulated world

    def ask(self, system: str, query: str, args: Mapping[str, JsonValue], at: datetime) -> bool | None: ...

    def perform(self, item: OutboxItem) -> None: ...


class ProcedureSource(Protocol):
    """Where the current procedure files come from (a folder, for now)."""

    def ids(self) -> list[str]: ...

    def text(self, procedure_id: str) -> tuple[str, str]:
        """(text, path) of the current file for that id; raise NotFound."""
        ...

    def all(self) -> list[tuple[str, str]]:
        """(text, path) of every procedure file."""
        ...
