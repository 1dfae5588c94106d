"""`rutin users`: adding users and listing them with their roles and tasks."""

from __future__ import annotations

import click

from cli import JSON, Settings, app, emit_json, fail, pass_settings, refusals, show_table, table


@app.group("users")
def users_group() -> None:
    """Users and their roles."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, help="A BER role (repeat).")
@click.option("--task", "tasks", multiple=True, help="A staff task, e.g. Betygsadministratör (repeat).")
@click.option("--name", "display", help="Full name.")
@click.option("--email")
@click.option("--admin", is_flag=True, help="May add and change users.")
@pass_settings
def users_add(
    s: Settings,
    name: str,
    roles: tuple[str, ...],
    tasks: tuple[str, ...],
    display: str | None,
    email: str | None,
    admin: bool,
) -> None:
    """Add (or replace) a user. The very first user becomes an administrator."""
    from engine.access import User
    from engine.errors import RutinError
    from engine.values import parse_value

    if not name.strip() or any(c.isspace() for c in name):
        fail(RutinError(f"'{name}' is not a user name", "use a login name without spaces, e.g. anna.svensson"))
    with refusals():
        mail = str(parse_value("email", "email", email)) if email else None
        s.service().save_user(User(name, roles, tasks, display, mail, admin), s.user)
    click.echo(f"user {name} saved")


@users_group.command("list")
@JSON
@pass_settings
def users_list(s: Settings, as_json: bool) -> None:
    """The users with their roles and tasks."""
    with refusals():
        found = s.service().users(s.user)
    if as_json:
        emit_json([u.to_json() for u in found])
        return
    out = table("user", "name", "roles", "tasks", "admin")
    for u in found:
        out.add_row(u.name, u.display_name or "", ", ".join(u.roles), ", ".join(u.tasks), "yes" if u.admin else "")
    show_table(out)
