"""WCAG 2.1 AA basics on every main page: axe-core finds no violation of its wcag2a/2aa/21a/21aa rules, every
form control has a visible label, and Tab alone reaches every link, button and field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")

from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, keyboard_unreachable, unlabelled_controls
from tests.e2e.conftest import new_page
from tests.e2e.pages import STEP_LABELS, fill_start_form, open_start_form, press, sign_in, start_case
from tests.e2e.server import ADMIN

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Browser, Page

    from tests.e2e.server import WebServer


@pytest.fixture(scope="module")
def cases(browser: Browser, web: WebServer, admin_state: Path) -> dict[str, str]:
    """A case at a step with a field to fill in, and one waiting on BER, made through the pages."""
    page = new_page(browser, web, admin_state)
    at_field = start_case(page, "19800101-1231")
    for label in STEP_LABELS[:2]:
        press(page, label)
    waiting = start_case(page, "19900101-0017")
    for label in STEP_LABELS:
        if label == "Välj lärare":
            page.get_by_label("Läraren som beslutade betyget").fill("Karin Lind")
        press(page, label)
    expect(page.get_by_text("väntas senast")).to_be_visible()
    page.context.close()
    return {"at_field": at_field, "waiting": waiting}


def _start_form_with_an_error(page: Page) -> None:
    open_start_form(page)
    fill_start_form(page, "19121212-1213")  # a wrong check digit
    page.get_by_role("button", name="Starta ärendet").click()
    expect(page.get_by_role("alert")).to_contain_text("Ärendet startades inte")


PAGES: dict[str, Callable[[Page, dict[str, str]], None]] = {
    "login": lambda page, _: page.goto("/login"),
    "mina_arenden": lambda page, _: page.goto("/"),
    "pick_procedure": lambda page, _: page.goto("/cases/new"),
    "start_form": lambda page, _: page.goto("/cases/new/avregistrering-betyg"),
    "start_form_with_error": lambda page, _: _start_form_with_an_error(page),
    "case_at_a_task": lambda page, c: page.goto(f"/cases/{c['at_field']}"),
    "case_waiting": lambda page, c: page.goto(f"/cases/{c['waiting']}"),
    "procedures": lambda page, _: page.goto("/procedures"),
    "procedure": lambda page, _: page.goto("/procedures/avregistrering-betyg"),
    "audit": lambda page, c: page.goto(f"/audit/{c['waiting']}"),
    "case_at_a_task_in_english": lambda page, c: page.goto(f"/cases/{c['at_field']}?lang=en"),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_page_meets_wcag_21_aa_basics(
    browser: Browser, web: WebServer, admin_state: Path, cases: dict[str, str], name: str
) -> None:
    page = new_page(browser, web, None if name == "login" else admin_state)
    try:
        PAGES[name](page, cases)
        expect(page.locator("main")).to_be_visible()
        assert [str(v) for v in axe_violations(page)] == []
        assert unlabelled_controls(page) == []
        assert keyboard_unreachable(page) == []
    finally:
        page.context.close()


def test_the_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(page: Page) -> None:
    sign_in(page, ADMIN)
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Hoppa till innehållet")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_start_form_error_is_tied_to_its_field_for_screen_readers(page: Page) -> None:
    sign_in(page, ADMIN)
    _start_form_with_an_error(page)
    field = page.get_by_label("Elevens personnummer")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby") or ""
    assert "in-personnummer-error" in described.split()
    expect(page.locator("#in-personnummer-error")).not_to_be_empty()
    page.get_by_role("alert").get_by_role("link", name="Elevens personnummer").click()  # the summary leads to it
    expect(field).to_be_focused()


def test_a_step_with_a_field_is_done_with_the_keyboard_alone(admin_page: Page) -> None:
    page = admin_page
    start_case(page, "19700707-4565")
    for label in STEP_LABELS[:2]:
        press(page, label)
    field = page.get_by_label("Läraren som beslutade betyget")
    page.goto(page.url)  # from the top of the page, as it loads
    for _ in range(40):
        page.keyboard.press("Tab")
        if field.evaluate("el => el === document.activeElement"):
            break
    expect(field).to_be_focused()
    page.keyboard.type("Karin Lind")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Välj lärare")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=2, name="Nu: Spara")).to_be_visible()
    expect(page.get_by_role("region", name="Uppgifter")).to_contain_text("Karin Lind")
