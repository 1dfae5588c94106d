"""Which adapter answers for which system (BER, ED, Ping Pong, ...): configuration, not code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.ports import SystemAdapter


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


class EverySystem:
    """Every system counts as manual: replay allows the person's answers wherever they were given."""

    def __contains__(self, system: object) -> bool:
        return True
