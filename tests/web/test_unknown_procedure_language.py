"""An unknown procedure in the web app is told in the page's language, naming no server path."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import PROCEDURES
from tests.web.conftest import Site

ERROR = re.compile(r'<p class="error" role="alert">(.*?)</p>\s*<p>(.*?)</p>', re.DOTALL)


def told(page: str) -> tuple[str, str]:
    """The error page's message and its hint line, as a person reads them."""
    found = ERROR.search(page)
    assert found is not None, page
    message, hint = (html.unescape(part).strip() for part in found.groups())
    return message, hint


@pytest.mark.parametrize(
    ("query", "message", "hint"),
    [
        ("", "det finns ingen rutin 'avregistrering-betyx' i procedures", "Tips: menade du 'avregistrering-betyg'?"),
        (
            "?lang=en",
            "there is no procedure 'avregistrering-betyx' in procedures",
            "Hint: did you mean 'avregistrering-betyg'?",
        ),
    ],
    ids=["sv", "en"],
)
def test_a_misspelled_procedure_in_the_start_form_address_is_told_in_the_pages_language(
    site: Site, query: str, message: str, hint: str
) -> None:
    site.sign_in("anna")

    answer = site.client.get(f"/cases/new/avregistrering-betyx{query}")

    assert answer.status_code == 404
    shown_message, shown_hint = told(answer.text)
    assert shown_message == message
    assert shown_hint == hint
    assert str(PROCEDURES) not in answer.text
