"""The procedure diagram as inline SVG, drawn by Graphviz once per procedure version and language.

`dot` takes tens of milliseconds and a page must answer in a few, while every case has its own route. So the
plain diagram is drawn once and cached; for a case, its steps and moves are marked in that SVG by class
(`passed`, `current`, `taken`, and `highlighted` on the whole), and web/static/style.css colours them as
`rutin case graph` does (engine.diagram's VISITED, CURRENT and FADED). Graphviz names each node's group by its
DOT id (the step id) in a <title>, and each edge's as `source->target`, which is what the marking reads.
"""

from __future__ import annotations

import html
import re
from itertools import pairwise

from markupsafe import Markup

from engine.errors import RutinError
from engine.procedure import LoadedProcedure
from engine.views import Lang

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)  # the XML declaration, DOCTYPE and comments before <svg
_GROUP = re.compile(r'<g id="((?:node|edge)\d+)" class="(node|edge)">(\s*<title>)([^<]*)(</title>)')
_CACHE_SIZE = 256
_drawn: dict[tuple[str, str], str] = {}
_marked: dict[tuple[str, str, tuple[str, ...], str | None, str], Markup] = {}


def diagram_svg(
    loaded: LoadedProcedure, route: tuple[str, ...], current: str | None, lang: Lang, label: str
) -> Markup | None:
    """The diagram as an <svg> element with an accessible name, the case's route marked; None when Graphviz
    cannot draw it (the page says so)."""
    key = (loaded.hash, lang, route, current, label)
    found = _marked.get(key)
    if found is None:
        try:
            plain = _plain(loaded, lang)
        except RutinError:
            return None
        found = mark(plain, route, current, label)
        if len(_marked) >= _CACHE_SIZE * 8:
            _marked.clear()
        _marked[key] = found
    return found


def _plain(loaded: LoadedProcedure, lang: Lang) -> str:
    key = (loaded.hash, lang)
    svg = _drawn.get(key)
    if svg is None:
        from adapters.graphviz_render import render_dot
        from engine.diagram import build_diagram, to_dot

        diagram = build_diagram(loaded.procedure, lang=lang, caption=None)
        svg = _PROLOGUE.sub("", render_dot(to_dot(diagram), "svg").decode("utf-8"), count=1)
        if len(_drawn) >= _CACHE_SIZE:
            _drawn.clear()
        _drawn[key] = svg
    return svg


def mark(svg: str, route: tuple[str, ...], current: str | None, label: str) -> Markup:
    """The plain SVG with the route's steps and moves and the current step marked by class, and its name."""
    passed = set(route) | ({current} if current else set())
    taken = set(pairwise(route))

    def classed(match: re.Match[str]) -> str:
        group_id, kind, before, title, after = match.groups()
        name = html.unescape(title)
        extra = ""
        if kind == "node":
            extra = " current" if name == current else " passed" if name in passed else ""
        elif tuple(name.split("->", 1)) in taken:
            extra = " taken"
        return f'<g id="{group_id}" class="{kind}{extra}">{before}{title}{after}'

    marked = _GROUP.sub(classed, svg) if passed else svg
    title = Markup.escape(label)
    highlighted = ' class="highlighted"' if passed else ""
    marked = marked.replace("<svg ", f'<svg role="img" aria-label="{title}" focusable="false"{highlighted} ', 1)
    return Markup(marked)  # dot escapes every title it draws (engine.diagram.to_dot)
