"""Which adapter answers for which system (BER, ED, Ping Pong, ...): configuration, not code."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from engine.ports import SystemAdapter


@runtime_checkable
class Recoverable(Protocol):
    """An adapter that hands its questions to a person while its system is down (adapters.fallback)."""

    name: str

    def recover(self, at: datetime) -> bool:
        """Probe the real system; True when it answers again and the person is no longer needed."""
        ...


@dataclass
class Systems:
    """A default adapter and per-system overrides; `manual` tells the engine who answers a wait."""

    default: SystemAdapter
    overrides: Mapping[str, SystemAdapter] = field(default_factory=dict)

    def adapter_for(self, system: str) -> SystemAdapter:
        return self.overrides.get(system, self.default)

    @property
    def manual(self) -> ManualSystems:
        return ManualSystems(self)

    def recoverable(self) -> Iterator[tuple[str, Recoverable]]:
        """The systems answered through a fallback, with their adapter (each once)."""
        for system, adapter in self.overrides.items():
            if isinstance(adapter, Recoverable):
                yield system, adapter

    def describe(self) -> dict[str, str]:
        described = {"*": self.default.name}
        described.update({name: a.name for name, a in self.overrides.items()})
        return described


@dataclass(frozen=True)
class ManualSystems:
    """The systems whose adapter is a person: `system in systems.manual`."""

    systems: Systems

    def __contains__(self, system: object) -> bool:
        return isinstance(system, str) and self.systems.adapter_for(system).answers_by_person


def supports(adapter: SystemAdapter, query: str) -> bool:
    """Whether an adapter that answers by itself can answer `query`. An adapter that reads a real system says
    which it can (`supports`); one that says nothing (the sandbox) answers every catalogue query."""
    from engine.catalogue import QUERIES

    check = getattr(adapter, "supports", None)
    return bool(check(query)) if callable(check) else query in QUERIES


class EverySystem:
    """Every system counts as manual: replay allows the person's answers wherever they were given."""

    def __contains__(self, system: object) -> bool:
        return True
