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


def probe(script: str, tmp_path: Path, *args: str) -> tuple[str, int]:
    env = {**os.environ, "RUTIN_DB": str(tmp_path / "rutin.db"), "RUTIN_PROCEDURES": str(ROOT / "procedures")}
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("GC ")]
    threshold, frozen = line[3:].rsplit(" ", 1)
    return threshold, int(frozen)


def test_a_short_command_collects_young_objects_rarely_and_leaves_the_rest_frozen_for_exit(tmp_path: Path) -> None:
    threshold, frozen = probe(EXIT_PROBE, tmp_path, "procedures", "list")
    assert threshold == str(START_UP)
    assert frozen > 50_000  # SQLAlchemy and the engine: the interpreter's last collection does not walk them


def test_a_refused_command_still_freezes_on_its_way_out(tmp_path: Path) -> None:
    env = {**os.environ, "RUTIN_DB": str(tmp_path / "rutin.db"), "RUTIN_PROCEDURES": str(ROOT / "procedures")}
    done = subprocess.run(
        [sys.executable, "-c", EXIT_PROBE, "--as", "okand", "case", "show", "R-NOSUCH"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "'okand'" in done.stderr  # an unknown user: refused after the service (and SQLAlchemy) was loaded
    [line] = [line for line in done.stdout.splitlines() if line.startswith("GC ")]
    assert int(line.rsplit(" ", 1)[1]) > 50_000


def test_the_long_running_worker_settles_to_the_long_run_thresholds(tmp_path: Path) -> None:
    threshold, frozen = probe(LOOP_PROBE, tmp_path, "worker", "--no-mail")
    assert threshold == str(LONG_RUN)
    assert frozen > 50_000
