"""Who may act: users hold BER roles and staff tasks; a procedure or step says which it requires."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import ActionRefused
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
