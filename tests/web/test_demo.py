"""`rutin web --demo`'s seeding: idempotent, and sharing a database with the terminal demo in either order."""

from __future__ import annotations

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from adapters.identity import PasswordAuthenticator
from engine.access import User
from engine.errors import RutinError
from terminal.demo import ensure_demo_users
from tests.conftest import World, make_world
from web.demo import DEMO_PASSWORD, DEMO_USERS, seed_demo


def cheap(engine: Engine) -> PasswordAuthenticator:
    return PasswordAuthenticator(engine, PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


def empty_world(tmp_path: Path) -> World:
    world = make_world(tmp_path)
    with world.store.engine.begin() as conn:  # make_world adds users; the demo starts from an empty database
        conn.exec_driver_sql("DELETE FROM users")
    return world


def test_seeding_twice_adds_the_cases_once_and_keeps_the_users(tmp_path: Path) -> None:
    world = empty_world(tmp_path)
    authenticator = cheap(world.store.engine)
    first = seed_demo(world.service, authenticator)
    assert len(first) == 3
    assert seed_demo(world.service, authenticator) == []
    for person in DEMO_USERS:
        assert authenticator.authenticate(person.name, DEMO_PASSWORD) is not None
    anna = world.service.user("anna")
    assert anna.admin
    waiting = world.service.my_cases("anna", statuses=("waiting",))
    assert len(waiting.cases) == 1  # one case walked on to its wait, to show "väntas senast"
    commented = [e for c in first for e in world.store.events(c) if e.kind == "comment"]
    assert len(commented) == 1


@pytest.mark.parametrize("terminal_first", [True, False])
def test_the_terminal_demo_and_the_web_demo_share_a_database(tmp_path: Path, terminal_first: bool) -> None:
    world = empty_world(tmp_path)
    if terminal_first:
        ensure_demo_users(world.service)
    seed_demo(world.service, cheap(world.store.engine))
    ensure_demo_users(world.service)  # what `rutin demo` does first: no error about an unknown administrator
    assert world.service.user("demo-admin").admin


def test_a_database_with_users_but_no_administrator_is_refused_with_what_to_do(tmp_path: Path) -> None:
    world = empty_world(tmp_path)
    world.service.save_user(User("solo"), "solo")  # the first user becomes an administrator...
    with world.store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE users SET admin = 0")  # ...then loses it
    with pytest.raises(RutinError, match="no administrator") as caught:
        seed_demo(world.service, cheap(world.store.engine))
    assert caught.value.hint is not None and "--admin" in caught.value.hint
