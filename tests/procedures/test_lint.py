"""Lint: each rule warns at the offending step's file:line:column with a hint, and stays quiet where it should.

Every case is one text edit of a small procedure that lints clean (`CLEAN`), so each warning is proven by
the smallest change that causes it. The shipped procedures and the documented example lint clean too
(`test_shipped.py`, `test_docs_example.py`); the precision cases below say why.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.catalogue import ACTIONS, QUERIES
from engine.diagnostics import Diagnostic
from engine.lint import CODES, CONFIRMED_BY, IRREVERSIBLE
from engine.loader import load_procedure_text
from engine.rules import catalogue

ROOT = Path(__file__).resolve().parents[2]
FILE = "lint-exempel.yaml"

CLEAN = """\
id: lint-exempel
title: Makulera ett betyg
title_en: Revoke a grade
access:
  tasks: [Betygsadministratör]
inputs:
  - {name: personnummer, type: personnummer, label: Elevens personnummer}
  - {name: grupp, type: group, label: Betygsgruppen}
  - {name: annan_grupp, type: group, label: En annan grupp, required: false}
  - {name: utskrift, type: yes_no, label: "Skrivs katalogen ut?"}
steps:
  - id: kontroll
    kind: check
    title: Gruppen är angiven
    condition: "grupp is not None"
    message: "Ange betygsgruppen."
    message_en: "Give the grade group."
    cite: "Ange betygsgruppen."
    next: ta_bort

  - id: ta_bort
    kind: task
    system: ED
    title: Ta bort betyget
    title_en: Remove the grade
    instructions: "Ta bort betyget för {personnummer} i {grupp}."
    instructions_en: "Remove the grade for {personnummer} in {grupp}."
    source: {section: "Steg 1"}
    performs:
      action: remove_grade
      args: {student: personnummer, group: grupp}
    next: vanta

  - id: vanta
    kind: wait
    system: BER
    title: Vänta tills betyget har försvunnit från BER
    title_en: Wait until the grade has left BER
    instructions: "Kontrollera i BER att betyget har försvunnit."
    instructions_en: "Check in BER that the grade has gone."
    source: {section: "Steg 2"}
    until:
      query: grade_registered
      args: {student: personnummer, group: grupp}
      equals: false
    check_every: 2m
    expected: 15m
    overdue_after: 1h
    next: fraga

  - id: fraga
    kind: choice
    title: Ny katalog?
    title_en: A new catalog?
    question: "Har eleven bett om en ny katalog?"
    question_en: "Has the student asked for a new catalog?"
    source: {section: "Steg 3"}
    options:
      - {name: ja, label: Ja, next: skriv_ut}
      - {name: nej, label: Nej, next: klart}

  - id: skriv_ut
    kind: task
    system: ED
    title: Skriv ut katalogen
    title_en: Print the catalog
    instructions: "Skriv ut en ny katalog för {grupp}."
    instructions_en: "Print a new catalog for {grupp}."
    source: {section: "Steg 4"}
    next: klart

  - id: klart
    kind: end
    title: Betyget är makulerat
    title_en: The grade is revoked
"""


@dataclass(frozen=True)
class Case:
    """`old` (once in CLEAN) becomes `new`; the one warning is `code` at the first character of `at`.

    `at` is looked for from the first occurrence of `anchor` in the edited text on (an anchor tells
    apart two equal texts: `at="vanta", anchor="- id: vanta"` is the step's id, not a `next: vanta`).
    """

    name: str
    old: str
    new: str
    code: str
    at: str
    hint: str
    message: str
    anchor: str = ""

    def text(self) -> str:
        assert CLEAN.count(self.old) == 1, f"{self.name}: `old` must occur once in CLEAN"
        return CLEAN.replace(self.old, self.new)

    def where(self) -> tuple[int, int]:
        return position(self.text(), self.at, self.anchor)


def position(text: str, at: str, anchor: str = "") -> tuple[int, int]:
    start = text.index(anchor) if anchor else 0
    offset = text.index(at, start)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def warnings_of(text: str) -> list[Diagnostic]:
    return load_procedure_text(text, FILE).warnings


CASES = [
    Case(
        "a_task_with_a_blank_system",
        "    system: ED\n    title: Ta bort betyget\n",
        '    system: " "\n    title: Ta bort betyget\n',
        "lint-no-system",
        at='" "',
        hint="add `system:` naming where the person works (BER, ED)",
        message="step 'ta_bort' does not say in which system the person works",
    ),
    Case(
        "a_question_that_sends_the_person_to_a_system_it_does_not_name",
        '    question: "Har eleven bett om en ny katalog?"\n',
        '    question: "Har eleven bett om en ny katalog i ED?"\n',
        "lint-no-system",
        at="fraga",
        anchor="- id: fraga",
        hint="add `system: ED`",
        message="the question 'fraga' does not say in which system it is answered, though its question sends the "
        "person to ED",
    ),
    Case(
        "a_question_with_an_empty_system",
        "    kind: choice\n",
        '    kind: choice\n    system: ""\n',
        "lint-no-system",
        at="fraga",
        anchor="- id: fraga",
        hint="add `system:` naming where the person works (BER, ED)",
        message="the question 'fraga' does not say in which system it is answered",
    ),
    Case(
        "a_wait_that_asks_the_opposite_of_the_change",
        "      equals: false\n",
        "      equals: true\n",
        "lint-unconfirmed-change",
        at="remove_grade",
        hint="follow it, on every route, with a wait on grade_registered about the same values",
        message="step 'ta_bort' performs remove_grade, but a route goes on to other work and ends without",
    ),
    Case(
        "a_wait_about_another_group",
        "      args: {student: personnummer, group: grupp}\n      equals: false\n",
        "      args: {student: personnummer, group: annan_grupp}\n      equals: false\n",
        "lint-unconfirmed-change",
        at="remove_grade",
        hint="a wait on grade_registered",
        message="performs remove_grade",
    ),
    Case(
        "an_irreversible_change_with_no_check_before_it",
        "  - id: kontroll\n",
        "  - id: start\n    kind: task\n    system: ED\n    title: Öppna ED\n    title_en: Open ED\n"
        '    instructions: "Öppna ED."\n    instructions_en: "Open ED."\n    source: {section: "Steg 0"}\n'
        "    actions:\n      - {name: kontrollera, label: Kontrollera, next: kontroll}\n"
        "      - {name: direkt, label: Direkt, next: ta_bort}\n\n  - id: kontroll\n",
        "lint-irreversible-unguarded",
        at="remove_grade",
        hint="put a check (a `rule` of the library, or a `condition` with its `cite`) before it on every route",
        message="step 'ta_bort' performs remove_grade, which cannot be undone, but a route from the first step "
        "reaches it without passing any check",
    ),
    Case(
        "a_wait_overdue_as_soon_as_it_takes_the_expected_time",
        "    overdue_after: 1h\n",
        "    overdue_after: 15m\n",
        "lint-wait-overdue-equals-expected",
        at="15m",
        anchor="overdue_after",
        hint="leave some slack: an `overdue_after` longer than `expected: 15m`",
        message="the wait 'vanta' is overdue the moment it takes as long as expected (15m)",
    ),
    Case(
        "a_step_without_source_in_a_traced_procedure",
        '    source: {section: "Steg 4"}\n',
        "",
        "lint-missing-source",
        at="skriv_ut",
        anchor="- id: skriv_ut",
        hint='add `source: {section: "...", quote: "..."}`',
        message="step 'skriv_ut' does not say which part of the routine it implements",
    ),
    Case(
        "instructions_without_english_in_a_translated_procedure",
        '    instructions_en: "Check in BER that the grade has gone."\n',
        "",
        "lint-missing-translation",
        at="instructions:",
        anchor="- id: vanta",
        hint="add `instructions_en:` beside `instructions:`",
        message="step 'vanta' has no `instructions_en`, though the procedure is in English elsewhere",
    ),
]

BY_NAME = {case.name: case for case in CASES}


def test_the_clean_example_has_no_warnings() -> None:
    assert warnings_of(CLEAN) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_rule_warns_at_the_offending_step_with_a_hint(case: Case) -> None:
    [found] = warnings_of(case.text())

    assert found.code == case.code
    assert found.severity == "warning"
    assert found.location is not None
    assert (found.location.path, found.location.line, found.location.column) == (FILE, *case.where())
    assert case.message in found.message
    assert found.hint is not None
    assert case.hint in found.hint


def test_a_procedure_anyone_may_act_in_is_warned_at_every_human_step() -> None:
    text = CLEAN.replace("  tasks: [Betygsadministratör]\n", "  tasks: []\n")

    found = warnings_of(text)

    assert {d.code for d in found} == {"lint-no-access-for-step"}
    at = [(d.location.line, d.location.column) for d in found if d.location]
    assert at == [position(text, step, f"- id: {step}") for step in ("ta_bort", "vanta", "fraga", "skriv_ut")]
    assert found[0].hint == "give the procedure (or the step) `access:` with `roles:` or `tasks:`"
    assert "anyone may act at step 'ta_bort'" in found[0].message


def test_a_step_with_its_own_access_is_not_warned_when_the_procedure_grants_nobody() -> None:
    text = CLEAN.replace("  tasks: [Betygsadministratör]\n", "  tasks: []\n").replace(
        "    kind: wait\n", "    kind: wait\n    access: {roles: [Handläggare BER]}\n"
    )

    found = warnings_of(text)

    assert "vanta" not in {d.message.split("'")[1] for d in found}
    assert len(found) == 3


# --- precision: where the rules stay quiet on purpose --------------------------------------------------


def test_a_question_that_names_no_system_asks_for_a_judgement_and_is_not_warned() -> None:
    question = CLEAN[CLEAN.index("- id: fraga") : CLEAN.index("- id: skriv_ut")]

    assert "system:" not in question
    assert warnings_of(CLEAN) == []


def test_a_choice_by_data_needs_no_system() -> None:
    text = CLEAN.replace(
        "    next: fraga\n",
        "    next: vilken\n\n  - id: vilken\n    kind: choice\n    title: Utskrift?\n    title_en: Print?\n"
        '    source: {section: "Steg 3"}\n    routes:\n      - {when: "utskrift == true", next: skriv_ut}\n'
        "    otherwise: fraga\n",
    )

    assert warnings_of(text) == []


def test_a_change_right_before_the_end_is_confirmed_by_the_persons_own_done() -> None:
    text = CLEAN.replace(
        '    source: {section: "Steg 4"}\n',
        '    source: {section: "Steg 4"}\n    performs:\n      action: post_catalog\n      args: {group: grupp}\n',
    )

    assert warnings_of(text) == []


def test_a_change_that_a_later_step_in_the_route_confirms_is_not_warned() -> None:
    """The wait may come after more work, as in Ping Pong: set the grade, tick the teacher, save, then wait."""
    text = CLEAN.replace("    next: vanta\n", "    next: mer\n", 1).replace(
        "  - id: vanta\n",
        "  - id: mer\n    kind: task\n    system: ED\n    title: Spara\n    title_en: Save\n"
        '    instructions: "Spara."\n    instructions_en: "Save."\n    source: {section: "Steg 1"}\n'
        "    next: vanta\n\n  - id: vanta\n",
    )

    assert warnings_of(text) == []


def correlated(second_condition: str) -> str:
    """The change happens only when `utskrift`; a later choice on `second_condition` decides whether to wait."""
    first = (
        '  - id: forsta\n    kind: choice\n    title: A\n    title_en: A\n    source: {section: "A"}\n'
        '    routes:\n      - {when: "utskrift == true", next: ta_bort}\n    otherwise: skriv_ut\n\n'
    )
    second = (
        '  - id: andra\n    kind: choice\n    title: B\n    title_en: B\n    source: {section: "B"}\n'
        f'    routes:\n      - {{when: "{second_condition}", next: vanta}}\n    otherwise: skriv_ut\n\n'
    )
    text = CLEAN.replace("    next: ta_bort\n", "    next: forsta\n").replace("    next: vanta\n", "    next: andra\n")
    return text.replace("  - id: ta_bort\n", first + "  - id: ta_bort\n").replace(
        "  - id: vanta\n", second + "  - id: vanta\n"
    )


def test_a_later_choice_on_the_same_input_condition_takes_the_same_way() -> None:
    """A route that made the change always waits, because the second choice asks what the first did."""
    assert warnings_of(correlated("utskrift == true")) == []


def test_a_later_choice_on_another_condition_may_skip_the_wait() -> None:
    text = correlated("annan_grupp is None")

    [found] = warnings_of(text)

    assert found.code == "lint-unconfirmed-change"
    assert found.location is not None
    assert (found.location.line, found.location.column) == position(text, "remove_grade")


def test_an_irreversible_step_with_its_own_access_names_who_authorises_it() -> None:
    case = BY_NAME["an_irreversible_change_with_no_check_before_it"]
    text = case.text().replace(
        "    kind: task\n    system: ED\n    title: Ta bort betyget\n",
        "    kind: task\n    system: ED\n    access: {tasks: [Betygsansvarig]}\n    title: Ta bort betyget\n",
    )

    assert warnings_of(text) == []


def test_a_draft_that_traces_few_steps_is_not_warned_for_each_step() -> None:
    text = CLEAN
    for n in (1, 2, 3, 4):
        text = text.replace(f'    source: {{section: "Steg {n}"}}\n', "")

    assert warnings_of(text) == []


def test_a_procedure_without_english_steps_is_not_warned_for_translations() -> None:
    text = "\n".join(line for line in CLEAN.splitlines() if "_en:" not in line or line.startswith("title_en")) + "\n"

    assert warnings_of(text) == []


def test_a_check_needs_english_only_for_the_message_it_refuses_with() -> None:
    text = CLEAN.replace('    message_en: "Give the grade group."\n', "")

    [found] = warnings_of(text)

    assert found.code == "lint-missing-translation"
    assert found.location is not None
    assert (found.location.line, found.location.column) == position(text, "message:")


def test_lint_does_not_run_on_a_procedure_with_errors() -> None:
    from engine.errors import ProcedureInvalid

    text = CLEAN.replace("    overdue_after: 1h\n", "    overdue_after: 15m\n").replace(
        "next: klart\n", "next: klar\n", 1
    )

    with pytest.raises(ProcedureInvalid) as raised:
        load_procedure_text(text, FILE)

    assert {d.severity for d in raised.value.diagnostics} == {"error"}


# --- the data the rules read ---------------------------------------------------------------------------


def test_every_action_of_the_catalogue_says_what_confirms_it() -> None:
    assert set(CONFIRMED_BY) == set(ACTIONS)
    for ways in CONFIRMED_BY.values():
        for way in ways:
            assert (way.query is None) != (way.rule is None)
            if way.query is not None:
                assert way.query in QUERIES
            if way.rule is not None:
                assert way.rule in catalogue()


def test_the_irreversible_actions_are_actions_of_the_catalogue() -> None:
    assert not IRREVERSIBLE - set(ACTIONS)
    assert sorted(IRREVERSIBLE) == ["export_grades", "register_list", "register_status", "remove_grade"]


def test_the_format_documentation_lists_every_lint_code() -> None:
    doc = (ROOT / "docs" / "procedure-format.md").read_text(encoding="utf-8")

    assert [code for code in CODES if f"`{code}`" not in doc] == []


def test_the_cli_prints_a_warning_with_its_position_and_still_exits_0(tmp_path: Path) -> None:
    case = BY_NAME["a_wait_overdue_as_soon_as_it_takes_the_expected_time"]
    path = tmp_path / FILE
    path.write_text(case.text(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
    command = [sys.executable, "-c", "import cli; cli.main()", "--db", str(tmp_path / "x.db")]

    done = subprocess.run(
        [*command, "--procedures", str(tmp_path), "procedures", "validate", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    line, column = case.where()
    assert f"{path}:{line}:{column}: warning: " in done.stdout
    assert "[lint-wait-overdue-equals-expected]" in done.stdout
    assert "0 errors, 1 warning" in done.stdout
