"""`rutin audit replay` and `audit verify` on a tampered SQLite file: the message names what really differs.

Each test changes one stored event behind Rutin's back (as an intruder with the database file would) and reads
what a real `rutin` process tells the auditor, in Swedish by default and in English with `--lang en`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.cli.helpers import Cli

PROC = "avregistrering-betyg"


class Rutin(Cli):
    """`rutin` in the default language (Swedish), with a way to change a stored event behind Rutin's back."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path, lang=None)

    def tamper(self, case_id: str, seq: int, column: str, value: str) -> None:
        with sqlite3.connect(self.db) as conn:
            changed = conn.execute(
                f"update events set {column} = ? where stream = ? and seq = ?",  # column: a fixed name from a test
                (value, case_id, seq),
            ).rowcount
        assert changed == 1


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Rutin, str]:
    """One case with two events (started, first step done); each test tampers with its own copy."""
    rutin = Rutin(tmp_path_factory.mktemp("audit"))
    assert rutin("users", "add", "admin", "--admin", user="admin").returncode == 0
    added = rutin(
        "users", "add", "anna", "--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör", user="admin"
    )
    assert added.returncode == 0, added.stderr
    started = rutin(
        "case",
        "start",
        PROC,
        "--set",
        "personnummer=19121212-1212",
        "--set",
        "orsak=fel_betygsgrupp",
        "--set",
        "kurskod=MATMAT01a",
        "--set",
        "betygsgrupp=MA1A-HT24",
        "--set",
        "ny_betygsgrupp=MA1B-HT24",
    )
    assert started.returncode == 0, started.stderr
    case_id = started.stdout.strip()
    done = rutin("case", "do", case_id, "ed_sok_elev")
    assert done.returncode == 0, done.stderr
    return rutin, case_id


@pytest.fixture
def copy(history: tuple[Rutin, str], tmp_path: Path) -> tuple[Rutin, str]:
    original, case_id = history
    rutin = Rutin(tmp_path)
    with sqlite3.connect(original.db) as source, sqlite3.connect(rutin.db) as target:
        source.backup(target)
    return rutin, case_id


def test_a_changed_actor_is_named_with_the_actor_the_event_was_written_with(copy: tuple[Rutin, str]) -> None:
    rutin, case_id = copy
    rutin.tamper(case_id, 2, "actor", "mallory")
    swedish = rutin("audit", "replay", case_id)
    assert swedish.returncode == 1
    assert (
        "fel: händelse 2 (step_done vid steget ed_sok_elev) har ändrats efter att den skrevs: "
        'utförare är "mallory", men den skrevs med "anna"'
    ) in swedish.stderr
    assert "uppspelningen SKILJER SIG från det sparade ärendet" in swedish.stderr
    english = rutin("--lang", "en", "audit", "replay", case_id)
    assert english.returncode == 1
    assert (
        "error: event 2 (step_done at step ed_sok_elev) was changed after it was written: "
        'its actor is "mallory", but it was written with "anna"'
    ) in english.stderr
    # the old message printed the same state twice and named no difference
    assert "stored state 'ed_las_upp', replayed 'ed_las_upp'" not in english.stderr


def test_a_changed_time_says_the_event_was_altered_and_shows_the_stored_values(copy: tuple[Rutin, str]) -> None:
    rutin, case_id = copy
    with sqlite3.connect(rutin.db) as conn:
        (at,) = conn.execute("select at from events where stream = ? and seq = 2", (case_id,)).fetchone()
    rutin.tamper(case_id, 2, "at", at.replace("08:00", "08:05"))  # later, so the time order still holds
    swedish = rutin("audit", "replay", case_id)
    assert swedish.returncode == 1
    assert "händelse 2 (step_done vid steget ed_sok_elev) har ändrats efter att den skrevs" in swedish.stderr
    assert "tidpunkt 2024-06-03T08:05:00+00:00" in swedish.stderr
    assert "något av dem (utförare, tidpunkt, uppgifter, ...)" in swedish.stderr
    english = rutin("--lang", "en", "audit", "replay", case_id)
    assert "time 2024-06-03T08:05:00+00:00" in english.stderr


def test_a_changed_state_names_the_field_with_its_stored_and_replayed_values(copy: tuple[Rutin, str]) -> None:
    rutin, case_id = copy
    rutin.tamper(case_id, 2, "state", "klart")
    swedish = rutin("audit", "replay", case_id)
    assert swedish.returncode == 1
    assert (
        "händelse 2 (step_done vid steget ed_sok_elev) stämmer inte när historiken spelas upp: "
        'steg efter den sparad "klart", uppspelad "ed_las_upp"'
    ) in swedish.stderr
    english = rutin("--lang", "en", "audit", "replay", case_id)
    assert 'state after it stored "klart", replayed "ed_las_upp"' in english.stderr


def test_the_replay_json_keeps_english_problems_for_scripts(copy: tuple[Rutin, str]) -> None:
    rutin, case_id = copy
    rutin.tamper(case_id, 2, "actor", "mallory")
    body = json.loads(rutin("audit", "replay", case_id, "--json").stdout)
    assert body["ok"] is False
    assert body["problems"] == [
        'event 2 (step_done at step ed_sok_elev) was changed after it was written: its actor is "mallory", '
        'but it was written with "anna" (only that value gives back the event\'s hash)'
    ]


def test_verify_names_the_altered_event_in_swedish(copy: tuple[Rutin, str]) -> None:
    rutin, case_id = copy
    rutin.tamper(case_id, 2, "actor", "mallory")
    swedish = rutin("audit", "verify", case_id)
    assert swedish.returncode == 1
    assert (
        f"MANIPULERAD {case_id}: händelse 2: har ändrats efter att den skrevs (hashen stämmer inte)" in swedish.stderr
    )
    assert "kontrollerade 1 historik, 2 händelser och 1 rutinversion: 1 fel" in swedish.stderr
    english = rutin("--lang", "en", "audit", "verify", case_id)
    assert f"TAMPERED {case_id}: event 2: was altered after it was written (hash mismatch)" in english.stderr
    assert "1 histories, 2 events, 1 procedure versions checked: 1 broken" in english.stderr


def test_a_removed_last_event_is_named_in_swedish(copy: tuple[Rutin, str]) -> None:
    rutin, case_id = copy
    with sqlite3.connect(rutin.db) as conn:
        conn.execute("delete from events where stream = ? and seq = 2", (case_id,))
    swedish = rutin("audit", "verify", case_id)
    assert swedish.returncode == 1
    assert (
        f"MANIPULERAD {case_id}: händelse 2: historiken har 1 händelser men ärendet anger 2: "
        "en händelse har tagits bort eller lagts till utanför Rutin"
    ) in swedish.stderr
