"""The interactive guide and the demo, driven as a person would (answers typed at the prompts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from terminal.guide import run_guide
from terminal.render import print_case
from tests.cli.helpers import run_rutin
from tests.conftest import ROOT, World
from tests.integration.test_grade_revocation import PROC, ROUTES


def answers(*typed: str) -> Iterator[str]:
    yield from typed


def test_the_guide_walks_a_case_to_its_end_moving_the_training_clock(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    typed = answers(
        "1",
        "1",
        "1",
        "Karin Lind",
        "1",
        "1",  # ED steps 1-5, the teacher's name at step 3
        "+16",  # the wait for BER: move the clock 16 minutes and check
        "1",
        "avbrott",  # register avbrott in BER
        "1",  # print the catalog
        "2",  # not the same year: no posting
    )
    view = run_guide(world.service, case.id, "anna", "sv", print_case, ask=lambda prompt: next(typed))
    assert view.status == "done"
    out = capsys.readouterr().out
    assert "Vänta tills betyget har försvunnit från BER" in out
    assert "Ärendet är klart." in out


def test_the_guide_explains_a_bad_answer_and_asks_again(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    case = world.service.start(PROC, ROUTES["ej_last"], "anna")
    typed = answers("9", "1", "1", "1", "", "q")
    view = run_guide(world.service, case.id, "anna", "en", print_case, ask=lambda prompt: next(typed))
    out = capsys.readouterr().out
    assert "give one of the numbers above" in out
    assert "'The teacher who decided the grade' is required" in out  # the English label in English
    assert view.state == "ed_beslutad_av"


def test_the_demo_command_finishes_a_case_and_verifies_it(tmp_path: Path) -> None:
    bare = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    result = run_rutin("--db", str(tmp_path / "demo.db"), "demo", env=bare, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "audit verify:" in result.stdout and "intact" in result.stdout
    assert "audit replay: matches the stored case" in result.stdout
    assert "Makuleringen är klar" in result.stdout
