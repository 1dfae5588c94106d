"""DOT text to SVG or PNG, by running Graphviz's `dot` program.

The binary is run directly (no Python binding needed) with a timeout, the DOT text on stdin and the image on
stdout. When Graphviz is not installed the error says how to install it, or which text formats need nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Literal

from engine.errors import RutinError

ImageFormat = Literal["svg", "png"]
IMAGE_FORMATS: tuple[ImageFormat, ...] = ("svg", "png")
TIMEOUT_SECONDS = 30.0
INSTALL_HINT = "install Graphviz (Debian: apt-get install graphviz) or use --format mermaid/dot"


def dot_program() -> str | None:
    """The path of Graphviz's `dot`, or None when it is not installed."""
    return shutil.which("dot")


def render_dot(
    dot_text: str, fmt: ImageFormat, *, timeout: float = TIMEOUT_SECONDS, program: str | None = None
) -> bytes:
    """The image `dot` draws from `dot_text`; RutinError when Graphviz is missing, fails or takes too long."""
    binary = program or dot_program()
    if binary is None:
        raise RutinError(
            f"drawing {fmt.upper()} needs Graphviz's `dot` program, which is not installed",
            INSTALL_HINT,
            sv=(
                f"för att rita {fmt.upper()} behövs Graphviz-programmet `dot`, som inte är installerat",
                "installera Graphviz (Debian: apt-get install graphviz) eller använd --format mermaid/dot",
            ),
        )
    try:
        done = subprocess.run(
            [binary, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RutinError(
            f"Graphviz took more than {timeout:g} s to draw the diagram", "use --format dot or mermaid"
        ) from exc
    except OSError as exc:
        raise RutinError(f"cannot run {binary}: {exc.strerror}", INSTALL_HINT) from exc
    if done.returncode != 0:
        problem = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RutinError(
            f"Graphviz could not draw the diagram: {problem[0] if problem else f'exit {done.returncode}'}",
            "report it with the output of --format dot",
        )
    return done.stdout
