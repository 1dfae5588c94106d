"""Kill -9 the worker at random moments across 1,000 cases; show no step lost or repeated and no mail lost.

Run `.venv/bin/python bench/kill_worker.py [--cases 1000] [--kills 20] [--seed N] [--lease S] [--keep DIR]`.
It prepares a SQLite database of grade-revocation cases (route ej_last) at their first BER wait, already due
and overdue in real time; runs a real `rutin worker --interval 1` mailing to an SMTP server in this process;
SIGKILLs it 0.05–1.5 s after each start, `--kills` times, restarting it each time; lets a last worker finish;
then checks every invariant and prints the figures. Meanwhile a thread here does each case's person steps
after the wait, so the worker delivers the end's mail of cases people finish while it is being killed, as
well as the escalation mail it writes itself when it marks a wait overdue. Exit 1 when an invariant breaks.

The worker owns per case: `wait_overdue` (+ escalation mail) and `wait_satisfied`. The invariants: each of
those exactly once per case, event numbers 1..n, every case at its end, `audit verify` intact, replay equal
for a sample; every outbox mail marked sent and at the server; repeats only with the same Message-ID and no
more than the kills that landed between the server's acceptance and the mark (measured after each kill: the
killed worker's claimed, unmarked mails the server already holds). The lease on claims is shortened to
`--lease` seconds (2 minutes in the product; `--lease 0` runs the `rutin` script unchanged and the run then
waits out the product's lease) so that a killed worker's claims free up within the run. Design and figures:
tests/worker/kill_support.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any folder

from tests.worker.kill_support import run_kills  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=1000, help="cases at their first wait (default 1000)")
    parser.add_argument("--kills", type=int, default=20, help="how many times to SIGKILL the worker (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random kill moments (default 1)")
    parser.add_argument("--lease", type=float, default=3.0, help="claims' lease in seconds (default 3; 0: 120)")
    parser.add_argument("--keep", type=Path, help="an empty folder to keep the database and the workers' logs in")
    args = parser.parse_args(argv)
    if args.cases < 1 or args.kills < 0:
        parser.error("--cases must be at least 1 and --kills at least 0")
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        if any(args.keep.iterdir()):
            parser.error(f"{args.keep} is not empty")
        return report(args, args.keep.resolve())
    with tempfile.TemporaryDirectory(prefix="rutin-kill-") as folder:
        return report(args, Path(folder))


def report(args: argparse.Namespace, folder: Path) -> int:
    run = run_kills(
        folder,
        cases=args.cases,
        kills=args.kills,
        seed=args.seed,
        lease_s=args.lease,
        drain_timeout_s=180.0 if args.lease > 0 else 300.0,
        say=lambda line: print(line, flush=True),
    )
    lease = f"{args.lease:g} s" if args.lease > 0 else "the product's 120 s"
    print(f"\nkill -9 the worker: seed {args.seed}, kills 0.05-1.5 s after each start, lease {lease}")
    width = max(len(name) for name, _ in run.figures())
    for name, value in run.figures():
        print(f"  {name:<{width}}  {value}")
    if run.problems:
        print(f"\nINVARIANTS BROKEN ({len(run.problems)}):")
        for problem in run.problems[:30]:
            print(f"  {problem}")
        return 1
    print("\nall invariants hold: no step lost or repeated, no mail lost, repeats within the allowed kills")
    return 0


if __name__ == "__main__":
    sys.exit(main())
