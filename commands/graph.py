"""Drawing a procedure, or a case on its procedure: the options and output of `procedures graph` and `case graph`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli import fail, refusals

if TYPE_CHECKING:
    from engine.procedure import LoadedProcedure

GRAPH_FORMATS = ("mermaid", "dot", "svg", "png")
GRAPH_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(GRAPH_FORMATS),
    default="mermaid",
    show_default=True,
    help="mermaid and dot are text; svg and png need Graphviz's `dot`.",
)
GRAPH_OUTPUT = click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file instead of stdout."
)
GRAPH_SECTIONS = click.option("--sections", is_flag=True, help="Show the routine's section under each step.")


def emit_graph(
    loaded: LoadedProcedure,
    fmt: str,
    output: Path | None,
    *,
    sections: bool,
    lang: str,
    caption: str,
    route: tuple[str, ...] = (),
    current: str | None = None,
) -> None:
    """Draw a procedure (with a case's route when given) and print it or write it whole to `output`."""
    from engine.diagram import build_diagram, to_dot, to_mermaid

    diagram = build_diagram(
        loaded.procedure,
        route=route,
        current=current,
        sections=sections,
        lang="en" if lang == "en" else "sv",
        caption=caption,
    )
    if fmt == "mermaid":
        data = to_mermaid(diagram).encode("utf-8")
    elif fmt == "dot":
        data = to_dot(diagram).encode("utf-8")
    else:
        from adapters.graphviz_render import render_dot

        with refusals():
            data = render_dot(to_dot(diagram), "png" if fmt == "png" else "svg")
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    tmp = output.with_name(output.name + ".tmp")  # written whole, then renamed: never a half-written drawing
    try:
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        from engine.errors import RutinError

        fail(
            RutinError(
                f"cannot write {output}: {exc.strerror}",
                "choose a folder you may write to",
                sv=(f"kan inte skriva {output}: {exc.strerror}", "välj en mapp du får skriva i"),
            )
        )
