"""The SS 12000 SystemAdapter: the registry questions of the procedures, answered from a synced copy.

It answers `grade_registered`, `in_group`, `group_exists` and `has_grader`; SS 12000 has no notion of a locked
grade, an approved list or a received catalogue, so those are `unsupported` (non-retryable), and the fallback
adapter hands them to a person at once. It never changes anything: `perform` does nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx

from adapters.ss12000.client import RegistryError, Ss12000Client, Ss12000Settings
from adapters.ss12000.mirror import ENDPOINTS, Answers, GroupFacts, Mirror, SyncPolicy, sync
from engine.errors import RutinError
from engine.personnummer import swedish_date
from engine.ports import OutboxItem
from engine.values import JsonValue

SUPPORTED = frozenset({"grade_registered", "in_group", "group_exists", "has_grader"})


@dataclass(frozen=True)
class EndpointCheck:
    endpoint: str
    ok: bool
    error: RegistryError | None = None


class Ss12000Adapter:
    name = "ss12000"
    answers_by_person = False
    simulates = False

    def __init__(
        self,
        settings: Ss12000Settings | Callable[[], Ss12000Settings],
        *,
        system: str,
        policy: SyncPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        # A factory reads the secrets on first use, so a process that never asks (`rutin case show` in a shell
        # without the token's variable) never needs them.
        self._settings = settings if isinstance(settings, Ss12000Settings) else None
        self._make_settings = None if isinstance(settings, Ss12000Settings) else settings
        self.url = settings.shown_url if isinstance(settings, Ss12000Settings) else "(not read yet)"
        self.system = system
        self.policy = policy or SyncPolicy()
        self._transport = transport
        self._client: Ss12000Client | None = None
        self.mirror = Mirror()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Ss12000Adapter({self.system}, {self.url})"

    def supports(self, query: str) -> bool:
        return query in SUPPORTED

    @property
    def settings(self) -> Ss12000Settings:
        if self._settings is None:
            assert self._make_settings is not None
            try:
                self._settings = self._make_settings()
            except RegistryError:
                raise
            except RutinError as exc:  # a secret that cannot be read: the system cannot be asked
                sv = exc.sv or (exc.message, exc.hint)
                raise RegistryError("config", exc.message, exc.hint or "", (sv[0], sv[1] or "")) from None
            self.url = self._settings.shown_url
        return self._settings

    @property
    def client(self) -> Ss12000Client:
        if self._client is None:  # built on first use: a configuration error surfaces where it can be reported
            self._client = Ss12000Client(self.settings, system=self.system, transport=self._transport)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def answers(self, at: datetime) -> Answers:
        """The copy as of `at`, synced first unless the last sync is recent enough."""
        with self._lock:
            last = self.mirror.synced_at
            if last is None or at - last >= self.policy.refresh or at < last:
                self.mirror = sync(self.client, self.mirror, at, self.policy)
            return Answers(self.mirror, self.system)

    def ask(self, system: str, query: str, args: Mapping[str, JsonValue], at: datetime) -> bool | None:
        if query not in SUPPORTED:
            raise RegistryError(
                "unsupported",
                f"{system}: SS 12000 cannot tell '{query}'",
                "configure manual (or a fallback) for this system, so a person answers this question",
                (
                    f"{system}: SS 12000 kan inte svara på '{query}'",
                    "låt en person svara (manual eller fallback) för det här systemet",
                ),
            )
        answers = self.answers(at)
        day = swedish_date(at)
        group = str(args.get("group", ""))
        if query == "grade_registered":
            return answers.grade_registered(str(args.get("student", "")), group, day)
        if query == "in_group":
            return answers.in_group(str(args.get("student", "")), group, day)
        if query == "group_exists":
            return answers.group_exists(group, day)
        return answers.has_grader(group, day)

    def reachable(self, at: datetime) -> None:
        """Sync now, whatever the refresh: proves the server answers, lets us read, and sends SS 12000."""
        with self._lock:
            self.mirror = sync(self.client, self.mirror, at, self.policy)

    def group_facts(self, group: str, at: datetime) -> GroupFacts:
        return self.answers(at).group_facts(group, swedish_date(at))

    def perform(self, item: OutboxItem) -> None:
        return None  # read-only: every change in the registry is a person's step

    def check(self) -> list[EndpointCheck]:
        """Can each endpoint the adapter reads be reached and read with this token?"""
        client = self.client  # settings that cannot be used (a secret, the TLS files) raise here, before any request
        results: list[EndpointCheck] = []
        for endpoint in [*ENDPOINTS, "deletedEntities"]:
            try:
                client.probe(endpoint)
            except RegistryError as exc:
                results.append(EndpointCheck(endpoint, False, exc))
                if exc.kind in ("config", "tls", "unreachable", "timeout"):
                    break  # the others would fail the same way
                continue
            results.append(EndpointCheck(endpoint, True))
        return results
