"""The procedure diagram as inline SVG for a page, drawn by Graphviz once per procedure version, route and step.

`dot` takes tens of milliseconds; pages must answer in a few, so drawings are cached in memory (they depend only
on the pinned version, the route so far, the current step and the language).
"""

from __future__ import annotations

import re

from markupsafe import Markup

from engine.errors import RutinError
from engine.procedure import LoadedProcedure
from engine.views import Lang

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)  # the XML declaration, DOCTYPE and comments before <svg


_CACHE: dict[tuple[str, tuple[str, ...], str | None, str, str], Markup] = {}
_CACHE_SIZE = 512


def diagram_svg(
    loaded: LoadedProcedure, route: tuple[str, ...], current: str | None, lang: Lang, label: str
) -> Markup | None:
    """The diagram as an <svg> element with an accessible name; None when Graphviz cannot draw it."""
    key = (loaded.hash, route, current, lang, label)
    found = _CACHE.get(key)
    if found is None:
        try:
            found = _draw(loaded, route, current, lang, label)
        except RutinError:
            return None
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def _draw(loaded: LoadedProcedure, route: tuple[str, ...], current: str | None, lang: Lang, label: str) -> Markup:
    from adapters.graphviz_render import render_dot
    from engine.diagram import build_diagram, to_dot

    diagram = build_diagram(loaded.procedure, route=route, current=current, lang=lang, caption=None)
    svg = render_dot(to_dot(diagram), "svg").decode("utf-8")
    svg = _PROLOGUE.sub("", svg, count=1)
    title = Markup.escape(label)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{title}" focusable="false" ', 1)
    return Markup(svg)  # dot escapes every title it draws (engine.diagram.to_dot)
