"""`rutin demo`: a grade-revocation case run end to end on the sandbox."""

from __future__ import annotations

import sys

import click

from cli import Settings, app, pass_settings, refusals


@app.command("demo")
@click.option("--interactive", is_flag=True, help="Walk the case yourself with the guide.")
@pass_settings
def demo(s: Settings, interactive: bool) -> None:
    """Run a grade-revocation case end to end on the sandbox, moving the clock through the waits."""
    from terminal.demo import run_demo
    from terminal.render import print_case

    with refusals():
        run_demo(s, interactive and sys.stdin.isatty(), print_case)
