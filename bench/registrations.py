"""How fast `rutin check registrations` is on a 10,000-row export, and whether it finds exactly what was planted.

Prints, in one run: rows, seconds for the in-process check, ms per 1,000 rows, the same through the CLI in a
fresh process (file read, decode, report), and planted mistakes found / missed / extra. The target: well under
a second per thousand rows.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.registrations import check_registrations  # noqa: E402
from tests.rules.test_registrations import found, make_export  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    export = make_export(args.rows)
    start = time.perf_counter()
    report = check_registrations(export.text)
    in_process = time.perf_counter() - start
    hits = found(report)
    missed = export.planted - hits
    extra = hits - export.planted
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_text(export.text, encoding="utf-8")
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", "import cli; cli.main()", "check", "registrations", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        cli_seconds = time.perf_counter() - start
    print(f"rows                      {export.rows}")
    per_thousand = in_process / export.rows * 1000 * 1000
    print(f"check in process          {in_process:.3f} s  ({per_thousand:.1f} ms per 1,000 rows)")
    print(f"rutin check registrations {cli_seconds:.3f} s  (exit {done.returncode}, whole command in a fresh process)")
    print(
        f"planted mistakes          {len(export.planted)}, found {len(export.planted & hits)}, missed {len(missed)}, "
        f"reported but not planted {len(extra)}; bad rows planted {len(export.bad)}, reported {len(report.bad_rows)}"
    )
    ok = not missed and not extra and len(report.bad_rows) == len(export.bad)
    print("verdict                   " + ("every planted mistake and nothing else" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
