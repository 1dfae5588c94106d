"""Changes between procedure versions, in plain words, and which open cases may move to the new version.

Each test plants one change in a copy of the shipped avregistrering-betyg procedure (edits to its text),
loads both through the real loader and checks that the change is reported once, with the right kind and
readable words, and that a case is judged safe to move exactly when no changed step has run for it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from engine.evolution import Assessment, Change, assess_migration, changed_steps, diff_procedures
from engine.loader import load_procedure_text
from engine.procedure import Procedure
from tests.conftest import PROCEDURES

TEXT = (PROCEDURES / "avregistrering-betyg.yaml").read_text(encoding="utf-8")
START = ("kontroll_ny_grupp", "kontroll_ny_kurs", "ed_sok_elev")
UP_TO_SPARA = (*START, "ed_las_upp", "ed_beslutad_av", "ed_spara")
AT_BEKRAFTA = (*UP_TO_SPARA, "ed_bekrafta")
AT_LAS_UPP = (*START, "ed_las_upp")


def load(text: str) -> Procedure:
    return load_procedure_text(text).procedure


OLD = load(TEXT)


def edit(text: str, *pairs: tuple[str, str]) -> str:
    """Replace each `old` (which must be in the text) by `new`, everywhere."""
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def block(text: str, step_id: str) -> tuple[int, int]:
    """Where a step's block starts and ends in the text."""
    start = text.index(f"  - id: {step_id}\n")
    end = text.find("\n  - id: ", start + 1)
    return start, end + 1


def without_step(text: str, step_id: str) -> str:
    start, end = block(text, step_id)
    return text[:start] + text[end:]


def diff_with(text: str) -> list[Change]:
    return diff_procedures(OLD, load(text))


def assess(route: Sequence[str], changes: Sequence[Change], new_text: str) -> Assessment:
    return assess_migration(route, route[-1], changes, load(new_text))


REMOVED_SPARA = edit(without_step(TEXT, "ed_spara"), ("next: ed_spara", "next: ed_bekrafta"))
RENAMED_SPARA = edit(TEXT, ("ed_spara", "ed_klicka_spara"))
RULE_CHANGED = edit(
    TEXT,
    (
        "condition: \"orsak == 'ej_last' or ny_betygsgrupp != betygsgrupp\"",
        "condition: \"orsak != 'fel_betygsgrupp' or ny_betygsgrupp != betygsgrupp\"",
    ),
)
INSTRUCTIONS_CHANGED = edit(TEXT, ('instructions: "Klicka på Spara."', 'instructions: "Klicka på knappen Spara."'))


def sok_elev_first() -> str:
    """ed_sok_elev moved to the top: the student is looked up before the two checks run."""
    start, end = block(TEXT, "ed_sok_elev")
    moved = edit(TEXT[start:end], ("next: ed_las_upp", "next: kontroll_ny_grupp"))
    first = TEXT.index("  - id: kontroll_ny_grupp\n")
    text = TEXT[:first] + moved + TEXT[first:start] + TEXT[end:]
    return edit(text, ("    next: ed_sok_elev\n", "    next: ed_las_upp\n"))


def test_an_unchanged_procedure_has_no_changes() -> None:
    for path in sorted(PROCEDURES.glob("*.yaml")):
        procedure = load(path.read_text(encoding="utf-8"))
        assert diff_procedures(procedure, procedure) == [], path.name


def test_a_removed_step_is_reported_once_with_its_title_and_the_new_way_around_it() -> None:
    changes = diff_with(REMOVED_SPARA)

    assert [(c.kind, c.step_id) for c in changes] == [("next_changed", "ed_beslutad_av"), ("step_removed", "ed_spara")]
    removed = changes[1]
    assert removed.detail_sv == "Steget 'ed_spara' (Spara) har tagits bort"
    assert removed.detail_en == "Step 'ed_spara' (Save) was removed"
    assert "går nu till 'ed_bekrafta' (förut 'ed_spara')" in changes[0].detail_sv
    assert changed_steps(changes) == {"ed_beslutad_av", "ed_spara"}


def test_a_renamed_step_is_one_rename_and_the_steps_leading_to_it_did_not_change() -> None:
    changes = diff_with(RENAMED_SPARA)

    assert len(changes) == 1
    renamed = changes[0]
    assert (renamed.kind, renamed.step_id, renamed.new_step_id) == ("step_renamed", "ed_spara", "ed_klicka_spara")
    assert renamed.detail_sv == "Steget 'ed_spara' (Spara) har bytt namn till 'ed_klicka_spara'"
    assert renamed.detail_en == "Step 'ed_spara' (Save) was renamed to 'ed_klicka_spara'"


def test_a_step_renamed_with_a_new_title_is_found_by_its_content() -> None:
    text = edit(
        TEXT,
        ("kontroll_ny_kurs", "kontroll_kurs"),
        ("title: Den rätta kursen är en annan än den felaktiga", "title: Rätt kurs är inte densamma som den felaktiga"),
    )

    changes = diff_with(text)

    assert [(c.kind, c.step_id, c.new_step_id) for c in changes] == [
        ("step_renamed", "kontroll_ny_kurs", "kontroll_kurs"),
        ("title_changed", "kontroll_ny_kurs", "kontroll_kurs"),
    ]
    assert 'ersattes av "Rätt kurs är inte densamma som den felaktiga"' in changes[1].detail_sv
    assert not changes[1].affects_cases


def test_a_changed_condition_is_a_rule_change_quoting_both_conditions() -> None:
    changes = diff_with(RULE_CHANGED)

    assert len(changes) == 1
    rule = changes[0]
    assert (rule.kind, rule.step_id, rule.affects_cases) == ("rule_changed", "kontroll_ny_grupp", True)
    assert rule.detail_sv.startswith(
        "Steget 'kontroll_ny_grupp' (Den nya gruppen är en annan än den felaktiga) har bytt regel: "
    )
    assert (
        "villkoret \"orsak == 'ej_last' or ny_betygsgrupp != betygsgrupp\" "
        "ersattes av \"orsak != 'fel_betygsgrupp' or ny_betygsgrupp != betygsgrupp\""
    ) in rule.detail_sv
    assert "the condition \"orsak == 'ej_last'" in rule.detail_en


def test_a_new_message_for_the_same_rule_is_only_wording() -> None:
    text = edit(TEXT, ("ange gruppen eleven ska flyttas till.", "ange den grupp eleven flyttas till."))

    changes = diff_with(text)

    assert [(c.kind, c.step_id, c.affects_cases) for c in changes] == [("rule_changed", "kontroll_ny_grupp", False)]
    assert "meddelandet" in changes[0].detail_sv
    assert changed_steps(changes) == set()


def test_changed_instructions_are_reported_with_old_and_new_text_and_change_no_behaviour() -> None:
    changes = diff_with(INSTRUCTIONS_CHANGED)

    assert len(changes) == 1
    assert (changes[0].kind, changes[0].step_id, changes[0].affects_cases) == (
        "instructions_changed",
        "ed_spara",
        False,
    )
    assert changes[0].detail_sv == (
        "Steget 'ed_spara' (Spara) har fått nya texter: "
        'instruktionen "Klicka på Spara." ersattes av "Klicka på knappen Spara."'
    )
    assert changed_steps(changes) == set()


def test_a_step_moved_in_the_flow_is_one_move_and_its_new_neighbour_a_new_way_on() -> None:
    changes = diff_with(sok_elev_first())

    assert [(c.kind, c.step_id) for c in changes] == [
        ("step_moved", "ed_sok_elev"),
        ("next_changed", "kontroll_ny_kurs"),
    ]
    moved = changes[0]
    assert moved.detail_sv == (
        "Steget 'ed_sok_elev' (Sök upp eleven via betygsgruppen) har flyttats: "
        "det är nu det första steget (förut efter 'kontroll_ny_kurs'); "
        "går nu till 'kontroll_ny_grupp' (förut 'ed_las_upp')"
    )
    assert moved.affects_cases
    assert changed_steps(changes) == {"ed_sok_elev", "kontroll_ny_kurs"}


def test_a_step_moved_only_in_the_file_changes_no_behaviour() -> None:
    start, end = block(TEXT, "ed_katalog_felaktig")
    text = TEXT[:start] + TEXT[end:]
    text = text + "\n" + TEXT[start:end]

    changes = diff_with(text)

    assert [(c.kind, c.step_id, c.affects_cases) for c in changes] == [("step_moved", "ed_katalog_felaktig", False)]
    assert "vägen genom rutinen är densamma" in changes[0].detail_sv


def test_an_added_optional_input_is_reported_and_harmless() -> None:
    text = edit(TEXT, ("inputs:\n", "inputs:\n  - {name: kommentar, type: text, label: Kommentar, required: false}\n"))

    changes = diff_with(text)

    assert [(c.kind, c.step_id, c.subject, c.affects_cases) for c in changes] == [
        ("input_added", None, "kommentar", False)
    ]
    assert changes[0].detail_sv == "Uppgiften 'kommentar' (Kommentar) har lagts till, och den är valfri"


def test_an_added_step_and_changed_wait_timing_are_each_reported_once() -> None:
    task = (
        "  - id: ed_anteckna\n    kind: task\n    system: ED\n    title: Anteckna\n"
        '    instructions: "Anteckna makuleringen."\n    next: ed_bekrafta\n\n'
    )
    text = edit(TEXT, ("next: ed_bekrafta", "next: ed_anteckna"))
    start, _end = block(text, "ed_bekrafta")
    text = text[:start] + task + text[start:]
    text = text.replace(
        "overdue_after: 1h\n    confirm_label: Betyget har försvunnit",
        "overdue_after: 2h\n    confirm_label: Betyget har försvunnit",
    )

    changes = diff_with(text)

    assert [(c.kind, c.step_id) for c in changes] == [
        ("next_changed", "ed_spara"),
        ("step_added", "ed_anteckna"),
        ("wait_changed", "ber_vanta_borttaget"),
    ]
    assert changes[1].detail_sv == "Steget 'ed_anteckna' (Anteckna) har lagts till"
    assert 'tiden till försenat "1h" ersattes av "2h"' in changes[2].detail_sv


# -- may an open case move? -----------------------------------------------------------------------------


def test_a_case_that_has_passed_a_removed_step_may_not_move() -> None:
    changes = diff_with(REMOVED_SPARA)

    verdict = assess(AT_BEKRAFTA, changes, REMOVED_SPARA)

    assert not verdict.safe
    assert verdict.new_state == "ed_bekrafta"
    assert any("'ed_spara' har redan körts" in r for r in verdict.reasons_sv)
    assert any("'ed_spara' has already run" in r for r in verdict.reasons_en)


def test_a_case_before_a_removed_step_may_move_to_the_same_step() -> None:
    changes = diff_with(REMOVED_SPARA)

    verdict = assess(AT_LAS_UPP, changes, REMOVED_SPARA)

    assert verdict == Assessment(True, [], [], "ed_las_upp")


def test_a_case_at_a_step_whose_way_on_changed_may_not_move() -> None:
    changes = diff_with(REMOVED_SPARA)

    verdict = assess((*AT_LAS_UPP, "ed_beslutad_av"), changes, REMOVED_SPARA)

    assert not verdict.safe
    assert verdict.reasons_sv == [
        "Ärendet står vid steget 'ed_beslutad_av', som har ändrats: " + changes[0].detail_sv,
    ]


def test_a_case_standing_at_a_removed_step_may_not_move_and_has_no_new_state() -> None:
    changes = diff_with(REMOVED_SPARA)

    verdict = assess(UP_TO_SPARA, changes, REMOVED_SPARA)

    assert not verdict.safe
    assert verdict.new_state is None
    assert "Steget där ärendet står, 'ed_spara', finns inte i den nya versionen" in verdict.reasons_sv


@pytest.mark.parametrize("route", [AT_LAS_UPP, UP_TO_SPARA, AT_BEKRAFTA])
def test_a_rename_alone_is_safe_and_moves_the_state_to_the_new_id(route: tuple[str, ...]) -> None:
    changes = diff_with(RENAMED_SPARA)

    verdict = assess(route, changes, RENAMED_SPARA)

    assert verdict.safe, verdict.reasons_en
    assert verdict.new_state == ("ed_klicka_spara" if route[-1] == "ed_spara" else route[-1])
    assert changed_steps(changes) == {"ed_spara"}


def test_a_changed_rule_that_every_case_has_passed_makes_every_case_unsafe() -> None:
    changes = diff_with(RULE_CHANGED)

    for route in (START, AT_LAS_UPP, AT_BEKRAFTA):
        verdict = assess(route, changes, RULE_CHANGED)
        assert not verdict.safe
        assert verdict.reasons_en == [
            "Step 'kontroll_ny_grupp' has already run for the case and changed: " + changes[0].detail_en
        ]


def test_a_move_is_unsafe_for_cases_past_the_moved_step() -> None:
    text = sok_elev_first()
    changes = diff_with(text)

    assert not assess(AT_LAS_UPP, changes, text).safe
    assert not assess(START, changes, text).safe


def test_a_wait_in_progress_whose_timing_changed_may_not_move_but_one_not_yet_reached_may() -> None:
    text = TEXT.replace(
        "expected: 15m\n    overdue_after: 1h\n    confirm_label: Betyget har försvunnit",
        "expected: 30m\n    overdue_after: 1h\n    confirm_label: Betyget har försvunnit",
    )
    changes = diff_with(text)
    assert [c.kind for c in changes] == ["wait_changed"]

    assert not assess((*AT_BEKRAFTA, "ber_vanta_borttaget"), changes, text).safe
    assert assess(AT_BEKRAFTA, changes, text).safe


def test_only_text_changes_are_safe_for_every_case() -> None:
    text = edit(
        INSTRUCTIONS_CHANGED,
        ("title: Spara\n", "title: Spara ändringen\n"),
        ("title_en: Save\n", "title_en: Save the change\n"),
        ("done_label: Sparat\n", "done_label: Ändringen är sparad\n"),
        ('quote: "Klicka på Spara"', 'quote: "Klicka på Spara."'),
        ("label: Läraren som beslutade betyget", "label: Läraren som satte betyget"),
    )
    changes = diff_with(text)
    assert {c.kind for c in changes} == {"title_changed", "instructions_changed", "source_changed", "fields_changed"}
    assert changed_steps(changes) == set()

    for route in (START, AT_LAS_UPP, UP_TO_SPARA, AT_BEKRAFTA, (*AT_BEKRAFTA, "ber_vanta_borttaget")):
        assert assess(route, changes, text) == Assessment(True, [], [], route[-1])


def test_a_new_required_input_makes_every_open_case_unsafe() -> None:
    text = edit(TEXT, ("inputs:\n", "inputs:\n  - {name: diarienummer, type: text, label: Diarienummer}\n"))
    changes = diff_with(text)

    verdict = assess(START, changes, text)

    assert [c.kind for c in changes] == ["input_added"]
    assert not verdict.safe
    assert verdict.reasons_sv == [
        "Det gäller alla öppna ärenden: Uppgiften 'diarienummer' (Diarienummer) har lagts till, och den krävs"
    ]
