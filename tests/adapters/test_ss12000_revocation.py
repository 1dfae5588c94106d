"""The grade-revocation routine end to end with its waits answered by the SS 12000 client over HTTP.

BER and ED are each a local SS 12000 server with synthetic Komvux data; the tests script the registries' changes
on the shared clock (the grade disappears from BER 7 minutes after the person removed it in ED, the student leaves
the wrong group and later appears in the right one) and drive the case as a person and the worker would.
No sandbox is involved: the systems are the SS 12000 adapter for BER and ED and a person for everything else.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from adapters.ss12000.server import RegistryWorld
from tests.adapters.ss12000_support import RegistryCase, registry_world

PROC = "avregistrering-betyg"
STUDENT = "19121212-1212"
INPUTS = {
    "personnummer": STUDENT,
    "orsak": "fel_betygsgrupp",
    "kurskod": "MATMAT01a",
    "betygsgrupp": "MA1A-HT24",
    "ny_betygsgrupp": "MA1B-HT24",
}
FIELDS = {"ed_beslutad_av": {"beslutande_larare": "Karin Lind"}, "ed_registrera": {"betyg": "c"}}


def _do_until_wait(w: RegistryCase, case_id: str) -> str:
    """Press the current step's first button until the case waits on a system (or is done); return the step."""
    for _ in range(30):
        view = w.service.show(case_id, "anna")
        if view.status in ("waiting", "done") or not view.actions:
            return view.state
        w.service.do(case_id, view.actions[0].name, FIELDS.get(view.state, {}), "anna")
    raise AssertionError("no wait reached")


def _sweep_until_moved(w: RegistryCase, case_id: str, state: str, minutes: int) -> tuple[int, list[str]]:
    """Move the clock a minute at a time, sweeping, until the case leaves `state`; return the minutes and errors."""
    errors: list[str] = []
    for minute in range(1, minutes + 1):
        w.advance(1)
        report = w.service.sweep()
        errors += [e for _, e in report.errors]
        if w.service.show(case_id, "anna").state != state:
            return minute, errors
    raise AssertionError(f"still at {state} after {minutes} minutes; errors: {errors}")


def _script(world: RegistryWorld, at: timedelta, what: str, change: object) -> None:
    world.schedule(world.clock() + at, what, change)  # type: ignore[arg-type]


def test_the_revocation_runs_end_to_end_on_ss12000_without_the_sandbox(tmp_path: Path) -> None:
    with registry_world(tmp_path) as w:
        ber, ed, bd, ed_d = w.ber, w.ed, w.ber_demo, w.ed_demo
        case = w.service.start(PROC, INPUTS, "anna")
        assert _do_until_wait(w, case.id) == "ber_vanta_borttaget"

        # BER: the grade disappears 7 minutes after the removal in ED ("det kan ta upp till 15 min").
        _script(ber, timedelta(minutes=7), "grade removed in BER", lambda wd, at: wd.delete("grades", bd.grade, at))
        minute, errors = _sweep_until_moved(w, case.id, "ber_vanta_borttaget", 30)
        assert errors == []
        assert 7 <= minute <= 8  # checked every 2 minutes: seen at the first check after 7 minutes
        assert _do_until_wait(w, case.id) == "ed_vanta_borta"  # the person moved the student in BER

        # ED: the student leaves the wrong group after 4 minutes, and appears in the right one after 12.
        group_a, group_b = ed_d.groups["MA1A-HT24"], ed_d.groups["MA1B-HT24"]
        _script(ed, timedelta(minutes=4), "left MA1A", lambda wd, at: wd.remove_membership(group_a, ed_d.student, at))
        _script(
            ed,
            timedelta(minutes=12),
            "joined MA1B",
            lambda wd, at: wd.add_membership(group_b, ed_d.student, date(2024, 6, 3), None, at),
        )
        left, errors = _sweep_until_moved(w, case.id, "ed_vanta_borta", 30)
        assert errors == [] and 4 <= left <= 5
        assert w.service.show(case.id, "anna").state == "ed_vanta_ny"
        joined, errors = _sweep_until_moved(w, case.id, "ed_vanta_ny", 30)
        assert errors == [] and 12 - left <= joined <= 12 - left + 2
        assert _do_until_wait(w, case.id) == "ber_vanta_ny"  # the person registered the grade on MA1B in ED

        # BER: the grade reaches the right course group 5 minutes later.
        _script(
            ber,
            timedelta(minutes=5),
            "grade on MA1B in BER",
            lambda wd, at: wd.add_grade(
                bd.student, bd.groups["MA1B-HT24"], bd.syllabuses["MATMAT01b"], bd.school, "C", bd.student, at
            ),
        )
        _sweep_until_moved(w, case.id, "ber_vanta_ny", 30)
        assert _do_until_wait(w, case.id) == "klart"
        assert w.service.show(case.id, "anna").status == "done"

        # The history says who answered each wait: the SS 12000 client, for BER and for ED.
        sources = [e.data.get("source") for e in w.store.events(case.id) if e.kind == "wait_satisfied"]
        assert sources == ["ss12000:BER", "ss12000:ED", "ss12000:ED", "ss12000:BER"]
        assert [what for _, what in ber.applied] == ["grade removed in BER", "grade on MA1B in BER"]
        assert w.service.verify("admin", case.id).ok
        assert w.service.replay(case.id, "admin").ok


def test_the_client_syncs_incrementally_after_the_first_full_read(tmp_path: Path) -> None:
    with registry_world(tmp_path) as w:
        ber = w.adapters["BER"]
        ask = {"student": STUDENT, "group": "MA1A-HT24"}
        assert ber.ask("BER", "grade_registered", ask, w.clock.now()) is True
        first = ber.mirror.fetched
        assert first == 16  # 6 persons, 3 groups, 3 activities, 1 grade, 3 syllabuses
        w.advance(2)
        w.ber_server.requests.clear()
        assert ber.ask("BER", "grade_registered", ask, w.clock.now()) is True
        assert ber.mirror.fetched == first  # nothing changed since the data was loaded: nothing read again
        listed = [q for endpoint, q in w.ber_server.requests if endpoint != "deletedEntities"]
        assert listed and all("meta.modified.after" in q or "pageToken" in q for q in listed)
        assert any(endpoint == "deletedEntities" for endpoint, _ in w.ber_server.requests)

        w.ber.delete("grades", w.ber_demo.grade, w.clock.now())  # removal seen through /deletedEntities
        w.advance(1)
        assert ber.ask("BER", "grade_registered", ask, w.clock.now()) is False
        assert ber.mirror.fetched == first  # a deletion costs no entity reads

        group = w.ber_demo.groups["MA1B-HT24"]
        w.ber.add_membership(group, w.ber_demo.student, date(2024, 6, 3), None, w.clock.now())
        w.advance(1)
        assert ber.ask("BER", "in_group", {"student": STUDENT, "group": "MA1B-HT24"}, w.clock.now()) is True
        assert ber.mirror.fetched == first + 1  # only the changed group was read


def test_the_registry_answers_membership_grader_and_group_facts(tmp_path: Path) -> None:
    with registry_world(tmp_path) as w:
        ber, now = w.adapters["BER"], w.clock.now()
        assert ber.ask("BER", "in_group", {"student": STUDENT, "group": "MA1A-HT24"}, now) is True
        assert ber.ask("BER", "in_group", {"student": STUDENT, "group": "MA1B-HT24"}, now) is False
        assert ber.ask("BER", "has_grader", {"group": "MA2A-HT24"}, now) is True
        assert ber.ask("BER", "group_exists", {"group": "MA9Z-HT24"}, now) is False
        facts = ber.group_facts("MA1A-HT24", now)
        assert facts.courses == ("MATMAT01a",)
        assert (facts.start, facts.end) == (date(2024, 5, 20), date(2024, 12, 20))
        assert "191212121212" in facts.members and len(facts.members) == 4 and facts.graders == 1

        activity = w.ber_demo.activities["MA2A-HT24"]
        w.ber.set_graders(activity, [], now)  # the grading teacher is unlinked
        w.advance(2)
        assert ber.ask("BER", "has_grader", {"group": "MA2A-HT24"}, w.clock.now()) is False
