"""Property-based: the SS 12000 client survives anything the spec allows and anything a failing server sends.

Bodies are generated from the published OpenAPI file's response schemas (checked against the schema before use),
served to the real client through httpx's MockTransport. Whatever comes, the client either answers (True/False)
or raises one RegistryError with a message, a hint, a Swedish text and a retryable flag; never another exception,
never the token in a message. A spec-valid body is always accepted. And a sweep over cases whose registry fails
at random never raises and never moves a case on a failure. Skipped when ../shared is absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from adapters.manual import ManualAdapter
from adapters.secret import Secret
from adapters.ss12000.adapter import Ss12000Adapter
from adapters.ss12000.client import RegistryError, Ss12000Client, Ss12000Settings
from adapters.ss12000.mirror import ENDPOINTS, SyncPolicy
from engine.systems import Systems
from tests.adapters.spec_strategies import ANY_JSON, SchemaStrategies
from tests.adapters.spec_support import RESPONSES, require_spec, schema_for
from tests.conftest import make_world

TOKEN = "tkn-PROPERTY-planted-91b2"
AT = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
RUN = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
URL = "https://ss12000.test/v2.0"


@cache
def _documents() -> dict[str, tuple[st.SearchStrategy[Any], jsonschema.Draft7Validator]]:
    out = {}
    for endpoint, component in RESPONSES.items():
        document = schema_for(component, corrected=False)  # as published, defects and all
        out[endpoint] = (SchemaStrategies(document).of(document), jsonschema.Draft7Validator(document))
    return out


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> Ss12000Client:
    return Ss12000Client(
        Ss12000Settings(URL, Secret(TOKEN, "test"), timeout=1.0), system="BER", transport=httpx.MockTransport(handler)
    )


def _assert_clear(error: RegistryError) -> None:
    assert error.message and error.hint and error.sv and error.sv[0] and error.sv[1]
    assert isinstance(error.retryable, bool)
    assert TOKEN not in error.message + error.hint + error.sv[0] + error.sv[1]


@pytest.mark.parametrize("endpoint", list(RESPONSES))
def test_every_body_the_spec_allows_is_read_without_error(endpoint: str) -> None:
    require_spec()
    strategy, validator = _documents()[endpoint]

    @RUN
    @given(strategy)
    def read(body: dict[str, Any]) -> None:
        assert validator.is_valid(body)  # the generator stays within the spec
        client = _client(lambda request: httpx.Response(200, json={**body, "pageToken": None}))
        with client:
            if endpoint == "deletedEntities":
                deleted = client.deleted(AT, list(ENDPOINTS))
                assert set(deleted.grades) == set(body["data"].get("grades", []))
            else:
                model = ENDPOINTS[endpoint]
                assert len(client.list_all(endpoint, model)) == len(body["data"])

    read()


@RUN
@given(st.data())
def test_the_questions_over_any_spec_registry_answer_or_name_the_case_problem(data: st.DataObject) -> None:
    require_spec()
    documents = _documents()
    bodies = {e: data.draw(documents[e][0], label=e) for e in ENDPOINTS}
    groups = bodies["groups"]["data"]
    linked: list[str] = []
    if bodies["persons"]["data"] and groups and data.draw(st.booleans(), label="link"):
        # tie the random registry together, so that "yes" answers are as likely as the others
        person, group_body = bodies["persons"]["data"][0], groups[0]
        person.setdefault("civicNo", {"value": data.draw(st.text(min_size=1, max_size=14), label="civic")})
        pid, gid = person["id"], group_body["id"]
        linked = [person["civicNo"]["value"], group_body["displayName"]]
        group_body["groupMemberships"] = [{"person": {"id": pid}}]
        if bodies["grades"]["data"]:
            bodies["grades"]["data"][0] |= {"student": {"id": pid}, "group": {"id": gid}}
        if bodies["activities"]["data"]:
            bodies["activities"]["data"][0] |= {
                "groups": [{"id": gid}],
                "teachers": [{"duty": {"id": pid}, "grader": True}],
            }
    for endpoint, body in bodies.items():
        assert documents[endpoint][1].is_valid(body)  # still what the spec allows
    people = [p for p in bodies["persons"]["data"] if "civicNo" in p]
    civic = [p["civicNo"]["value"] for p in people] + linked[:1] * 3  # the linked pair, most often
    names = [g["displayName"] for g in groups] + linked[1:] * 3
    student = data.draw(st.sampled_from(civic) if civic else st.text(max_size=14), label="student")
    group = data.draw(st.sampled_from(names) if names else st.text(max_size=10), label="group")

    def serve(request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={**bodies[endpoint], "pageToken": None})

    adapter = Ss12000Adapter(
        Ss12000Settings(URL, Secret(TOKEN, "t")), system="BER", transport=httpx.MockTransport(serve)
    )
    with adapter.client:
        for query in ("grade_registered", "in_group", "group_exists", "has_grader"):
            try:
                answer = adapter.ask("BER", query, {"student": student, "group": group}, AT)
            except RegistryError as error:
                _assert_clear(error)
                assert error.kind in ("unknown_student", "unknown_group", "ambiguous")
                event(f"{query}: {error.kind}")
                continue
            assert answer in (True, False)
            event(f"{query}: {answer}")


def _raiser(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


FAILURES: st.SearchStrategy[Callable[[httpx.Request], httpx.Response]] = st.one_of(
    st.builds(
        lambda status, body: lambda request: httpx.Response(status, content=body),
        st.integers(100, 599).filter(lambda s: s != 200),
        st.binary(max_size=40),
    ),
    st.builds(
        lambda status, body: lambda request: httpx.Response(status, json=body),
        st.integers(201, 599),
        ANY_JSON,
    ),
    st.builds(lambda body: lambda request: httpx.Response(200, content=body), st.binary(max_size=60)),
    st.builds(lambda body: lambda request: httpx.Response(200, json=body), ANY_JSON),
    st.builds(
        lambda data: lambda request: httpx.Response(200, json={"data": data, "pageToken": None}),
        st.lists(ANY_JSON, max_size=3),
    ),
    st.sampled_from(
        [
            httpx.ReadTimeout("read timed out"),
            httpx.ConnectTimeout("connect timed out"),
            httpx.ConnectError("connection refused"),
            httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
            httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
            httpx.ReadError("connection reset by peer"),
            httpx.ProxyError("proxy said no"),
        ]
    ).map(_raiser),
)


@RUN
@given(FAILURES)
def test_any_failure_of_the_server_is_one_clear_registry_error(
    handler: Callable[[httpx.Request], httpx.Response],
) -> None:
    adapter = Ss12000Adapter(
        Ss12000Settings(URL, Secret(TOKEN, "t")), system="BER", transport=httpx.MockTransport(handler)
    )
    with adapter.client:
        try:
            answer = adapter.ask("BER", "grade_registered", {"student": "191212121212", "group": "MA1A-HT24"}, AT)
        except RegistryError as error:
            _assert_clear(error)
            return
    assert answer in (True, False)  # only a body that happens to be a valid, empty registry gets here


def test_the_worker_sweep_never_raises_and_never_moves_a_case_on_a_failure(tmp_path: Path) -> None:
    require_spec()
    world = make_world(tmp_path)
    inputs = {"personnummer": "19121212-1212", "orsak": "ej_last", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"}
    case = world.service.start("avregistrering-betyg", inputs, "anna")
    for state in ("ed_sok_elev", "ed_las_upp", "ed_beslutad_av", "ed_spara", "ed_bekrafta"):
        world.service.do(case.id, state, {"beslutande_larare": "K"} if state == "ed_beslutad_av" else {}, "anna")
    assert world.service.show(case.id, "anna").state == "ber_vanta_borttaget"  # waits for the grade to be gone
    sweeps = {"n": 0}

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(FAILURES)
    def sweep_once(handler: Callable[[httpx.Request], httpx.Response]) -> None:
        adapter = Ss12000Adapter(
            Ss12000Settings(URL, Secret(TOKEN, "t")),
            system="BER",
            policy=SyncPolicy(refresh=timedelta(0)),
            transport=httpx.MockTransport(handler),
        )
        world.service.systems = Systems(ManualAdapter(), {"BER": adapter})
        world.advance(2)
        with adapter.client:
            report = world.service.sweep()
        sweeps["n"] += 1
        assert world.service.show(case.id, "anna").state == "ber_vanta_borttaget"
        assert case.id not in report.advanced
        for _, message in report.errors:
            assert message and TOKEN not in message
        json.dumps(report.to_json())  # the report stays loggable

    sweep_once()
    world.store.engine.dispose()
    assert sweeps["n"] >= 20
