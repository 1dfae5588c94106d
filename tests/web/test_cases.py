"""Starting and walking cases through the web: validation beside each field, CSRF, the grade-revocation routine."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.web.conftest import FIELDS, INPUTS, PROC, Site

BUTTON = re.compile(r'<button type="submit" name="action" value="([^"]+)">([^<]+)</button>')


def test_the_start_form_has_a_labelled_field_for_every_declared_input(site: Site) -> None:
    site.sign_in("anna")
    page = site.client.get(f"/cases/new/{PROC}").text
    for name in INPUTS:
        assert f'<label for="in-{name}">' in page
        assert f'id="in-{name}" name="{name}"' in page


def test_a_bad_start_shows_each_problem_beside_its_field_and_saves_nothing(site: Site) -> None:
    site.sign_in("anna")
    bad = {**INPUTS, "personnummer": "19121212-1213", "kurskod": ""}  # wrong check digit; course left out
    answer = site.post(f"/cases/new/{PROC}", bad, from_page=f"/cases/new/{PROC}")
    assert answer.status_code == 422  # type: ignore[attr-defined]
    html = answer.text  # type: ignore[attr-defined]
    assert 'id="in-personnummer-error"' in html
    assert 'id="in-kurskod-error"' in html
    assert 'aria-describedby="in-personnummer-error"' in html
    assert 'value="19121212-1213"' in html  # what was typed stays in the form
    assert "Ärendet startades inte" in html
    assert site.case_count() == 0


def test_a_good_start_saves_the_case_and_opens_it(site: Site) -> None:
    site.sign_in("anna")
    answer = site.post(f"/cases/new/{PROC}", INPUTS, from_page=f"/cases/new/{PROC}")
    assert answer.status_code == 303  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/cases/R-TEST0001"  # type: ignore[attr-defined]
    page = site.client.get("/cases/R-TEST0001").text
    assert "Avregistrering" in page
    assert site.case_count() == 1


@pytest.mark.parametrize("token", [None, "", "forged-token-from-another-site"])
def test_a_post_without_the_right_csrf_token_is_refused_and_writes_nothing(site: Site, token: str | None) -> None:
    site.sign_in("anna")
    case_id = site.start()
    before = site.service.store.events(case_id)
    extra = {} if token is None else {"csrf_token": token}
    posts = {
        f"/cases/new/{PROC}": INPUTS,
        f"/cases/{case_id}/do": {"action": "ed_sok_elev"},
        f"/cases/{case_id}/comments": {"text": "hej"},
        "/logout": {},
    }
    for url, data in posts.items():
        answer = site.client.post(url, data={**data, **extra}, follow_redirects=False)
        assert answer.status_code == 403, url
        assert "ingenting sparades" in answer.text
    assert site.service.store.events(case_id) == before
    assert site.case_count() == 1
    assert site.client.get("/", follow_redirects=False).status_code == 200  # still signed in: logout was refused


def test_another_persons_csrf_token_does_not_work(site: Site) -> None:
    site.sign_in("bo")
    bos_token = site.csrf()
    site.client.cookies.clear()
    site.sign_in("anna")
    case_id = site.start()
    answer = site.client.post(f"/cases/{case_id}/comments", data={"text": "hej", "csrf_token": bos_token})
    assert answer.status_code == 403
    assert [e.kind for e in site.service.store.events(case_id)] == ["case_started"]


def walk_in_browser(site: Site, case_id: str) -> list[str]:
    """Press the first button of every step as a person would, moving the engine's clock through the waits."""
    pressed = []
    for _ in range(200):
        page = site.client.get(f"/cases/{case_id}")
        assert page.status_code == 200
        buttons = BUTTON.findall(page.text)
        if "Ärendet är klart." in page.text:
            return pressed
        if buttons:
            action, label = buttons[0]
            fields = {k: v for k, v in FIELDS.items() if f'name="{k}"' in page.text}
            answer = site.client.post(
                f"/cases/{case_id}/do",
                data={"action": action, "csrf_token": site.csrf(f"/cases/{case_id}"), **fields},
                follow_redirects=False,
            )
            assert answer.status_code == 303, answer.text
            pressed.append(label)
        else:
            assert "väntas senast" in page.text
            site.clock.advance(__import__("datetime").timedelta(minutes=1))
            site.service.sweep()
    raise AssertionError("the case did not finish")


def test_the_grade_revocation_case_walks_to_its_end_through_the_pages(site: Site) -> None:
    site.sign_in("anna")
    started = site.post(f"/cases/new/{PROC}", INPUTS, from_page=f"/cases/new/{PROC}")
    case_id = started.headers["location"].rsplit("/", 1)[1]  # type: ignore[attr-defined]
    pressed = walk_in_browser(site, case_id)
    assert "Eleven är uppsökt" in pressed
    view = site.service.show(case_id, "anna")
    assert view.status == "done"
    assert site.service.replay(case_id, "anna").ok
    assert site.service.verify("anna", case_id).ok


def test_the_case_page_shows_the_step_its_system_instructions_buttons_and_diagram(site: Site) -> None:
    site.sign_in("anna")
    case_id = site.start()
    view = site.service.show(case_id, "anna")
    page = site.client.get(f"/cases/{case_id}").text
    assert view.step_title in page
    assert f"System: {view.system}" in page
    assert (view.instructions or "")[:40].replace('"', "&#34;") in page
    for action in view.actions:
        assert f'value="{action.name}">{action.label}</button>' in page
    assert "<svg " in page and 'role="img"' in page  # the diagram inline, with the current step marked


def test_a_rule_that_does_not_hold_is_explained_with_the_routines_sentence(site: Site) -> None:
    site.sign_in("anna")
    same_group = {**INPUTS, "ny_betygsgrupp": INPUTS["betygsgrupp"]}
    answer = site.post(f"/cases/new/{PROC}", same_group, from_page=f"/cases/new/{PROC}")
    assert answer.status_code in (409, 422)  # type: ignore[attr-defined]
    assert site.case_count() == 0


def test_a_step_someone_else_already_did_is_refused_with_what_happened(site: Site) -> None:
    site.sign_in("anna")
    case_id = site.start()
    token = site.csrf(f"/cases/{case_id}")
    first = BUTTON.findall(site.client.get(f"/cases/{case_id}").text)[0][0]
    site.service.do(case_id, first, {}, "bo")  # bo was quicker
    answer = site.client.post(f"/cases/{case_id}/do", data={"action": first, "csrf_token": token})
    assert answer.status_code == 409
    assert "bo" in answer.text and "redan" in answer.text


def test_the_waiting_list_says_until_when_and_refreshes_by_itself(site: Site) -> None:
    site.sign_in("anna")
    case_id = site.start()
    view = site.to_wait(case_id)
    assert view.waiting is not None
    home = site.client.get("/").text
    assert 'hx-get="/cases/waiting-fragment' in home and 'hx-trigger="every 5s"' in home
    fragment = site.client.get("/cases/waiting-fragment", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    expected = view.waiting.expected_by.astimezone(__import__("engine.personnummer").personnummer.SWEDEN)
    assert f"väntas senast {expected:%H:%M}" in fragment.text
    assert case_id in fragment.text
    assert "<html" not in fragment.text  # a fragment, not a page


def test_exports_download_as_json_and_csv(site: Site) -> None:
    site.sign_in("olof")  # an auditor
    case_id = site.start()
    as_json = site.client.get(f"/audit/{case_id}/export.json")
    assert as_json.status_code == 200
    assert as_json.headers["content-disposition"] == f'attachment; filename="{case_id}.json"'
    assert json.loads(as_json.text)["case"]["id"] == case_id
    as_csv = site.client.get(f"/audit/{case_id}/export.csv")
    assert as_csv.headers["content-disposition"] == f'attachment; filename="{case_id}.csv"'
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0][:5] == ["case", "seq", "at", "actor", "kind"]
    assert rows[1][4] == "case_started"


def test_the_audit_page_shows_the_replay_and_the_intact_chain(site: Site) -> None:
    site.sign_in("olof")
    case_id = site.start()
    page = site.client.get(f"/audit/{case_id}").text
    assert "Kedjan är obruten" in page
    assert "Uppspelningen stämmer" in page
    assert "Ärendet startades" in page


def test_pages_switch_to_english(site: Site) -> None:
    site.sign_in("anna")
    answer = site.client.get("/?lang=en")
    assert "My cases" in answer.text and '<html lang="en">' in answer.text
    assert "My cases" in site.client.get("/").text  # the choice is kept in a cookie
    assert "Mina ärenden" in site.client.get("/?lang=sv").text


def test_the_waiting_list_answers_204_while_nothing_changed_so_focus_stays(site: Site) -> None:
    import html
    import re

    site.sign_in("anna")
    case_id = site.start()
    home = site.client.get("/").text
    url = html.unescape(re.search(r'<div id="waiting" hx-get="([^"]+)"', home).group(1))  # type: ignore[union-attr]
    assert "&v=" in url
    unchanged = site.client.get(url, headers={"HX-Request": "true"})
    assert unchanged.status_code == 204
    assert unchanged.content == b""
    site.to_wait(case_id)  # the case reaches a wait: the list changes
    changed = site.client.get(url, headers={"HX-Request": "true"})
    assert changed.status_code == 200
    assert case_id in changed.text
    assert changed.text.lstrip().startswith('<div id="waiting"')  # the box replaces itself, with its new digest
    new_url = html.unescape(re.search(r'hx-get="([^"]+)"', changed.text).group(1))  # type: ignore[union-attr]
    assert new_url != url
    assert site.client.get(new_url, headers={"HX-Request": "true"}).status_code == 204


def data_section(page: str) -> str:
    """The case page's "Uppgifter" list (inputs at start and fields recorded since)."""
    return page.split('id="h-data"', 1)[1].split("</dl>", 1)[0]


def test_the_case_data_shows_labels_and_choice_labels_with_the_yaml_names_at_hand(site: Site) -> None:
    case_id = site.start()
    site.to_wait(case_id)  # records `beslutande_larare` on the way
    site.sign_in("anna")
    data = data_section(site.client.get(f"/cases/{case_id}").text)
    assert "Varför ska betyget makuleras?" in data  # the input's label, not `orsak`
    assert "Betyget är registrerat på fel betygsgrupp" in data  # the choice's label, not `fel_betygsgrupp`
    assert '<dt title="orsak">' in data and '<code class="raw">orsak</code>' in data  # the name, for YAML readers
    assert '<dd title="fel_betygsgrupp">' in data
    assert ">fel_betygsgrupp<" not in data  # the raw value is no longer what people read
    assert "19121212-1212" in data  # a value without choices is shown as typed
    assert (
        "Läraren som beslutade betyget" in data and '<code class="raw">beslutande_larare</code>' in data
    )  # a recorded field
    english = data_section(site.client.get(f"/cases/{case_id}?lang=en").text)
    assert "Why is the grade revoked?" in english
    assert "The grade is registered on the wrong grade group" in english


def test_recorded_choice_fields_read_as_their_choices_labels_in_either_language(site: Site) -> None:
    from web.names import names_of

    loaded = site.service.current(PROC)
    sv, en = names_of(loaded, "sv"), names_of(loaded, "en")
    assert (sv.field("status"), sv.value("status", "ej_borjat")) == ("Registrerad status", "Ej börjat")
    assert (en.field("status"), en.value("status", "ej_borjat")) == ("Status registered", "Not started")
    assert en.value("status", "avbrott") == "Avbrott"  # no English label: the Swedish one, as the form shows it
    assert sv.value("status", "okänd") == "okänd"  # a value the version does not list is shown as stored
    assert sv.field("finns_inte") == "finns_inte"
    assert (sv.value("x", True), en.value("x", False), sv.value("x", None)) == ("Ja", "No", "")
