"""The garbage collector's settings over a `rutin` process's life (commands/collector.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from commands.collector import LONG_RUN, START_UP
from tests.conftest import ROOT

# runs `rutin ARGS...` in-process and prints the collector's state when the process exits, after main has returned
EXIT_PROBE = """
import atexit, gc, sys
import cli

atexit.register(lambda: print("GC", gc.get_threshold(), gc.get_freeze_count(), flush=True))
cli.main()
"""

# `rutin worker` with its loop replaced: prints the collector's state at the moment the loop would start
LOOP_PROBE = """
import gc, sys
import cli, worker.loop

def run_forever(*args, **kwargs):
    print("GC", gc.get_threshold(), gc.get_freeze_count(), flush=True)

worker.loop.run_forever = run_forever
cli.main()
"""


def run(script: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUTIN_DB": str(tmp_path / "rutin.db"), "RUTIN_PROCEDURES": str(ROOT / "procedures")}
    return subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def collector_state(done: subprocess.CompletedProcess[str]) -> tuple[str, int]:
    """The thresholds and the number of frozen objects the probe printed."""
    [line] = [line for line in done.stdout.splitlines() if line.startswith("GC ")]
    threshold, frozen = line[3:].rsplit(" ", 1)
    return threshold, int(frozen)


def test_a_short_command_collects_young_objects_rarely_and_leaves_the_rest_frozen_for_exit(tmp_path: Path) -> None:
    done = run(EXIT_PROBE, tmp_path, "procedures", "list")

    assert done.returncode == 0, done.stderr
    threshold, frozen = collector_state(done)
    assert threshold == str(START_UP)
    assert frozen > 40_000  # SQLAlchemy and the engine: the interpreter's last collection does not walk them


def test_a_refused_command_still_freezes_on_its_way_out(tmp_path: Path) -> None:
    assert run(EXIT_PROBE, tmp_path, "--as", "anna", "users", "add", "anna").returncode == 0  # the database
    done = run(EXIT_PROBE, tmp_path, "--as", "okand", "case", "show", "R-NOSUCH")

    assert done.returncode == 1
    assert "'okand'" in done.stderr  # an unknown user: refused after the service (and SQLAlchemy) was loaded
    assert collector_state(done)[1] > 40_000


def test_the_long_running_worker_settles_to_the_long_run_thresholds(tmp_path: Path) -> None:
    assert run(EXIT_PROBE, tmp_path, "--as", "anna", "users", "add", "anna").returncode == 0  # the database
    done = run(LOOP_PROBE, tmp_path, "worker", "--no-mail")

    assert done.returncode == 0, done.stderr
    threshold, frozen = collector_state(done)
    assert threshold == str(LONG_RUN)
    assert frozen > 40_000
