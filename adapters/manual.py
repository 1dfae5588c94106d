"""The manual adapter: the person is the system. Waits become questions to confirm, actions instructions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from engine.ports import OutboxItem
from engine.values import JsonValue


class ManualAdapter:
    name = "manual"
    answers_by_person = True
    simulates = False

    def ask(self, system: str, query: str, args: Mapping[str, JsonValue], at: datetime) -> bool | None:
        return None  # a person answers through the wait's confirm / not-yet buttons

    def perform(self, item: OutboxItem) -> None:
        return None  # the person did it in the real system; nothing to simulate
