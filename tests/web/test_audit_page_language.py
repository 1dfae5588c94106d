"""The audit page tells an auditor what was tampered with in the page's language, as `rutin audit` does."""

from __future__ import annotations

import sqlite3

from tests.web.conftest import Site


def tamper_actor(site: Site, case_id: str) -> None:
    with sqlite3.connect(site.db_path) as conn:
        conn.execute("UPDATE events SET actor = 'mallory' WHERE stream = ? AND seq = 2", (case_id,))


def test_a_changed_actor_is_named_on_the_audit_page_in_swedish(site: Site) -> None:
    case_id = site.start()
    site.service.do(case_id, "ed_sok_elev", {}, "anna")
    tamper_actor(site, case_id)
    site.sign_in("olof")

    page = site.client.get(f"/audit/{case_id}")

    assert page.status_code == 200
    assert "händelse 2" in page.text and "har ändrats efter att den skrevs" in page.text
    assert "&#34;mallory&#34;" in page.text or "mallory" in page.text
    assert "was changed after it was written" not in page.text


def test_the_same_page_in_english_says_it_in_english(site: Site) -> None:
    case_id = site.start()
    site.service.do(case_id, "ed_sok_elev", {}, "anna")
    tamper_actor(site, case_id)
    site.sign_in("olof")

    page = site.client.get(f"/audit/{case_id}", params={"lang": "en"})

    assert "was changed after it was written" in page.text
    assert "event 2" in page.text
