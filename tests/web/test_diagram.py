"""The case's route on the procedure's diagram: drawn once per version, marked per case by class."""

from __future__ import annotations

import re
import shutil

import pytest

from web.diagram import mark

SVG = """<?xml version="1.0"?>
<svg width="10pt" height="10pt">
<g id="node1" class="node">
<title>a</title>
<polygon points="0,0"/></g>
<g id="node2" class="node">
<title>b</title>
<polygon points="0,0"/></g>
<g id="node3" class="node">
<title>c</title>
<polygon points="0,0"/></g>
<g id="edge1" class="edge">
<title>a&#45;&gt;b</title>
<path d="M0,0"/></g>
<g id="edge2" class="edge">
<title>b&#45;&gt;c</title>
<path d="M0,0"/></g>
</svg>"""


def classes(svg: str) -> dict[str, str]:
    return dict((t, c) for c, t in re.findall(r'class="([^"]+)">\s*<title>([^<]+)</title>', svg))


def test_the_route_and_the_current_step_are_marked_and_the_rest_left_plain() -> None:
    svg = str(mark(SVG[SVG.index("<svg") :], ("a", "b"), "b", "Diagram & steg"))
    found = classes(svg)
    assert found["a"] == "node passed"
    assert found["b"] == "node current"
    assert found["c"] == "node"
    assert found["a&#45;&gt;b"] == "edge taken"
    assert found["b&#45;&gt;c"] == "edge"
    assert '<svg role="img" aria-label="Diagram &amp; steg" focusable="false" class="highlighted" ' in svg


def test_a_procedure_without_a_case_is_drawn_unmarked() -> None:
    svg = str(mark(SVG[SVG.index("<svg") :], (), None, "Rutinen"))
    assert "highlighted" not in svg
    assert set(classes(svg).values()) == {"node", "edge"}


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")
def test_graphviz_names_each_step_so_the_marking_finds_it() -> None:
    from pathlib import Path

    from engine.loader import load_procedure_text
    from tests.conftest import PROCEDURES
    from web.diagram import diagram_svg

    path = Path(PROCEDURES) / "avregistrering-betyg.yaml"
    loaded = load_procedure_text(path.read_text(encoding="utf-8"), str(path))
    route = tuple(s.id for s in loaded.procedure.steps[:3])
    svg = diagram_svg(loaded, route, route[-1], "sv", "Diagram")
    assert svg is not None
    found = classes(str(svg))
    assert found[route[-1]] == "node current"
    assert all(found[s] == "node passed" for s in route[:-1])
    assert list(found.values()).count("edge taken") == 2
