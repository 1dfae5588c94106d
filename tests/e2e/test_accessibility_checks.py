"""The accessibility checks themselves catch what they are meant to catch (on small pages written here), so a
clean result on the app's pages means something."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -e '.[dev]'")

from tests.e2e.a11y import axe_violations, keyboard_unreachable, unlabelled_controls

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

GOOD = """<!doctype html><html lang="sv"><head><title>Bra sida</title></head><body>
<main><h1>Starta ärende</h1><a href="#hjalp">Hjälp</a>
<form><label for="pn">Elevens personnummer</label><input id="pn" name="pn">
<fieldset><legend>Orsak</legend>
<label><input type="radio" name="orsak" value="a"> Fel kurs</label>
<label><input type="radio" name="orsak" value="b"> Fel grupp</label></fieldset>
<label for="val">Betyg</label><select id="val"><option>A</option></select>
<button type="submit">Starta</button></form></main></body></html>"""

BAD = """<!doctype html><html><head><title>Dålig sida</title></head><body>
<main><h1>Starta ärende</h1><img src="data:,">
<form><input id="pn" placeholder="Personnummer"><input id="kurs" title="Kurskod">
<a href="#x" tabindex="-1">Bara med mus</a><button type="submit">Starta</button></form></main></body></html>"""


@pytest.fixture
def blank(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_a_clean_page_passes_every_check(blank: Page) -> None:
    blank.set_content(GOOD)
    assert axe_violations(blank) == []
    assert unlabelled_controls(blank) == []
    assert keyboard_unreachable(blank) == []


def test_axe_reports_missing_language_alt_text_and_labels(blank: Page) -> None:
    blank.set_content(BAD)
    rules = {v.rule for v in axe_violations(blank)}
    assert {"html-has-lang", "image-alt"} <= rules


def test_a_placeholder_or_title_is_not_a_label(blank: Page) -> None:
    blank.set_content(BAD)
    found = unlabelled_controls(blank)
    assert len(found) == 2
    assert 'id="pn"' in found[0] and 'id="kurs"' in found[1]


def test_a_link_taken_out_of_the_tab_order_is_reported_unreachable(blank: Page) -> None:
    blank.set_content(BAD)
    unreachable = keyboard_unreachable(blank)
    assert len(unreachable) == 1
    assert "Bara med mus" in unreachable[0]
