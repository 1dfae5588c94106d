"""Comments: events in the case's hash chain that change nothing else; replay and verify stay correct."""

from __future__ import annotations

from engine.comments import MAX_COMMENT_LENGTH
from tests.web.conftest import Site


def test_a_comment_appears_on_the_case_page_and_in_its_history(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    answer = site.post(f"/cases/{case_id}/comments", {"text": "  Läraren har bekräftat felet.  "})
    assert answer.status_code == 303  # type: ignore[attr-defined]
    page = site.client.get(f"/cases/{case_id}").text
    assert "Läraren har bekräftat felet." in page
    events = site.service.store.events(case_id)
    assert events[-1].kind == "comment"
    assert events[-1].data == {"text": "Läraren har bekräftat felet."}
    assert events[-1].actor == "anna"


def test_a_comment_keeps_the_case_where_it_was_and_the_chain_intact(site: Site) -> None:
    case_id = site.start()
    before = site.service.show(case_id, "anna")
    site.service.comment(case_id, "första", "anna")
    action = before.actions[0].name
    site.service.do(case_id, action, {}, "anna")
    site.service.comment(case_id, "andra", "bo")
    after = site.service.show(case_id, "anna")
    assert after.state != before.state
    assert [e.kind for e in site.service.store.events(case_id)][-3:] == ["comment", "step_done", "comment"]
    assert site.service.verify("anna", case_id).ok
    replay = site.service.replay(case_id, "anna")
    assert replay.ok, replay.problems
    assert [s.kind for s in replay.steps].count("comment") == 2


def test_a_changed_comment_breaks_the_chain_and_the_replay(site: Site) -> None:
    from sqlalchemy import update

    from adapters.sql.tables import events

    case_id = site.start()
    site.service.comment(case_id, "original", "anna")
    with site.service.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(
            update(events)
            .where(events.c.stream == case_id, events.c.kind == "comment")
            .values(data='{"text":"ändrad"}')
        )
    assert not site.service.verify("anna", case_id).ok
    assert not site.service.replay(case_id, "anna").ok


def test_an_empty_or_too_long_comment_is_refused_beside_the_field_and_saves_nothing(site: Site) -> None:
    case_id = site.start()
    site.sign_in("anna")
    for text, says in (("   ", "kommentaren är tom"), ("x" * (MAX_COMMENT_LENGTH + 1), "högst 4000")):
        answer = site.post(f"/cases/{case_id}/comments", {"text": text}, from_page=f"/cases/{case_id}")
        assert answer.status_code == 422  # type: ignore[attr-defined]
        assert 'id="comment-error"' in answer.text  # type: ignore[attr-defined]
        assert says in answer.text  # type: ignore[attr-defined]
    assert [e.kind for e in site.service.store.events(case_id)] == ["case_started"]


def test_the_audit_timeline_shows_comments(site: Site) -> None:
    case_id = site.start()
    site.service.comment(case_id, "syns för granskaren", "anna")
    site.sign_in("olof")
    page = site.client.get(f"/audit/{case_id}").text
    assert "syns för granskaren" in page
    assert "Kedjan är obruten" in page
