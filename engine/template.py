"""Text templates in step instructions and messages: `{name}` is replaced by a case value.

Only bare names are allowed (no attributes, indexes, conversions or format specs), so a template can
neither reach into Python objects nor fail at run time once its names were checked at load.
`{{` and `}}` stand for literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset  # 0-based character offset within the template


def template_names(text: str) -> list[tuple[str, int]]:
    """Each `{name}` in the template with its character offset; raise TemplateError when malformed."""
    names: list[tuple[str, int]] = []
    offset = 0
    try:
        parts = list(_FORMATTER.parse(text))
    except ValueError as exc:
        raise TemplateError(
            f"the text has an unmatched brace: {exc}; write {{{{ or }}}} for a literal brace", 0
        ) from exc
    for literal, field, spec, conversion in parts:
        offset += len(literal)
        if field is None:
            continue
        if spec or conversion or not field.isidentifier():
            raise TemplateError(
                f"'{{{field}}}' is not allowed: write only a name between braces, like {{kurskod}}", offset
            )
        names.append((field, offset))
        offset += len(field) + 2
    return names


def render(text: str, values: Mapping[str, object], show: Callable[[str, object], str] | None = None) -> str:
    """Fill the template; a missing or empty value shows as '–'. `show` may format a value per name."""
    out: list[str] = []
    for literal, field, _spec, _conv in _FORMATTER.parse(text):
        out.append(literal)
        if field is None:
            continue
        value = values.get(field)
        if value is None or value == "":
            out.append("–")
        elif show is not None:
            out.append(show(field, value))
        elif isinstance(value, bool):
            out.append("ja" if value else "nej")
        else:
            out.append(str(value))
    return "".join(out)
