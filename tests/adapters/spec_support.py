"""The SS 12000 OpenAPI file (../shared/data/ss12000, never copied into the repo) as JSON Schema for tests.

OpenAPI 3.0's schema dialect differs from JSON Schema in `nullable` (and ignores siblings of `$ref`, as draft 7
does), so `nullable: true` becomes a type that also allows null. `corrected` applies the documented fix of the
spec's known defect 1 (Grade.required names `schoolUnit`, which is no property; the property is `organisation`),
used when checking what our own server sends; the property-based run generates from the file as published.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SHARED

SPEC_FILE = SHARED / "data" / "ss12000" / "openapi_ss12000_version2_1_0.yaml"
NO_SPEC = "the SS 12000 OpenAPI file (../shared/data/ss12000) is not beside this clone; the spec checks need it"
# The list responses of the endpoints the client reads, as the spec names their 200 schemas.
RESPONSES = {
    "persons": "PersonsExpanded",
    "groups": "GroupsExpanded",
    "activities": "Activities",
    "grades": "Grades",
    "syllabuses": "Syllabuses",
    "deletedEntities": "DeletedEntities",
}


def require_spec() -> Path:
    if not SPEC_FILE.is_file():
        pytest.skip(NO_SPEC)
    return SPEC_FILE


@cache
def spec() -> dict[str, Any]:
    loaded = yaml.safe_load(require_spec().read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if k not in ("example", "nullable", "readOnly", "xml")}
    if node.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out or "allOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _components(corrected: bool) -> dict[str, Any]:
    schemas = copy.deepcopy(spec()["components"]["schemas"])
    if corrected:
        required = schemas["Grade"]["required"]
        schemas["Grade"]["required"] = ["organisation" if r == "schoolUnit" else r for r in required]
    converted = _json_schema(schemas)
    assert isinstance(converted, dict)
    return converted


def schema_for(name: str, *, corrected: bool) -> dict[str, Any]:
    """A self-contained JSON Schema for one component (its $refs resolve inside it)."""
    return {"$ref": f"#/components/schemas/{name}", "components": {"schemas": _components(corrected)}}


def properties(name: str) -> tuple[set[str], set[str]]:
    """(property names, required names) of a component, through its allOf parts."""
    schemas = spec()["components"]["schemas"]
    node = schemas[name]
    props: set[str] = set()
    required: set[str] = set(node.get("required", []))
    for part in [node, *node.get("allOf", [])]:
        if "$ref" in part:
            inner_props, inner_required = properties(part["$ref"].rsplit("/", 1)[1])
            props |= inner_props
            required |= inner_required
        props |= set(part.get("properties", {}))
        required |= set(part.get("required", []))
    return props, required
