"""Diagrams of a procedure, and of one case's way through it, as Graphviz DOT or Mermaid flowchart text.

`build_diagram` turns a procedure into plain data: one node per step, shaped by its kind and coloured by its
system, and one edge per way on (from `engine.checks.successors`), labelled with the button, option or
condition that takes it. Given a case's route and current step it marks what the case has passed. `to_dot`
and `to_mermaid` write that data as text, escaping every title for its format. Nothing here runs Graphviz,
reads a file or looks at a case store: turning DOT into SVG or PNG is `adapters.graphviz_render`'s job.
"""

from __future__ import annotations

import json
import textwrap
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape as html_escape
from itertools import pairwise
from typing import Literal

from engine.checks import Loc, successors
from engine.procedure import AnyStep, ChoiceStep, Procedure, TaskStep, WaitStep
from engine.views import Lang, pick

Format = Literal["dot", "mermaid"]
FORMATS: tuple[Format, ...] = ("dot", "mermaid")
WRAP = 28  # characters per line of a step's title: keeps boxes of one width down a 30-step procedure
EDGE_LABEL_MAX = 30

FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
INK = "#333333"
FADED = "#a0a0a0"
VISITED = "#1d4ed8"
CURRENT = "#c2410c"
NO_SYSTEM_FILL = "#ffffff"
# Light fills, so black text stays readable; a system keeps its colour across procedures (picked by name).
PALETTE = (
    "#cfe2ff",  # blue
    "#ffd8b0",  # orange
    "#cdeccf",  # green
    "#f9d0e3",  # pink
    "#fff0a8",  # yellow
    "#ded3fa",  # violet
    "#c6eef3",  # cyan
    "#dcebb4",  # lime
)


@dataclass(frozen=True)
class Shape:
    """How a step kind looks: a Graphviz shape, Mermaid's brackets around the label, and a glyph before it."""

    dot: str
    mermaid: tuple[str, str]
    glyph: str = ""
    dot_style: str = "filled"


SHAPES: dict[str, Shape] = {
    "task": Shape("box", ("[", "]"), dot_style="filled,rounded"),
    "choice": Shape("diamond", ("{", "}")),
    "wait": Shape("ellipse", ("([", "])"), "◷"),
    "check": Shape("octagon", ("{{", "}}"), "✓"),
    "notify": Shape("note", (">", "]"), "✉"),
    "end": Shape("doublecircle", ("(((", ")))")),
}

_WORDS: dict[Lang, dict[str, str]] = {
    "sv": {"otherwise": "annars", "answers": "när {system} svarar"},
    "en": {"otherwise": "otherwise", "answers": "when {system} answers"},
}


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    lines: tuple[str, ...]  # the title, wrapped
    system: str | None
    section: str | None
    visited: bool = False
    current: bool = False


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    visited: bool = False


@dataclass(frozen=True)
class Diagram:
    """A drawing as data: what the text formats (and a web page) need, nothing about layout."""

    caption: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    colours: dict[str, str] = field(default_factory=dict)  # system -> fill
    highlighted: bool = False  # drawn for a case: what it has not passed is faded

    def fill(self, node: Node) -> str:
        return self.colours.get(node.system, NO_SYSTEM_FILL) if node.system else NO_SYSTEM_FILL


def build_diagram(
    procedure: Procedure,
    *,
    route: Sequence[str] = (),
    current: str | None = None,
    sections: bool = False,
    lang: Lang = "sv",
    caption: str | None = None,
) -> Diagram:
    """The procedure's steps and moves; with a route (every step a case has been at), those marked as passed."""
    passed = set(route) | ({current} if current else set())
    taken = set(pairwise(route))
    nodes = tuple(
        Node(
            step.id,
            step.kind,
            tuple(wrap(pick(step.title, step.title_en, lang))),
            getattr(step, "system", None),
            step.source.section if sections and step.source else None,
            visited=step.id in passed,
            current=step.id == current,
        )
        for step in procedure.steps
    )
    edges = tuple(
        Edge(step.id, target, label, visited=(step.id, target) in taken)
        for step in procedure.steps
        for target, label in _exits(step, lang)
    )
    systems = [n.system for n in nodes if n.system]
    return Diagram(
        caption or pick(procedure.title, procedure.title_en, lang),
        nodes,
        edges,
        system_colours(systems),
        highlighted=bool(passed),
    )


def render_diagram(diagram: Diagram, fmt: Format) -> str:
    writers: dict[Format, Callable[[Diagram], str]] = {"dot": to_dot, "mermaid": to_mermaid}
    return writers[fmt](diagram)


def wrap(text: str, width: int = WRAP) -> list[str]:
    """Lines of at most `width` characters, broken between words (a single longer word keeps its line)."""
    return textwrap.wrap(" ".join(text.split()), width, break_long_words=False) or [""]


def shorten(text: str, limit: int = EDGE_LABEL_MAX) -> str:
    """One line of at most `limit` characters, ending in '…' when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def system_colours(systems: Sequence[str]) -> dict[str, str]:
    """One fill per system, chosen by its name so BER looks the same in every procedure; clashes move on."""
    colours: dict[str, str] = {}
    for system in dict.fromkeys(systems):
        start = zlib.crc32(system.encode("utf-8")) % len(PALETTE)
        free = [PALETTE[(start + i) % len(PALETTE)] for i in range(len(PALETTE))]
        colours[system] = next((c for c in free if c not in colours.values()), free[0])
    return colours


# -- edges ------------------------------------------------------------------------------------------


def _exits(step: AnyStep, lang: Lang) -> list[tuple[str, str]]:
    """Each step the given one leads to, with the words for the way there; parallel ways share one edge."""
    merged: dict[str, list[str]] = {}
    for target, loc in successors(step):
        label = _edge_label(step, loc, lang)
        labels = merged.setdefault(target, [])
        if label and label not in labels:
            labels.append(label)
    return [(target, shorten(" / ".join(labels))) for target, labels in merged.items()]


def _edge_label(step: AnyStep, loc: Loc, lang: Lang) -> str:
    words = _WORDS[lang]
    match loc:
        case ("actions", int(i), *_) if isinstance(step, TaskStep):
            return pick(step.actions[i].label, step.actions[i].label_en, lang)
        case ("options", int(i), *_) if isinstance(step, ChoiceStep):
            return pick(step.options[i].label, step.options[i].label_en, lang)
        case ("routes", int(i), *_) if isinstance(step, ChoiceStep):
            return condition_label(step.routes[i].when)
        case ("otherwise",):
            return words["otherwise"]
    if isinstance(step, TaskStep):
        return pick(step.done_label, step.done_label_en, lang)
    if isinstance(step, WaitStep):
        return words["answers"].format(system=step.system)
    return ""  # a check or a notification has one way on, and its shape says what happens there


def condition_label(when: str) -> str:
    """A route's condition, compacted for an edge label: `grupp_atgard == 'skapa'` reads `grupp_atgard = 'skapa'`."""
    text = " ".join(when.split())
    for long, short in ((" == ", " = "), (" != ", " ≠ "), (" >= ", " ≥ "), (" <= ", " ≤ ")):
        text = text.replace(long, short)
    return shorten(text)


# -- Graphviz DOT -----------------------------------------------------------------------------------


def dot_string(text: str) -> str:
    """A DOT quoted string. Backslashes are doubled so a title's `\\N` or `\\l` stays text."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return html_escape(text, quote=True)


def _dot_label(node: Node) -> str:
    glyph = SHAPES[node.kind].glyph
    lines = [_html(line) for line in node.lines]
    if glyph:
        lines[0] = f"{glyph} {lines[0]}"
    title = "<BR/>".join(lines)
    if node.current:
        title = f"<B>{title}</B>"
    parts = [title]
    if node.system:
        parts.append(f'<FONT POINT-SIZE="10"><B>[{_html(node.system)}]</B></FONT>')
    if node.section:
        section = "<BR/>".join(_html(line) for line in wrap(node.section, WRAP + 6))
        parts.append(f'<FONT POINT-SIZE="9" COLOR="#555555"><I>{section}</I></FONT>')
    return "<" + "<BR/>".join(parts) + ">"


def _dot_node(diagram: Diagram, node: Node) -> str:
    shape = SHAPES[node.kind]
    attrs = {
        "shape": shape.dot,
        "style": shape.dot_style,
        "fillcolor": diagram.fill(node),
    }
    if node.current:
        attrs |= {"color": CURRENT, "penwidth": "4", "style": shape.dot_style + ",bold"}
    elif node.visited:
        attrs |= {"color": VISITED, "penwidth": "2.5"}
    elif diagram.highlighted:
        attrs |= {"color": FADED, "fontcolor": "#666666"}
    if node.kind == "end":
        attrs["width"] = "1.6"  # a circle as wide as its wrapped title would dwarf the boxes
    rendered = ", ".join(f"{k}={dot_string(v)}" for k, v in attrs.items())
    return f"  {dot_string(node.id)} [label={_dot_label(node)}, {rendered}];"


def _dot_edge(diagram: Diagram, edge: Edge) -> str:
    attrs: dict[str, str] = {}
    if edge.label:
        attrs["label"] = edge.label
    if edge.visited:
        attrs |= {"color": VISITED, "fontcolor": VISITED, "penwidth": "2.5"}
    elif diagram.highlighted:
        attrs |= {"color": FADED, "fontcolor": "#888888"}
    rendered = ", ".join(f"{k}={dot_string(v)}" for k, v in attrs.items())
    return f"  {dot_string(edge.source)} -> {dot_string(edge.target)}" + (f" [{rendered}];" if rendered else ";")


def _dot_caption(diagram: Diagram) -> str:
    cells = [f'<TD ALIGN="LEFT"><B>{_html(diagram.caption)}</B></TD>']
    cells += [f'<TD BGCOLOR="{colour}" BORDER="1">{_html(system)}</TD>' for system, colour in diagram.colours.items()]
    return '<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>' + "".join(cells) + "</TR></TABLE>>"


def to_dot(diagram: Diagram) -> str:
    """Graphviz DOT text, top to bottom, with HTML-like node labels (every title escaped)."""
    lines = [
        "digraph procedure {",
        f"  graph [rankdir=TB, labelloc=t, labeljust=l, nodesep=0.35, ranksep=0.45, fontname={dot_string(FONT)}, "
        f"label={_dot_caption(diagram)}];",
        f'  node [fontname={dot_string(FONT)}, fontsize=11, color={dot_string(INK)}, margin="0.15,0.06", width=2.6];',
        f"  edge [fontname={dot_string(FONT)}, fontsize=9, color={dot_string('#555555')}, arrowsize=0.7];",
    ]
    lines += [_dot_node(diagram, node) for node in diagram.nodes]
    lines += [_dot_edge(diagram, edge) for edge in diagram.edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Mermaid ----------------------------------------------------------------------------------------

# Inside a quoted Mermaid label only `"` ends the text, but `#…;` is read as an entity and `<…>` as HTML, so
# these become Mermaid's entity codes; in one pass, so the `#` of an inserted code is not escaped again.
_MERMAID_ESCAPES = str.maketrans(
    {
        "#": "#35;",
        '"': "#quot;",
        "&": "#amp;",
        "<": "#lt;",
        ">": "#gt;",
        "{": "#123;",
        "}": "#125;",
        "|": "#124;",
        "`": "#96;",
        "\n": " ",
    }
)


def mermaid_text(text: str) -> str:
    return text.translate(_MERMAID_ESCAPES)


def mermaid_id(step_id: str) -> str:
    """Step ids are safe characters, but `end` and a few others are Mermaid keywords: every id gets a prefix."""
    return f"s_{step_id}"


def _mermaid_label(node: Node) -> str:
    glyph = SHAPES[node.kind].glyph
    lines = [mermaid_text(line) for line in node.lines]
    if glyph:
        lines[0] = f"{glyph} {lines[0]}"
    if node.current:
        lines[0] = f"▶ {lines[0]}"
    if node.system:
        lines.append(f"[{mermaid_text(node.system)}]")
    if node.section:
        lines.append("§ " + mermaid_text(shorten(node.section, WRAP + 6)))
    return '"' + "<br/>".join(lines) + '"'


def to_mermaid(diagram: Diagram) -> str:
    """A Mermaid flowchart, top to bottom; systems as classes (fills), a case's route as link and node styles."""
    lines = ["---", f"title: {json.dumps(diagram.caption, ensure_ascii=False)}", "---", "flowchart TB"]
    for node in diagram.nodes:
        opening, closing = SHAPES[node.kind].mermaid
        lines.append(f"  {mermaid_id(node.id)}{opening}{_mermaid_label(node)}{closing}")
    for edge in diagram.edges:
        label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {mermaid_id(edge.source)} -->{label} {mermaid_id(edge.target)}")
    classes: dict[str, list[str]] = {}
    for node in diagram.nodes:
        classes.setdefault(_mermaid_class(diagram, node), []).append(mermaid_id(node.id))
    lines.append(f"  classDef nosystem fill:{NO_SYSTEM_FILL},stroke:{INK}")
    for i, colour in enumerate(diagram.colours.values()):
        lines.append(f"  classDef system{i} fill:{colour},stroke:{INK}")
    lines += [f"  class {','.join(ids)} {name}" for name, ids in classes.items()]
    lines += _mermaid_highlights(diagram)
    return "\n".join(lines) + "\n"


def _mermaid_class(diagram: Diagram, node: Node) -> str:
    if node.system is None:
        return "nosystem"
    return f"system{list(diagram.colours).index(node.system)}"


def _mermaid_highlights(diagram: Diagram) -> list[str]:
    if not diagram.highlighted:
        return []
    lines = []
    for node in diagram.nodes:
        if node.current:
            lines.append(f"  style {mermaid_id(node.id)} stroke:{CURRENT},stroke-width:4px,font-weight:bold")
        elif node.visited:
            lines.append(f"  style {mermaid_id(node.id)} stroke:{VISITED},stroke-width:3px")
        else:
            lines.append(f"  style {mermaid_id(node.id)} stroke:{FADED},color:#666666")
    taken = [str(i) for i, edge in enumerate(diagram.edges) if edge.visited]
    if taken:
        lines.append(f"  linkStyle {','.join(taken)} stroke:{VISITED},stroke-width:3px")
    return lines
