"""Diagnostics: one problem in a procedure file, located to line and column, with a hint.

They are a product for process owners: printed one per line as `path:line:col: severity: message  [code]`
with an indented hint, sorted by position and closed by a count. Codes are stable; `--json` emits `to_json()`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    path: str
    line: int  # 1-based
    column: int  # 1-based

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: Location | None = None
    hint: str | None = None
    severity: Severity = "error"

    def format(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}: {self.message}  [{self.code}]"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        loc = self.location
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": loc.path if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "hint": self.hint,
        }


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    if d.location is None:
        return ("", 0, 0, d.code)
    return (d.location.path, d.location.line, d.location.column, d.code)


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=_sort_key)


def format_report(diagnostics: Sequence[Diagnostic]) -> str:
    """All diagnostics, sorted, then a closing count such as `2 errors, 1 warning`."""
    ordered = sort_diagnostics(diagnostics)
    errors = sum(1 for d in ordered if d.severity == "error")
    warnings = len(ordered) - errors
    lines = [d.format() for d in ordered]
    lines.append(f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    return "\n".join(lines)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelling, or None when nothing is close."""
    import difflib  # only on the error path

    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def allowed_hint(candidates: Iterable[str]) -> str:
    names = sorted(set(candidates))
    return "allowed: " + ", ".join(names) if names else "nothing is allowed here"


def hint_for(word: str, candidates: Iterable[str]) -> str:
    """'did you mean X?' when one is close, else the list of what is allowed."""
    pool = list(candidates)
    return did_you_mean(word, pool) or allowed_hint(pool)
