"""Debian's Chromium driven by Playwright: where it is, how it is started, and why a test is skipped without it.

Playwright's own browser download is never used (`playwright install` is not run anywhere): the browser is
the distribution's package, started headless with a throwaway profile and nothing that reaches the network.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


def chromium_path() -> Path | None:
    """RUTIN_CHROMIUM when set, else Debian's `chromium` on the PATH (scripts/test installs it when it may)."""
    given = os.environ.get("RUTIN_CHROMIUM")
    found = Path(given) if given else Path(shutil.which("chromium") or "/usr/bin/chromium")
    return found if found.is_file() else None


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: pip install -e '.[dev]' (scripts/test does)"
    if chromium_path() is None:
        where = os.environ.get("RUTIN_CHROMIUM") or "chromium"
        return f"{where} is not there: apt-get install chromium (scripts/test does, as root), or set RUTIN_CHROMIUM"
    return None
