"""Procedure text -> a validated `Procedure`, or every problem in it at once.

Loading is three passes over one parse: YAML with positions (`source`), the shape (`procedure`'s
pydantic models, strict so `required: yes` is not quietly true), and the cross-references (`checks`).
A procedure without errors is then linted (`lint`): its warnings ride along in `LoadedProcedure.warnings`.
Pydantic's error locations are mapped back to line and column. The version of a procedure is the
SHA-256 of its exact text: a case pins that hash, and the text is stored under it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from engine.checks import check_procedure
from engine.diagnostics import Diagnostic, Location, hint_for, sort_diagnostics
from engine.errors import ProcedureInvalid
from engine.lint import lint_procedure
from engine.procedure import DURATION, STEP_KINDS, LoadedProcedure
from engine.schema import model_keys, validate_procedure
from engine.source import SourceDoc, parse_yaml


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_procedure_text(text: str, path: str = "<procedure>") -> LoadedProcedure:
    """Validate everything and raise ProcedureInvalid with all errors (and warnings) sorted by position."""
    doc = parse_yaml(text, path)
    if not isinstance(doc.data, dict):
        raise ProcedureInvalid(
            [
                Diagnostic(
                    "not-a-mapping",
                    "a procedure file is a mapping of keys such as id, title and steps",
                    doc.locate(()),
                    "start the file with `id: my-procedure`",
                )
            ]
        )
    try:
        procedure = validate_procedure(doc.data)
    except ValidationError as exc:
        raise ProcedureInvalid(sort_diagnostics(_shape_diagnostics(exc, doc))) from None
    diagnostics = check_procedure(procedure, doc)
    if any(d.severity == "error" for d in diagnostics):
        raise ProcedureInvalid(sort_diagnostics(diagnostics))
    diagnostics += lint_procedure(procedure, doc)
    return LoadedProcedure(procedure, text, text_hash(text), path, doc.data, sort_diagnostics(diagnostics))


def _model_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """Drop the discriminator tag pydantic inserts after a step's index: ('steps', 2, 'task', 'next')."""
    out: list[int | str] = []
    for i, part in enumerate(loc):
        if part in STEP_KINDS and i > 0 and isinstance(loc[i - 1], int) and out and out[-2:-1] == ["steps"]:
            continue
        out.append(part)
    return tuple(out)


def _shape_diagnostics(exc: ValidationError, doc: SourceDoc) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    seen: set[tuple[object, ...]] = set()
    for err in exc.errors():
        loc = _model_loc(tuple(err["loc"]))
        key = (loc, err["type"])
        if key in seen:
            continue
        seen.add(key)
        found.append(_one(err, loc, doc))
    return found


def _one(err: Any, loc: tuple[int | str, ...], doc: SourceDoc) -> Diagnostic:
    kind = err["type"]
    where = _where(loc, doc)
    name = str(loc[-1]) if loc else ""
    parent = _parent_keys(doc, loc[:-1])
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return Diagnostic(
            "unknown-key", f"unknown key '{name}' in {_owner(loc)}", doc.locate(loc, key=True), hint_for(name, parent)
        )
    if kind in ("missing", "missing_argument"):
        return Diagnostic(
            "missing-key", f"'{name}' is required in {_owner(loc)}", doc.locate(loc[:-1]), f"add `{name}:`"
        )
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", "")
        return Diagnostic(
            "unknown-kind", f"unknown step kind '{tag}'", doc.locate((*loc, "kind")), hint_for(str(tag), STEP_KINDS)
        )
    if kind == "union_tag_not_found":
        return Diagnostic(
            "missing-key",
            f"step {where} has no `kind`",
            doc.locate(loc),
            "add `kind:` with one of " + ", ".join(STEP_KINDS),
        )
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return Diagnostic(
            "bad-value",
            f"'{err.get('input')}' is not allowed for '{name}'",
            doc.locate(loc),
            hint_for(str(err.get("input")), [e.strip(" '") for e in str(expected).replace(" or ", ",").split(",")]),
        )
    if kind == "string_pattern_mismatch" and err.get("ctx", {}).get("pattern") == DURATION:
        return Diagnostic(
            "bad-duration",
            f"'{err.get('input')}' is not a duration",
            doc.locate(loc),
            "write a number and a unit, such as 30s, 15m, 2h or 1d",
        )
    if kind == "string_pattern_mismatch":
        return Diagnostic(
            "bad-name",
            f"'{err.get('input')}' is not a valid {name or 'name'}",
            doc.locate(loc),
            "use lower-case ASCII letters, digits and _ (no spaces, å, ä or ö), starting with a letter",
        )
    if kind == "bool_type":
        return Diagnostic(
            "wrong-type",
            f"'{name}' must be true or false, not {err.get('input')!r}",
            doc.locate(loc),
            "write true or false (yes, no, on and off are not booleans here)",
        )
    if kind in _WANTED:
        mapping = _WANTED[kind] == "a mapping of keys"
        hint = "quote a text that looks like a number, e.g. '010'" if kind == "string_type" else None
        if mapping:
            keys = _parent_keys(doc, loc)
            hint = (
                f"write its keys indented under it: {', '.join(keys)}" if keys else "write its keys indented under it"
            )
        return Diagnostic(
            "wrong-type", f"'{where}' must be {_WANTED[kind]}, not {_describe(err.get('input'))}", doc.locate(loc), hint
        )
    if kind == "too_short":
        return Diagnostic(
            "empty-list", f"'{where}' must have at least one item", doc.locate(loc), f"add an item under `{name}:`"
        )
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    # a model's own check names the key it is about in backticks: point at that key when it is written
    named = re.search(r"`([a-z_]+)`", message)
    at = doc.locate((*loc, named.group(1)), key=True) if named and (*loc, named.group(1)) in doc.keys else None
    return Diagnostic("invalid", f"{where}: {message}", at or doc.locate(loc))


# pydantic's type errors: what the value must be instead
_WANTED = {
    "string_type": "a text",
    "int_type": "a whole number",
    "list_type": "a list (lines starting with '- ')",
    "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys",
    "dataclass_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "float_type": "a number",
}


def _where(loc: tuple[int | str, ...], doc: SourceDoc) -> str:
    """A path a process owner finds in the file: steps by their id (`steps.ber_vanta`), not by index."""
    parts = [str(p) for p in loc]
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int) and isinstance(doc.data, dict):
        steps = doc.data.get("steps")
        step = steps[loc[1]] if isinstance(steps, list) and 0 <= loc[1] < len(steps) else None
        if isinstance(step, dict) and isinstance(step.get("id"), str):
            parts[1] = step["id"]
    return ".".join(parts) or "the file"


def _owner(loc: tuple[int | str, ...]) -> str:
    parent = loc[:-1]
    if len(parent) >= 2 and parent[0] == "steps" and isinstance(parent[1], int):
        return f"step {parent[1] + 1}" + ("" if len(parent) == 2 else " (" + ".".join(str(p) for p in parent[2:]) + ")")
    return ".".join(str(p) for p in parent) or "the procedure"


def _parent_keys(doc: SourceDoc, loc: tuple[int | str, ...]) -> list[str]:
    """The keys the model at `loc` accepts, for a 'did you mean'."""
    from engine.procedure import (
        STEP_CLASSES,
        Access,
        Action,
        Choice,
        Fact,
        Input,
        Perform,
        Procedure,
        Query,
        Route,
        Sandbox,
        SourceRef,
    )

    by_kind = STEP_CLASSES
    by_key: dict[str, type] = {
        "access": Access,
        "inputs": Input,
        "fields": Input,
        "choices": Choice,
        "actions": Action,
        "options": Action,
        "routes": Route,
        "performs": Perform,
        "until": Query,
        "source": SourceRef,
        "routine": SourceRef,
        "sandbox": Sandbox,
        "premise": Fact,
        "steps": Procedure,
    }
    model: Any = Procedure
    node: Any = doc.data
    for i, part in enumerate(loc):
        node = node[part] if isinstance(node, dict | list) and _has(node, part) else None  # type: ignore[index]
        if isinstance(part, str):
            model = by_key.get(part)
        elif loc[:i] == ("steps",) and isinstance(node, dict):
            model = by_kind.get(str(node.get("kind")))
        if model is None:
            return []
    return model_keys(model)


def _has(node: dict[str, Any] | list[Any], part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(part, int) and 0 <= part < len(node)


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return repr(value)


def duplicate_ids(found: Sequence[LoadedProcedure]) -> dict[str, ProcedureInvalid]:
    """Files that declare an id an earlier file (by path) already has, each with a `duplicate-id` error at its
    `id:` line: which of two files a case would start on must never be a matter of chance."""
    first: dict[str, LoadedProcedure] = {}
    refused: dict[str, ProcedureInvalid] = {}
    for loaded in sorted(found, key=lambda each: each.path):
        earlier = first.setdefault(loaded.id, loaded)
        if earlier is loaded:
            continue
        line = next((n for n, text in enumerate(loaded.text.splitlines(), 1) if text.startswith("id:")), 1)
        diagnostic = Diagnostic(
            "duplicate-id",
            f"the id '{loaded.id}' is already used by {earlier.path}",
            Location(loaded.path, line, 1),
            "give each procedure its own id, or remove the copy from the folder",
        )
        refused[loaded.path] = ProcedureInvalid([diagnostic])
    return refused
