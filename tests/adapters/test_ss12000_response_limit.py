"""A registry answer larger than `max_response_size` is refused for good, counted while it streams in.

The local server sends a valid but oversized page: with a Content-Length that announces it, without one (chunked,
so only counting the bytes can catch it), and gzip-compressed (small on the wire, large once inflated). Each is one
clear, non-retryable RegistryError, nothing of it is used, and the client hangs up instead of reading the rest.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.adapter_config import ConfigError, build_real, load_config
from adapters.clock import FixedClock
from adapters.ss12000.adapter import Ss12000Adapter
from adapters.ss12000.client import DEFAULT_MAX_RESPONSE, RegistryError, Ss12000Settings
from adapters.ss12000.server import LocalServer, komvux_world
from tests.adapters.ss12000_support import FAST, TOKEN, settings
from tests.conftest import T0

ASK = {"student": "19121212-1212", "group": "MA1A-HT24"}
LIMIT = 256 * 1024
HUGE = 32 * 1024 * 1024  # far more than the socket buffers between client and server hold


@pytest.fixture
def served() -> Iterator[tuple[LocalServer, FixedClock]]:
    clock = FixedClock(T0)
    world, _ = komvux_world(clock.now, at=T0 - timedelta(days=1))
    with LocalServer(world, token=TOKEN) as server:
        yield server, clock


@pytest.fixture
def adapter(served: tuple[LocalServer, FixedClock]) -> Iterator[Ss12000Adapter]:
    server, _ = served
    made = Ss12000Adapter(replace(settings(server.url), max_response_bytes=LIMIT), system="BER", policy=FAST)
    yield made
    made.close()


def _huge_answers(server: LocalServer, count: int) -> list[tuple[int, bool]]:
    """The server's record of its oversized answers, once its handler has finished writing (or was cut off)."""
    deadline = time.monotonic() + 20
    while len(server.huge_sent) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return list(server.huge_sent)


@pytest.mark.parametrize(
    ("chunked", "gzip", "words"),
    [
        (False, False, "announces 32 MiB in one answer, over the limit of 256 KiB (max_response_size)"),
        (True, False, "sent more than 256 KiB in one answer, over the limit of 256 KiB (max_response_size)"),
        (True, True, "sent more than 256 KiB in one answer"),
        (False, True, "sent more than 256 KiB in one answer"),
    ],
    ids=["content-length", "chunked", "gzip-chunked", "gzip-content-length"],
)
def test_an_oversized_page_is_refused_for_good_and_nothing_of_it_is_used(
    served: tuple[LocalServer, FixedClock], adapter: Ss12000Adapter, chunked: bool, gzip: bool, words: str
) -> None:
    server, clock = served
    assert adapter.ask("BER", "grade_registered", ASK, clock.now()) is True
    before = adapter.mirror
    server.fail_next("huge", endpoint="grades", size=HUGE, chunked=chunked, gzip=gzip)
    clock.advance(timedelta(minutes=2))

    with pytest.raises(RegistryError) as caught:
        adapter.ask("BER", "grade_registered", ASK, clock.now())

    error = caught.value
    assert (error.kind, error.retryable) == ("too_large", False)
    assert words in error.message
    assert error.message.startswith("BER (SS 12000, http://127.0.0.1:") and "/grades)" in error.message
    assert error.hint is not None and "page_size" in error.hint and "max_response_size" in error.hint
    assert error.sv is not None and "över gränsen 256 KiB" in error.sv[0]
    assert adapter.mirror is before  # an empty page of grades would have read as "every grade removed"
    if not gzip:  # compressed, the whole page fits in the socket buffers; uncompressed it cannot
        [(written, finished)] = _huge_answers(server, 1)
        assert not finished and written < HUGE, "the client read on past the limit"
    clock.advance(timedelta(minutes=2))
    assert adapter.ask("BER", "grade_registered", ASK, clock.now()) is True  # the next answer is read as usual


def test_a_large_page_within_the_limit_is_read_and_used(
    served: tuple[LocalServer, FixedClock], adapter: Ss12000Adapter
) -> None:
    server, clock = served
    # a valid page of no syllabuses, padded to just under the limit, without Content-Length
    server.fail_next("huge", endpoint="syllabuses", size=LIMIT - 1024, chunked=True)

    assert adapter.ask("BER", "grade_registered", ASK, clock.now()) is True

    assert _huge_answers(server, 1) == [(LIMIT - 1024, True)]
    assert adapter.mirror.synced_at == clock.now()


def test_the_limit_is_20_mib_unless_configured(tmp_path: Path) -> None:
    assert Ss12000Settings("https://ss12000.example.se/v2.0").max_response_bytes == DEFAULT_MAX_RESPONSE == 20 << 20
    config = tmp_path / "adapters.toml"
    base = '[systems.BER]\nadapter = "ss12000"\nurl = "http://127.0.0.1:9/v2.0"\n'
    for written, size in (
        ("", 20 << 20),
        ('max_response_size = "2 MiB"', 2 << 20),
        ("max_response_size = 65536", 65536),
    ):
        config.write_text(base + written + "\n", encoding="utf-8")
        real = build_real(load_config(config).systems["BER"])
        assert isinstance(real, Ss12000Adapter)
        assert real.settings.max_response_bytes == size


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('max_response_size = "lots"', "max_response_size = 'lots' is not a size from 1 KiB to 1 GiB"),
        ("max_response_size = 0", "max_response_size = 0 is not a size from 1 KiB to 1 GiB"),
        ('max_response_size = "2 TiB"', "max_response_size = '2 TiB' is not a size"),
        ("max_response_size = true", "max_response_size = True is not a size"),
        ("page_size = 0", "page_size = 0 is not a whole number from 1 to 10000"),
        ('page_size = "many"', "page_size = 'many' is not a whole number from 1 to 10000"),
    ],
)
def test_a_size_or_page_size_that_cannot_be_used_is_refused_with_file_system_and_key(
    tmp_path: Path, line: str, words: str
) -> None:
    config = tmp_path / "adapters.toml"
    config.write_text(f'[systems.BER]\nadapter = "ss12000"\nurl = "http://127.0.0.1:9/v2.0"\n{line}\n', "utf-8")

    with pytest.raises(ConfigError) as caught:
        load_config(config)

    assert caught.value.message.startswith(f"{config}: [systems.BER]: {words}")
    assert caught.value.hint and caught.value.sv is not None
