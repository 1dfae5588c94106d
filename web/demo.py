"""`rutin web --demo`: demo users with passwords and roles, and a few grade-revocation cases on the sandbox.

Idempotent: users are saved again with the same roles and password on every start; cases are added only
while the database has no case of the demo's procedure yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.access import AUDITOR_TASK, PROCESS_OWNER_TASK, User
from engine.ports import Authenticator
from engine.service import Rutin
from engine.views import CaseView

DEMO_PASSWORD = "rutin-demo-2024"
DEMO_PROCEDURE = "avregistrering-betyg"
DEMO_ROLE = "Vux intern anordnare Sthlm"
GRADE_TASK = "Betygsadministratör"


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
    """Save the demo users (the first one as administrator) and, once, start the demo cases; their ids."""
    admin = DEMO_USERS[0]
    for person in DEMO_USERS:
        user = User(person.name, person.roles, person.tasks, person.display, None, person.admin)
        service.save_user(user, admin.name)  # the very first user saved becomes an administrator anyway
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
