"""Diagrams as text: one node per step shaped by kind, one edge per way on, titles escaped, a case's route marked."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest

from engine.checks import successors
from engine.diagram import (
    CURRENT,
    FADED,
    SHAPES,
    VISITED,
    build_diagram,
    condition_label,
    dot_string,
    mermaid_text,
    render_diagram,
    shorten,
    system_colours,
    to_dot,
    to_mermaid,
    wrap,
)
from engine.loader import load_procedure_text
from engine.procedure import Procedure, procedure_from_data
from tests.conftest import PROCEDURES

SMALL = """
id: liten-rutin
title: Liten rutin
access: {roles: [Handläggare]}
inputs:
  - {name: grupp, type: group, label: Grupp}
  - name: niva
    type: choice
    label: Nivå
    choices:
      - {value: hog, label: Hög}
      - {value: lag, label: Låg}
  - {name: epost, type: email, label: E-post}
steps:
  - id: kontroll
    kind: check
    title: Gruppen är angiven
    condition: "grupp != ''"
    message: Ange gruppen.
    cite: "Gruppen ska anges."
    next: sok
  - id: sok
    kind: task
    system: BER
    title: Sök upp gruppen i BER och kontrollera att den finns kvar denna termin
    instructions: Sök upp {grupp}.
    source: {section: "Steg 1"}
    actions:
      - {name: hittad, label: Gruppen finns, next: vag}
      - {name: hittad_igen, label: I arkivet, next: vag}
      - {name: saknas, label: Gruppen saknas, next: klart}
  - id: vag
    kind: choice
    title: Vilken väg?
    routes:
      - {when: "niva == 'hog'", next: vanta}
    otherwise: fraga
  - id: fraga
    kind: choice
    title: Ska vi meddela?
    question: Ska vi meddela?
    options:
      - {name: ja, label: "Ja, meddela", next: mejl}
      - {name: nej, label: Nej, next: klart}
  - id: vanta
    kind: wait
    system: ED
    title: Vänta tills gruppen syns i ED
    instructions: Kontrollera i ED.
    until: {query: group_exists, args: {group: grupp}}
    check_every: 1m
    expected: 15m
    overdue_after: 1h
    next: mejl
  - id: mejl
    kind: notify
    title: Mejla handläggaren
    to: epost
    subject: Klart
    body: Gruppen {grupp} är klar.
    next: klart
  - id: klart
    kind: end
    title: Klart
"""

DOT_NODE = re.compile(r'^  "(?P<id>[a-z0-9_]+)" \[label=<(?P<label>.*)>, (?P<attrs>.*)\];$')
DOT_EDGE = re.compile(r'^  "(?P<source>[a-z0-9_]+)" -> "(?P<target>[a-z0-9_]+)"(?: \[(?P<attrs>.*)\])?;$')
MERMAID_NODE = re.compile(
    r'^  s_(?P<id>[a-z0-9_]+)(?P<open>\[|\{\{|\{|\(\[|>|\(\(\()"(?P<label>[^"]*)"(?P<close>\]\)|\]|\}\}|\}|\)\)\))$'
)
MERMAID_EDGE = re.compile(r'^  s_(?P<source>[a-z0-9_]+) -->(?:\|"(?P<label>[^"]*)"\|)? s_(?P<target>[a-z0-9_]+)$')
MERMAID_OTHER = re.compile(r"^  (classDef \w+ \S+|class [\w,]+ \w+|style s_\w+ \S+|linkStyle [\d,]+ \S+)$")


def small() -> Procedure:
    return load_procedure_text(SMALL, "liten.yaml").procedure


def shipped() -> list[Procedure]:
    return [
        load_procedure_text(p.read_text(encoding="utf-8"), str(p)).procedure for p in sorted(PROCEDURES.glob("*.yaml"))
    ]


def dot_nodes(text: str) -> dict[str, re.Match[str]]:
    return {m["id"]: m for line in text.splitlines() if (m := DOT_NODE.match(line))}


def dot_edges(text: str) -> dict[tuple[str, str], re.Match[str]]:
    return {(m["source"], m["target"]): m for line in text.splitlines() if (m := DOT_EDGE.match(line))}


def parse_mermaid(text: str) -> tuple[dict[str, re.Match[str]], list[re.Match[str]]]:
    """Every line of the flowchart is a header, a node, an edge or a style line; nodes and edges returned."""
    lines = text.splitlines()
    assert lines[0] == "---" and lines[1].startswith("title: ") and lines[2] == "---" and lines[3] == "flowchart TB"
    nodes: dict[str, re.Match[str]] = {}
    edges: list[re.Match[str]] = []
    for line in lines[4:]:
        if m := MERMAID_NODE.match(line):
            nodes[m["id"]] = m
        elif m := MERMAID_EDGE.match(line):
            edges.append(m)
        else:
            assert MERMAID_OTHER.match(line), f"not a flowchart line: {line!r}"
    for edge in edges:
        assert edge["source"] in nodes and edge["target"] in nodes
    return nodes, edges


def step_pairs(procedure: Procedure) -> set[tuple[str, str]]:
    return {(s.id, target) for s in procedure.steps for target, _ in successors(s)}


# -- structure ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("procedure", shipped(), ids=lambda p: p.id)
def test_every_shipped_procedure_has_one_node_per_step_and_one_edge_per_successor(procedure: Procedure) -> None:
    diagram = build_diagram(procedure)
    dot = to_dot(diagram)
    nodes, edges = parse_mermaid(to_mermaid(diagram))
    assert list(dot_nodes(dot)) == [s.id for s in procedure.steps]
    assert set(dot_edges(dot)) == step_pairs(procedure)
    assert list(nodes) == [s.id for s in procedure.steps]
    assert {(e["source"], e["target"]) for e in edges} == step_pairs(procedure)


def test_each_kind_of_step_has_its_own_shape_in_both_formats() -> None:
    procedure = small()
    diagram = build_diagram(procedure)
    dot = dot_nodes(to_dot(diagram))
    mermaid, _ = parse_mermaid(to_mermaid(diagram))
    expected_dot = {
        "task": "box",
        "choice": "diamond",
        "wait": "ellipse",
        "check": "octagon",
        "notify": "note",
        "end": "doublecircle",
    }
    for step in procedure.steps:
        assert f'shape="{expected_dot[step.kind]}"' in dot[step.id]["attrs"]
        assert (mermaid[step.id]["open"], mermaid[step.id]["close"]) == SHAPES[step.kind].mermaid
    assert dot["vanta"]["label"].startswith("◷ ") and mermaid["vanta"]["label"].startswith("◷ ")
    assert len({s.mermaid for s in SHAPES.values()}) == len(SHAPES)


def test_a_node_shows_the_wrapped_title_the_system_in_brackets_and_on_request_the_section() -> None:
    plain = dot_nodes(to_dot(build_diagram(small())))["sok"]["label"]
    assert plain.startswith("Sök upp gruppen i BER och<BR/>kontrollera att den finns<BR/>kvar denna termin<BR/>")
    assert "<B>[BER]</B>" in plain and "Steg 1" not in plain
    with_sections = dot_nodes(to_dot(build_diagram(small(), sections=True)))["sok"]["label"]
    assert "<I>Steg 1</I>" in with_sections
    mermaid, _ = parse_mermaid(to_mermaid(build_diagram(small(), sections=True)))
    assert mermaid["sok"]["label"].endswith("<br/>[BER]<br/>§ Steg 1")


def test_titles_wrap_between_words_at_28_characters() -> None:
    lines = wrap("Skicka de signerade betygskatalogerna i original till Vuxenutbildningscentrum")
    assert all(len(line) <= 28 for line in lines)
    assert " ".join(lines) == "Skicka de signerade betygskatalogerna i original till Vuxenutbildningscentrum"
    assert wrap("Ettmycketlångtsammansattordsomintekanbrytas") == ["Ettmycketlångtsammansattordsomintekanbrytas"]


def test_edges_carry_the_button_option_condition_or_the_system_a_wait_listens_to() -> None:
    edges = {(e.source, e.target): e.label for e in build_diagram(small()).edges}
    assert edges[("sok", "vag")] == "Gruppen finns / I arkivet"  # two buttons, one edge
    assert edges[("sok", "klart")] == "Gruppen saknas"
    assert edges[("vag", "vanta")] == "niva = 'hog'"
    assert edges[("vag", "fraga")] == "annars"
    assert edges[("fraga", "mejl")] == "Ja, meddela"
    assert edges[("vanta", "mejl")] == "när ED svarar"
    assert edges[("kontroll", "sok")] == "" and edges[("mejl", "klart")] == ""
    english = {(e.source, e.target): e.label for e in build_diagram(small(), lang="en").edges}
    assert english[("vanta", "mejl")] == "when ED answers" and english[("vag", "fraga")] == "otherwise"


def test_a_long_condition_is_shortened_to_one_line_with_an_ellipsis() -> None:
    label = condition_label("grupp_atgard == 'skapa'  and\n inskriven == true and niva != 'lag'")
    assert label.startswith("grupp_atgard = 'skapa' and") and label.endswith("…") and len(label) <= 30


def test_each_system_gets_its_own_colour_and_keeps_it_across_procedures() -> None:
    colours = system_colours(["BER", "ED", "Ping Pong", "Post", "Alvis", "Ladok"])
    assert len(set(colours.values())) == 6
    alone = {name: system_colours([name])[name] for name in ("BER", "ED")}
    assert alone["BER"] != alone["ED"]  # no clash between these two, so each keeps the colour its name picks
    assert system_colours(["ED", "BER"]) == alone == system_colours(["BER", "ED"])
    dot = to_dot(build_diagram(small()))
    ber, ed = colours_of(dot, "sok"), colours_of(dot, "vanta")
    assert ber != ed and colours_of(dot, "kontroll") == "#ffffff"


def colours_of(dot: str, step: str) -> str:
    found = re.search(r'fillcolor="(#[0-9a-f]{6})"', dot_nodes(dot)[step]["attrs"])
    assert found
    return found[1]


# -- a case's route -------------------------------------------------------------------------------------

ROUTE = ("kontroll", "sok", "vag", "vanta")


def test_a_route_marks_the_steps_and_edges_passed_the_current_step_and_fades_the_rest() -> None:
    diagram = build_diagram(small(), route=ROUTE, current="vanta")
    assert [n.id for n in diagram.nodes if n.visited] == list(ROUTE)
    assert [n.id for n in diagram.nodes if n.current] == ["vanta"]
    assert {(e.source, e.target) for e in diagram.edges if e.visited} == {
        ("kontroll", "sok"),
        ("sok", "vag"),
        ("vag", "vanta"),
    }
    dot = to_dot(diagram)
    nodes, edges = dot_nodes(dot), dot_edges(dot)
    assert f'color="{CURRENT}", penwidth="4"' in nodes["vanta"]["attrs"] and "bold" in nodes["vanta"]["attrs"]
    assert nodes["vanta"]["label"].startswith("<B>")
    assert f'color="{VISITED}"' in nodes["sok"]["attrs"]
    assert f'color="{FADED}"' in nodes["fraga"]["attrs"]
    assert f'color="{VISITED}"' in (edges[("sok", "vag")]["attrs"] or "")
    assert f'color="{FADED}"' in (edges[("sok", "klart")]["attrs"] or "")


def test_in_mermaid_the_route_is_link_styles_by_edge_index_and_node_styles() -> None:
    diagram = build_diagram(small(), route=ROUTE, current="vanta")
    text = to_mermaid(diagram)
    _, edges = parse_mermaid(text)
    styled = re.search(r"^  linkStyle ([\d,]+) ", text, re.MULTILINE)
    assert styled
    taken = {(edges[int(i)]["source"], edges[int(i)]["target"]) for i in styled[1].split(",")}
    assert taken == {("kontroll", "sok"), ("sok", "vag"), ("vag", "vanta")}
    assert f"style s_vanta stroke:{CURRENT},stroke-width:4px" in text
    assert f"style s_sok stroke:{VISITED}" in text and f"style s_fraga stroke:{FADED}" in text
    assert parse_mermaid(text)[0]["vanta"]["label"].startswith("▶ ")


def test_without_a_case_nothing_is_marked_or_faded() -> None:
    diagram = build_diagram(small())
    assert not diagram.highlighted
    assert VISITED not in to_dot(diagram) and FADED not in to_dot(diagram)
    assert "linkStyle" not in to_mermaid(diagram) and "style s_" not in to_mermaid(diagram)


# -- escaping ----------------------------------------------------------------------------------------------

NASTY = 'Säg "hej" <b>&amp; {x} | y \\N #quot; `kod` ]'


def nasty_procedure() -> Procedure:
    """Built from data (not loaded): the loader would rightly read `{x}` in a title as a template name."""
    task: dict[str, Any] = {
        "kind": "task",
        "id": "gor",
        "title": NASTY,
        "system": 'Sys "<&>" {|}',
        "instructions": "x",
        "actions": [{"name": "ok", "label": NASTY, "next": "slut"}],
        "source": {"section": NASTY},
    }
    return procedure_from_data(
        {
            "id": "elak",
            "title": NASTY,
            "access": {"roles": ["R"]},
            "steps": [task, {"kind": "end", "id": "slut", "title": NASTY}],
        }
    )


def test_quotes_angle_brackets_ampersands_braces_and_bars_cannot_break_the_dot_text() -> None:
    dot = to_dot(build_diagram(nasty_procedure(), sections=True, caption=NASTY))
    assert set(dot_nodes(dot)) == {"gor", "slut"} and set(dot_edges(dot)) == {("gor", "slut")}
    label = dot_nodes(dot)["gor"]["label"]
    assert "&quot;hej&quot; &lt;b&gt;&amp;amp; {x} | y \\N" in label and "<b>" not in label
    assert dot_string('a "b" \\N') == '"a \\"b\\" \\\\N"'
    assert '"gor" -> "slut" [label="Säg \\"hej\\" <b>&amp; {x} | y \\\\N…"' in dot  # a quoted string, shortened


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` is not installed (apt-get install graphviz)")
def test_graphviz_draws_the_nasty_titles_as_written() -> None:
    dot = to_dot(build_diagram(nasty_procedure(), sections=True, caption=NASTY))
    drawn = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=30, check=False)
    assert drawn.returncode == 0, drawn.stderr
    assert "Warning" not in drawn.stderr and "Error" not in drawn.stderr
    assert "&quot;hej&quot; &lt;b&gt;&amp;amp; {x} | y \\N" in drawn.stdout  # SVG text, as the title reads
    assert drawn.stdout.count("Säg") >= 4  # caption, two node labels, the edge label


def test_quotes_angle_brackets_ampersands_braces_and_bars_cannot_break_the_mermaid_text() -> None:
    text = to_mermaid(build_diagram(nasty_procedure(), sections=True, caption=NASTY))
    nodes, edges = parse_mermaid(text)
    assert set(nodes) == {"gor", "slut"} and len(edges) == 1
    escaped = mermaid_text(NASTY)
    assert escaped == "Säg #quot;hej#quot; #lt;b#gt;#amp;amp; #123;x#125; #124; y \\N #35;quot; #96;kod#96; ]"
    assert edges[0]["label"] == mermaid_text(shorten(NASTY))
    assert nodes["gor"]["label"].startswith(mermaid_text('Säg "hej" <b>&amp; {x} | y'))
    assert "[Sys #quot;#lt;#amp;#gt;#quot; #123;#124;#125;]" in nodes["gor"]["label"]
    assert text.splitlines()[1] == 'title: "Säg \\"hej\\" <b>&amp; {x} | y \\\\N #quot; `kod` ]"'


def test_render_diagram_picks_the_writer_by_format() -> None:
    diagram = build_diagram(small())
    assert render_diagram(diagram, "dot") == to_dot(diagram)
    assert render_diagram(diagram, "mermaid") == to_mermaid(diagram)
