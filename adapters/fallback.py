"""A real adapter with a person behind it: when the real one is unreachable for too long, the person is asked.

`FallbackAdapter` asks the real adapter (SS 12000, the Ping Pong feed). A retryable failure (timeout, 5xx) starts
a clock, and so does a failure of the system as a whole that asking again will not cure by itself (a refused
token, a wrong URL, a body that is not SS 12000): someone may mend it within minutes. Once the real adapter has
failed for longer than `fallback_after`, the fallback engages and every question goes to a person (`ask` returns
None, as the manual adapter does). Until then each failure is raised, so the sweep reports it. A failure about one
case (a student or group the registry does not know, a question it cannot answer) is raised and never engages
the fallback: the system is fine, the case needs a look, and its wait runs overdue and escalates as usual.

Whether the fallback is engaged is recorded in the 'system' stream (`adapter_fallback` / `adapter_restored`),
because the person answers in another process (the CLI, the web) that must then offer the confirm buttons;
`answers_by_person` reads it from there. The worker probes the real adapter at each sweep while engaged and
restores it when it answers again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from engine.access import WORKER
from engine.errors import AdapterError
from engine.history import Event
from engine.ports import OutboxItem, SystemAdapter
from engine.values import JsonValue

ENGAGED, RESTORED = "adapter_fallback", "adapter_restored"
CASE_LEVEL = frozenset({"unknown_student", "unknown_group", "ambiguous", "unsupported"})
PROBE_EVERY = timedelta(minutes=1)
REREAD_SECONDS = 30.0  # a long-running process (the web) reads the engaged state again after this long


class RealAdapter(SystemAdapter, Protocol):
    def reachable(self, at: datetime) -> None:
        """Return when the system answers and lets us read; raise AdapterError otherwise."""
        ...


class FallbackLog(Protocol):
    """Where the engaged state is kept so every process sees it (the 'system' stream)."""

    def engaged(self, system: str) -> bool: ...

    def record(self, system: str, engaged: bool, at: datetime, reason: str) -> None: ...


class FallbackAdapter:
    """`real` answers while it can; a person answers when it cannot. `system` is the one it stands in for."""

    simulates = False

    def __init__(
        self, real: RealAdapter, system: str, fallback_after: timedelta, log: FallbackLog | None = None
    ) -> None:
        self.real = real
        self.system = system
        self.fallback_after = fallback_after
        self.log = log
        self.failing_since: datetime | None = None
        self.last_error: AdapterError | None = None
        self._engaged: bool | None = None  # read from the log on first use
        self._read_at = 0.0
        self._probed_at: datetime | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FallbackAdapter({self.real!r} -> manual after {self.fallback_after})"

    @property
    def name(self) -> str:
        return self.real.name  # the source of an automatic answer is always the real adapter

    @property
    def engaged(self) -> bool:
        stale = time.monotonic() - self._read_at > REREAD_SECONDS
        if self._engaged is None or (stale and self.log is not None):
            self._engaged = self.log.engaged(self.system) if self.log is not None else bool(self._engaged)
            self._read_at = time.monotonic()
        return self._engaged

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
                    self.failing_since = None  # the system answered; this case needs a look
                    raise
                if self.failing_since is None:
                    self.failing_since = at
                if at - self.failing_since < self.fallback_after:
                    raise
                self._engage(at, exc)
            return None
        with self._lock:
            self.failing_since = None
        return answer

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
            self._engaged = False
            self._read_at = time.monotonic()
            self.failing_since = None
            if self.log is not None:
                self.log.record(self.system, False, at, f"{self.real.name} answers again")
        return True

    def _engage(self, at: datetime, exc: AdapterError) -> None:
        self._engaged = True
        self._read_at = time.monotonic()
        if self.log is not None:
            since = self.failing_since or at
            self.log.record(
                self.system, True, at, f"{self.real.name} unreachable since {since.isoformat()}: {exc.message}"
            )

    def perform(self, item: OutboxItem) -> None:
        return None  # real systems are changed by people


class StoreFallbackLog:
    """The engaged state as events of the 'system' stream: audited, and seen by every process."""

    def __init__(self, store: SystemStream) -> None:
        self.store = store

    def engaged(self, system: str) -> bool:
        for event in reversed(self.store.events("system")):
            if event.kind in (ENGAGED, RESTORED) and event.data.get("system") == system:
                return event.kind == ENGAGED
        return False

    def record(self, system: str, engaged: bool, at: datetime, reason: str) -> None:
        self.store.append_system_event(
            WORKER, at, ENGAGED if engaged else RESTORED, {"system": system, "reason": reason}
        )


class SystemStream(Protocol):
    def events(self, stream: str) -> list[Event]: ...

    def append_system_event(self, actor: str, at: datetime, kind: str, data: Mapping[str, JsonValue]) -> None: ...
