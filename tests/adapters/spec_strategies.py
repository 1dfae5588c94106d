"""Hypothesis strategies for any JSON document a JSON Schema (here: the SS 12000 spec's) allows.

Written for the parts of JSON Schema the spec uses ($ref, allOf, anyOf, enum, nullable types, objects with
required and optional properties and, as OpenAPI allows by default, extra ones, arrays with minItems, strings
with the formats date, date-time and uuid, bounded integers). hypothesis-jsonschema would do this, but its last
release does not run on the Hypothesis we use. Every generated document is checked against the schema by the
tests that use it, so this generator cannot quietly drift from what the spec allows.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

JSON_LEAF = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | st.text(max_size=8)
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5, minutes=-30))])


def _date_time(moment: Any, zulu: bool) -> str:
    text: str = moment.isoformat()
    return text.replace("+00:00", "Z") if zulu else text


FORMATS: dict[str, st.SearchStrategy[str]] = {
    "date": st.dates().map(lambda d: d.isoformat()),
    "date-time": st.builds(_date_time, st.datetimes(timezones=ZONES), st.booleans()),
    "uuid": st.uuids().map(str),
}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class SchemaStrategies:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._cache: dict[str, st.SearchStrategy[Any]] = {}

    def resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert isinstance(node, dict)
        return node

    def merged(self, node: dict[str, Any]) -> dict[str, Any]:
        """allOf as one object schema: every part's properties and required names together."""
        if "$ref" in node:
            return self.merged(self.resolve(node["$ref"]))
        if "allOf" not in node:
            return node
        out: dict[str, Any] = {}
        for part in [{k: v for k, v in node.items() if k != "allOf"}, *node["allOf"]]:
            flat = self.merged(part)
            for key, value in flat.items():
                if key == "properties":
                    out.setdefault("properties", {}).update(value)
                elif key == "required":
                    out["required"] = [*out.get("required", []), *value]
                elif key != "description":
                    out[key] = value  # type, enum, format of a referenced simple schema
        return out

    def of(self, node: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
        if "$ref" in node:
            ref = node["$ref"]
            if ref not in self._cache:
                self._cache[ref] = st.deferred(lambda: self.of(self.resolve(ref), depth + 1))
            return self._cache[ref]
        if "allOf" in node:
            return self.of(self.merged(node), depth)
        if "anyOf" in node:
            return st.one_of([self.of(n, depth) for n in node["anyOf"]])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        kind = node.get("type")
        if isinstance(kind, list):
            return st.one_of([self.of({**node, "type": k}, depth) for k in kind])
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        if kind == "string":
            fmt = node.get("format")
            return FORMATS[fmt] if fmt in FORMATS else st.text(max_size=12)
        if kind == "array":
            items = self.of(node.get("items", {}), depth + 1)
            unique = {"unique_by": _canonical} if node.get("uniqueItems") else {}
            return st.lists(items, min_size=node.get("minItems", 0), max_size=3, **unique)  # type: ignore[call-overload]
        if kind == "object" or "properties" in node:
            return self._object(node, depth)
        return ANY_JSON

    def _object(self, node: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
        props: dict[str, Any] = node.get("properties", {})
        required = [r for r in dict.fromkeys(node.get("required", []))]
        fixed = {name: self.of(props.get(name, {}), depth + 1) for name in required}
        optional = {name: self.of(s, depth + 1) for name, s in props.items() if name not in required}
        extra = st.dictionaries(st.text(min_size=1, max_size=6).filter(lambda k: k not in props), ANY_JSON, max_size=2)
        if depth > 6:  # deep optional parts add nothing but time
            optional, extra = {}, st.just({})
        return st.builds(
            lambda a, b, c: {**c, **b, **a},
            st.fixed_dictionaries(fixed),
            st.fixed_dictionaries({}, optional=optional),
            extra,
        )
