"""A value of the wrong shape (text where a mapping belongs, an empty list item, an empty list) is a diagnostic
with file:line:column and a hint, never a crash; a step is named by its id, and a step's own check points at
the key it is about."""

from __future__ import annotations

import pytest

from engine.diagnostics import Diagnostic
from engine.errors import ProcedureInvalid
from engine.loader import load_procedure_text
from tests.conftest import PROCEDURES

SHIPPED = PROCEDURES / "avregistrering-betyg.yaml"
ORIGINAL = SHIPPED.read_text(encoding="utf-8")
SOURCE = 'source: {section: "Process, steg 1", quote: "I Elevdokumentation (ED) sök upp eleven via betygsgrupp"}'


def diagnostics_of(text: str) -> list[Diagnostic]:
    with pytest.raises(ProcedureInvalid) as caught:
        load_procedure_text(text, "p.yaml")
    return caught.value.diagnostics


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_source_written_as_plain_text_names_the_step_and_the_keys_it_takes() -> None:
    text = ORIGINAL.replace(SOURCE, 'source: "Process, steg 1"', 1)

    [found] = diagnostics_of(text)

    assert found.code == "wrong-type"
    assert found.message == "'steps.ed_sok_elev.source' must be a mapping of keys, not 'Process, steg 1'"
    assert found.location is not None and found.location.line == line_of(text, 'source: "Process, steg 1"')
    assert found.hint is not None and "section, quote" in found.hint


@pytest.mark.parametrize(
    ("old", "new", "where", "keys"),
    [
        ("inputs:\n", "inputs:\n  -\n", "'inputs.0'", "name, type, label"),
        ("    choices:\n", "    choices:\n      -\n", "'inputs.1.choices.0'", "value, label, label_en"),
        ("    fields:\n", "    fields:\n      -\n", "'steps.ed_beslutad_av.fields.0'", "name, type, label"),
    ],
)
def test_an_empty_list_item_where_a_mapping_belongs_is_a_diagnostic_not_a_crash(
    old: str, new: str, where: str, keys: str
) -> None:
    text = ORIGINAL.replace(old, new, 1)

    found = diagnostics_of(text)

    assert [d.code for d in found] == ["wrong-type"]
    assert found[0].message == f"{where} must be a mapping of keys, not nothing"
    assert found[0].location is not None and found[0].location.line == line_of(text, new) + 1
    assert found[0].hint is not None and found[0].hint.startswith(f"write its keys indented under it: {keys}")


def test_an_empty_list_of_steps_says_so_with_a_hint() -> None:
    text = ORIGINAL[: ORIGINAL.index("steps:\n")] + "steps: []\n"

    [found] = diagnostics_of(text)

    assert (found.code, found.message, found.hint) == (
        "empty-list",
        "'steps' must have at least one item",
        "add an item under `steps:`",
    )


def test_a_steps_own_check_points_at_the_key_it_names() -> None:
    text = ORIGINAL.replace("    overdue_after: 1h", "    overdue_after: 1m", 1)

    [found] = diagnostics_of(text)

    assert found.message == "steps.ber_vanta_borttaget: `overdue_after` must not be shorter than `expected`"
    assert found.location is not None and found.location.line == line_of(text, "    overdue_after: 1m")
