"""The Ping Pong grade-feed reader: planted changes are found and nothing else; bad documents fail clearly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adapters.pingpong_feed import FeedError, parse_feed, read_feed_file
from engine.grade_feed import Decider, FeedRead, GradeRecord, StudentGrades, diff_reads, diff_student

DATA = Path(__file__).resolve().parent.parent / "data" / "pingpong"
SHARED_EXAMPLE = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "pingpong" / "betyg" / "r11" / "betyg-exempel.xml"
)
NS = "http://pingpong.se/schemas/grades/v1.1"
P1 = "{aaaaaaaa-0000-4000-8000-000000000001}"
P9 = "{aaaaaaaa-0000-4000-8000-000000000009}"

GRADE = """<kursbetyg>
  <value>{value}</value>
  <datum>{datum}</datum>
  <prövning>false</prövning>
  <skola>S1</skola>
  <beslutsfattare roll="LÄRARE"><person>P1</person></beslutsfattare>
  <skolform>VUX</skolform>
  <kurskod>MATMAT01a</kurskod>
  <omdöme>false</omdöme>{extra}
</kursbetyg>"""


def feed(grade: str = "", *, head: str = "") -> bytes:
    """A one-student document; the grade element starts on line 4."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{head}\n<betyg xmlns="{NS}" from="2024-03-01T00:00:00" '
        f'tom="2024-03-02T00:00:00">\n<elev id="19121212-1212">\n{grade}\n</elev>\n</betyg>\n'
    ).encode()


def grade(value: str = "E", datum: str = "2024-03-01", extra: str = "") -> str:
    return GRADE.format(value=value, datum=datum, extra=extra)


def test_every_planted_change_between_two_reads_is_found_and_nothing_else() -> None:
    changes = diff_reads(read_feed_file(DATA / "read-1.xml"), read_feed_file(DATA / "read-2.xml"))

    found = {(c.student, c.kind, c.grade.code, c.fields) for c in changes}
    assert found == {
        ("19121212-1212", "changed", "MATMAT01a", ("value",)),
        ("19121212-1212", "changed", "ENGENG05", ("decided_on",)),
        ("19121212-1212", "changed", "SVESVE01", ("decider",)),
        ("19121212-1212", "changed", "HISHIS01a", ("by_examination",)),
        ("19121212-1212", "removed", "SAMSAM01b", ()),
        ("19121212-1212", "added", "NAKNAK01a", ()),
        ("19460823-9986", "added", "GRNMATB", ()),
    }
    assert len(changes) == len(found)
    decider = next(c for c in changes if c.grade.code == "SVESVE01")
    assert decider.before is not None and decider.after is not None
    assert decider.before.decider == Decider("LÄRARE", (P1,))
    assert decider.after.decider == Decider("REKTOR", (P9,))


def test_a_student_absent_from_the_later_read_loses_no_grades() -> None:
    before, after = read_feed_file(DATA / "read-1.xml"), read_feed_file(DATA / "read-2.xml")

    changes = diff_reads(before, after)

    assert after.grades_of("20000229-2399") is None
    assert not [c for c in changes if c.student == "20000229-2399"]


def test_reading_the_same_document_twice_reports_nothing() -> None:
    read = read_feed_file(DATA / "read-2.xml")

    assert diff_reads(read, read_feed_file(DATA / "read-2.xml")) == []


def test_an_empty_list_for_a_listed_student_removes_every_grade() -> None:
    before = parse_feed(feed(grade()))
    after = parse_feed(feed(""))

    changes = diff_reads(before, after)

    assert [(c.kind, c.grade.code) for c in changes] == [("removed", "MATMAT01a")]


def test_the_same_course_graded_twice_pairs_by_date_not_as_remove_and_add() -> None:
    def record(value: str, day: date) -> GradeRecord:
        return GradeRecord("S", "course", "MATMAT01a", value, day, False, "S1", Decider("LÄRARE"), "VUX")

    old_f, old_e = record("F", date(2023, 6, 1)), record("E", date(2024, 1, 1))
    new_d = record("D", date(2024, 1, 1))

    changes = diff_student("S", [old_f, old_e], [old_f, new_d])

    assert [(c.kind, c.before, c.after, c.fields) for c in changes] == [("changed", old_e, new_d, ("value",))]


def test_a_read_records_the_period_with_a_swedish_time_zone() -> None:
    read = read_feed_file(DATA / "read-1.xml")

    assert read.period_from.isoformat() == "2024-03-01T00:00:00+01:00"
    assert isinstance(read, FeedRead) and isinstance(read.students[0], StudentGrades)


@pytest.mark.parametrize(
    ("document", "line", "element", "problem"),
    [
        (feed(grade().replace("</kursbetyg>", "")), 14, "kursbetyg", "mismatched tag"),
        (feed(grade(extra="\n  <anteckning>x</anteckning>")), 13, "anteckning", "unknown element <anteckning>"),
        (feed(grade(value="Q")), 5, "value", "'Q' is not a grade in the feed's scale"),
        (feed(grade(datum="2024-02-30")), 6, "datum", "'2024-02-30' is not a date"),
        (feed(grade(datum="den 1 mars")), 6, "datum", "'den 1 mars' is not a date"),
        (feed(grade().replace("<prövning>false", "<prövning>ja")), 7, "prövning", "'ja' is not a boolean"),
        (feed(grade().replace("LÄRARE", "VAKTMÄSTARE")), 9, "beslutsfattare", "'VAKTMÄSTARE' is not a decider"),
        (feed(grade().replace("<skolform>VUX", "<skolform>KOMVUX")), 10, "skolform", "'KOMVUX' is not a school form"),
        (feed(grade().replace("  <value>E</value>\n", "")), 5, "datum", "missing <value> in <kursbetyg>"),
        (feed(grade().replace("<skola>S1</skola>", "")), 9, "beslutsfattare", "missing <skola>"),
        (feed(grade() + "\n<ämnesbetyg/>"), 14, "ämnesbetyg", "element <ämnesbetyg> is out of place"),
        (feed(grade()).replace(b'id="19121212-1212"', b""), 3, "elev", "missing required attribute 'id'"),
        (feed(grade()).replace(b"2024-03-01T00:00:00", b"igar"), 2, "betyg", "attribute from='igar' is not a date"),
        (feed(grade()).replace(f' xmlns="{NS}"'.encode(), b""), 2, None, "not in the grade feed's namespace"),
    ],
)
def test_a_bad_document_is_a_clear_error_naming_element_and_line(
    document: bytes, line: int, element: str | None, problem: str
) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(document, source="feed.xml")

    error = caught.value
    assert (error.line, error.element) == (line, element)
    assert problem in error.message
    assert error.message.startswith(f"feed.xml:{line}:")
    assert error.retryable is False


def test_every_truncation_or_corrupted_byte_is_a_feed_error_never_a_crash() -> None:
    document = (DATA / "read-1.xml").read_bytes()
    variants = [document[:cut] for cut in range(0, len(document), 7)]
    variants += [document[:at] + b"\xff" + document[at + 1 :] for at in range(0, len(document), 13)]

    outcomes = set()
    for variant in variants:
        try:
            parse_feed(variant)
            outcomes.add("parsed")
        except FeedError:
            outcomes.add("refused")

    assert "refused" in outcomes


def test_a_student_listed_twice_is_refused_rather_than_guessed() -> None:
    document = feed(grade() + '\n</elev>\n<elev id="19121212-1212">')

    with pytest.raises(FeedError, match="listed twice") as caught:
        parse_feed(document)

    assert caught.value.line == 15


@pytest.mark.parametrize(
    "head",
    [
        '\n<!DOCTYPE betyg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        '\n<!DOCTYPE betyg SYSTEM "file:///etc/passwd">',
        "\n<!DOCTYPE betyg>",
    ],
    ids=["entity-expansion", "external-dtd", "bare-doctype"],
)
def test_a_dtd_or_entity_bomb_is_refused(head: str) -> None:
    document = feed(grade().replace("<kurskod>MATMAT01a", "<kurskod>&c;"), head=head)

    with pytest.raises(FeedError, match="DOCTYPE is not allowed") as caught:
        parse_feed(document)

    assert caught.value.line == 2


def test_an_undeclared_entity_is_malformed_not_expanded() -> None:
    with pytest.raises(FeedError, match="undefined entity") as caught:
        parse_feed(feed(grade().replace("MATMAT01a", "&x;")))

    assert caught.value.element == "kurskod"


@pytest.mark.skipif(not SHARED_EXAMPLE.exists(), reason="../shared/data/pingpong is not beside this clone")
def test_the_published_example_feed_parses() -> None:
    read = read_feed_file(SHARED_EXAMPLE)

    assert len(read.students) == 3
    assert sum(len(s.grades) for s in read.students) == 7
    assert any(g.by_examination for s in read.students for g in s.grades)
