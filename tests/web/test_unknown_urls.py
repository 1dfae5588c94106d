"""An address with no page, or a method an address does not take, is a page in the person's language, not JSON."""

from __future__ import annotations

from tests.web.conftest import Site


def test_an_unknown_address_is_the_not_found_page_in_swedish(site: Site) -> None:
    site.sign_in("anna")

    answer = site.client.get("/nosuchpage")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Hittades inte" in answer.text and "Det finns ingen sida på den här adressen." in answer.text
    assert '"detail"' not in answer.text


def test_an_unknown_address_is_in_english_for_an_english_reader_and_without_signing_in(site: Site) -> None:
    answer = site.client.get("/audit/R-X/export.xml", params={"lang": "en"})

    assert answer.status_code == 404
    assert "There is no page at this address." in answer.text


def test_a_method_the_address_does_not_take_keeps_its_allow_header(site: Site) -> None:
    answer = site.client.delete("/login")

    assert answer.status_code == 405
    assert "GET" in answer.headers["allow"]
    assert "Förfrågan gick inte att besvara (405)." in answer.text
