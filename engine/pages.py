"""What the web app's pages show, as plain data the application layer builds (`Rutin.my_cases`, `case_page`, ...).

Like engine/views.py these read nothing themselves; the service fills them after checking who may see what.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from engine.history import Event
from engine.views import CaseView, FieldView

if TYPE_CHECKING:
    from engine.audit import ReplayReport, VerifyReport
    from engine.diagnostics import Diagnostic


@dataclass(frozen=True)
class ListedCase:
    view: CaseView
    may_act: bool  # the person may press this step's buttons


@dataclass(frozen=True)
class CaseList:
    cases: list[ListedCase]
    page: int
    has_more: bool


@dataclass(frozen=True)
class CasePage:
    view: CaseView
    may_act: bool
    events: list[Event]
    refusals: list[Event]  # refused attempts at the current step, newest first, with the rule and its sentence


@dataclass(frozen=True)
class StartForm:
    procedure: str
    title: str
    fields: list[FieldView]


@dataclass(frozen=True)
class StepCount:
    step: str
    title: str
    cases: int


@dataclass(frozen=True)
class VersionSummary:
    hash: str
    current: bool  # the version the procedure file gives now
    open_cases: int
    steps: list[StepCount]


@dataclass(frozen=True)
class ProcedureSummary:
    id: str
    title: str
    path: str
    revision: str | None
    valid: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    versions: list[VersionSummary] = field(default_factory=list)

    def without_folder(self) -> ProcedureSummary:
        """The summary as a web page shows it: the file named relative to the procedures folder, in its path and
        in every diagnostic's location, message and hint; where the server keeps its files is not for browsers."""
        folder = str(Path(self.path).parent)

        def strip(text: str | None) -> str | None:
            if text is None or folder in ("", "."):
                return text
            return text.replace(folder + "/", "").replace(folder, ".")

        diagnostics = [
            replace(
                d,
                message=strip(d.message) or "",
                hint=strip(d.hint),
                location=replace(d.location, path=Path(d.location.path).name) if d.location else None,
            )
            for d in self.diagnostics
        ]
        return replace(self, path=Path(self.path).name, diagnostics=diagnostics)


@dataclass(frozen=True)
class AuditPage:
    view: CaseView
    replay: ReplayReport
    verify: VerifyReport
    events: list[Event]
