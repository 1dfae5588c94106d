"""Who may act: users hold BER roles and staff tasks; a procedure or step says which it requires."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from engine.errors import ActionRefused, InvalidInputs, InvalidValue
from engine.procedure import Access, Procedure

WORKER = "rutin-worker"  # the actor name of automatic moves (waits answered by a system)


@dataclass(frozen=True)
class User:
    name: str
    roles: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    display_name: str | None = None
    email: str | None = None
    admin: bool = False
    groups: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "display_name": self.display_name,
            "roles": list(self.roles),
            "tasks": list(self.tasks),
            "email": self.email,
            "admin": self.admin,
        }


NAME_MAX = 64  # a login name
LABEL_MAX = 200  # a role, a task or a display name


def check_user(user: User) -> None:
    """Refuse a user whose name, roles or tasks could not be told apart on screen or in the history."""
    problems: list[InvalidValue] = []

    def refuse(name: str, en: str, sv: str, hint_en: str, hint_sv: str) -> None:
        problems.append(InvalidValue(name, en, hint_en, sv=(sv, hint_sv)))

    if not user.name or any(c.isspace() or unicodedata.category(c) == "Cc" for c in user.name):
        refuse(
            "NAME",
            f"'{user.name[:NAME_MAX]}' is not a user name",
            f"'{user.name[:NAME_MAX]}' är inget användarnamn",
            "use a login name without spaces or invisible characters, e.g. anna.svensson",
            "använd ett inloggningsnamn utan mellanslag eller osynliga tecken, t.ex. anna.svensson",
        )
    elif len(user.name) > NAME_MAX:
        refuse(
            "NAME",
            f"the user name is {len(user.name)} characters long; at most {NAME_MAX} are allowed",
            f"användarnamnet är {len(user.name)} tecken långt; högst {NAME_MAX} tecken är tillåtna",
            "use the person's login name",
            "använd personens inloggningsnamn",
        )
    # named by the CLI's options, which read the same in both languages
    labelled = [("--role", r) for r in user.roles] + [("--task", t) for t in user.tasks]
    labelled += [("--name", user.display_name)] if user.display_name is not None else []
    for what, text in labelled:
        if not text.strip():
            refuse(what, "is empty", "är tom", "leave it out, or give its name", "utelämna den, eller ange namnet")
        elif len(text) > LABEL_MAX:
            refuse(
                what,
                f"is {len(text)} characters long; at most {LABEL_MAX} are allowed",
                f"är {len(text)} tecken lång; högst {LABEL_MAX} tecken är tillåtna",
                "give the name as BER or the staff list writes it",
                "ange namnet som det står i BER eller i personallistan",
            )
        elif bad := next((c for c in text if unicodedata.category(c) == "Cc"), None):
            refuse(
                what,
                f"contains the control character U+{ord(bad):04X}",
                f"innehåller det osynliga styrtecknet U+{ord(bad):04X}",
                "type the name again",
                "skriv namnet igen",
            )
    if problems:
        raise InvalidInputs(problems)


def may_act(user: User, access: Access) -> bool:
    """At least one of the roles (when any are required) and every staff task."""
    has_role = not access.roles or any(r in user.roles for r in access.roles)
    has_tasks = all(t in user.tasks for t in access.tasks)
    return has_role and has_tasks


def describe_access(access: Access, lang: str = "en") -> str:
    sv = lang == "sv"
    parts = []
    if access.roles:
        parts.append(("någon av rollerna " if sv else "one of the roles ") + ", ".join(f"'{r}'" for r in access.roles))
    if access.tasks:
        label = "personalarbetsuppgiften " if sv else "the staff task(s) "
        parts.append(label + ", ".join(f"'{t}'" for t in access.tasks))
    return (" och " if sv else " and ").join(parts) or ("ingen roll" if sv else "no role")


class NotAllowed(ActionRefused):
    """The person's roles do not open this case, audit or overview (the web answers 403, not "try later")."""


# Staff tasks that open the auditor's and the process owner's pages in the web app (administrators have both)
AUDITOR_TASK = "Granskare"
PROCESS_OWNER_TASK = "Processägare"


def is_auditor(user: User) -> bool:
    """May read every case's history, replay and verification, and export it."""
    return user.admin or AUDITOR_TASK in user.tasks


def is_process_owner(user: User) -> bool:
    """May see every procedure with its versions, validation errors and open cases per step."""
    return user.admin or PROCESS_OWNER_TASK in user.tasks


def may_take_part(user: User, procedure: Procedure) -> bool:
    """May act on the procedure or on at least one of its steps (which can ask for other roles than the whole)."""
    if may_act(user, procedure.access):
        return True
    return any(may_act(user, a) for a in (getattr(s, "access", None) for s in procedure.steps) if a is not None)


def may_see_case(user: User, procedure: Procedure) -> bool:
    """Whose eyes a case of this procedure is for: those who take part in it, auditors and administrators."""
    return is_auditor(user) or may_take_part(user, procedure)


def may_act_at(user: User, procedure: Procedure, step_id: str) -> bool:
    """Whether the user may press the buttons of this step (its own access, else the procedure's)."""
    step = procedure.step(step_id)
    return may_act(user, getattr(step, "access", None) or procedure.access)
