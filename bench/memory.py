"""How much memory this process holds now and at its peak, as the benchmarks report it."""

from __future__ import annotations

import os
import resource
import sys
from pathlib import Path


def rss_peak() -> int:
    """This process's peak resident bytes since it started (VmHWM on Linux).

    Not ru_maxrss: on Linux it survives fork and exec, so a child started by a bigger parent reports the
    parent's size at the fork (measured: a child of a 200 MiB parent read 210 MiB; VmHWM read 47 MiB).
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:  # not Linux
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS
    line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024


def rss_now() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:  # not Linux: the peak stands in
        return rss_peak()
    return pages * os.sysconf("SC_PAGE_SIZE")
