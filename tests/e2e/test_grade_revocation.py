"""A grade-revocation case in a real browser, from signing in to its audit page, and the sign-in page's basics.

The web app runs as `rutin web` on its own database and a clock file; time moves only when the test writes
the file, and the worker's sweep is `rutin worker --once` at that moment.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")

from playwright.sync_api import expect

from tests.e2e.pages import STEP_LABELS, now_heading, press, sign_in, start_case, test_personnummer
from tests.e2e.server import ADMIN, AUDITOR, NO_ROLE

CASE_ID = re.compile(r"^R-[0-9A-Z]{8}$")

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.server import WebServer


def test_a_grade_revocation_case_is_walked_to_its_end_and_its_audit_shows_an_intact_chain(
    page: Page, web: WebServer
) -> None:
    sign_in(page, ADMIN)
    case_id = start_case(page, test_personnummer())

    now_heading(page, "Sök upp eleven via betygsgruppen")
    expect(page.get_by_text("System: ED")).to_be_visible()
    press(page, "Eleven är uppsökt")
    now_heading(page, "Lås upp och ta bort betyget")
    press(page, "Betyget är upplåst och borttaget")
    now_heading(page, 'Välj läraren under "Betyg beslutades av"')
    page.get_by_label("Läraren som beslutade betyget").fill("Karin Lind")
    press(page, "Välj lärare")
    now_heading(page, "Spara")
    press(page, "Sparat")
    now_heading(page, "Bekräfta ändringen")
    press(page, "Betyget är borttaget")

    # the wait: "det kan ta upp till 15 min innan betyget försvinner från BER" (the clock stands still meanwhile)
    expected_by = f"väntas senast {web.now + timedelta(minutes=15):%H:%M}"
    now_heading(page, "Vänta tills betyget har försvunnit från BER")
    expect(page.get_by_text(expected_by)).to_be_visible()
    expect(page.get_by_role("group", name="Gör steget")).to_have_count(0)  # the system answers, not a person
    page.get_by_role("link", name="Mina ärenden").click()
    waiting = page.locator("#waiting").get_by_role("row").filter(has=page.get_by_role("link", name=case_id))
    expect(waiting).to_contain_text(expected_by)

    web.advance(minutes=16)
    web.sweep()
    page.goto(f"/cases/{case_id}")
    now_heading(page, "Registrera avbrott eller ej börjat")
    page.get_by_label("Registrerad status").select_option(label="Avbrott")
    press(page, "Statusen är registrerad")
    now_heading(page, "Skriv ut ny betygskatalog")
    press(page, "Katalogen är utskriven")
    now_heading(page, "Är betygskatalogerna från samma år?")
    press(page, "Ja, samma år")
    now_heading(page, "Posta de nya betygskatalogerna")
    press(page, "Katalogerna är postade")

    now_heading(page, "Makuleringen är klar")
    expect(page.get_by_text("Ärendet är klart.")).to_be_visible()
    expect(page.locator(".meta .badge")).to_have_text("Klar")
    history = page.get_by_role("region", name="Historik")
    expect(history.get_by_text("Väntan uppfylld")).to_be_visible()

    page.get_by_role("link", name="Granskning").click()
    expect(page).to_have_url(re.compile(f".*/audit/{case_id}$"))
    expect(page.get_by_role("status")).to_contain_text("Kedjan är obruten")
    expect(page.get_by_text("Uppspelningen stämmer med det sparade ärendet.")).to_be_visible()
    expect(page.get_by_role("link", name="Ladda ner JSON")).to_have_attribute("href", f"/audit/{case_id}/export.json")


def test_a_signed_out_visitor_is_sent_to_sign_in_and_then_back_to_the_page_asked_for(page: Page) -> None:
    page.goto("/procedures")
    expect(page).to_have_url(re.compile(r".*/login\?next=%2Fprocedures$"))
    expect(page.get_by_role("heading", level=1, name="Logga in")).to_be_visible()
    sign_in(page, ADMIN, target=page.url)
    expect(page).to_have_url(re.compile(r".*/procedures$"))


def test_a_signed_out_visitor_sees_no_case_data(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r".*/login\?next=%2F$"))
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_have_count(0)
    expect(page.get_by_role("table")).to_have_count(0)


def test_signing_in_works_with_the_keyboard_alone(page: Page) -> None:
    page.goto("/login")
    expect(page.get_by_label("Användarnamn")).to_be_focused()
    page.keyboard.type(ADMIN.name)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Lösenord")).to_be_focused()
    page.keyboard.type(ADMIN.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Mina ärenden")).to_be_visible()
    expect(page.get_by_text(ADMIN.display)).to_be_visible()


def test_a_wrong_password_is_refused_and_said_next_to_the_fields(page: Page) -> None:
    page.goto("/login")
    page.get_by_label("Användarnamn").fill(ADMIN.name)
    page.get_by_label("Lösenord").fill("inte-lösenordet")
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("alert")).to_have_text("Fel användarnamn eller lösenord.")
    expect(page.get_by_label("Lösenord")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_have_count(0)


def test_the_language_switch_turns_the_pages_english_and_back(admin_page: Page) -> None:
    page = admin_page
    page.goto("/")
    page.get_by_role("link", name="In English").click()
    expect(page.get_by_role("heading", level=1, name="My cases")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Start a case").click()  # the choice is kept from page to page
    expect(page.get_by_role("link", name="Revoking a wrongly registered grade")).to_be_visible()
    page.get_by_role("link", name="På svenska").click()
    expect(page.get_by_role("heading", level=1, name="Starta ärende")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "sv")


def test_signing_out_ends_the_session(page: Page) -> None:
    sign_in(page, ADMIN)
    page.get_by_role("button", name="Logga ut").click()
    expect(page.get_by_role("heading", level=1, name="Logga in")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r".*/login\?next="))


def _first_case(page: Page) -> str:
    page.goto("/")
    link = page.get_by_role("table").first.get_by_role("link", name=CASE_ID).first
    return str(link.text_content()).strip()


def test_a_person_without_a_role_sees_no_case_and_cannot_open_one_by_its_address(admin_page: Page, page: Page) -> None:
    case_id = _first_case(admin_page)
    sign_in(page, NO_ROLE)
    expect(page.get_by_role("heading", level=1, name="Mina ärenden")).to_be_visible()
    expect(page.get_by_text("Inga ärenden.").first).to_be_visible()
    expect(page.get_by_role("link", name=case_id)).to_have_count(0)
    answer = page.goto(f"/cases/{case_id}")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen behörighet")
    expect(page.get_by_role("button", name="Eleven är uppsökt")).to_have_count(0)
    page.goto("/cases/new")
    expect(page.get_by_text("Du får inte starta någon rutin.")).to_be_visible()
    assert page.goto("/procedures").status == 403  # type: ignore[union-attr]


def test_an_auditor_reads_a_case_but_gets_no_buttons_and_no_procedures_menu(admin_page: Page, page: Page) -> None:
    case_id = _first_case(admin_page)
    sign_in(page, AUDITOR)
    page.goto(f"/cases/{case_id}")
    expect(page.get_by_role("heading", level=2, name=re.compile("^Nu: "))).to_be_visible()
    expect(page.get_by_role("group", name="Gör steget")).to_have_count(0)
    expect(page.get_by_text("Du har inte behörighet att göra det här steget.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Rutiner")).to_have_count(0)
    page.get_by_role("link", name="Granskning").click()
    expect(page.get_by_role("status")).to_contain_text("Kedjan är obruten")


def test_a_form_with_a_forged_csrf_token_is_refused_and_nothing_is_saved(admin_page: Page) -> None:
    page = admin_page
    case_id = _first_case(page)
    page.goto(f"/cases/{case_id}")
    form = page.locator("#comments form")
    form.locator("input[name=csrf_token]").evaluate("input => { input.value = 'forged' }")
    page.get_by_role("textbox", name="Kommentar").fill("Skickad med fel token")
    with page.expect_navigation():
        page.get_by_role("button", name="Lägg till kommentar").click()
    expect(page.get_by_text("Formuläret är för gammalt eller kom inte från Rutin; ingenting sparades.")).to_be_visible()
    page.goto(f"/cases/{case_id}")
    expect(page.get_by_text("Skickad med fel token")).to_have_count(0)
    page.get_by_role("textbox", name="Kommentar").fill("Skickad med rätt token")
    page.get_by_role("button", name="Lägg till kommentar").click()
    expect(page.locator("#comments").get_by_text("Skickad med rätt token")).to_be_visible()


def test_the_waiting_list_updates_itself_when_the_system_answers(admin_page: Page, web: WebServer) -> None:
    page = admin_page
    problems: list[str] = []  # script errors and refusals by the Content-Security-Policy
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "404" not in m.text else None)
    case_id = start_case(page, "19660606-1239")
    for label in STEP_LABELS:
        if label == "Välj lärare":
            page.get_by_label("Läraren som beslutade betyget").fill("Karin Lind")
        press(page, label)
    page.goto("/")
    waiting = page.locator("#waiting")
    expect(waiting.get_by_role("link", name=case_id)).to_be_visible()
    web.advance(minutes=16)
    web.sweep()
    # no reload: HTMX asks for the waiting list again every 5 seconds
    expect(waiting.get_by_role("link", name=case_id)).to_have_count(0, timeout=15_000)
    expect(page.get_by_role("heading", level=1, name="Mina ärenden")).to_be_visible()
    assert problems == []
