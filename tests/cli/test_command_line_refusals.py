"""What a person can get wrong on the command line itself: each refused with why and what to do, nothing written.

Found by trying bad input by hand (bytes that are not UTF-8, a value given twice, a misspelt rule or database, a
clock outside the calendar, Ctrl-C); each test proves one refusal end to end through a real `rutin` process.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.cli.helpers import COMMAND, PROC, START_INPUTS, Cli, clean_environment, run_rutin, start_case

INPUTS = START_INPUTS
ROLE = ["--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör"]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    made = Cli(tmp_path, lang=None)  # the default language: Swedish
    assert made("users", "add", "anna", "--admin", *ROLE).returncode == 0
    return made


start = start_case


def assert_refused(done: subprocess.CompletedProcess[str], code: int, *said: str) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    for words in said:
        assert words in done.stderr, done.stderr


# -- the arguments themselves -----------------------------------------------------------------------------------


def test_an_argument_that_is_not_utf8_is_refused_as_a_usage_error_naming_the_bytes(cli: Cli) -> None:
    case_id = start(cli)
    before = cli.dump()
    odd = b"beslutande_larare=a\xff\xfeb".decode("utf-8", "surrogateescape")  # as Python receives such bytes

    assert_refused(cli("case", "do", case_id, "ed_sok_elev", "--set", odd), 2, "är inte UTF-8-text", "a\\xff\\xfeb")
    assert_refused(cli("--lang", "en", "case", "show", "R-\udcff"), 2, "is not UTF-8 text", "R-\\xff")
    assert_refused(cli("case", "list", env={"RUTIN_USER": "a\udcfe"}), 2, "RUTIN_USER (a\\xfe)")
    assert cli.dump() == before


def test_a_value_given_twice_is_refused_so_that_neither_is_silently_dropped(cli: Cli) -> None:
    before = cli.dump()
    twice = [*INPUTS, "--set", "personnummer=19121272-1219"]

    assert_refused(cli("case", "start", PROC, *twice), 2, "'personnummer' is given twice")
    assert cli.dump() == before


def test_an_empty_user_name_is_a_usage_error_not_the_login_name(cli: Cli) -> None:
    assert_refused(cli("--as", "", "case", "list"), 2, "an empty user name")


def test_a_very_long_value_is_quoted_shortened_in_the_message(cli: Cli) -> None:
    done = cli("case", "show", "R-" + "A" * 100_000)

    assert_refused(done, 1, "det finns inget ärende", "… (förkortat)")
    assert len(done.stderr) < 1_500


# -- rules, clock, database ---------------------------------------------------------------------------------------


def test_a_misspelt_rule_in_rules_off_is_refused_with_the_rule_it_resembles(cli: Cli) -> None:
    misspelt = cli("--rules-off", "csn.declaration_not_before_stat", "rules", "list")
    assert_refused(misspelt, 1, "ingen regel eller grupp heter 'csn.declaration_not_before_stat'")
    assert "menade du 'csn.declaration_not_before_start'" in misspelt.stderr
    assert_refused(cli("--rules-off", "municipal:Nowhere", "rules", "list"), 1, "'municipal:Nowhere'")
    assert_refused(cli("--rules-off", ",", "rules", "list"), 1, "anger ingen regel")

    grouped = cli("--rules-off", "municipal:Stockholm", "rules", "list", "--json")
    assert grouped.returncode == 0, grouped.stderr
    assert any(not rule["on"] for rule in json.loads(grouped.stdout))


@pytest.mark.parametrize(
    ("now", "said"),
    [
        ("0001-01-01T00:00", "ligger utanför åren 1970-2199"),
        ("9999-12-31T23:59+00:00", "ligger utanför åren 1970-2199"),
        ("2024-03-31T02:30", "finns inte i svensk tid"),  # the hour summer time skips
        ("2024-10-27T02:30", "inträffar två gånger i svensk tid"),  # the hour winter time repeats
        ("i morgon", "är ingen ISO-8601-tid"),
    ],
)
def test_a_clock_outside_the_calendar_or_the_wall_clock_is_refused_before_any_command_runs(
    cli: Cli, now: str, said: str
) -> None:
    before = cli.dump()

    assert_refused(cli("case", "list", now=now), 1, said)
    assert_refused(cli("rules", "list", now=now), 1, said)  # a command that never reads the clock refuses it too
    assert cli.dump() == before


def test_the_repeated_hour_is_accepted_with_its_offset(cli: Cli) -> None:
    assert cli("case", "list", now="2024-10-27T02:30+01:00").returncode == 0


def test_a_database_url_of_another_kind_is_refused_without_a_traceback(tmp_path: Path) -> None:
    env = clean_environment(RUTIN_USER="anna")
    done = run_rutin("--db", "mysql://x/y", "case", "list", env=env)

    assert_refused(done, 1, "Rutin kör på SQLite eller PostgreSQL, inte 'mysql'")


def test_a_misspelt_database_path_is_named_and_no_database_is_made(cli: Cli, tmp_path: Path) -> None:
    typo = tmp_path / "rutn.db"
    done = run_rutin("--db", str(typo), "--as", "anna", "case", "show", "R-X", env=clean_environment())

    assert_refused(done, 1, f"det finns ingen databas på {typo}", "rutin users add")
    assert not typo.exists() and not Path(f"{typo}-wal").exists()


def test_a_file_that_is_not_a_database_is_named_in_swedish_with_what_to_check(tmp_path: Path) -> None:
    junk = tmp_path / "anteckningar.db"
    junk.write_text("inte en databas\n" * 200)
    done = run_rutin("--db", str(junk), "--as", "anna", "case", "list", env=clean_environment())

    assert_refused(done, 1, "databasen gick inte att använda", "att filen är en Rutin-databas")
    assert junk.read_text() == "inte en databas\n" * 200


def test_a_database_that_refuses_the_step_write_gives_a_message_not_a_traceback(cli: Cli) -> None:
    case_id = start(cli)
    with sqlite3.connect(cli.db) as conn:  # as a read-only file would: the write of the step itself fails
        conn.execute("CREATE TRIGGER frozen BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'skrivskyddad'); END")
    before = cli.dump()

    assert_refused(cli("case", "do", case_id, "ed_sok_elev"), 1, "databasen gick inte att använda", "skrivskyddad")
    assert cli.dump() == before


# -- Ctrl-C -----------------------------------------------------------------------------------------------------

# `rutin ARGS` with the step interrupted as if Ctrl-C came in the middle of it
INTERRUPTED = """
import sys
import engine.service

def interrupted(*args, **kwargs):
    raise KeyboardInterrupt

engine.service.Rutin.do = interrupted
import cli
cli.main()
"""


@pytest.mark.parametrize(("lang", "said"), [("sv", "avbrutet: ett steg sparas helt"), ("en", "interrupted: a step")])
def test_ctrl_c_says_what_was_saved_in_the_persons_language_and_exits_130(cli: Cli, lang: str, said: str) -> None:
    case_id = start(cli)
    before = cli.dump()
    done = subprocess.run(
        [COMMAND[0], "-c", INTERRUPTED, "--lang", lang, "case", "do", case_id, "ed_sok_elev"],
        env=cli.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert_refused(done, 130, said)
    assert "Aborted!" not in done.stderr
    assert cli.dump() == before


# -- users --------------------------------------------------------------------------------------------------------


def test_adding_a_user_who_exists_is_refused_and_their_roles_are_kept(cli: Cli) -> None:
    before = cli.dump()

    assert_refused(
        cli("users", "add", "anna", "--email", "a@b.se"), 1, "det finns redan en användare 'anna'", "--replace"
    )
    assert cli.dump() == before


def test_replacing_a_user_prints_what_was_taken_away(cli: Cli) -> None:
    done = cli("users", "add", "anna", "--replace", "--admin", "--role", "Vux intern anordnare Sthlm")

    assert done.returncode == 0, done.stderr
    assert "uppgifter: Betygsadministratör -> (inget)" in done.stdout
    users = json.loads(cli("users", "list", "--json").stdout)
    assert [u["tasks"] for u in users if u["name"] == "anna"] == [[]]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["a\x01b"], "är inget användarnamn"),
        (["u" * 100], "högst 64 tecken"),
        (["bob", "--role", ""], "--role: är tom"),
        (["bob", "--task", "r\x1b[31m"], "--task: innehåller det osynliga styrtecknet U+001B"),
        (["ANNA"], "det finns redan en användare 'anna'; 'ANNA' skiljer sig bara i stora och små bokstäver"),
    ],
)
def test_a_user_that_could_not_be_told_apart_is_refused(cli: Cli, args: list[str], said: str) -> None:
    before = cli.dump()

    assert_refused(cli("users", "add", *args), 1, said)
    assert cli.dump() == before


def test_of_several_first_users_at_once_exactly_one_becomes_administrator(tmp_path: Path) -> None:
    env = clean_environment(RUTIN_DB=str(tmp_path / "ny.db"), RUTIN_LANG="en")

    def add(i: int) -> subprocess.CompletedProcess[str]:
        return run_rutin("--as", "nobody", "users", "add", f"admin{i}", "--admin", env=env)

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(add, range(6)))

    assert [o.returncode for o in outcomes].count(0) == 1, [o.stderr for o in outcomes]
    for refused in (o for o in outcomes if o.returncode != 0):
        assert_refused(refused, 1, "nobody")  # the others are told they are not an administrator (or unknown)
    winner = next(f"admin{i}" for i, o in enumerate(outcomes) if o.returncode == 0)
    users = json.loads(run_rutin("--as", winner, "users", "list", "--json", env=env).stdout)
    assert [(u["name"], u["admin"]) for u in users] == [(winner, True)]


def test_input_that_ends_at_a_question_is_not_taken_for_ctrl_c(cli: Cli) -> None:
    done = subprocess.run(
        [*COMMAND, "users", "password", "anna"],
        env=cli.env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert_refused(done, 1, "inmatningen tog slut innan frågan besvarades")


def test_json_output_escapes_what_a_terminal_would_act_on_and_stays_the_same_data(cli: Cli) -> None:
    case_id = start(cli)
    teacher = "Bo \u202eokee\u202c Ek"  # a right-to-left override: text may hold it, a terminal reorders the line
    assert cli("case", "do", case_id, "ed_sok_elev").returncode == 0
    assert cli("case", "do", case_id, "ed_las_upp").returncode == 0
    assert cli("case", "do", case_id, "ed_beslutad_av", "--set", f"beslutande_larare={teacher}").returncode == 0

    shown = cli("case", "show", case_id, "--json")

    assert shown.returncode == 0, shown.stderr
    assert "\u202e" not in shown.stdout and "\\u202e" in shown.stdout
    assert json.loads(shown.stdout)["data"]["beslutande_larare"] == teacher


def test_only_an_administrator_sets_the_clock_where_a_person_or_a_real_system_answers(cli: Cli) -> None:
    assert cli("users", "add", "bo", *ROLE).returncode == 0  # not an administrator
    case_id = start(cli)
    before = cli.dump()

    refused = cli("--adapters", "BER=manual", "case", "do", case_id, "ed_sok_elev", user="bo")

    assert_refused(refused, 1, "--now ställer klockan för en historik med riktiga system (BER=manual)", "sandlådan")
    assert cli.dump() == before
    assert cli("--adapters", "BER=manual", "case", "show", case_id, user="anna").returncode == 0  # the administrator
    assert cli("case", "do", case_id, "ed_sok_elev", user="bo").returncode == 0  # on the sandbox: training
