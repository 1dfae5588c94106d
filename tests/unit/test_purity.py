"""The core stays pure and a CLI step stays light, checked in a fresh interpreter where imports cannot hide.

Ruff's banned-import rule stops a direct `import sqlalchemy` in engine/; these tests also catch one that
comes in sideways (engine imports a helper that imports a driver). The second check keeps `rutin case do`
fast: the modules a step needs must not pull in the YAML loader, pydantic, Rich or Alembic.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"

OUTSIDE_WORLD = ("sqlalchemy", "alembic", "apscheduler", "smtplib", "httpx", "requests")
HEAVY_FOR_A_STEP = ("pydantic", "yaml", "rich", "alembic")
STEP_MODULES = (
    "cli",
    "engine.service",
    "engine.views",
    "terminal.render",
    "adapters.sql.store",
    "adapters.sandbox",
    "adapters.manual",
)

# Reads of the wall clock in engine/ that are deliberate, with the reason. Anything else is a bug: time
# comes in as `now` (STYLE.md habit 10).
CLOCK_READ = re.compile(r"\b(datetime\.now|datetime\.utcnow|datetime\.today|date\.today|time\.time)\(")
ALLOWED_CLOCK_READS = {
    ("engine/personnummer.py", "return datetime.now(SWEDEN).date()"): (
        "the default of parse_personal_number(today=None) for callers outside a case; engine/step.py passes "
        "`today` from the case's clock (test_step checks it)"
    ),
}


def _modules_loaded_after(code: str) -> list[str]:
    """Run `code` in a fresh interpreter and return the top-level modules it ended up importing."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_every_engine_module_brings_in_no_database_scheduler_mail_or_network() -> None:
    code = (
        "import importlib, pkgutil, engine\n"
        "names = [m.name for m in pkgutil.walk_packages(engine.__path__, 'engine.')]\n"
        "assert len(names) > 10, names\n"
        "for name in names: importlib.import_module(name)\n"
    )
    loaded = _modules_loaded_after(code)
    assert "engine" in loaded
    assert [m for m in OUTSIDE_WORLD if m in loaded] == []


def test_the_modules_a_cli_step_needs_do_not_load_yaml_pydantic_rich_or_alembic() -> None:
    loaded = _modules_loaded_after("import " + ", ".join(STEP_MODULES))
    assert [m for m in HEAVY_FOR_A_STEP if m in loaded] == []


def _clock_reads() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted(ENGINE.rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if CLOCK_READ.search(line):
                found.add((path.relative_to(ROOT).as_posix(), line.strip()))
    return found


def test_the_engine_reads_the_wall_clock_only_where_marked() -> None:
    unmarked = _clock_reads() - ALLOWED_CLOCK_READS.keys()
    assert unmarked == set(), "time is an input to the engine: take `now` instead"


def test_every_marked_clock_read_still_exists() -> None:
    stale = ALLOWED_CLOCK_READS.keys() - _clock_reads()
    assert stale == set(), "remove these from ALLOWED_CLOCK_READS"
