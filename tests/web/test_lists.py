"""Mina ärenden: overdue first, filters by procedure, status, group and student, pages."""

from __future__ import annotations

from tests.web.conftest import INPUTS, Site

OTHER = {**INPUTS, "personnummer": "20000229-2399", "betygsgrupp": "EN5A-HT24", "ny_betygsgrupp": "EN5B-HT24"}


def test_filters_by_student_and_by_group_find_the_matching_case(site: Site) -> None:
    first = site.start()
    second = site.start(OTHER)
    site.sign_in("anna")
    by_student = site.client.get("/", params={"student": "200002292399"}).text  # written without the dash
    assert second in by_student and first not in by_student
    by_group = site.client.get("/", params={"group": "MA1A-HT24"}).text
    assert first in by_group and second not in by_group
    by_new_group = site.client.get("/", params={"group": "EN5B-HT24"}).text  # any input of type group
    assert second in by_new_group and first not in by_new_group


def test_a_bad_student_filter_is_explained_beside_the_field(site: Site) -> None:
    site.start()
    site.sign_in("anna")
    answer = site.client.get("/", params={"student": "19121212-1213"})
    assert answer.status_code == 422
    assert 'id="f-student-error"' in answer.text


def test_the_status_filter_lists_done_cases_only_when_asked(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    assert case_id in site.client.get("/").text
    assert case_id not in site.client.get("/", params={"status": "done"}).text


def test_the_list_comes_in_pages(site: Site) -> None:
    ids = [site.start({**INPUTS, "betygsgrupp": f"G{i:02d}-HT24"}) for i in range(53)]
    site.sign_in("anna")
    first = site.client.get("/").text
    assert "Nästa sida" in first
    assert sum(i in first for i in ids) == 50
    second = site.client.get("/", params={"page": 2}).text
    assert sum(i in second for i in ids) == 3
    assert "Föregående sida" in second


def test_overdue_cases_come_first(site: Site) -> None:
    from datetime import timedelta

    late = site.start()
    view = site.to_wait(late)
    assert view.waiting is not None
    site.clock.set(view.waiting.overdue_at + timedelta(minutes=1))
    fresh = site.start(OTHER)
    found = site.service.my_cases("anna")
    assert [c.view.id for c in found.cases] == [late, fresh]
    assert found.cases[0].view.status == "overdue"


def test_the_waiting_lists_pages_lead_to_the_waiting_cases_not_the_main_list(site: Site) -> None:
    ids = []
    for i in range(51):
        case_id = site.start({**INPUTS, "betygsgrupp": f"W{i:02d}-HT24"})
        site.to_wait(case_id)
        ids.append(case_id)
    site.sign_in("anna")
    home = site.client.get("/").text
    assert 'href="/?status=waiting&amp;page=2"' in home
    second = site.client.get("/", params={"status": "waiting", "page": 2}).text
    assert sum(i in second for i in ids) == 1
    assert sum(i in site.client.get("/", params={"page": 2}).text for i in ids) == 50  # the waiting list stays on 1
