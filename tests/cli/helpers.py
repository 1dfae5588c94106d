"""`rutin` run as a person runs it, for the CLI tests: a fresh interpreter, a known environment, no shell.

The environment starts from the test runner's without any RUTIN_ variable, so a developer's own settings
(a database, adapters, a language) never leak into a test; each test then says what it sets.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import PROCEDURES, ROOT

COMMAND = (sys.executable, "-c", "import cli; cli.main()")
PROC = "avregistrering-betyg"
# the grade revocation's shortest route (the student never read the course), as `case start`'s --set arguments
START_INPUTS = (
    "--set",
    "personnummer=19121212-1212",
    "--set",
    "orsak=ej_last",
    "--set",
    "kurskod=MATMAT01a",
    "--set",
    "betygsgrupp=MA1A-HT24",
)
NOW = "2024-06-03T10:00"  # a Monday in Swedish summer time: the training clock most CLI tests run on


def clean_environment(**settings: str) -> dict[str, str]:
    """The runner's environment without RUTIN_ variables, plus `settings`."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}, **settings}


def run_rutin(
    *args: str, env: Mapping[str, str], cwd: Path = ROOT, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`rutin ARGS` with exactly `env`; the exit code and both outputs are the caller's to check."""
    return subprocess.run(
        [*COMMAND, *args], check=False, capture_output=True, text=True, env=dict(env), cwd=cwd, timeout=timeout
    )


class Cli:
    """`rutin` for one test: its own SQLite file, a procedures folder (the shipped one unless given), a user.

    `lang` is RUTIN_LANG (None: the default, Swedish) and `now` the training clock given as --now (None: none).
    A call may change the user, the clock or any variable (`env`, where None removes it) for that call only.
    """

    def __init__(
        self,
        tmp_path: Path,
        *,
        db: str = "rutin.db",
        procedures: Path = PROCEDURES,
        user: str = "anna",
        lang: str | None = "en",
        now: str | None = NOW,
    ) -> None:
        self.db = tmp_path / db
        self.now = now
        self.env = clean_environment(RUTIN_DB=str(self.db), RUTIN_USER=user, RUTIN_PROCEDURES=str(procedures))
        if lang is not None:
            self.env["RUTIN_LANG"] = lang

    def __call__(
        self,
        *args: str,
        user: str | None = None,
        now: str | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        changes: dict[str, str | None] = {**(env or {}), **({"RUTIN_USER": user} if user else {})}
        called = {k: v for k, v in {**self.env, **changes}.items() if v is not None}
        clock = now or self.now
        return run_rutin(*(("--now", clock) if clock else ()), *args, env=called)

    def dump(self) -> list[str]:
        """Every row of the database as SQL, to show that a refused command wrote nothing."""
        with sqlite3.connect(self.db) as conn:
            return list(conn.iterdump())


def start_case(cli: Cli) -> str:
    """Start a grade revocation on the shortest route; its case id."""
    done = cli("case", "start", PROC, *START_INPUTS)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
