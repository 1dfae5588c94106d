"""The garbage collector over a command's life.

A CLI command is a short process that mostly imports: SQLAlchemy and our modules allocate a few hundred
thousand objects and almost no garbage. At Python's default thresholds the collector walks them again and
again while they load (~20 ms a command), and once more at exit (~40 ms). So a command starts with a young
generation large enough that start-up rarely triggers a pass, and freezes what is alive when it ends, which
the interpreter's last collection then skips. Collection is never off: cycles are still freed, in larger
batches. Long-running commands (the web app, the worker's loop) settle to their own thresholds once started.
"""

from __future__ import annotations

import gc

START_UP = (100_000, 20, 100)  # generation 0, 1, 2: measured on `rutin case do` (bench/steps.py, part 4)
# A long-running process: CPython collects generation 0 after 700 more allocations than frees, generation 1 after
# 10 of those and generation 2 (every tracked object of the process) after 10 of generation 1. A page of 100 cases
# allocates tens of thousands of objects, so a request ran dozens of young collections and now and then a full one
# that walked all that start-up left alive (pinned procedures, templates, SQLAlchemy's tables): 51-78 ms pauses in
# single requests on 10,000 cases (bench/web_pages.py --reuse). Frozen start-up objects are never walked again;
# 10,000 young objects per collection cost at most ~6 ms (50,000 let a single collection take 25 ms); request
# garbage is mostly freed by reference counting anyway.
LONG_RUN = (10_000, 20, 20)


def starting() -> None:
    """Before the command's imports."""
    gc.set_threshold(*START_UP)


def settled() -> None:
    """Once a long-running command has started: free start-up's garbage, move what is alive now into the permanent
    generation (which collections never walk), and collect young objects at the long-run pace."""
    gc.collect()  # what start-up left as garbage is freed now, not frozen in for good
    gc.freeze()
    gc.set_threshold(*LONG_RUN)


def ending() -> None:
    """As the command returns: the interpreter's collection at exit skips frozen objects."""
    gc.freeze()
