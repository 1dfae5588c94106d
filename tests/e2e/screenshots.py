"""Screenshots of the web app's main pages, in Swedish, for docs/screenshots/ (run by `scripts/screenshots`).

It starts `rutin web` on a fresh database with the sandbox and a clock file, gives it a few grade-revocation
cases at different points besides the demo's own (one finished, two waiting on BER, one at a step with a
field), signs in as the administrator in Debian's Chromium and photographs each page at 1280x800.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a plain script from any folder

from tests.e2e.browser import CHROMIUM_ARGS, VIEWPORT, chromium_path, missing_reason  # noqa: E402
from tests.e2e.server import ADMIN, WebServer  # noqa: E402

DAY = "2024-06-03T"


def seed(web: WebServer) -> dict[str, str]:
    """Cases at different points, each begun at its own time of the morning; their ids by what they show."""
    from tests.e2e.pages import AFTER_THE_WAIT, TO_THE_WAIT, do_by_cli, start_by_cli

    web.set_clock(datetime.fromisoformat(DAY + "09:12"))
    done = start_by_cli(web, ADMIN, "19570428-9999", TO_THE_WAIT)
    web.advance(minutes=16)
    web.sweep()
    do_by_cli(web, ADMIN, done, AFTER_THE_WAIT)
    web.set_clock(datetime.fromisoformat(DAY + "09:52"))
    start_by_cli(web, ADMIN, "19900101-0017", TO_THE_WAIT, orsak="fel_betygsgrupp", ny_betygsgrupp="MA1B-HT24")
    web.set_clock(datetime.fromisoformat(DAY + "09:55"))
    waiting = start_by_cli(web, ADMIN, "20000229-2399", TO_THE_WAIT)
    web.set_clock(datetime.fromisoformat(DAY + "10:02"))
    at_task = start_by_cli(web, ADMIN, "19800101-1231", TO_THE_WAIT[:2])
    web.set_clock(datetime.fromisoformat(DAY + "10:05"))
    web.sweep()  # as the worker beside a real server would have by now: the waits' next checks move on
    return {"done": done, "waiting": waiting, "at_task": at_task}


def shoot(out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    from tests.e2e.pages import fill_start_form, open_start_form, sign_in

    out.mkdir(parents=True, exist_ok=True)
    taken: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="rutin-screenshots-") as tmp:
        web = WebServer(Path(tmp), now=datetime.fromisoformat(DAY + "08:30"))  # the demo's own cases come first
        web.start()
        try:
            cases = seed(web)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
                context = browser.new_context(viewport=VIEWPORT, locale="sv-SE", base_url=web.url)
                page = context.new_page()

                def snap(name: str, *, whole: bool = False) -> None:
                    page.wait_for_load_state("networkidle")
                    path = out / f"{name}.png"
                    page.screenshot(path=str(path), full_page=whole)
                    taken.append(path)

                page.goto("/login")
                snap("01-logga-in")
                sign_in(page, ADMIN)
                snap("02-mina-arenden", whole=True)  # down to the waiting list, a little past 800 pixels
                open_start_form(page)
                fill_start_form(page, "19121212-1213")  # a wrong check digit: the error is shown at the field
                page.get_by_role("button", name="Starta ärendet").click()
                expect(page.get_by_role("alert")).to_be_visible()
                snap("03-starta-arende-med-fel")
                page.goto(f"/cases/{cases['at_task']}")
                snap("04-arende-vid-steg")
                page.goto(f"/cases/{cases['waiting']}")
                snap("05-arende-vantar")
                page.goto("/procedures")
                snap("06-rutiner")
                page.goto("/procedures/avregistrering-betyg")
                snap("07-rutin")
                page.goto(f"/audit/{cases['done']}")
                snap("08-granskning")
                browser.close()
        finally:
            web.stop()
    return taken


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the web app's main pages (PNG, 1280x800).")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    reason = missing_reason()
    if reason is not None:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    began = time.perf_counter()
    for path in shoot(args.out):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  ({path.stat().st_size // 1024} KiB)")
    print(f"{time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
