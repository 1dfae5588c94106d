"""What the bench scripts share: a plain sqlite3 connection for looking at a database, and the printed tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def opened(path: Path, *, autocommit: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection, closed afterwards (`with connect()` is not)."""
    conn = sqlite3.connect(path, isolation_level=None) if autocommit else sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


def mib(n: float, digits: int = 2) -> str:
    return f"{n / 2**20:.{digits}f} MiB"


def print_table(rows: Sequence[tuple[str, ...]]) -> None:
    """The first row is the header; the first column is left-aligned, the figures right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for j, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        print("  " + "  ".join(cells))
        if j == 0:
            print("  " + "  ".join("-" * w for w in widths))


def verdict(ok: bool, met: str = "met") -> str:
    return met if ok else "MISSED"
