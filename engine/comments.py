"""Comments on a case: events of kind "comment" in the case's own hash-chained history.

A comment changes nothing about where the case stands (its state, data and route stay), but it takes the next
place in the chain, so it cannot be removed or edited unnoticed and the auditor reads it in the timeline.
Replay re-seals it from its stored text and checks the hash like every other event.
"""

from __future__ import annotations

from datetime import datetime

from engine.case import Case
from engine.errors import InvalidValue
from engine.history import Event, seal

COMMENT = "comment"
MAX_COMMENT_LENGTH = 4000


def comment_text(text: str) -> str:
    """The comment as stored (trimmed); InvalidValue when it is empty or too long."""
    cleaned = text.strip().replace("\r\n", "\n")
    if not cleaned:
        raise InvalidValue(
            "text", "the comment is empty", "write what you want to say", sv=("kommentaren är tom", "skriv något")
        )
    if len(cleaned) > MAX_COMMENT_LENGTH:
        raise InvalidValue(
            "text",
            f"the comment has {len(cleaned)} characters; at most {MAX_COMMENT_LENGTH} fit",
            "shorten it, or split it into two comments",
            sv=(
                f"kommentaren har {len(cleaned)} tecken; högst {MAX_COMMENT_LENGTH} får plats",
                "korta den eller dela upp den i två kommentarer",
            ),
        )
    return cleaned


def comment_event(case: Case, actor: str, at: datetime, text: str) -> Event:
    """The next event of the case's chain, recording a comment at the step the case stands at."""
    return seal(
        case.id,
        case.version + 1,
        at,
        actor,
        COMMENT,
        prev_hash=case.head_hash,
        step=case.state,
        data={"text": text},
        state=case.state,
        procedure_hash=case.procedure_hash,
    )
