"""Who may act: users hold BER roles and staff tasks; a procedure or step says which it requires."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.procedure import Access

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
