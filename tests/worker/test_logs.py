"""The worker's log lines: one JSON object a line, with every personnummer and samordningsnummer masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import World
from tests.integration.test_grade_revocation import PROC, ROUTES, STUDENT
from worker.logs import JsonLines, info, logger, mask


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("19121212-1212", "19121212-****"),  # 12 digits with a hyphen
        ("191212121212", "19121212-****"),  # 12 digits without
        ("121212-1212", "121212-****"),  # 10 digits with a hyphen
        ("1212121212", "121212-****"),  # 10 digits without
        ("121212+1212", "121212+****"),  # 10 digits, 100 years or older
        ("19701063-2391", "19701063-****"),  # samordningsnummer: the day plus 60
        ("701063-2391", "701063-****"),
        ("7010632391", "701063-****"),
    ],
)
def test_mask_hides_the_last_four_digits_of_every_form(text: str, masked: str) -> None:
    assert mask(text) == masked
    assert mask(f"Elev {text}, kurs MATMAT01a.") == f"Elev {masked}, kurs MATMAT01a."


def test_mask_leaves_dates_times_case_ids_and_short_numbers_alone() -> None:
    text = "C12 R-ABCD2345 2024-06-03 08:15 kl. 10:00, 3 försök, kurskod MATMAT01a, 123456"
    assert mask(text) == text


def test_mask_finds_every_personnummer_in_a_text() -> None:
    text = "19121212-1212 och 198112189876 samt 811218-9876"
    assert mask(text) == "19121212-**** och 19811218-**** samt 811218-****"


def test_mask_hides_a_personnummer_inside_a_file_name() -> None:
    assert STUDENT not in mask("betyg_19121212-1212.pdf")
    assert "191212121212" not in mask("elev191212121212")


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger with the worker's formatter writing to memory."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    log = logging.getLogger("rutin.worker.test-logs")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    yield log, stream
    log.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_log_line_with_a_cases_facts_is_one_json_object_with_the_personnummer_masked(
    world: World, captured: tuple[logging.Logger, io.StringIO]
) -> None:
    log, stream = captured
    case = world.service.start(PROC, ROUTES["fel_kurs"], "anna")

    info(log, "case started", case=case.id, data=dict(case.data), note=f"elev {STUDENT} flyttas")

    [line] = lines(stream)
    assert line["level"] == "info"
    assert line["event"] == "case started"
    assert line["ts"].endswith("+00:00")
    assert line["case"] == case.id
    assert line["data"]["personnummer"] == "19121212-****"
    assert line["data"]["kurskod"] == "MATMAT01a"
    assert line["data"]["ny_betygsgrupp"] == "MA2A-HT24"
    assert line["note"] == "elev 19121212-**** flyttas"
    assert STUDENT not in stream.getvalue()


def test_an_error_logged_with_its_exception_is_masked_too(captured: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = captured
    try:
        raise ValueError(f"ingen elev med personnummer {STUDENT}")
    except ValueError:
        log.exception("mail crashed", extra={"fields": {"error_kind": "ValueError"}})
    [line] = lines(stream)
    assert line["level"] == "error"
    assert line["error"] == "ValueError: ingen elev med personnummer 19121212-****"
    assert STUDENT not in stream.getvalue()


def test_a_line_with_a_large_number_stays_json(captured: tuple[logging.Logger, io.StringIO]) -> None:
    log, stream = captured
    info(log, "mail", epoch=1717401600)
    assert lines(stream)[0]["epoch"] == 1717401600


def test_the_worker_logger_writes_json_lines_to_stderr_once() -> None:
    log = logger()
    assert logger() is log
    assert log.propagate is False
    assert log.level == logging.INFO
    assert len(log.handlers) == 1
    assert isinstance(log.handlers[0].formatter, JsonLines)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Authorization: Bearer tkn-PLANTED.abc_123", "Authorization: Bearer ***"),
        ("authorization: basic dXNlcjpwYXNz", "authorization: basic ***"),
        ("https://rutin:hemligt@ss12000.example.se/v2.0", "https://rutin:***@ss12000.example.se/v2.0"),
        ("GET /v2.0/grades?access_token=abc123&limit=5", "GET /v2.0/grades?access_token=***&limit=5"),
        ("password=Fel-losen-99 given", "password=*** given"),
    ],
)
def test_mask_hides_credentials_whatever_wrote_them(text: str, masked: str) -> None:
    assert mask(text) == masked


def test_a_log_line_with_a_planted_token_shows_no_token() -> None:
    stream = io.StringIO()
    log = logging.getLogger("rutin.test.secrets")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        info(log, "sweep", errors=[{"case": "C1", "error": "server said: got Bearer tkn-PLANTED-1"}])
    finally:
        log.removeHandler(handler)

    line = json.loads(stream.getvalue())
    assert "tkn-PLANTED-1" not in stream.getvalue()
    assert line["errors"][0]["error"] == "server said: got Bearer ***"
