"""`rutin web --demo`: demo users with passwords and roles, and a few grade-revocation cases on the sandbox.

Idempotent: users are saved again with the same roles and password on every start; cases are added only
while the database has no case of the demo's procedure yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.access import AUDITOR_TASK, PROCESS_OWNER_TASK, User
from engine.errors import RutinError
from engine.ports import Authenticator
from engine.service import Rutin
from engine.views import CaseView

DEMO_PASSWORD = "rutin-demo-2024"
DEMO_PROCEDURE = "avregistrering-betyg"
DEMO_ROLE = "Vux intern anordnare Sthlm"
GRADE_TASK = "Betygsadministratör"
CLI_DEMO_ADMIN = "demo-admin"  # terminal/demo.py's administrator


@dataclass(frozen=True)
class DemoUser:
    name: str
    display: str
    roles: tuple[str, ...]
    tasks: tuple[str, ...]
    admin: bool
    what_sv: str


DEMO_USERS = (
    DemoUser("anna", "Anna Berg", (DEMO_ROLE,), (GRADE_TASK,), True, "administratör och betygsadministratör"),
    DemoUser("karin", "Karin Lind", (), ("Examinator",), False, "examinator"),
    DemoUser("olof", "Olof Ek", (), (AUDITOR_TASK,), False, "granskare (revision)"),
    DemoUser("petra", "Petra Holm", (), (PROCESS_OWNER_TASK,), False, "processägare"),
    DemoUser("erik", "Erik Ek", (), (), False, "utan behörighet"),
)
DEMO_CASES = (  # student, course, the group the grade was wrongly registered in, the right group
    ("19121212-1212", "MATMAT01a", "MA1A-HT24", "MA1B-HT24"),
    ("20000229-2399", "ENGENG05", "EN5A-HT24", "EN5B-HT24"),
    ("19900101-0017", "SVESVE01", "SV1A-VT25", "SV1C-VT25"),
)
DEMO_FIELDS = {"beslutande_larare": "Karin Lind", "betyg": "c", "status": "avbrott"}


def seed_demo(service: Rutin, authenticator: Authenticator) -> list[str]:
    """Save the demo users and, once, start the demo cases; the ids of the cases started."""
    admin = DEMO_USERS[0]
    actor = _administrator(service)
    for person in DEMO_USERS:
        user = User(person.name, person.roles, person.tasks, person.display, None, person.admin)
        service.save_user(user, actor)
        authenticator.set_password(person.name, DEMO_PASSWORD)
    if service.my_cases(admin.name, statuses=("open", "waiting", "overdue", "done"), per_page=1).cases:
        return []
    started = []
    for i, (student, course, group, right_group) in enumerate(DEMO_CASES):
        inputs = {
            "personnummer": student,
            "orsak": "fel_betygsgrupp",
            "kurskod": course,
            "betygsgrupp": group,
            "ny_betygsgrupp": right_group,
        }
        view = service.start(DEMO_PROCEDURE, inputs, admin.name)
        started.append(view.id)
        if i == 1:  # one case walked on to its first wait on BER or ED, to show "väntas senast"
            _walk_to_wait(service, view, admin.name)
        if i == 2:
            service.comment(view.id, "Läraren har bekräftat felet per e-post.", admin.name)
    return started


def _administrator(service: Rutin) -> str:
    """Who saves the demo users: the terminal demo's administrator, made first in an empty database, so that
    `rutin demo` (the terminal walkthrough) works on the same file; else an administrator already there."""
    if service.store.get_user(CLI_DEMO_ADMIN) is None:
        admins = [u.name for u in service.store.list_users() if u.admin]
        if service.store.list_users() and not admins:
            raise RutinError(
                "the database has users but no administrator to add the demo users",
                "add one with `rutin users add NAME --admin`, or use another --db",
                sv=(
                    "databasen har användare men ingen administratör som kan lägga till demoanvändarna",
                    "lägg till en med `rutin users add NAMN --admin`, eller välj en annan --db",
                ),
            )
        creator = admins[0] if admins else CLI_DEMO_ADMIN  # the very first user saved becomes an administrator
        service.save_user(User(CLI_DEMO_ADMIN, display_name="Demo administratör", admin=True), creator)
    return CLI_DEMO_ADMIN


def _walk_to_wait(service: Rutin, view: CaseView, actor: str) -> None:
    for _ in range(20):
        if view.waiting is not None or view.status == "done" or not view.actions:
            return
        action = view.actions[0]
        fields = {f.name: DEMO_FIELDS[f.name] for f in action.fields if f.name in DEMO_FIELDS}
        view = service.do(view.id, action.name, fields, actor)


def sign_in_help(host: str, port: int) -> str:
    lines = [
        f"Rutin körs på http://{host}:{port}/  (Ctrl-C avslutar)",
        f"Logga in med något av demokontona, lösenord: {DEMO_PASSWORD}",
    ]
    lines += [f"  {u.name:<6} {u.display}, {u.what_sv}" for u in DEMO_USERS]
    return "\n".join(lines)
