"""What the browser tests and the screenshot script do on the pages: sign in, start a grade-revocation case,
press a step's button. Selectors are by role and label, as a person (or a screen reader) finds things."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import expect

from tests.e2e.server import Person

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.e2e.server import WebServer

PROCEDURE_TITLE = "Avregistrering av felaktigt registrerat betyg"
PERSONNUMMER_DATA = Path(__file__).resolve().parent.parent / "data" / "personnummer" / "list.json"
CASE_URL = re.compile(r".*/cases/(R-[0-9A-Z]{8})$")


def test_personnummer() -> str:
    """A valid, adult, synthetic personnummer from the personnummer project's MIT test data (tests/data)."""
    for item in json.loads(PERSONNUMMER_DATA.read_text(encoding="utf-8")):
        if item["valid"] and item["type"] == "ssn" and 1950 < int(item["long_format"][:4]) < 2000:
            return str(item["separated_long"])
    raise LookupError("no valid adult personnummer in the test data")


test_personnummer.__test__ = False  # type: ignore[attr-defined]  # a helper, not a pytest test


def sign_in(page: Page, person: Person, target: str = "/") -> None:
    page.goto(target)
    page.get_by_label("Användarnamn").fill(person.name)
    page.get_by_label("Lösenord").fill(person.password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_text(person.display)).to_be_visible()


def open_start_form(page: Page) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Starta ärende").click()
    page.get_by_role("link", name=PROCEDURE_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PROCEDURE_TITLE)


def fill_start_form(page: Page, personnummer: str, reason: str = "Eleven har inte läst/slutfört kursen") -> None:
    page.get_by_label("Elevens personnummer").fill(personnummer)
    page.get_by_label("Varför ska betyget makuleras?").select_option(label=reason)
    page.get_by_label("Kurskod för det felaktiga betyget").fill("MATMAT01a")
    page.get_by_label("Betygsgruppen där betyget är felaktigt registrerat").fill("MA1A-HT24")


def start_case(page: Page, personnummer: str) -> str:
    """Start a grade-revocation case (reason: the student did not take the course) through the form; its id."""
    open_start_form(page)
    fill_start_form(page, personnummer)
    page.get_by_role("button", name="Starta ärendet").click()
    expect(page).to_have_url(CASE_URL)
    match = CASE_URL.match(page.url)
    assert match is not None
    return match.group(1)


def now_heading(page: Page, title: str) -> None:
    """The case page's "Nu: ..." heading names the step."""
    expect(page.get_by_role("heading", level=2, name=f"Nu: {title}")).to_be_visible()


def press(page: Page, label: str) -> None:
    """Press a step's button (named as in the routine) and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("group", name="Gör steget").get_by_role("button", name=label, exact=True).click()


STEP_LABELS = ("Eleven är uppsökt", "Betyget är upplåst och borttaget", "Välj lärare", "Sparat", "Betyget är borttaget")
FIELDS = {"ed_beslutad_av": ("beslutande_larare=Karin Lind",), "ber_avbrott": ("status=avbrott",)}
TO_THE_WAIT = ("ed_sok_elev", "ed_las_upp", "ed_beslutad_av", "ed_spara", "ed_bekrafta")
AFTER_THE_WAIT = ("ber_avbrott", "ed_katalog_felaktig", "ja", "posta_kataloger")  # reason ej_last, to the end


def start_by_cli(web: WebServer, person: Person, personnummer: str, steps: tuple[str, ...] = (), **more: str) -> str:
    """A grade-revocation case (reason ej_last unless `orsak` is given) started with the CLI on the server's
    database and taken `steps` along; its id."""
    inputs = {"personnummer": personnummer, "orsak": "ej_last", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"}
    args = [a for k, v in {**inputs, **more}.items() for a in ("--set", f"{k}={v}")]
    started = json.loads(web.rutin("--as", person.name, "case", "start", "avregistrering-betyg", *args, "--json"))
    case_id = str(started["id"])
    do_by_cli(web, person, case_id, steps)
    return case_id


def do_by_cli(web: WebServer, person: Person, case_id: str, steps: tuple[str, ...]) -> None:
    for action in steps:
        sets = [a for s in FIELDS.get(action, ()) for a in ("--set", s)]
        web.rutin("--as", person.name, "case", "do", case_id, action, *sets)
