"""What every registered rule promises, whichever module registers it (the behaviour of each is in its own file)."""

from __future__ import annotations

import re

import pytest

from engine.rules import catalogue
from engine.rules.base import Rule
from engine.values import VALUE_TYPES
from tests.rules.support import cite_is_verbatim

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


@pytest.mark.parametrize("found", [pytest.param(found, id=rule_id) for rule_id, found in catalogue().items()])
def test_rule_cites_its_routine_verbatim_is_scoped_typed_and_total(found: Rule) -> None:
    seed, _, routine = found.source.partition(" – ")
    assert SEED_FILE.fullmatch(seed), found.source
    assert routine.strip(), found.source
    assert (found.scope == "municipal") == (found.municipality is not None)
    assert found.params
    assert len({param.name for param in found.params}) == len(found.params)
    assert all(param.type in VALUE_TYPES for param in found.params), found.params

    verdict = found(dict.fromkeys((param.name for param in found.params), None))

    assert verdict.ok or (verdict.message and verdict.message_en and verdict.fix)
    assert cite_is_verbatim(found)  # last: it skips where the seeds (../shared) are absent
