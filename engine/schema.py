"""Validating procedure data with pydantic, and the JSON Schema editors use for completion.

The only module of the engine that imports pydantic. The procedure classes are stdlib dataclasses whose
`Field(...)` annotations are strings until pydantic reads them here; `Field` is put into their module's
namespace just before, so that a step in a fresh process never pays for pydantic.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from engine import procedure as procedure_module
from engine.procedure import Procedure


@cache
def _adapter() -> Any:
    from pydantic import Field, TypeAdapter

    vars(procedure_module).setdefault("Field", Field)
    return TypeAdapter(Procedure)


def validate_procedure(data: object) -> Procedure:
    """Raise pydantic.ValidationError with every problem in the data's shape."""
    procedure: Procedure = _adapter().validate_python(data)
    return procedure


def procedure_json_schema() -> dict[str, object]:
    schema: dict[str, object] = _adapter().json_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = "Rutin procedure"
    return schema


def model_keys(model: type) -> list[str]:
    """The keys a class of the format accepts, for 'did you mean' hints."""
    from dataclasses import fields

    return [f.name for f in fields(model)]
