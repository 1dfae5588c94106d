"""Clocks: the system's, a fixed one for --now, and one read from a file (training, simulation and tests)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path

from engine.errors import RutinError


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """Stands still until moved; tests move it instead of sleeping."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a fixed clock needs an aware datetime")
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta

    def set(self, moment: datetime) -> None:
        self.moment = moment


class FileClock:
    """Reads an ISO-8601 time from a file on every call: a training or test clock another process can move.

    `rutin web --clock-file PATH` uses it so end-to-end tests move time by writing the file. A time without a
    zone is Swedish local time. A missing or unreadable file is an error that names the file, never the real time.
    """

    def __init__(self, path: Path, zone: tzinfo) -> None:
        self.path = path
        self.zone = zone

    def now(self) -> datetime:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise RutinError(
                f"cannot read the clock file {self.path}: {exc.strerror}",
                "write an ISO-8601 time into it, e.g. 2024-06-03T10:30",
                sv=(
                    f"kan inte läsa klockfilen {self.path}: {exc.strerror}",
                    "skriv en ISO-8601-tid i den, t.ex. 2024-06-03T10:30",
                ),
            ) from exc
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise RutinError(
                f"the clock file {self.path} holds '{text[:40]}', not an ISO-8601 time",
                "write e.g. 2024-06-03T10:30 (Swedish time) or 2024-06-03T08:30+00:00",
                sv=(
                    f"klockfilen {self.path} innehåller '{text[:40]}', inte en ISO-8601-tid",
                    "skriv t.ex. 2024-06-03T10:30 (svensk tid) eller 2024-06-03T08:30+00:00",
                ),
            ) from exc
        return (moment if moment.tzinfo else moment.replace(tzinfo=self.zone)).astimezone(UTC)
