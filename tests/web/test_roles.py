"""Who sees what: a user without a role sees neither the buttons nor the cases, and a forged request is refused
by the application layer and recorded, as on the command line."""

from __future__ import annotations

import pytest

from engine.access import NotAllowed
from engine.errors import ActionRefused
from tests.web.conftest import Site


def test_a_user_without_a_role_sees_no_cases_in_the_lists(site: Site) -> None:
    case_id = site.start()
    site.sign_in("erik")
    assert case_id not in site.client.get("/").text
    assert case_id not in site.client.get("/?status=done").text
    assert case_id not in site.client.get("/cases/waiting-fragment").text
    assert "Du får inte starta någon rutin." in site.client.get("/cases/new").text


def test_a_user_without_a_role_cannot_open_the_case_page(site: Site) -> None:
    case_id = site.start()
    site.sign_in("erik")
    page = site.client.get(f"/cases/{case_id}")
    assert page.status_code == 403
    assert "19121212-1212" not in page.text  # not even the student's number
    assert "får inte se ärendet" in page.text


def test_a_forged_step_is_refused_by_the_application_and_recorded(site: Site) -> None:
    case_id = site.start()
    state = site.service.show(case_id, "anna").state
    action = site.service.show(case_id, "anna").actions[0].name
    site.sign_in("erik")
    answer = site.post(f"/cases/{case_id}/do", {"action": action})
    assert answer.status_code == 403  # type: ignore[attr-defined]
    case, events = site.service.history(case_id, "anna")
    assert case.state == state
    assert events[-1].kind == "refused"
    assert events[-1].actor == "erik"
    assert site.service.verify("anna", case_id).ok


def test_a_forged_comment_is_refused_and_recorded(site: Site) -> None:
    case_id = site.start()
    site.sign_in("erik")
    answer = site.post(f"/cases/{case_id}/comments", {"text": "jag var här"})
    assert answer.status_code == 403  # type: ignore[attr-defined]
    events = site.service.store.events(case_id)
    assert [e.kind for e in events] == ["case_started", "refused"]
    assert events[-1].action == "comment"
    assert "jag var här" not in str(events[-1].data)
    assert site.service.verify("anna", case_id).ok
    assert site.service.replay(case_id, "anna").ok


def test_the_application_layer_refuses_what_the_page_hides(site: Site) -> None:
    case_id = site.start()
    with pytest.raises(NotAllowed, match="may not see case"):
        site.service.case_page(case_id, "erik")
    with pytest.raises(NotAllowed, match="may not audit"):
        site.service.audit_page(case_id, "anna")
    with pytest.raises(NotAllowed, match="procedures overview"):
        site.service.procedure_overview("erik")
    with pytest.raises(ActionRefused, match="may not act"):
        site.service.do(case_id, site.service.show(case_id, "anna").actions[0].name, {}, "olof")


def test_an_auditor_reads_the_case_but_gets_no_buttons(site: Site) -> None:
    case_id = site.start()
    site.sign_in("olof")
    page = site.client.get(f"/cases/{case_id}").text
    assert "Du har inte behörighet att göra det här steget." in page
    assert 'name="action"' not in page
    assert f'href="/audit/{case_id}"' in page


def test_audit_pages_are_for_auditors_only(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")  # acts on cases, but is no auditor
    assert site.client.get(f"/audit/{case_id}").status_code == 403
    assert site.client.get(f"/audit/{case_id}/export.json").status_code == 403
    assert f'href="/audit/{case_id}"' not in site.client.get(f"/cases/{case_id}").text


def test_the_procedures_overview_is_for_process_owners(site: Site) -> None:
    site.start()
    site.sign_in("anna")
    assert site.client.get("/procedures").status_code == 403
    assert 'href="/procedures"' not in site.client.get("/").text
    site.client.cookies.clear()
    site.sign_in("petra")
    page = site.client.get("/procedures")
    assert page.status_code == 200
    assert "avregistrering-betyg" in page.text
    detail = site.client.get("/procedures/avregistrering-betyg")
    assert detail.status_code == 200
    assert "<svg " in detail.text
    assert site.client.get("/procedures/finns-inte").status_code == 404


def test_the_procedure_pages_name_the_file_never_the_servers_path(site: Site) -> None:
    from tests.conftest import PROCEDURES

    site.sign_in("petra")
    for url in ("/procedures", "/procedures/avregistrering-betyg"):
        assert str(PROCEDURES) not in site.client.get(url).text
    assert "· avregistrering-betyg.yaml</p>" in site.client.get("/procedures/avregistrering-betyg").text


def test_the_overview_counts_open_cases_per_version_and_step(site: Site) -> None:
    first = site.start()
    site.start()
    view = site.service.show(first, "anna")
    site.service.do(first, view.actions[0].name, {}, "anna")
    summary = next(s for s in site.service.procedure_overview("petra") if s.id == "avregistrering-betyg")
    assert summary.valid
    [version] = summary.versions
    assert version.current
    assert version.open_cases == 2
    assert sorted(s.cases for s in version.steps) == [1, 1]


def test_the_start_form_is_not_shown_to_whom_starting_would_be_refused(site: Site) -> None:
    site.sign_in("erik")
    page = site.client.get("/cases/new/avregistrering-betyg")
    assert page.status_code == 403
    assert 'name="personnummer"' not in page.text
    forged = site.post("/cases/new/avregistrering-betyg", {"personnummer": "19121212-1212"})
    assert forged.status_code == 403  # type: ignore[attr-defined]
    assert site.case_count() == 0
    assert site.service.store.events("system")[-1].kind == "start_refused"


def test_the_overview_lists_an_invalid_procedure_file_with_its_problems(site: Site, tmp_path: object) -> None:
    import shutil
    from pathlib import Path

    from adapters.procedure_folder import ProcedureFolder
    from tests.conftest import PROCEDURES

    folder = Path(str(tmp_path)) / "procedures"
    shutil.copytree(PROCEDURES, folder)
    (folder / "trasig.yaml").write_text(
        "id: trasig\ntitle: Trasig\nsteps:\n  - id: a\n    kind: task\n    next: finns_inte\n"
    )
    site.service.source = ProcedureFolder(folder)
    site.sign_in("petra")
    page = site.client.get("/procedures")
    assert page.status_code == 200
    assert "Ogiltig" in page.text
    assert "trasig.yaml:1:1: error" in page.text  # the problem's location, relative to the procedures folder
    assert str(folder) not in page.text
    detail = site.client.get("/procedures/trasig")
    assert "trasig.yaml:1:1: error" in detail.text
    assert str(folder) not in detail.text
    [broken] = [s for s in site.service.procedure_overview("petra") if s.id == "trasig"]
    assert not broken.valid
    assert broken.diagnostics  # each problem with its line and column, as `rutin procedures check` prints them
    assert any(":" in d.format() for d in broken.diagnostics)


def test_an_error_about_an_unknown_procedure_names_no_server_path(site: Site) -> None:
    from tests.conftest import PROCEDURES

    site.sign_in("anna")
    answer = site.client.get("/cases/new/finns-inte")
    assert answer.status_code == 404
    assert "finns-inte" in answer.text
    assert str(PROCEDURES) not in answer.text and str(PROCEDURES.resolve()) not in answer.text
