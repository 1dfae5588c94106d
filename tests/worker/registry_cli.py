"""`rutin` as real processes over one SQLite file, with BER answered by a local SS 12000 server through the
adapters configuration: what the worker tests across processes share (a one-wait procedure, the configuration,
the environment, the users and the case)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.adapters.ss12000_support import TOKEN
from tests.conftest import ROOT


def one_wait(check_every: str, overdue_after: str) -> str:
    """A procedure of one BER wait (for the grade to be gone) and its end."""
    return f"""\
id: registerprov
title: Vänta på registret
revision: "1"
access: {{roles: [Vux intern anordnare Sthlm], tasks: [Betygsadministratör]}}
inputs:
  - {{name: personnummer, type: personnummer, label: Elevens personnummer}}
  - {{name: betygsgrupp, type: group, label: Betygsgruppen}}
steps:
  - id: ber_vanta
    kind: wait
    system: BER
    title: Vänta tills betyget har försvunnit från BER
    instructions: "Kontrollera i BER."
    until: {{query: grade_registered, args: {{student: personnummer, group: betygsgrupp}}, equals: false}}
    check_every: {check_every}
    expected: 15m
    overdue_after: {overdue_after}
    next: klart
  - id: klart
    kind: end
    title: Klart
"""


@dataclass(frozen=True)
class RutinProcesses:
    db: Path
    env: dict[str, str]

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-c", "import cli; cli.main()", "--db", str(self.db), *args]

    def run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(*args), check=False, capture_output=True, text=True, env=self.env, cwd=ROOT, timeout=timeout
        )
        assert TOKEN not in done.stdout + done.stderr
        return done

    def start_case(self, *options: str) -> str:
        """The administrator, anna, and one registerprov case started by her; `options` go before each command."""
        assert self.run(*options, "users", "add", "admin", "--admin").returncode == 0
        # an administrator: these runs move the clock with --now against registries that answer for real
        anna = [
            "users",
            "add",
            "anna",
            "--admin",
            "--role",
            "Vux intern anordnare Sthlm",
            "--task",
            "Betygsadministratör",
        ]
        added = self.run(*options, "--as", "admin", *anna)
        assert added.returncode == 0, added.stderr
        inputs = ["--set", "personnummer=19121212-1212", "--set", "betygsgrupp=MA1A-HT24"]
        started = self.run(*options, "case", "start", "registerprov", *inputs, "--json")
        assert started.returncode == 0, started.stderr
        case_id: str = json.loads(started.stdout)["id"]
        return case_id


def rutin_with_registry(tmp_path: Path, server_url: str, procedure: str, ber_options: str) -> RutinProcesses:
    """The procedure in a folder, the token in a file, BER configured as ss12000 at `server_url` with
    `ber_options` (TOML lines) and every other system manual; RUTIN_* variables of the outer run left out."""
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "registerprov.yaml").write_text(procedure, encoding="utf-8")
    token = tmp_path / "token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    config = tmp_path / "adapters.toml"
    config.write_text(
        f'default = "manual"\n[systems.BER]\nadapter = "ss12000"\nurl = "{server_url}"\n'
        f'token_file = "{token}"\ntimeout = "5s"\n{ber_options}',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
    env |= {"RUTIN_PROCEDURES": str(folder), "RUTIN_ADAPTERS_CONFIG": str(config), "RUTIN_USER": "anna"}
    return RutinProcesses(tmp_path / "rutin.db", env)
