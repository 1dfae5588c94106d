"""`rutin adapters check` and the adapters configuration as an operator uses them: real processes, a real SQLite
file, local SS 12000 servers on loopback. The planted tokens must never appear in any output, log or the database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.clock import SystemClock
from adapters.ss12000.server import Demo, LocalServer, RegistryWorld, komvux_world
from tests.adapters.test_pingpong_feed import DATA as FEED_DATA
from tests.conftest import ROOT

TOKEN = "tkn-CLI-PLANTED-5d1e0f"  # BER's, from an environment variable
WRONG = "tkn-WRONG-PLANTED-77aa"  # ED's, from a file, refused by its server
SECRETS = (TOKEN, WRONG)


class Rutin:
    def __init__(self, tmp_path: Path, config: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
        self.env |= {
            "RUTIN_DB": str(tmp_path / "rutin.db"),
            "RUTIN_USER": "anna",
            "RUTIN_PROCEDURES": str(ROOT / "procedures"),
            "RUTIN_ADAPTERS_CONFIG": str(config),
            "RUTIN_TEST_BER_TOKEN": TOKEN,
        }
        self.db = tmp_path / "rutin.db"
        self.outputs: list[str] = []

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main()", *args],
            check=False,
            capture_output=True,
            text=True,
            env={**self.env, **env},
            cwd=ROOT,
            timeout=60,
        )
        self.outputs += [done.stdout, done.stderr]
        return done


@pytest.fixture
def registries(tmp_path: Path) -> Iterator[tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]]:
    clock = SystemClock()
    ber, demo = komvux_world(clock.now, at=clock.now() - timedelta(days=1))
    ed, _ = komvux_world(clock.now, at=clock.now() - timedelta(days=1))
    (tmp_path / "ed-token").write_text(WRONG + "\n", encoding="utf-8")
    feed = tmp_path / "feed"
    feed.mkdir()
    (feed / "2024-03-01.xml").write_bytes((FEED_DATA / "read-1.xml").read_bytes())
    with LocalServer(ber, token=TOKEN) as ber_server, LocalServer(ed, token="the-real-ed-token") as ed_server:
        config = tmp_path / "adapters.toml"
        config.write_text(
            f"""default = "manual"

[systems.BER]
adapter = "ss12000"
url = "{ber_server.url}"
token_env = "RUTIN_TEST_BER_TOKEN"
timeout = "5s"
fallback_after = "30m"

[systems.ED]
adapter = "ss12000"
url = "{ed_server.url}"
token_file = "{tmp_path / "ed-token"}"

[systems."Ping Pong"]
adapter = "pingpong_feed"
folder = "{feed}"

[systems.Alvis]
adapter = "manual"
""",
            encoding="utf-8",
        )
        yield config, ber, demo, ber_server, ed_server


def test_check_tells_each_system_in_swedish_and_exits_1_when_one_is_refused(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config = registries[0]
    rutin = Rutin(tmp_path, config)

    done = rutin("adapters", "check")

    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("OK  BER: SS 12000 på http://127.0.0.1:")
    assert "svarar och låter Rutin läsa (personer, grupper, aktiviteter, betyg, kursplaner, borttag)" in lines[0]
    assert "svarar det inte på 30m frågas en person" in lines[0]
    assert any(line.startswith("FEL ED: SS 12000 på") and "ger inte Rutin läsrätt" in line for line in lines)
    assert "godtog inte token (401)" in done.stdout
    assert "tips: kontrollera token (token_env eller token_file" in done.stdout
    assert "OK  Ping Pong: Ping Pongs betygsflöde" in done.stdout and "(3 elever)" in done.stdout
    assert "OK  Alvis: en person svarar (manuellt)" in done.stdout
    assert "OK  övriga system: en person svarar (manuellt)" in done.stdout
    assert "Ping Pong" in done.stdout
    for secret in SECRETS:
        assert secret not in done.stdout + done.stderr


def test_check_in_english_and_as_json(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config = registries[0]
    rutin = Rutin(tmp_path, config)

    english = rutin("adapters", "check", "--lang", "en")
    as_json = rutin("adapters", "check", "--json")

    assert english.returncode == 1
    assert "answers and lets Rutin read (persons, groups" in english.stdout
    assert "NO  ED: SS 12000 at" in english.stdout and "refused the token (401)" in english.stdout
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and report["ok"] is False
    by_system = {s["system"]: s for s in report["systems"]}
    assert by_system["BER"]["ok"] and by_system["BER"]["fallback_after"] == "30m"
    assert [e["endpoint"] for e in by_system["BER"]["endpoints"] if e["ok"]][:2] == ["persons", "groups"]
    assert not by_system["ED"]["ok"] and by_system["ED"]["endpoints"][0]["kind"] == "unauthorised"
    assert by_system["Ping Pong"]["adapter"] == "pingpong_feed"
    for secret in SECRETS:
        assert secret not in english.stdout + as_json.stdout + as_json.stderr


def test_check_exits_0_when_every_system_answers(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config, *_ = registries
    text = config.read_text(encoding="utf-8")
    start = text.index("[systems.ED]")
    config.write_text(text[:start] + text[text.index('[systems."Ping Pong"]') :], encoding="utf-8")

    done = Rutin(tmp_path, config)("adapters", "check")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "FEL" not in done.stdout


def test_a_missing_token_variable_is_reported_for_its_system_without_stopping_the_others(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config = registries[0]
    rutin = Rutin(tmp_path, config)
    rutin.env.pop("RUTIN_TEST_BER_TOKEN")

    done = rutin("adapters", "check")

    assert done.returncode == 1
    assert "FEL BER: inställningen går inte att använda" in done.stdout
    assert "miljövariabeln RUTIN_TEST_BER_TOKEN saknas eller är tom" in done.stdout
    assert "OK  Ping Pong" in done.stdout


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('token = "abc123"', "'token' writes a secret into the configuration file, which is refused"),
        ('tokn_env = "X"', "unknown key 'tokn_env'"),
        ('fallback_after = "soon"', "fallback_after: 'soon' is not a duration"),
    ],
)
def test_a_bad_configuration_is_refused_with_file_system_and_key(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer], line: str, words: str
) -> None:
    config = registries[0]
    config.write_text(f'[systems.Alvis]\nadapter = "ss12000"\nurl = "http://127.0.0.1:9/v2.0"\n{line}\n')

    done = Rutin(tmp_path, config)("--lang", "en", "adapters", "check")

    assert done.returncode == 1
    assert f"error: {config}: [systems.Alvis]: {words}" in done.stderr
    assert "abc123" not in done.stdout + done.stderr
    if "tokn" in line:
        assert "did you mean 'token_env'?" in done.stderr


def test_secrets_never_appear_in_any_output_log_or_the_database(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config, ber, demo, ber_server, _ = registries
    rutin = Rutin(tmp_path, config)
    assert rutin("users", "add", "admin", "--admin").returncode == 0
    rutin(
        "--as", "admin", "users", "add", "anna", "--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör"
    )
    start = rutin(
        "case", "start", "avregistrering-betyg", "--json",
        "--set", "personnummer=19121212-1212", "--set", "orsak=ej_last",
        "--set", "kurskod=MATMAT01a", "--set", "betygsgrupp=MA1A-HT24",
    )  # fmt: skip
    assert start.returncode == 0, start.stderr
    case_id = json.loads(start.stdout)["id"]
    for step in ("ed_sok_elev", "ed_las_upp", "ed_beslutad_av", "ed_spara", "ed_bekrafta"):
        extra = ["--set", "beslutande_larare=Karin Lind"] if step == "ed_beslutad_av" else []
        assert rutin("case", "do", case_id, step, *extra).returncode == 0
    later = SystemClock().now() + timedelta(minutes=3)
    ber_server.fail_next("status", status=500, times=1)
    # the worker started by the administrator: only an administrator moves the clock of real registries
    failed = rutin("--as", "admin", "--now", later.isoformat(), "worker", "--once", "--json")  # BER fails: reported
    ber.delete("grades", demo.grade, SystemClock().now())
    done = rutin("--as", "admin", "--now", (later + timedelta(minutes=3)).isoformat(), "worker", "--once", "--json")
    shown = rutin("case", "show", case_id, "--json")
    rutin("audit", "log", case_id, "--json")
    rutin("adapters", "check", "--json")
    rutin("adapters", "check")

    assert "failed with HTTP 500" in failed.stdout + failed.stderr
    assert case_id in json.loads(done.stdout)["advanced"]
    assert json.loads(shown.stdout)["state"] == "ber_avbrott"
    everything = "\n".join(rutin.outputs) + repr(config.read_text(encoding="utf-8"))
    database = b"".join(p.read_bytes() for p in tmp_path.glob("rutin.db*"))
    for secret in SECRETS:
        assert secret not in everything
        assert secret.encode() not in database
    assert len(rutin.outputs) >= 24


def test_check_says_when_a_person_answers_for_a_system_after_a_fallback(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    from adapters.fallback import StoreFallbackLog
    from adapters.sql.database import ensure_schema, open_engine
    from adapters.sql.store import SqlCaseStore

    config = registries[0]
    rutin = Rutin(tmp_path, config)
    engine = open_engine(f"sqlite:///{rutin.db}")
    ensure_schema(engine)
    StoreFallbackLog(SqlCaseStore(engine)).record("BER", True, SystemClock().now(), "BER unreachable since 10:00")
    engine.dispose()

    done = rutin("adapters", "check", "--json")
    text = rutin("adapters", "check")

    by_system = {s["system"]: s for s in json.loads(done.stdout)["systems"]}
    assert by_system["BER"]["answered_by"] == "person" and by_system["ED"]["answered_by"] == "system"
    assert "obs: just nu svarar en person för systemet" in text.stdout


def test_group_tells_the_course_dates_members_and_graders(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config = registries[0]
    rutin = Rutin(tmp_path, config)

    text = rutin("--now", "2024-06-03T10:00", "adapters", "group", "BER", "MA1A-HT24")
    as_json = rutin("--now", "2024-06-03T10:00", "adapters", "group", "BER", "MA1A-HT24", "--json")
    refused = rutin("adapters", "group", "Alvis", "MA1A-HT24")

    assert text.returncode == 0, text.stderr
    assert "MA1A-HT24 (BER): 2024-05-20 – 2024-12-20" in text.stdout
    assert "kurs: MATMAT01a" in text.stdout and "elever (4): 19121212-****" in text.stdout
    facts = json.loads(as_json.stdout)
    assert facts["courses"] == ["MATMAT01a"] and facts["graders"] == 1 and len(facts["members"]) == 4
    assert "191212121212" not in as_json.stdout  # members' personnummer are masked
    assert refused.returncode == 1 and "Alvis besvaras inte av en SS 12000-adapter" in refused.stderr


def test_commands_that_ask_no_system_need_no_secret(
    tmp_path: Path, registries: tuple[Path, RegistryWorld, Demo, LocalServer, LocalServer]
) -> None:
    config = registries[0]
    rutin = Rutin(tmp_path, config)
    rutin.env.pop("RUTIN_TEST_BER_TOKEN")  # an administrator's shell holds no registry token
    assert rutin("users", "add", "admin", "--admin").returncode == 0

    listed = rutin("--as", "admin", "case", "list", "--json")

    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []
