"""Every page's markup: a title, the language, unique ids, and a visible label tied to every form control.

The browser tests check WCAG with axe-core on the rendered pages; these catch the same mistakes in milliseconds.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.web.conftest import FIELDS, Site

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.ids: list[str] = []
        self.buttons: list[str] = []
        self.title = ""
        self.lang: str | None = None
        self._in: list[str] = []
        self._button = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "html":
            self.lang = found.get("lang")
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag in ("select", "textarea") or (tag == "input" and found.get("type") not in ("hidden", "submit")):
            self.controls.append(found)
        if tag == "button":
            self._button = ""
        if tag not in VOID:
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self.buttons.append(self._button.strip())
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._in and self._in[-1] == "title" and "head" in self._in:  # not the SVG diagram's <title>s
            self.title += data
        if "button" in self._in:
            self._button += data


def pages(site: Site) -> list[str]:
    case_id = site.start()
    view = site.service.show(case_id, "anna")
    site.service.do(case_id, view.actions[0].name, {}, "anna")
    site.service.do(case_id, site.service.show(case_id, "anna").actions[0].name, {}, "anna")  # a step with fields
    site.service.comment(case_id, "en kommentar", "anna")
    return [
        "/",
        "/?status=waiting",
        "/cases/new",
        "/cases/new/avregistrering-betyg",
        f"/cases/{case_id}",
        "/procedures",
        "/procedures/avregistrering-betyg",
        f"/audit/{case_id}",
    ]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_control_has_a_label_and_every_page_a_title_and_a_language(site: Site, lang: str) -> None:
    from engine.access import User
    from tests.conftest import ADMIN_ROLES, ADMIN_TASKS
    from tests.web.conftest import PASSWORD

    site.service.save_user(User("allt", ADMIN_ROLES, ADMIN_TASKS, "Allt", admin=True), "admin")
    site.authenticator.set_password("allt", PASSWORD)
    site.sign_in("allt")  # an administrator with the role: every page, every button
    checked = 0
    for url in ["/login", *pages(site)]:
        answer = site.client.get(url, params={"lang": lang})
        assert answer.status_code == 200, url
        markup = Markup()
        markup.feed(answer.text)
        assert markup.lang == lang, url
        assert markup.title.strip() and "<" not in markup.title and len(markup.title) < 200, url
        assert len(markup.ids) == len(set(markup.ids)), f"{url}: repeated ids"
        for control in markup.controls:
            named = control.get("id") in markup.labels or control.get("aria-label")
            assert named, f"{url}: a control without a label: {control}"
            checked += 1
        assert all(markup.buttons), f"{url}: a button without a name"
    assert checked > 10


def test_a_steps_fields_are_labelled_with_the_routines_words(site: Site) -> None:
    case_id = site.start()
    view = site.service.show(case_id, "anna")
    for _ in range(5):
        if view.actions and view.actions[0].fields:
            break
        view = site.service.do(case_id, view.actions[0].name, {}, "anna")
    field = view.actions[0].fields[0]
    assert field.name in FIELDS
    site.sign_in("anna")
    page = site.client.get(f"/cases/{case_id}").text
    assert f'<label for="field-{field.name}">{field.label}</label>' in page
