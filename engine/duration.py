"""Durations as process owners write them: `30s`, `15m`, `2h`, `3d`, or combined as `1h30m`."""

from __future__ import annotations

import re
from datetime import timedelta

_PART = re.compile(r"(\d+)\s*([smhd])")
_WHOLE = re.compile(r"^\s*(\d+\s*[smhd]\s*)+$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_SECONDS = 366 * 86400


def parse_duration(text: str) -> timedelta:
    """Parse `15m`-style text; raise ValueError with a plain message when it is not one."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise ValueError(f"'{text}' is not a duration; write a number and a unit, such as 30s, 15m, 2h or 1d")
    seconds = sum(int(n) * _UNIT[u] for n, u in _PART.findall(text))
    if seconds <= 0:
        raise ValueError("a duration must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError("a duration may be at most a year (366d)")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
