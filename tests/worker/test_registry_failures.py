"""The worker with a real registry adapter that fails: it reports and keeps going, never reads a failure as an
answer, and hands the question to a person when the registry stays down longer than configured.

In process with a FixedClock (the sweep), then once as a real `rutin worker` process against a local SS 12000
server that fails its first answers (real time, a one-step procedure checked every second).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.fallback import ENGAGED, RESTORED, FallbackAdapter, StoreFallbackLog
from adapters.manual import ManualAdapter
from engine.ports import OutboxItem
from engine.systems import Systems
from engine.values import JsonValue
from tests.adapters.ss12000_support import TOKEN, RegistryCase, registry_world
from tests.conftest import ROOT
from tests.worker.registry_cli import one_wait, rutin_with_registry

PROC = "avregistrering-betyg"
INPUTS = {"personnummer": "19121212-1212", "orsak": "ej_last", "kurskod": "MATMAT01a", "betygsgrupp": "MA1A-HT24"}
FIELDS = {"ed_beslutad_av": {"beslutande_larare": "Karin Lind"}}


@pytest.fixture
def w(tmp_path: Path) -> Iterator[RegistryCase]:
    with registry_world(tmp_path) as world:
        yield world


def _to_ber_wait(w: RegistryCase) -> str:
    case = w.service.start(PROC, INPUTS, "anna")
    for _ in range(10):
        view = w.service.show(case.id, "anna")
        if view.state == "ber_vanta_borttaget":
            return case.id
        w.service.do(case.id, view.actions[0].name, FIELDS.get(view.state, {}), "anna")
    raise AssertionError("the BER wait was not reached")


def _with_fallback(w: RegistryCase, after: timedelta) -> FallbackAdapter:
    fallback = FallbackAdapter(w.adapters["BER"], "BER", after, StoreFallbackLog(w.store))
    w.service.systems = Systems(ManualAdapter(), {"BER": fallback, "ED": w.adapters["ED"]})
    return fallback


def test_a_failing_registry_is_reported_and_never_read_as_the_grade_having_gone(w: RegistryCase) -> None:
    case_id = _to_ber_wait(w)  # this wait waits for grade_registered == false
    w.ber_server.fail_next("status", status=500, times=1000)

    for _ in range(6):
        w.advance(2)
        report = w.service.sweep()
        assert report.advanced == []
        assert [c for c, _ in report.errors] == [case_id]
        assert "failed with HTTP 500" in report.errors[0][1]

    view = w.service.show(case_id, "anna")
    assert view.state == "ber_vanta_borttaget" and view.status == "waiting"
    assert view.waiting is not None and view.waiting.next_check_at == w.clock.now() + timedelta(minutes=2)
    w.ber_server.faults.clear()
    w.advance(2)
    assert w.service.sweep().errors == []  # the grade is still there: the wait goes on, quietly
    assert w.service.show(case_id, "anna").state == "ber_vanta_borttaget"


class _Broken:
    """An adapter with a bug: it raises something that is not an AdapterError."""

    name = "broken"
    answers_by_person = False
    simulates = False

    def ask(self, system: str, query: str, args: dict[str, JsonValue], at: object) -> bool | None:
        raise KeyError("bug")

    def perform(self, item: OutboxItem) -> None:
        return None


def test_an_adapter_bug_is_reported_for_its_case_and_the_sweep_goes_on_with_the_others(w: RegistryCase) -> None:
    first, second = _to_ber_wait(w), _to_ber_wait(w)
    w.ber.delete("grades", w.ber_demo.grade, w.clock.now())
    broken = Systems(ManualAdapter(), {"BER": w.adapters["BER"], "ED": w.adapters["ED"]})
    w.service.systems = Systems(ManualAdapter(), {"BER": _Broken(), "ED": w.adapters["ED"]})  # type: ignore[dict-item]
    w.advance(2)

    report = w.service.sweep()

    assert sorted(c for c, _ in report.errors) == [first, second]
    assert all("broken:BER failed unexpectedly (KeyError)" in e for _, e in report.errors)
    w.service.systems = broken
    w.advance(2)
    assert sorted(w.service.sweep().advanced) == [first, second]


def test_a_registry_down_longer_than_configured_hands_the_wait_to_a_person_and_back(w: RegistryCase) -> None:
    fallback = _with_fallback(w, timedelta(minutes=30))
    case_id = _to_ber_wait(w)
    w.ber_server.fail_next("status", status=503, times=1000)

    minutes = 0
    while w.service.show(case_id, "anna").waiting.answered_by == "system":  # type: ignore[union-attr]
        w.advance(2)
        minutes += 2
        w.service.sweep()
        assert minutes <= 40
    assert 30 <= minutes <= 32  # asked by the system until 30 minutes of failure, then by a person
    assert fallback.engaged

    # Another process (the CLI, the web) reads the engaged state from the history and offers the buttons.
    other = FallbackAdapter(w.adapters["BER"], "BER", timedelta(minutes=30), StoreFallbackLog(w.store))
    cli_systems = Systems(ManualAdapter(), {"BER": other, "ED": w.adapters["ED"]})
    assert "BER" in cli_systems.manual
    events = [e for e in w.store.events("system") if e.kind == ENGAGED]
    assert len(events) == 1 and events[0].data["system"] == "BER"
    assert "HTTP 503" in events[0].data["reason"] and TOKEN not in str(events[0].data)

    # The registry answers again: the next sweep restores it and the waits go back to automatic checks.
    w.ber_server.faults.clear()
    w.advance(2)
    report = w.service.sweep()
    assert report.restored == ["BER"]
    assert [e.kind for e in w.store.events("system") if e.kind in (ENGAGED, RESTORED)] == [ENGAGED, RESTORED]
    view = w.service.show(case_id, "anna")
    assert view.waiting is not None and view.waiting.answered_by == "system"
    w.ber.delete("grades", w.ber_demo.grade, w.clock.now())
    w.advance(2)
    assert case_id in w.service.sweep().advanced
    sources = [e.data.get("source") for e in w.store.events(case_id) if e.kind == "wait_satisfied"]
    assert sources == ["ss12000:BER"]


def test_while_handed_to_a_person_the_person_answers_and_the_history_says_so(w: RegistryCase) -> None:
    _with_fallback(w, timedelta(minutes=10))
    case_id = _to_ber_wait(w)
    w.ber_server.fail_next("status", status=502, times=1000)
    for _ in range(7):
        w.advance(2)
        w.service.sweep()
    view = w.service.show(case_id, "anna")
    assert [a.name for a in view.actions] == ["ber_vanta_borttaget", "inte_annu"]

    w.service.do(case_id, "ber_vanta_borttaget", {}, "anna")

    answered = [e for e in w.store.events(case_id) if e.step == "ber_vanta_borttaget" and e.kind.startswith("wait_")]
    assert [(e.kind, e.actor) for e in answered] == [("wait_confirmed", "anna")]


def test_a_case_level_error_never_hands_the_whole_system_to_a_person(w: RegistryCase) -> None:
    fallback = _with_fallback(w, timedelta(minutes=1))
    case = w.service.start(PROC, {**INPUTS, "betygsgrupp": "MA7X-HT24"}, "anna")  # a group the registry lacks
    for _ in range(5):
        view = w.service.show(case.id, "anna")
        if view.status == "waiting":
            break
        w.service.do(case.id, view.actions[0].name, FIELDS.get(view.state, {}), "anna")
    for _ in range(5):
        w.advance(2)
        report = w.service.sweep()
        assert "no group named 'MA7X-HT24'" in report.errors[0][1]
    assert not fallback.engaged
    assert w.service.show(case.id, "anna").waiting.answered_by == "system"  # type: ignore[union-attr]


# -- a real worker process ----------------------------------------------------------------------------


def test_the_worker_process_reports_registry_failures_keeps_running_and_moves_on_when_it_answers(
    tmp_path: Path,
) -> None:
    from adapters.clock import SystemClock
    from adapters.ss12000.server import LocalServer, komvux_world

    clock = SystemClock()
    world, demo = komvux_world(clock.now)
    with LocalServer(world, token=TOKEN) as server:
        ber_options = 'refresh = "1s"\nfallback_after = "1h"\n'
        processes = rutin_with_registry(tmp_path, server.url, one_wait("1s", "1h"), ber_options)
        processes.start_case()
        server.fail_next("status", status=500, times=3)
        server.fail_next("bad_json", times=2)
        worker = subprocess.Popen(
            processes.command("worker", "--interval", "1", "--no-mail"),
            env=processes.env,
            cwd=ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline and server.faults:
                time.sleep(0.2)
            assert not server.faults, "the worker did not keep asking through the failures"
            assert worker.poll() is None, "the worker stopped"
            world.delete("grades", demo.grade, clock.now())
            while time.monotonic() < deadline:
                shown = processes.run("case", "list", "--json", timeout=60)
                if '"done"' in shown.stdout:
                    break
                time.sleep(0.3)
            assert '"done"' in shown.stdout, shown.stdout
            assert worker.poll() is None
        finally:
            worker.send_signal(signal.SIGTERM)
            _, log = worker.communicate(timeout=20)
    assert worker.returncode == 0
    assert "failed with HTTP 500" in log and "not JSON" in log
    assert TOKEN not in log


def test_a_secret_that_cannot_be_read_fails_like_an_unreachable_system_and_falls_back(
    w: RegistryCase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adapters.adapter_config import SystemConfig, build_real

    monkeypatch.delenv("RUTIN_NO_SUCH_TOKEN", raising=False)
    real = build_real(
        SystemConfig("BER", "ss12000", {"url": w.ber_server.url, "token_env": "RUTIN_NO_SUCH_TOKEN"}, None)
    )
    fallback = FallbackAdapter(real, "BER", timedelta(minutes=10), StoreFallbackLog(w.store))
    w.service.systems = Systems(ManualAdapter(), {"BER": fallback, "ED": w.adapters["ED"]})
    case_id = _to_ber_wait(w)

    w.advance(2)
    report = w.service.sweep()
    assert "the environment variable RUTIN_NO_SUCH_TOKEN is not set or empty" in report.errors[0][1]
    for _ in range(5):
        w.advance(2)
        w.service.sweep()
    assert fallback.engaged
    assert [a.name for a in w.service.show(case_id, "anna").actions] == ["ber_vanta_borttaget", "inte_annu"]
