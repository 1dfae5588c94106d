"""What the rule tests share: running a rule by its id, and finding its citation in the seed routine it names."""

from __future__ import annotations

from engine.rules import get_rule
from engine.rules.base import Rule, Verdict
from tests.conftest import read_seed

ELIDED = " […] "
"""How a cite marks words left out between two verbatim parts."""


def check(rule_id: str, **values: object) -> Verdict:
    """The verdict of the registered rule `rule_id` over `values`."""
    found = get_rule(rule_id)
    assert found is not None, rule_id
    return found(values)  # type: ignore[arg-type]


def seed_file(found: Rule) -> str:
    """The seed file a rule's source names: '004_b95a9f073a0234d6.txt – Järfällas Alvis: …' -> '004_….txt'."""
    return found.source.split(" – ")[0]


def flat(text: str) -> str:
    """Whitespace folded to single spaces: the seeds break lines and carry no-break spaces mid-sentence."""
    return " ".join(text.split())


def cite_is_verbatim(found: Rule) -> bool:
    """Whether every part of the rule's cite stands in its seed as written; skips where ../shared is absent."""
    text = flat(read_seed(seed_file(found)))
    return all(flat(part) in text for part in found.cite.split(ELIDED))
