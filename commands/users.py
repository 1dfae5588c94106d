"""`rutin users`: adding users, listing them with their roles and tasks, and setting web passwords."""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import TYPE_CHECKING

import click

from cli import JSON, Settings, app, emit_json, fail, pass_settings, refusals, show_table, table

if TYPE_CHECKING:
    from adapters.identity import PasswordAuthenticator
    from engine.access import User


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
@click.option("--password-stdin", is_flag=True, help="Read a password for the web app from standard input.")
@click.option("--replace", is_flag=True, help="Replace an existing user's roles, tasks, name and e-mail.")
@pass_settings
def users_add(
    s: Settings,
    name: str,
    roles: tuple[str, ...],
    tasks: tuple[str, ...],
    display: str | None,
    email: str | None,
    admin: bool,
    password_stdin: bool,
    replace: bool,
) -> None:
    """Add a user (--replace: change one). The very first user becomes an administrator."""
    import dataclasses

    from engine.access import User, check_user
    from engine.values import parse_value

    sv = s.lang == "sv"
    with refusals():
        user = User(name, roles, tasks, display, None, admin)
        check_user(user)  # before the password is read: a refused user never gets that far
        password = read_password_stdin() if password_stdin else None
        if email:
            user = dataclasses.replace(user, email=str(parse_value("email", "email", email)))
        if password is not None:
            from adapters.identity import check_password_rules

            check_password_rules(password)  # before saving the user: nothing is saved when the password is refused
        before = s.service(create=True).save_user(user, s.user, replace=replace)
        if password is not None:
            authenticator(s).set_password(name, password)
    saved = ("användaren {} sparad" if sv else "user {} saved").format(name)
    click.echo(saved + ((" med lösenord" if sv else " with a password") if password is not None else ""))
    for line in changes(before, user, sv) if before is not None else []:
        click.echo(f"  {line}")


def changes(before: User, after: User, sv: bool) -> list[str]:
    """What --replace changed, one line per attribute, so that a role taken away is seen."""
    shown = {
        ("roller", "roles"): (before.roles, after.roles),
        ("uppgifter", "tasks"): (before.tasks, after.tasks),
        ("namn", "name"): (before.display_name, after.display_name),
        ("e-post", "e-mail"): (before.email, after.email),
        ("administratör", "administrator"): (before.admin, after.admin),
    }
    none = "(inget)" if sv else "(none)"

    def text(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(value) or none
        if isinstance(value, bool):
            return ("ja" if value else "nej") if sv else ("yes" if value else "no")
        return str(value) if value else none

    return [
        f"{label[0] if sv else label[1]}: {text(old)} -> {text(new)}"
        for label, (old, new) in shown.items()
        if old != new
    ]


@users_group.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@pass_settings
def users_password(s: Settings, name: str, password_stdin: bool) -> None:
    """Set the password NAME signs in to the web app with (asked twice; signs out NAME's sessions).

    Administrators may set anyone's password; others only their own.
    """
    from engine.errors import ActionRefused

    with refusals():
        service = s.service()
        actor = service.user(s.user)
        target = service.user(name)
        if not actor.admin and actor.name != target.name:
            raise ActionRefused(
                f"{actor.name} may not set another user's password",
                "ask an administrator",
                sv=(f"{actor.name} får inte sätta någon annans lösenord", "be en administratör"),
            )
    if password_stdin:
        password = read_password_stdin()
    else:
        password = click.prompt("Nytt lösenord", hide_input=True, confirmation_prompt="Samma lösenord igen")
    with refusals():
        from adapters.identity import SqlSessions
        from adapters.sql.database import database_url, open_engine

        authenticator(s).set_password(name, password)
        ended = SqlSessions(open_engine(database_url(s.db)), timedelta(hours=1), timedelta(hours=1)).close_all(name)
        service.store.append_system_event(actor.name, service.now(), "password_set", {"user": name})
    if s.lang == "sv":
        click.echo(f"lösenordet för {name} är satt" + (f"; {ended} session(er) utloggade" if ended else ""))
    else:
        click.echo(f"password of {name} set" + (f"; {ended} session(s) signed out" if ended else ""))


def read_password_stdin() -> str:
    """The first line of standard input, without its line break (a password may hold spaces)."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        from engine.errors import RutinError

        fail(
            RutinError(
                "no password on standard input",
                "pipe it in, e.g. printf '%s\\n' \"$PASS\" | rutin ...",
                sv=("inget lösenord på standard in", "skicka in det, t.ex. printf '%s\\n' \"$PASS\" | rutin ..."),
            )
        )
    return line


def authenticator(s: Settings) -> PasswordAuthenticator:
    from adapters.identity import PasswordAuthenticator
    from adapters.sql.database import database_url, open_engine

    return PasswordAuthenticator(open_engine(database_url(s.db)))


@users_group.command("list")
@JSON
@pass_settings
def users_list(s: Settings, as_json: bool) -> None:
    """The users with their roles and tasks, and whether they have a password for the web app."""
    with refusals():
        found = s.service().users(s.user)
        signs_in = authenticator(s).names_with_password()
    if as_json:
        emit_json([{**u.to_json(), "password": u.name in signs_in} for u in found])
        return
    out = table("user", "name", "roles", "tasks", "admin", "password")
    for u in found:
        out.add_row(
            u.name,
            u.display_name or "",
            ", ".join(u.roles),
            ", ".join(u.tasks),
            "yes" if u.admin else "",
            "yes" if u.name in signs_in else "",
        )
    show_table(out)
