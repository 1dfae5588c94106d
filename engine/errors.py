"""The few exceptions Rutin raises, each carrying the data a caller needs to explain itself.

The CLI and the web turn these into a message and an exit code; nothing below them prints.
Every message is written for the person who caused it: what was wrong, and what to do instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.diagnostics import Diagnostic


class RutinError(Exception):
    """Base of every error a user can cause. `hint` says how to fix it.

    `message` is English; `sv` carries the Swedish message and hint that administrators read (the CLI and the
    web show `localized(lang)`).
    """

    def __init__(self, message: str, hint: str | None = None, *, sv: tuple[str, str | None] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.sv = sv

    def localized(self, lang: str) -> tuple[str, str | None]:
        if lang == "sv" and self.sv is not None:
            return self.sv
        return self.message, self.hint


class ProcedureInvalid(RutinError):
    """A procedure file (or text) failed to load; `diagnostics` holds every problem found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        super().__init__(f"procedure is invalid: {len(errors)} error(s)")


class InvalidValue(RutinError):
    """A value given for a typed input or field does not parse (bad personnummer, date, ...)."""

    def __init__(
        self, name: str, message: str, hint: str | None = None, *, sv: tuple[str, str | None] | None = None
    ) -> None:
        super().__init__(f"{name}: {message}", hint, sv=(f"{name}: {sv[0]}", sv[1]) if sv else None)
        self.name = name


class NotFound(RutinError):
    """An unknown case, procedure or user."""


class ActionRefused(RutinError):
    """The action is not possible now: wrong step, missing role, or a rule that does not hold.

    `recorded` is true when the refusal was written to the case's history (role and rule refusals are;
    typing mistakes such as an unknown action are not).
    """

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        *,
        state: str | None = None,
        rule: str | None = None,
        cite: str | None = None,
        recorded: bool = False,
        sv: tuple[str, str | None] | None = None,
    ) -> None:
        super().__init__(message, hint, sv=sv)
        self.state = state
        self.rule = rule
        self.cite = cite
        self.recorded = recorded
        self.translations: dict[str, str] = {}  # the message in other languages, e.g. a check's message_en


class StaleCase(RutinError):
    """Someone else moved the case on between reading it and writing the step."""

    def __init__(self, case_id: str, expected: int, found: int | None, state: str | None = None) -> None:
        where = f" (it is now at step '{state}')" if state else ""
        where_sv = f" (det står nu vid steget '{state}')" if state else ""
        super().__init__(
            f"case {case_id} has moved on since you read it{where}; nothing was saved",
            "show the case again and do the step that is current now",
            sv=(
                f"ärendet {case_id} har gått vidare sedan du läste det{where_sv}; ingenting sparades",
                "visa ärendet igen och gör det steg som står på tur nu",
            ),
        )
        self.case_id = case_id
        self.expected = expected
        self.found = found


class AdapterError(RutinError):
    """Another system did not answer as expected. `retryable` tells the worker whether to try again."""

    def __init__(self, message: str, hint: str | None = None, *, retryable: bool) -> None:
        super().__init__(message, hint)
        self.retryable = retryable


class IntegrityError(RutinError):
    """The stored history does not agree with itself (tampering, or a replay that differs)."""


class InvalidInputs(RutinError):
    """One or more values given for a case's inputs or a step's fields were refused; nothing was saved."""

    def __init__(self, problems: Sequence[InvalidValue]) -> None:
        self.problems = list(problems)
        lines = "; ".join(p.message for p in self.problems)
        hints = [f"{p.name}: {p.hint}" for p in self.problems if p.hint]
        super().__init__(lines, "; ".join(hints) or None)
