"""`rutin procedures graph` and `rutin case graph` as a person runs them: exit codes and parseable output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.helpers import Cli

LONGEST = "provning-vux"  # 29 steps, the most of the shipped procedures
NO_DOT = "Graphviz's `dot` is not installed (apt-get install graphviz); the SVG is not drawn"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason=NO_DOT)
MERMAID_NODE = re.compile(r'^  s_([a-z0-9_]+)(\[|\{\{|\{|\(\[|>|\(\(\()"[^"]*"(\]|\}\}|\}|\]\)|\)\)\))$', re.MULTILINE)
MERMAID_EDGE = re.compile(r'^  s_([a-z0-9_]+) -->(?:\|"[^"]*"\|)? s_([a-z0-9_]+)$', re.MULTILINE)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def steps_of(cli: Cli, procedure_id: str) -> int:
    shown = cli("procedures", "show", procedure_id, "--json")
    assert shown.returncode == 0, shown.stderr
    return len(json.loads(shown.stdout)["steps"])


def test_the_longest_procedure_as_mermaid_is_a_flowchart_with_every_step_and_no_dangling_edge(cli: Cli) -> None:
    drawn = cli("procedures", "graph", LONGEST, "--format", "mermaid")
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout.startswith("---\ntitle: ") and "\nflowchart TB\n" in drawn.stdout
    nodes = [m[0] for m in MERMAID_NODE.findall(drawn.stdout)]
    assert len(nodes) == len(set(nodes)) == steps_of(cli, LONGEST) == 29
    edges = MERMAID_EDGE.findall(drawn.stdout)
    assert edges and all(a in nodes and b in nodes for a, b in edges)


@needs_dot
def test_the_dot_text_is_accepted_by_graphviz(cli: Cli) -> None:
    drawn = cli("procedures", "graph", LONGEST, "--format", "dot", "--sections")
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout.startswith("digraph procedure {")
    svg = subprocess.run(["dot", "-Tsvg"], input=drawn.stdout, capture_output=True, text=True, timeout=60, check=False)
    assert svg.returncode == 0, svg.stderr
    assert "<svg" in svg.stdout and "Examination (prövning) in adult education" in svg.stdout


@needs_dot
def test_svg_goes_whole_to_the_output_file(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "provning.svg"
    drawn = cli("procedures", "graph", LONGEST, "--format", "svg", "--output", str(target))
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert "<svg" in text and text.rstrip().endswith("</svg>")
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_svg_without_graphviz_says_how_to_install_it_or_which_format_to_use(cli: Cli, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    drawn = cli("procedures", "graph", LONGEST, "--format", "svg", env={"PATH": str(empty)})
    assert drawn.returncode == 1
    assert "apt-get install graphviz" in drawn.stderr and "--format mermaid/dot" in drawn.stderr
    assert "Traceback" not in drawn.stderr and drawn.stdout == ""


def test_an_unknown_procedure_is_refused_with_exit_1(cli: Cli) -> None:
    drawn = cli("procedures", "graph", "finns-inte", "--format", "dot")
    assert drawn.returncode == 1
    assert "there is no procedure 'finns-inte'" in drawn.stderr and "Traceback" not in drawn.stderr


def test_a_case_graph_marks_the_route_and_the_current_step(cli: Cli) -> None:
    assert cli("users", "add", "admin", "--admin", user="admin").returncode == 0
    added = cli(
        "users", "add", "anna", "--role", "Vux intern anordnare Sthlm", "--task", "Betygsadministratör", user="admin"
    )
    assert added.returncode == 0, added.stderr
    started = cli(
        "case",
        "start",
        "avregistrering-betyg",
        *("--set", "personnummer=19121212-1212", "--set", "orsak=ej_last"),
        *("--set", "kurskod=MATMAT01a", "--set", "betygsgrupp=MA1A-HT24"),
    )
    assert started.returncode == 0, started.stderr
    case_id = started.stdout.strip()
    assert cli("case", "do", case_id, "ed_sok_elev").returncode == 0

    drawn = cli("case", "graph", case_id, "--format", "mermaid")
    assert drawn.returncode == 0, drawn.stderr
    assert case_id in drawn.stdout.splitlines()[1]
    assert re.search(r"^  style s_\w+ stroke:#c2410c,stroke-width:4px", drawn.stdout, re.MULTILINE)
    linked = re.search(r"^  linkStyle ([\d,]+) ", drawn.stdout, re.MULTILINE)
    assert linked and len(linked[1].split(",")) >= 2

    dot = cli("case", "graph", case_id, "--format", "dot")
    assert dot.returncode == 0, dot.stderr
    assert dot.stdout.count('penwidth="4"') == 1

    unknown = cli("case", "graph", "R-FINNSINTE")
    assert unknown.returncode == 1
    assert "there is no case 'R-FINNSINTE'" in unknown.stderr and "Traceback" not in unknown.stderr
