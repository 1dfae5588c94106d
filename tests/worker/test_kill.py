"""Kill -9 the worker at random moments, restart it, and nothing is lost or done twice.

A small run of the harness behind bench/kill_worker.py (see tests/worker/kill_support.py for the design):
150 grade-revocation cases whose first BER wait is due and overdue, a real `rutin worker` process killed six
times while it works, an administrator doing the person steps meanwhile, and an SMTP server on loopback that
counts every message it accepts by Message-ID.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.worker.kill_support import run_kills

CASES = 150
KILLS = 6


@pytest.mark.slow
def test_a_worker_killed_at_random_moments_loses_no_step_and_no_mail_and_repeats_only_unmarked_mail(
    tmp_path: Path,
) -> None:
    run = run_kills(tmp_path, cases=CASES, kills=KILLS, seed=20240603, lease_s=2.0, kill_after=(0.05, 0.8))
    print("\n".join(f"{name}: {value}" for name, value in run.figures()))

    assert run.problems == []
    assert run.kills == KILLS
    assert run.kills_during_work >= 1, "no kill landed while there was work left: the test proved nothing"
    assert run.waits_advanced == CASES
    assert run.overdue_marked == CASES
    assert run.person_steps == 4 * CASES
    assert run.mails_delivered == run.mails_in_outbox >= 2 * CASES
    assert run.duplicate_mails <= run.kills_in_window <= run.kills
