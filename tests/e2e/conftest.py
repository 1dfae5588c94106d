"""Fixtures of the browser tests: one `rutin web` and one Chromium per session (starting them is most of the
suite's time), and a fresh browser context (no cookies) per test. Tests share the server's database, so each
uses its own students. Everything is skipped, saying why, without Chromium or Playwright."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.browser import CHROMIUM_ARGS, VIEWPORT, chromium_path, missing_reason
from tests.e2e.server import WebServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

REASON = missing_reason()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if REASON is None:
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=REASON))


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def web() -> Iterator[WebServer]:
    with tempfile.TemporaryDirectory(prefix="rutin-e2e-") as tmp:
        server = WebServer(Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def new_page(browser: Browser, web: WebServer, storage: Path | None = None) -> Page:
    """A page in a fresh browser context (its own cookies), optionally with a saved signed-in state."""
    context = browser.new_context(
        viewport=VIEWPORT, locale="sv-SE", base_url=web.url, storage_state=str(storage) if storage else None
    )
    context.set_default_timeout(10_000)
    return context.new_page()


@pytest.fixture
def page(browser: Browser, web: WebServer) -> Iterator[Page]:
    opened = new_page(browser, web)
    yield opened
    opened.context.close()


@pytest.fixture(scope="session")
def admin_state(browser: Browser, web: WebServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The administrator's signed-in cookies, saved once (signing in costs an argon2 check). No test signs this
    session out: the test of signing out signs in on its own."""
    from tests.e2e.pages import sign_in
    from tests.e2e.server import ADMIN

    state = tmp_path_factory.mktemp("state") / "admin.json"
    signing = new_page(browser, web)
    sign_in(signing, ADMIN)
    signing.context.storage_state(path=str(state))
    signing.context.close()
    return state


@pytest.fixture
def admin_page(browser: Browser, web: WebServer, admin_state: Path) -> Iterator[Page]:
    """A fresh context already signed in as the administrator."""
    opened = new_page(browser, web, admin_state)
    yield opened
    opened.context.close()
