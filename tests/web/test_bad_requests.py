"""Odd requests get a page that says what was wrong, never a 500, and a refused form saves nothing.

The query strings and bodies are the ones QA3 reproduced (#4, #9, #17, #27, #28): an unknown status, a page number
past SQLite's integers, a field sent twice, control characters and bytes that are not UTF-8 in a comment, a field
the procedure does not have.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from engine.comments import MAX_COMMENT_LENGTH
from tests.web.conftest import INPUTS, PROC, Site

STUDENT = {**INPUTS, "personnummer": "20000229-2399"}  # a second student, to filter a shorter list by


def kinds(site: Site, case_id: str) -> list[str]:
    return [e.kind for e in site.service.store.events(case_id)]


def form_post(site: Site, url: str, body: bytes, content_type: str = "application/x-www-form-urlencoded") -> object:
    return site.client.post(url, content=body, headers={"content-type": content_type}, follow_redirects=False)


# -- Mina ärenden: filters and pages (#4, #27) -----------------------------------------------------------------


@pytest.mark.parametrize("status", ["bogus", "%ff", "%00", "Waiting", "x" * 5000])
def test_an_unknown_status_filter_is_explained_beside_the_status_field_with_422(site: Site, status: str) -> None:
    site.start()
    site.sign_in("anna")
    answer = site.client.get(f"/?status={status}")
    assert answer.status_code == 422
    assert 'id="f-status-error"' in answer.text
    assert "det finns ingen status" in answer.text
    assert "välj en i listan: Att göra (försenade först), Försenad, Att göra, Väntar, Klar" in answer.text
    if len(status) > 40:  # a long value is cut where the message repeats it
        assert f"det finns ingen status &#39;{status[:40]}…&#39;" in answer.text


def test_the_status_filters_message_is_english_in_english(site: Site) -> None:
    site.sign_in("anna")
    answer = site.client.get("/", params={"status": "bogus", "lang": "en"})
    assert answer.status_code == 422
    assert "there is no status &#39;bogus&#39;" in answer.text
    assert "choose one in the list: To do (overdue first), Overdue, To do, Waiting, Done" in answer.text


def test_a_procedure_filter_the_person_cannot_choose_is_explained_with_422(site: Site) -> None:
    site.sign_in("anna")
    answer = site.client.get("/", params={"procedure": "nosuch"})
    assert answer.status_code == 422
    assert 'id="f-procedure-error"' in answer.text
    assert "det finns ingen rutin &#39;nosuch&#39; bland dem vars ärenden du ser" in answer.text
    assert site.client.get("/", params={"procedure": PROC}).status_code == 200


@pytest.mark.parametrize("page", ["abc", "1e3", "2.5", "1_0", "٣", "²", "1 2", "--1"])
def test_a_page_number_that_is_not_a_whole_number_is_explained_with_422(site: Site, page: str) -> None:
    case_id = site.start()
    site.sign_in("anna")
    answer = site.client.get("/", params={"page": page})
    assert answer.status_code == 422
    assert "är inget heltal" in answer.text
    assert "använd länkarna Föregående sida och Nästa sida" in answer.text
    assert case_id not in answer.text  # like a bad student filter: no list beside the message
    english = site.client.get("/", params={"page": page, "lang": "en"})
    assert "is not a whole number" in english.text


@pytest.mark.parametrize("page", ["0", "-1", "+0", "-9223372036854775809", "", " 1 "])
def test_a_page_number_below_one_shows_the_first_page(site: Site, page: str) -> None:
    case_id = site.start()
    site.sign_in("anna")
    answer = site.client.get("/", params={"page": page})
    assert answer.status_code == 200
    assert case_id in answer.text


@pytest.mark.parametrize("page", ["3", "4", "9223372036854775807", "99999999999999999999999", "9" * 5000])
def test_a_page_number_past_the_end_shows_the_last_page(site: Site, monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    monkeypatch.setattr("web.pages.PER_PAGE", 2)
    ids = [site.start() for _ in range(5)]  # pages of 2, 2 and 1
    site.sign_in("anna")
    answer = site.client.get("/", params={"page": page})
    assert answer.status_code == 200
    assert "Sida 3" in answer.text
    assert sum(i in answer.text for i in ids) == 1
    assert "page=2" in answer.text and "Nästa sida" not in answer.text


def test_a_filtered_list_past_its_end_shows_its_own_last_page(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.pages.PER_PAGE", 2)
    for _ in range(6):  # six cases of another student: the list filtered below has fewer pages than all cases
        site.start()
    mine = [site.start(STUDENT) for _ in range(3)]
    site.sign_in("anna")
    for page in ("3", "5", "9223372036854775807"):
        answer = site.client.get("/", params={"student": "20000229-2399", "page": page})
        assert answer.status_code == 200
        assert "Sida 2" in answer.text
        assert sum(i in answer.text for i in mine) == 1


def test_the_waiting_fragment_refuses_a_bad_status_or_page_with_422(site: Site) -> None:
    site.to_wait(site.start())
    site.sign_in("anna")
    for query, says in (("status=bogus", "det finns ingen status"), ("page=abc", "är inget heltal")):
        answer = site.client.get(f"/cases/waiting-fragment?{query}")
        assert answer.status_code == 422
        assert says in answer.text
    huge = site.client.get("/cases/waiting-fragment?status=waiting&page=9223372036854775807")
    assert huge.status_code == 200


def test_a_procedure_name_no_file_may_have_is_not_found(site: Site) -> None:
    site.sign_in("anna")
    for name in ("x" * 5000, "Avregistrering", "a%00b", "a%20b"):
        answer = site.client.get(f"/cases/new/{name}")
        assert answer.status_code == 404, name
        assert "Hittades inte" in answer.text
        assert "det finns ingen rutin" in answer.text
    posted = site.post("/cases/new/" + "x" * 5000, INPUTS)
    assert posted.status_code == 404  # type: ignore[attr-defined]
    assert site.case_count() == 0


ODD_VALUES = (
    "bogus",
    "%ff",
    "%00",
    "%0A",
    "9223372036854775807",
    "99999999999999999999999",
    "-1",
    "0",
    "abc",
    "x" * 5000,
    "%D9%A3",
    "1e3",
    "%3Cscript%3E",
)
PARAMETERS = ("procedure", "status", "group", "student", "page", "lang", "v", "next", "expired")


def test_no_query_value_on_any_page_gives_a_server_error(site: Site) -> None:
    """Every GET page with every parameter any of them reads, given odd values once and twice."""
    case_id = site.start()
    site.to_wait(site.start())
    site.service.comment(case_id, "en kommentar", "anna")
    pages = {
        "anna": ["/", "/cases/waiting-fragment", "/cases/new", f"/cases/new/{PROC}", f"/cases/{case_id}"],
        "olof": [f"/audit/{case_id}", f"/audit/{case_id}/export.json", f"/audit/{case_id}/export.csv", "/"],
        "petra": ["/procedures", f"/procedures/{PROC}", "/procedures/nosuch"],
    }
    for person, paths in pages.items():
        site.sign_in(person)
        # a client that answers 500 instead of raising, so every failure is listed at once
        client = TestClient(site.client.app, base_url="http://127.0.0.1", raise_server_exceptions=False)
        client.cookies = site.client.cookies
        failures = []
        for path in [*paths, "/login"]:
            for name in PARAMETERS:
                for value in ODD_VALUES:
                    for query in (f"{name}={value}", f"{name}={value}&{name}=open"):
                        answer = client.get(f"{path}?{query}", follow_redirects=False)
                        if answer.status_code >= 500 or answer.status_code in (401, 403):
                            failures.append((person, path, query[:40], answer.status_code))
                        elif answer.status_code != 200:
                            assert answer.status_code in (204, 303, 404, 422), (path, query[:40])
        assert failures == []


# -- a field sent twice (#9) -----------------------------------------------------------------------------------


def test_a_start_form_with_a_field_sent_twice_is_refused_naming_the_field(site: Site) -> None:
    site.sign_in("anna")
    token = site.csrf(f"/cases/new/{PROC}")
    body = {**INPUTS, "personnummer": [INPUTS["personnummer"], "19121272-1219"], "csrf_token": token}
    answer = site.client.post(f"/cases/new/{PROC}", data=body, follow_redirects=False)
    assert answer.status_code == 422
    assert "formuläret skickade fältet &#39;personnummer&#39; 2 gånger" in answer.text
    assert 'id="in-personnummer-error"' in answer.text
    assert site.case_count() == 0


def test_a_step_form_or_a_comment_with_a_field_sent_twice_saves_nothing(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    view = site.service.show(case_id, "anna")
    token = site.csrf(f"/cases/{case_id}")
    action = view.actions[0].name
    sent: list[tuple[str, dict[str, str | list[str]], str]] = [
        (f"/cases/{case_id}/do", {"action": [action, action]}, "fältet &#39;action&#39; 2 gånger"),
        (f"/cases/{case_id}/comments", {"text": ["ett", "två"]}, "fältet &#39;text&#39; 2 gånger"),
        (f"/cases/{case_id}/comments", {"text": "ett", "csrf_token": [token, token]}, "&#39;csrf_token&#39; 2 gånger"),
    ]
    for url, fields, says in sent:
        answer = site.client.post(url, data={"csrf_token": token, **fields}, follow_redirects=False)
        assert answer.status_code == 422, url
        assert says in answer.text
    assert kinds(site, case_id) == ["case_started"]


# -- a field the procedure does not have (#28) -----------------------------------------------------------------


def test_a_start_form_with_a_field_the_procedure_lacks_names_that_field(site: Site) -> None:
    site.sign_in("anna")
    answer = site.post(f"/cases/new/{PROC}", {**INPUTS, "bogus": "1"}, from_page=f"/cases/new/{PROC}")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert "formuläret innehåller fältet &#39;bogus&#39;, som rutinens startformulär inte har" in text
    assert "ladda om sidan och fyll i formuläret igen" in text
    assert "<ul></ul>" not in text
    assert site.case_count() == 0
    english = site.post(f"/cases/new/{PROC}?lang=en", {**INPUTS, "bogus": "1"})
    assert "the form has the field &#39;bogus&#39;, which the procedure&#39;s start form does not have" in (
        english.text  # type: ignore[attr-defined]
    )
    assert site.case_count() == 0


def test_a_step_form_with_a_field_the_step_lacks_names_that_field(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    view = site.service.show(case_id, "anna")
    answer = site.post(
        f"/cases/{case_id}/do", {"action": view.actions[0].name, "bogus": "1"}, from_page=f"/cases/{case_id}"
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert f"formuläret innehåller fältet &#39;bogus&#39;, som steget &#39;{view.step_title}&#39; inte har" in (
        answer.text  # type: ignore[attr-defined]
    )
    assert kinds(site, case_id) == ["case_started"]


# -- comments: the text rule and UTF-8 (#17) -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "code"), [("a\x01b", "U+0001"), ("rad\x1b[31m", "U+001B"), ("a\x7fb", "U+007F")])
def test_a_comment_with_a_control_character_is_refused_like_a_text_field(site: Site, text: str, code: str) -> None:
    case_id = site.start()
    site.sign_in("anna")
    answer = site.post(f"/cases/{case_id}/comments", {"text": text}, from_page=f"/cases/{case_id}")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    assert f"texten innehåller det osynliga styrtecknet {code}" in answer.text  # type: ignore[attr-defined]
    assert 'id="comment-error"' in answer.text  # type: ignore[attr-defined]
    assert kinds(site, case_id) == ["case_started"]


def test_a_comment_keeps_its_line_breaks_and_tabs_and_may_be_longer_than_a_text_field(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    text = "första raden\r\n\tindragen rad\nsista"
    assert site.post(f"/cases/{case_id}/comments", {"text": text}).status_code == 303  # type: ignore[attr-defined]
    long = "å" * MAX_COMMENT_LENGTH  # twice a text field's bound, within a comment's
    assert site.post(f"/cases/{case_id}/comments", {"text": long}).status_code == 303  # type: ignore[attr-defined]
    stored = [e.data["text"] for e in site.service.store.events(case_id) if e.kind == "comment"]
    assert stored == ["första raden\n\tindragen rad\nsista", long]


@pytest.mark.parametrize("raw", [b"a\xff\xfeb", b"a%FF%FEb", b"%C3", b"caf%C3%A9%E9"])
def test_a_comment_whose_bytes_are_not_utf8_is_refused_with_400(site: Site, raw: bytes) -> None:
    case_id = site.start()
    site.sign_in("anna")
    token = site.csrf(f"/cases/{case_id}")
    answer = form_post(site, f"/cases/{case_id}/comments", b"text=" + raw + b"&csrf_token=" + token.encode())
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert "fältet &#39;text&#39; innehåller byte som inte är UTF-8-text; ingenting sparades" in (
        answer.text  # type: ignore[attr-defined]
    )
    assert kinds(site, case_id) == ["case_started"]


def test_utf8_written_as_percent_escapes_is_saved_as_the_text_it_spells(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    token = site.csrf(f"/cases/{case_id}")
    answer = form_post(site, f"/cases/{case_id}/comments", b"text=caf%C3%A9+ok&csrf_token=" + token.encode())
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert site.service.store.events(case_id)[-1].data == {"text": "café ok"}


def test_a_multipart_form_that_is_not_utf8_or_sends_a_file_saves_nothing(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    token = site.csrf(f"/cases/{case_id}")
    url = f"/cases/{case_id}/comments"

    def multipart(text: bytes) -> bytes:
        return (
            b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n' + token.encode() + b"\r\n"
            b'--B\r\nContent-Disposition: form-data; name="text"\r\n\r\n' + text + b"\r\n--B--\r\n"
        )

    latin1 = form_post(site, url, multipart(b"caf\xe9"), "multipart/form-data; boundary=B")
    assert latin1.status_code == 400  # type: ignore[attr-defined]
    assert "formuläret innehåller byte som inte är UTF-8-text" in latin1.text  # type: ignore[attr-defined]
    as_file = site.client.post(url, data={"csrf_token": token}, files={"text": ("a.txt", b"hej")})
    assert as_file.status_code == 422
    assert "formuläret skickade en fil som fältet &#39;text&#39;" in as_file.text
    too_big = site.client.post(url, data={"csrf_token": token}, files={"text": (None, b"x" * (1024 * 1024 + 1))})
    assert too_big.status_code == 400
    assert too_big.headers["content-type"].startswith("text/html")
    assert "formuläret kunde inte läsas: ett fält är större än 1 MB" in too_big.text
    too_long = form_post(site, url, b"csrf_token=" + token.encode() + b"&text=" + b"x" * (1024 * 1024 + 1))
    assert too_long.status_code == 400  # type: ignore[attr-defined]
    assert "formuläret kunde inte läsas" in too_long.text  # type: ignore[attr-defined]
    assert kinds(site, case_id) == ["case_started"]
    assert site.post(url, {"text": "café"}).status_code == 303  # type: ignore[attr-defined]
