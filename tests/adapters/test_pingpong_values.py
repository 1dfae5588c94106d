"""The Ping Pong grade feed: values checked per school form, planted changes over many reads found exactly, and the
feed as a SystemAdapter that never answers "removed" unless a sent list lacks the grade."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.pingpong_feed import FeedError, FeedLookupError, PingPongFeedAdapter, parse_feed
from engine.grade_feed import diff_reads
from tests.adapters.test_pingpong_feed import DATA, NS, feed

AT = datetime(2024, 3, 3, 8, 0, tzinfo=UTC)


def record(value: str, *, form: str = "VUX", code: str = "MATMAT01a", assessment: bool = False) -> str:
    return f"""<kursbetyg>
  <value>{value}</value>
  <datum>2024-03-01</datum>
  <prövning>false</prövning>
  <skola>S1</skola>
  <beslutsfattare roll="LÄRARE"><person>P1</person></beslutsfattare>
  <skolform>{form}</skolform>
  <kurskod>{code}</kurskod>
  <omdöme>{str(assessment).lower()}</omdöme>
</kursbetyg>"""


@pytest.mark.parametrize(
    ("value", "form", "code", "assessment", "problem"),
    [
        ("VG", "VUX", "MATMAT01a", False, "'VG' is not a grade in VUX (allowed: A, B, C, D, E, F, -)"),
        ("G", "SARVUX", "MATMAT01a", False, "'G' is not a grade in SARVUX"),
        ("C", "YH", "YHKURS", False, "'C' is not a grade in YH (allowed: VG, G, IG)"),
        ("1", "SFI", "SFIKURS1D", False, "'1' is not a grade in SFI"),
        ("C", "VUX", "KGYORI11A", True, "'C' is not an assessment (omdöme) (allowed: G, IG)"),
        ("G", "GY", "KGYORI11A", True, "an assessment (omdöme) is only given in VUX and SARVUX, not GY"),
        ("C", "GY", "GYARBF", False, "'C' is not a gymnasiearbete grade (allowed: E, F, -)"),
    ],
)
def test_a_value_its_school_form_does_not_set_is_a_clear_error_at_the_value(
    value: str, form: str, code: str, assessment: bool, problem: str
) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(feed(record(value, form=form, code=code, assessment=assessment)), source="f.xml")

    assert caught.value.element == "value" and caught.value.line == 5
    assert problem in caught.value.message
    assert caught.value.retryable is False


@pytest.mark.parametrize(
    ("value", "form", "code", "assessment"),
    [
        ("C", "VUX", "MATMAT01a", False),
        ("-", "SARVUX", "MATMAT01a", False),
        ("IG", "VUX", "KGYORI11A", True),
        ("VG", "YH", "YHKURS", False),
        ("E", "GY", "GYARBF", False),
        ("***", "GR", "MATMAT01a", False),  # forms the feed's documentation leaves open: the schema's scale
    ],
)
def test_values_each_school_form_sets_are_read(value: str, form: str, code: str, assessment: bool) -> None:
    read = parse_feed(feed(record(value, form=form, code=code, assessment=assessment)))

    assert read.students[0].grades[0].value == value


# -- planted changes over a series of reads ---------------------------------------------------------------

CODES = ("MATMAT01a", "ENGENG05", "SVESVE01", "HISHIS01a", "SAMSAM01b", "NAKNAK01a")
STUDENTS = ("19121212-1212", "19460823-9986", "20000229-2399", "19570428-9999")
VALUES = ("A", "B", "C", "D", "E", "F", "-")
Grade = tuple[str, str, bool, str]  # value, decided on, prövning, decider role


def render(lists: dict[str, dict[str, Grade]], day: int) -> bytes:
    students = []
    for student, grades in lists.items():
        rows = []
        for code, (value, decided, trial, role) in grades.items():
            rows.append(
                f"<kursbetyg><value>{value}</value><datum>{decided}</datum><prövning>{str(trial).lower()}</prövning>"
                f'<betygsgrupp>G-{code}</betygsgrupp><skola>S1</skola><beslutsfattare roll="{role}"><person>P1</person>'
                f"</beslutsfattare><skolform>VUX</skolform><kurskod>{code}</kurskod><omdöme>false</omdöme></kursbetyg>"
            )
        students.append(f'<elev id="{student}">{"".join(rows)}</elev>')
    head = f'<betyg xmlns="{NS}" from="2024-03-{day:02d}T00:00:00" tom="2024-03-{day + 1:02d}T00:00:00">'
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{head}{"".join(students)}</betyg>'.encode()


PLANTS = st.sampled_from(["none", "absent", "add", "remove", "value", "date", "trial", "decider"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    st.dictionaries(st.sampled_from(STUDENTS), st.sets(st.sampled_from(CODES), max_size=5), min_size=1),
    st.lists(st.tuples(st.sampled_from(STUDENTS), PLANTS, st.sampled_from(CODES), st.sampled_from(VALUES)), max_size=8),
)
def test_every_planted_change_over_a_series_of_reads_is_found_and_nothing_else(
    start: dict[str, set[str]], plants: list[tuple[str, str, str, str]]
) -> None:
    state = {s: {c: ("C", "2024-03-01", False, "LÄRARE") for c in sorted(codes)} for s, codes in start.items()}
    before = parse_feed(render(state, 1))
    later = {s: dict(g) for s, g in state.items()}
    listed = set(later)
    expected: set[tuple[str, str, str, tuple[str, ...]]] = set()
    for student, plant, code, value in plants:
        grades = later.setdefault(student, {})
        listed.add(student)
        if plant == "absent" and student not in {p[0] for p in plants if p[1] != "absent"}:
            listed.discard(student)
        elif plant == "add" and code not in grades:
            grades[code] = (value, "2024-03-02", False, "LÄRARE")
        elif plant == "remove" and code in grades:
            del grades[code]
        elif code in grades:
            v, d, t, r = grades[code]
            grades[code] = {
                "value": (value, d, t, r),
                "date": (v, "2024-03-02", t, r),
                "trial": (v, d, not t, r),
                "decider": (v, d, t, "REKTOR"),
            }.get(plant, (v, d, t, r))
    after = parse_feed(render({s: g for s, g in later.items() if s in listed}, 2))
    for student in listed:
        old, new = state.get(student, {}), later[student]
        for code in old.keys() - new.keys():
            expected.add((student, "removed", code, ()))
        for code in new.keys() - old.keys():
            expected.add((student, "added", code, ()))
        for code in old.keys() & new.keys():
            if old[code] != new[code]:
                names = ("value", "decided_on", "by_examination", "decider")
                changed = tuple(n for n, a, b in zip(names, old[code], new[code], strict=True) if a != b)
                expected.add((student, "changed", code, changed))

    changes = diff_reads(before, after)

    found = {(c.student, c.kind, c.grade.code, c.fields) for c in changes}
    assert found == expected
    assert len(changes) == len(found)
    assert not [c for c in changes if c.student not in listed]  # an absent student never loses a grade


# -- the feed as a SystemAdapter --------------------------------------------------------------------------


def test_the_feed_adapter_answers_from_the_newest_list_of_each_student(tmp_path: Path) -> None:
    shutil.copy(DATA / "read-1.xml", tmp_path / "2024-03-01.xml")
    adapter = PingPongFeedAdapter(tmp_path)
    group = "{bbbbbbbb-0000-4000-8000-000000000001}"
    ask = {"student": "19121212-1212", "group": group}

    assert adapter.ask("Ping Pong", "grade_registered", ask, AT) is True
    shutil.copy(DATA / "read-2.xml", tmp_path / "2024-03-02.xml")  # MATMAT01a changes value, keeps its group
    assert adapter.ask("Ping Pong", "grade_registered", ask, AT) is True
    # a later read that lists the student without any grade in the group: the grade is gone
    (tmp_path / "2024-03-03.xml").write_bytes(render({"19121212-1212": {}}, 3))
    assert adapter.ask("Ping Pong", "grade_registered", ask, AT) is False
    # a later read that does not list the student tells nothing: still gone, not back
    (tmp_path / "2024-03-04.xml").write_bytes(render({"19460823-9986": {}}, 4))
    assert adapter.ask("Ping Pong", "grade_registered", ask, AT) is False


def test_the_feed_adapter_never_answers_for_a_student_it_never_saw(tmp_path: Path) -> None:
    shutil.copy(DATA / "read-1.xml", tmp_path / "a.xml")

    with pytest.raises(FeedLookupError, match="never listed the student 19990101-") as caught:
        PingPongFeedAdapter(tmp_path).ask(
            "Ping Pong", "grade_registered", {"student": "19990101-0000", "group": "G"}, AT
        )

    assert caught.value.kind == "unknown_student"


def test_a_broken_document_in_the_folder_stops_every_answer(tmp_path: Path) -> None:
    shutil.copy(DATA / "read-1.xml", tmp_path / "a.xml")
    (tmp_path / "b.xml").write_bytes(feed(record("VG")))  # VG is no komvux grade
    adapter = PingPongFeedAdapter(tmp_path)

    with pytest.raises(FeedError, match="'VG' is not a grade in VUX"):
        adapter.ask("Ping Pong", "grade_registered", {"student": "19121212-1212", "group": "x"}, AT)


def test_the_feed_adapter_maps_personnummer_to_feed_ids_and_refuses_other_questions(tmp_path: Path) -> None:
    (tmp_path / "feed").mkdir()
    (tmp_path / "feed" / "a.xml").write_bytes(
        render({"{cccccccc-0000-4000-8000-000000000001}": {"MATMAT01a": ("C", "2024-03-01", False, "LÄRARE")}}, 1)
    )
    students = tmp_path / "students.csv"
    students.write_text("191212121212,{cccccccc-0000-4000-8000-000000000001}\n", encoding="utf-8")
    adapter = PingPongFeedAdapter(tmp_path / "feed", students_file=students)

    ask = {"student": "19121212-1212", "group": "G-MATMAT01a"}
    assert adapter.ask("Ping Pong", "grade_registered", ask, AT) is True
    with pytest.raises(FeedLookupError) as caught:
        adapter.ask("Ping Pong", "has_grader", {"group": "G"}, AT)
    assert caught.value.kind == "unsupported"
    assert date(2024, 3, 1) == parse_feed((tmp_path / "feed" / "a.xml").read_bytes()).students[0].grades[0].decided_on
