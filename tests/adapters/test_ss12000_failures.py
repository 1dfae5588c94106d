"""Every way an SS 12000 server can fail is one clear RegistryError, marked retryable or not, and a failed read
changes nothing in the synced copy. Real HTTP on loopback; TLS with a real CA and client certificate (trustme)."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from adapters.clock import FixedClock
from adapters.secret import Secret
from adapters.ss12000.adapter import Ss12000Adapter
from adapters.ss12000.client import RegistryError, Ss12000Settings
from adapters.ss12000.server import LocalServer, RegistryWorld, _handler, komvux_world
from tests.adapters.ss12000_support import FAST, TOKEN, settings

T0 = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
ASK = {"student": "19121212-1212", "group": "MA1A-HT24"}


@pytest.fixture
def served() -> Iterator[tuple[LocalServer, FixedClock]]:
    clock = FixedClock(T0)
    world, _ = komvux_world(clock.now, at=T0 - timedelta(days=1))
    with LocalServer(world, token=TOKEN, hang_seconds=2.5) as server:
        yield server, clock


_OPEN: list[Ss12000Adapter] = []


@pytest.fixture(autouse=True)
def _close_adapters() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _adapter(url: str, **kw: object) -> Ss12000Adapter:
    adapter = Ss12000Adapter(settings(url, **kw), system="BER", policy=FAST)  # type: ignore[arg-type]
    _OPEN.append(adapter)
    return adapter


@pytest.mark.parametrize(
    ("fault", "status", "kind", "retryable", "words"),
    [
        ("status", 500, "server", True, "failed with HTTP 500"),
        ("status", 503, "server", True, "failed with HTTP 503"),
        ("status", 429, "rate_limited", True, "failed with HTTP 429"),
        ("status", 408, "server", True, "failed with HTTP 408"),
        ("status", 401, "unauthorised", False, "refused the token (401)"),
        ("status", 403, "forbidden", False, "does not let this token read it (403)"),
        ("status", 404, "not_found", False, "does not exist (404)"),
        ("status", 400, "refused", False, "refused the request with HTTP 400"),
        ("timeout", 0, "timeout", True, "did not answer within 1.5 s"),
        ("drop", 0, "unreachable", True, "the connection failed"),
        ("html", 0, "server", True, "HTTP 502"),
        ("bad_json", 0, "bad_json", True, "not JSON"),
        ("bad_body", 0, "bad_body", False, "does not follow SS 12000"),
    ],
)
def test_each_server_failure_is_one_clear_adapter_error(
    served: tuple[LocalServer, FixedClock], fault: str, status: int, kind: str, retryable: bool, words: str
) -> None:
    server, clock = served
    adapter = _adapter(server.url, timeout=1.5)  # generous: a loaded machine must not time out the good answers
    assert adapter.ask("BER", "grade_registered", ASK, clock.now()) is True
    before = adapter.mirror
    server.fail_next(fault, status=status, endpoint="grades")  # type: ignore[arg-type]
    clock.advance(timedelta(minutes=2))

    with pytest.raises(RegistryError) as caught:
        adapter.ask("BER", "grade_registered", ASK, clock.now())

    error = caught.value
    assert (error.kind, error.retryable) == (kind, retryable)
    assert words in error.message
    assert error.message.startswith("BER (SS 12000, http://127.0.0.1:") and "/grades)" in error.message
    assert error.hint and error.sv is not None and error.sv[0].startswith("BER (SS 12000")
    assert adapter.mirror is before  # a failed sync changes nothing
    clock.advance(timedelta(minutes=2))
    assert adapter.ask("BER", "grade_registered", ASK, clock.now()) is True  # and the next one works again


def test_a_wrong_token_is_refused_as_unauthorised_without_echoing_it(served: tuple[LocalServer, FixedClock]) -> None:
    server, clock = served
    adapter = _adapter(server.url, token="not-the-token-PLANTED")

    with pytest.raises(RegistryError) as caught:
        adapter.ask("BER", "grade_registered", ASK, clock.now())

    assert caught.value.kind == "unauthorised" and caught.value.retryable is False
    assert "PLANTED" not in caught.value.message + str(caught.value.hint) + str(caught.value.sv) + repr(adapter)


def test_a_server_that_echoes_the_token_has_it_scrubbed_from_the_message(
    served: tuple[LocalServer, FixedClock],
) -> None:
    server, clock = served
    original = server.respond

    def echo(path: str, query: dict[str, list[str]], authorization: str | None) -> tuple[int, str, bytes]:
        return 500, "application/json", f'{{"code": "x", "message": "got {authorization}"}}'.encode()

    server.respond = echo  # type: ignore[method-assign]
    with pytest.raises(RegistryError) as caught:
        _adapter(server.url).ask("BER", "grade_registered", ASK, clock.now())
    server.respond = original  # type: ignore[method-assign]

    assert TOKEN not in caught.value.message
    assert "got Bearer ***" in caught.value.message


def test_an_unreachable_server_is_retryable(tmp_path: Path) -> None:
    adapter = _adapter("http://127.0.0.1:9/v2.0")  # the discard port: nothing listens

    with pytest.raises(RegistryError) as caught:
        adapter.ask("BER", "grade_registered", ASK, T0)

    assert caught.value.kind == "unreachable" and caught.value.retryable


def test_a_url_that_is_not_http_is_a_configuration_error() -> None:
    with pytest.raises(RegistryError, match="is not an http") as caught:
        _adapter("ftp://registry.example/v2.0").ask("BER", "grade_registered", ASK, T0)

    assert caught.value.kind == "config" and not caught.value.retryable


def test_a_page_token_that_repeats_is_refused_rather_than_read_forever(
    served: tuple[LocalServer, FixedClock],
) -> None:
    server, clock = served

    def loop(path: str, query: dict[str, list[str]], authorization: str | None) -> tuple[int, str, bytes]:
        return 200, "application/json", b'{"data": [], "pageToken": "again"}'

    server.respond = loop  # type: ignore[method-assign]
    with pytest.raises(RegistryError, match="same pageToken twice") as caught:
        _adapter(server.url).ask("BER", "grade_registered", ASK, clock.now())

    assert caught.value.kind == "paging"


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        ({"student": "19121212-1213", "group": "MA1A-HT24"}, "unknown_student"),
        ({"student": "19121212-1212", "group": "MA1X-HT24"}, "unknown_group"),
    ],
)
def test_an_unknown_student_or_group_is_an_error_never_a_no(
    served: tuple[LocalServer, FixedClock], args: dict[str, str], kind: str
) -> None:
    server, clock = served

    with pytest.raises(RegistryError) as caught:
        _adapter(server.url).ask("BER", "grade_registered", args, clock.now())

    assert caught.value.kind == kind and not caught.value.retryable
    assert "19121212-1213" not in caught.value.message  # a personnummer in a message is masked


def test_two_groups_with_one_name_in_force_are_ambiguous(served: tuple[LocalServer, FixedClock]) -> None:
    server, clock = served
    world = server.world
    original = next(s.body for s in world.tables["groups"].values() if s.body["displayName"] == "MA1A-HT24")
    world.put("groups", {**original, "id": "7e57e57e-0000-4000-8000-000000000001"}, clock.now())

    with pytest.raises(RegistryError, match="2 groups named 'MA1A-HT24'") as caught:
        _adapter(server.url).ask("BER", "in_group", ASK, clock.now())

    assert caught.value.kind == "ambiguous"


def test_questions_ss12000_cannot_answer_are_unsupported(served: tuple[LocalServer, FixedClock]) -> None:
    server, clock = served

    with pytest.raises(RegistryError, match="cannot tell 'grade_locked'") as caught:
        _adapter(server.url).ask("BER", "grade_locked", ASK, clock.now())

    assert caught.value.kind == "unsupported" and not caught.value.retryable


def test_the_adapter_check_names_each_endpoint_and_stops_when_the_server_is_down(
    served: tuple[LocalServer, FixedClock],
) -> None:
    server, _ = served
    ok = _adapter(server.url).check()
    assert [(c.endpoint, c.ok) for c in ok] == [
        ("persons", True),
        ("groups", True),
        ("activities", True),
        ("grades", True),
        ("syllabuses", True),
        ("deletedEntities", True),
    ]
    server.fail_next("status", status=403, endpoint="grades")
    partly = _adapter(server.url).check()
    assert [c.endpoint for c in partly if not c.ok] == ["grades"]
    down = _adapter("http://127.0.0.1:9/v2.0").check()
    assert len(down) == 1 and down[0].error is not None and down[0].error.kind == "unreachable"


# -- TLS ------------------------------------------------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, trustme.CA, Path, Path, Path]]:
    """An HTTPS SS 12000 server that requires a client certificate signed by its CA."""
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("rutin-client@example.se")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
    for blob in client_cert.cert_chain_pems:
        blob.write_to_path(str(cert_file), append=True)
    # the key encrypted with a password, as deployments keep it
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(client_cert.private_key_pem.bytes(), password=None)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key-PASSWORD-planted"),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    clock = FixedClock(T0)
    world, _ = komvux_world(clock.now, at=T0 - timedelta(days=1))
    local = LocalServer(world, token=TOKEN)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(local))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}/v2.0", ca, ca_file, cert_file, key_file
    finally:
        httpd.shutdown()
        httpd.server_close()
        local._httpd.server_close()


def _tls(url: str, **kw: object) -> Ss12000Adapter:
    base = {"token": Secret(TOKEN, "test"), "timeout": 3.0}
    adapter = Ss12000Adapter(Ss12000Settings(url, **{**base, **kw}), system="BER", policy=FAST)  # type: ignore[arg-type]
    _OPEN.append(adapter)
    return adapter


def test_tls_with_the_servers_ca_and_a_password_protected_client_certificate_works(
    tls_server: tuple[str, trustme.CA, Path, Path, Path],
) -> None:
    url, _, ca_file, cert, key = tls_server
    adapter = _tls(
        url,
        ca_bundle=ca_file,
        client_cert=cert,
        client_key=key,
        client_key_password=Secret("key-PASSWORD-planted", "test"),
    )

    assert adapter.ask("BER", "grade_registered", ASK, T0) is True
    assert "PASSWORD" not in repr(adapter.settings)


def test_tls_without_the_servers_ca_is_a_tls_error_not_retried(
    tls_server: tuple[str, trustme.CA, Path, Path, Path],
) -> None:
    url, _, _, cert, key = tls_server
    adapter = _tls(url, client_cert=cert, client_key=key, client_key_password=Secret("key-PASSWORD-planted", "t"))

    with pytest.raises(RegistryError, match="TLS handshake failed") as caught:
        adapter.ask("BER", "grade_registered", ASK, T0)

    assert caught.value.kind == "tls" and not caught.value.retryable


def test_a_wrong_key_password_is_a_tls_configuration_error_that_hides_the_password(
    tls_server: tuple[str, trustme.CA, Path, Path, Path],
) -> None:
    url, _, ca_file, cert, key = tls_server
    adapter = _tls(
        url, ca_bundle=ca_file, client_cert=cert, client_key=key, client_key_password=Secret("wrong-PW", "t")
    )

    with pytest.raises(RegistryError, match="TLS files") as caught:
        adapter.ask("BER", "grade_registered", ASK, T0)

    assert caught.value.kind == "tls"
    assert "wrong-PW" not in caught.value.message and str(key) in caught.value.message


def test_registry_world_applies_scripted_changes_only_when_their_time_comes() -> None:
    clock = FixedClock(T0)
    world = RegistryWorld(clock.now)
    world.schedule(T0 + timedelta(minutes=7), "grade removed", lambda w, at: w.applied.append((at, "side effect")))

    clock.advance(timedelta(minutes=6, seconds=59))
    world.catch_up()
    assert world.applied == []
    clock.advance(timedelta(seconds=1))
    world.catch_up()
    assert [what for _, what in world.applied] == ["side effect", "grade removed"]


def test_json_nested_beyond_reason_is_bad_json_not_a_crash(served: tuple[LocalServer, FixedClock]) -> None:
    server, clock = served

    def deep(path: str, query: dict[str, list[str]], authorization: str | None) -> tuple[int, str, bytes]:
        return 200, "application/json", b"[" * 100_000 + b"]" * 100_000

    server.respond = deep  # type: ignore[method-assign]
    with pytest.raises(RegistryError, match="not JSON") as caught:
        _adapter(server.url).ask("BER", "grade_registered", ASK, clock.now())

    assert caught.value.kind == "bad_json"
