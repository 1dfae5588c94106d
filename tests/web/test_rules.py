"""Rule failures on the pages: the routine's own sentence, beside the step and in the case's list of refusals."""

from __future__ import annotations

from tests.conftest import World
from tests.integration.test_betygssattning_kursslut import INPUTS as COURSE_END
from tests.integration.test_betygssattning_kursslut import PROC as COURSE_END_PROC
from tests.integration.test_betygssattning_kursslut import walk
from tests.web.conftest import INPUTS, PROC, Site


def test_a_start_refused_by_a_rule_shows_the_routines_sentence_and_saves_nothing(site: Site) -> None:
    site.sign_in("anna")
    same_group = {**INPUTS, "ny_betygsgrupp": INPUTS["betygsgrupp"]}
    answer = site.post(f"/cases/new/{PROC}", same_group, from_page=f"/cases/new/{PROC}")
    assert answer.status_code == 409  # type: ignore[attr-defined]
    html = answer.text  # type: ignore[attr-defined]
    assert "är samma som den felaktiga" in html
    assert "Betyg är registrerat på fel betygsgrupp" in html  # the sentence of the routine the rule cites
    assert 'value="MA1A-HT24"' in html  # the form keeps what was typed
    assert site.case_count() == 0


def test_a_step_refused_by_a_rule_is_explained_and_listed_on_the_case_page(site: Site) -> None:
    world = World(site.service, site.clock, site.service.store, site.db_path)  # type: ignore[arg-type]
    case_id = site.service.start(COURSE_END_PROC, COURSE_END, "anna").id
    walk(world, case_id, until="pp_katalog_kontroll")
    site.sign_in("anna")
    answer = site.post(
        f"/cases/{case_id}/do", {"action": "pp_katalog_kontroll", "antal_lasta": "18"}, from_page=f"/cases/{case_id}"
    )
    assert answer.status_code == 409  # type: ignore[attr-defined]
    assert "Bara 18 av 20 betyg är registrerade och låsta." in answer.text  # type: ignore[attr-defined]
    assert 'value="18"' in answer.text  # type: ignore[attr-defined]
    page = site.client.get(f"/cases/{case_id}").text
    assert "Regler som inte var uppfyllda" in page
    assert "Bara 18 av 20 betyg är registrerade och låsta." in page
    assert site.service.show(case_id, "anna").state == "pp_katalog_kontroll"
