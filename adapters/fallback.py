"""A real adapter with a person behind it: when the real one is unreachable for too long, the person is asked.

`FallbackAdapter` asks the real adapter (SS 12000, the Ping Pong feed). A retryable failure (timeout, 5xx) starts
a clock, and so does a failure of the system as a whole that asking again will not cure by itself (a refused
token, a wrong URL, a body that is not SS 12000): someone may mend it within minutes. Once the real adapter has
failed for longer than `fallback_after`, the fallback engages and every question goes to a person (`ask` returns
None, as the manual adapter does). Until then each failure is raised, so the sweep reports it. A failure about one
case (a student or group the registry does not know, a question it cannot answer) is raised and never engages
the fallback: the system is fine, the case needs a look, and its wait runs overdue and escalates as usual.

Everything the fallback knows is kept in the 'system' stream, never only in memory, because a worker may be one
`rutin worker --once` per cron run, and because the person answers in another process (the CLI, the web) that
must then offer the confirm buttons: `adapter_failing` when a system starts failing (the clock), `adapter_answered`
when it answers again before the fallback engaged (the clock stops), `adapter_fallback` when a person takes over
and `adapter_restored` when the system answers again. Only changes are written, so a system that stays down adds
two events, not one per sweep. The worker probes the real adapter while engaged (at most once a minute per
process) and restores it when it answers again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from engine.access import WORKER
from engine.errors import AdapterError
from engine.ports import OutboxItem, SystemAdapter, SystemEvents
from engine.values import JsonValue

ENGAGED, RESTORED = "adapter_fallback", "adapter_restored"
FAILING, ANSWERED = "adapter_failing", "adapter_answered"
KINDS = frozenset({ENGAGED, RESTORED, FAILING, ANSWERED})
CASE_LEVEL = frozenset({"unknown_student", "unknown_group", "ambiguous", "unsupported"})
PROBE_EVERY = timedelta(minutes=1)
REREAD_SECONDS = 30.0  # a long-running process (the web, the worker) reads the recorded state again after this long


class RealAdapter(SystemAdapter, Protocol):
    def reachable(self, at: datetime) -> None:
        """Return when the system answers and lets us read; raise AdapterError otherwise."""
        ...


@dataclass(frozen=True)
class FallbackState:
    """What the history says of one system: is a person answering for it, and since when has it been failing."""

    engaged: bool = False
    failing_since: datetime | None = None


HEALTHY = FallbackState()


def fold(system: str, recorded: Iterable[tuple[str, str, datetime]]) -> FallbackState:
    """The state of `system` after the recorded (kind, system, at) entries, oldest first.

    Two workers may both record that a system started failing (each saw it fail before seeing the other's
    event), not necessarily in the order of their moments: the earliest moment counts, so a second witness
    never restarts the clock."""
    state = HEALTHY
    for kind, about, at in recorded:
        if kind in KINDS and about == system:
            state = advance(state, kind, at)
    return state


def advance(state: FallbackState, kind: str, at: datetime) -> FallbackState:
    """The state of a system after one more recorded entry about it (one of KINDS)."""
    if kind == FAILING:
        if state.failing_since is None or at < state.failing_since:
            return FallbackState(state.engaged, at)
        return state
    if kind == ENGAGED:
        return FallbackState(True, state.failing_since or at)
    return HEALTHY  # answered or restored: the system answers, the clock stops


class FallbackLog(Protocol):
    """Where the fallback's state is kept so every process sees it (the 'system' stream)."""

    def state(self, system: str) -> FallbackState: ...

    def engaged(self, system: str) -> bool: ...

    def record(self, system: str, engaged: bool, at: datetime, reason: str) -> None: ...

    def record_failing(self, system: str, at: datetime, reason: str) -> None: ...

    def record_answered(self, system: str, at: datetime, reason: str) -> None: ...


class FallbackAdapter:
    """`real` answers while it can; a person answers when it cannot. `system` is the one it stands in for.

    Without a `log` (tests of the adapter alone) the state lives in a MemoryFallbackLog of its own."""

    simulates = False

    def __init__(
        self, real: RealAdapter, system: str, fallback_after: timedelta, log: FallbackLog | None = None
    ) -> None:
        self.real = real
        self.system = system
        self.fallback_after = fallback_after
        self.log: FallbackLog = log if log is not None else MemoryFallbackLog()
        self.last_error: AdapterError | None = None
        self._state: FallbackState | None = None  # read from the log on first use
        self._read_at = 0.0
        self._probed_at: datetime | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"FallbackAdapter({self.real!r} -> manual after {self.fallback_after})"

    @property
    def name(self) -> str:
        return self.real.name  # the source of an automatic answer is always the real adapter

    def _current(self, *, fresh: bool = False) -> FallbackState:
        """The recorded state, read again when asked to or when the copy is older than REREAD_SECONDS."""
        if fresh or self._state is None or time.monotonic() - self._read_at > REREAD_SECONDS:
            self._state = self.log.state(self.system)
            self._read_at = time.monotonic()
        return self._state

    def _keep(self, state: FallbackState) -> None:
        self._state = state
        self._read_at = time.monotonic()

    @property
    def engaged(self) -> bool:
        return self._current().engaged

    @property
    def failing_since(self) -> datetime | None:
        """When the system started failing without answering since, as recorded; None while it answers."""
        return self._current().failing_since

    def supports(self, query: str) -> bool:
        """The real adapter's questions: the others are handed to a person by the sweep's error, not here."""
        from engine.systems import supports

        return supports(self.real, query)

    @property
    def answers_by_person(self) -> bool:
        """While engaged, the wait's confirm buttons are offered: a person answers for the system."""
        return self.engaged

    def ask(self, system: str, query: str, args: Mapping[str, JsonValue], at: datetime) -> bool | None:
        if self.engaged:
            return None
        try:
            answer = self.real.ask(system, query, args, at)
        except AdapterError as exc:
            with self._lock:
                self.last_error = exc
                if getattr(exc, "kind", None) in CASE_LEVEL:
                    self._answered(at, f"{self.real.name} answers (about one case: {exc.message})")
                    raise  # the system answered; this case needs a look
                if not self._failed(at, exc):
                    raise
            return None
        with self._lock:
            self._answered(at, f"{self.real.name} answers again")
        return answer

    def _failed(self, at: datetime, exc: AdapterError) -> bool:
        """Count a failure of the whole system; True when a person answers from now on."""
        state = self._current()
        if state.failing_since is None or at - state.failing_since >= self.fallback_after:
            # Starting the clock or handing over: the history first. Another process may have started the
            # clock already, or seen the system answer since.
            state = self._current(fresh=True)
        if state.engaged:
            return True
        if state.failing_since is None:
            self._keep(FallbackState(False, at))
            self.log.record_failing(self.system, at, f"{self.real.name} fails: {exc.message}")
            return False
        if at - state.failing_since < self.fallback_after:
            return False
        self._engage(at, state.failing_since, exc)
        return True

    def _answered(self, at: datetime, reason: str) -> None:
        """The system answered: a running failure clock stops (written only when one was running)."""
        if self._current().failing_since is None:
            return
        self._keep(HEALTHY)
        self.log.record_answered(self.system, at, reason)

    def recover(self, at: datetime) -> bool:
        """While engaged, see whether the real adapter answers again; True when it was restored just now."""
        if not self.engaged:
            return False
        if self._probed_at is not None and timedelta(0) <= at - self._probed_at < PROBE_EVERY:
            return False  # a system that is down is not asked at every sweep: each probe may wait for a timeout
        self._probed_at = at
        try:
            self.real.reachable(at)
        except AdapterError as exc:
            self.last_error = exc
            return False
        with self._lock:
            self._keep(HEALTHY)
            self.log.record(self.system, False, at, f"{self.real.name} answers again")
        return True

    def _engage(self, at: datetime, since: datetime, exc: AdapterError) -> None:
        self._keep(FallbackState(True, since))
        self.log.record(self.system, True, at, f"{self.real.name} unreachable since {since.isoformat()}: {exc.message}")

    def perform(self, item: OutboxItem) -> None:
        return None  # real systems are changed by people


class StoreFallbackLog:
    """The fallback's state as events of the 'system' stream: audited, and seen by every process.

    Uses only the store's system-stream port (append and read), so it works alike on SQLite and PostgreSQL.
    The stream also holds every user change, refusal and sign-in, hundreds of thousands of events after a year,
    and `state` is asked at every sweep: so the state of every system is kept folded with the stream's head it
    was folded up to, and each call reads only the fallback's events after that head (the others are skipped
    in the database). Every call still reads the store, so another process's record is seen at once, and the
    result is always the fold of the whole stream as stored."""

    def __init__(self, store: SystemStream) -> None:
        self.store = store
        self._states: dict[str, FallbackState] = {}
        self._head = 0  # the 'system' stream's version the states are folded up to
        self._head_hash: str | None = None  # the hash of that event, to notice a stream replaced under us
        self._lock = threading.Lock()  # the adapters of one process (one per system) share this log

    def state(self, system: str) -> FallbackState:
        with self._lock:
            self._catch_up()
            return self._states.get(system, HEALTHY)

    def engaged(self, system: str) -> bool:
        return self.state(system).engaged

    def record(self, system: str, engaged: bool, at: datetime, reason: str) -> None:
        self._append(ENGAGED if engaged else RESTORED, system, at, reason)

    def record_failing(self, system: str, at: datetime, reason: str) -> None:
        self._append(FAILING, system, at, reason)

    def record_answered(self, system: str, at: datetime, reason: str) -> None:
        self._append(ANSWERED, system, at, reason)

    def _append(self, kind: str, system: str, at: datetime, reason: str) -> None:
        self.store.append_system_event(WORKER, at, kind, {"system": system, "reason": reason})

    def _catch_up(self) -> None:
        read = self.store.system_events_after(self._head, KINDS)
        if read.seen_hash != self._head_hash:  # not the stream folded so far (a restored backup): fold it anew
            self._states, self._head, self._head_hash = {}, 0, None
            read = self.store.system_events_after(0, KINDS)
        for e in read.events:
            system = str(e.data.get("system"))
            self._states[system] = advance(self._states.get(system, HEALTHY), e.kind, e.at)
        self._head, self._head_hash = read.head, read.head_hash


class MemoryFallbackLog:
    """The in-memory twin of StoreFallbackLog: one process only, for tests and an adapter used alone."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, datetime, str]] = []  # kind, system, at, reason

    def state(self, system: str) -> FallbackState:
        return fold(system, ((kind, about, at) for kind, about, at, _ in self.entries))

    def engaged(self, system: str) -> bool:
        return self.state(system).engaged

    def record(self, system: str, engaged: bool, at: datetime, reason: str) -> None:
        self.entries.append((ENGAGED if engaged else RESTORED, system, at, reason))

    def record_failing(self, system: str, at: datetime, reason: str) -> None:
        self.entries.append((FAILING, system, at, reason))

    def record_answered(self, system: str, at: datetime, reason: str) -> None:
        self.entries.append((ANSWERED, system, at, reason))


class SystemStream(Protocol):
    """The part of the store's port (engine.ports.CaseStore) the log uses."""

    def system_events_after(self, seq: int, kinds: Collection[str]) -> SystemEvents: ...

    def append_system_event(self, actor: str, at: datetime, kind: str, data: Mapping[str, JsonValue]) -> None: ...
