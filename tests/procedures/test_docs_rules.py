"""docs/rules.md lists every rule of the library, and nothing else, so the doc cannot fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path

from engine.rules import catalogue

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def documented_rule_ids() -> set[str]:
    """The ids in the first column of the rule tables: rows that start with | `area.name` |."""
    text = DOC.read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", text, re.MULTILINE))


def test_every_registered_rule_is_in_the_rules_doc() -> None:
    missing = sorted(set(catalogue()) - documented_rule_ids())

    assert missing == [], f"add these rules to {DOC.name} (from `rutin rules list --json`): {missing}"


def test_the_rules_doc_lists_no_rule_that_is_not_registered() -> None:
    stale = sorted(documented_rule_ids() - set(catalogue()))

    assert stale == [], f"these rules in {DOC.name} are not registered (renamed or removed?): {stale}"
