"""Local sign-in: argon2 password hashes stored with the users, and server-side sessions in the database.

Both sit behind the `Authenticator` and `SessionStore` ports, so single sign-on can replace the password check
later without touching the web app. The session table holds only a SHA-256 of each token: whoever reads the
database cannot take over a session. Sessions end after an idle period and, whatever the activity, after an
absolute lifetime. `SqlSignInThrottle` counts failed sign-ins per name and per address in the same database,
so a guessing flood is refused before any argon2 work, whichever web process it reaches.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, and_, delete, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from adapters.sql.rows import from_iso, iso
from adapters.sql.tables import sessions, sign_in_throttle, users
from engine.errors import InvalidValue, NotFound
from engine.ports import Identity, Session, Throttled

T = TypeVar("T")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap keeps a megabyte "password" from costing CPU


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(
            "password",
            f"is too short ({len(password)} characters)",
            f"use at least {MIN_PASSWORD_LENGTH} characters; a few words together are easy to remember",
            sv=(
                f"är för kort ({len(password)} tecken)",
                f"använd minst {MIN_PASSWORD_LENGTH} tecken; några ord i rad är lätta att minnas",
            ),
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidValue(
            "password",
            f"is longer than {MAX_PASSWORD_LENGTH} characters",
            "use a shorter password",
            sv=(f"är längre än {MAX_PASSWORD_LENGTH} tecken", "använd ett kortare lösenord"),
        )


class PasswordAuthenticator:
    """Local accounts: the user's argon2 hash in `users.password_hash`."""

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()
        # a hash of no one's password, made with this hasher's parameters: an unknown name costs the same argon2
        # work as a known one, so timing does not tell which names are users
        self.decoy = self.hasher.hash(secrets.token_urlsafe(16))

    def authenticate(self, name: str, password: str) -> Identity | None:
        if len(password) > MAX_PASSWORD_LENGTH:
            return None
        with self.engine.connect() as conn:
            stored = conn.execute(select(users.c.password_hash).where(users.c.name == name)).scalar()
        try:
            self.hasher.verify(stored or self.decoy, password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None:  # the decoy matched nothing real
            return None
        if self.hasher.check_needs_rehash(stored):  # parameters were raised since: store the stronger hash
            self._store(name, self.hasher.hash(password))
        return Identity(name, "password")

    def set_password(self, name: str, password: str) -> None:
        check_password_rules(password)
        if not self._store(name, self.hasher.hash(password)):
            raise NotFound(
                f"unknown user '{name}'",
                "add the user first with `rutin users add`",
                sv=(f"okänd användare '{name}'", "lägg först till användaren med `rutin users add`"),
            )

    def names_with_password(self) -> set[str]:
        """The users who can sign in to the web app (for `rutin users list`)."""
        with self.engine.connect() as conn:
            return set(conn.execute(select(users.c.name).where(users.c.password_hash.is_not(None))).scalars())

    def _store(self, name: str, hashed: str) -> bool:
        with self.engine.connect().execution_options(rutin_write=True) as conn, conn.begin():  # BEGIN IMMEDIATE
            done = conn.execute(update(users).where(users.c.name == name).values(password_hash=hashed))
        return done.rowcount == 1


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SqlSessions:
    """Sessions in the `sessions` table; `idle` and `absolute` bound how long one lives."""

    # renewing the idle time on every request would make every page a write; once a minute is precise enough
    RENEW_AFTER = timedelta(minutes=1)

    def __init__(self, engine: Engine, idle: timedelta, absolute: timedelta) -> None:
        if idle <= timedelta(0) or absolute <= timedelta(0):
            raise ValueError("session lifetimes must be positive")
        self.engine = engine
        self.idle = idle
        self.absolute = absolute

    def open(self, identity: Identity, now: datetime) -> Session:
        token = secrets.token_urlsafe(32)
        expires = now + self.absolute
        with self._write() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at <= iso(now)))  # sweep out the long-dead
            conn.execute(
                insert(sessions).values(
                    token_hash=token_hash(token),
                    user_name=identity.name,
                    created_at=iso(now),
                    last_seen_at=iso(now),
                    expires_at=iso(expires),
                )
            )
        return Session(token, identity, now, expires)

    def resume(self, token: str, now: datetime, *, renew: bool = True) -> Session | None:
        key = token_hash(token)
        with self.engine.connect() as conn:
            row = conn.execute(select(sessions).where(sessions.c.token_hash == key)).first()
        if row is None:
            return None
        seen, expires = from_iso(row.last_seen_at), from_iso(row.expires_at)
        if now >= expires or now >= seen + self.idle:
            self.close(token)
            return None
        if renew and now - seen >= self.RENEW_AFTER:
            with self._write() as conn:
                conn.execute(update(sessions).where(sessions.c.token_hash == key).values(last_seen_at=iso(now)))
        return Session(token, Identity(row.user_name, "password"), from_iso(row.created_at), expires)

    def close(self, token: str) -> None:
        with self._write() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash(token)))

    def close_all(self, name: str) -> int:
        with self._write() as conn:
            return int(conn.execute(delete(sessions).where(sessions.c.user_name == name)).rowcount)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        # BEGIN IMMEDIATE on SQLite, as every writer in Rutin (see adapters/sql/database.py)
        with self.engine.connect().execution_options(rutin_write=True) as conn, conn.begin():
            yield conn


KEY_LENGTH = 128  # the column's width; two names alike in their first 128 characters share a counter, harmlessly
Scope = Literal["name", "address"]


def throttle_name(name: str) -> str:
    """The key a user name is counted under: "Anna", "anna " and "ＡＮＮＡ" are one name to a guesser."""
    return unicodedata.normalize("NFKC", name).strip().casefold()[:KEY_LENGTH]


class SqlSignInThrottle:
    """Failed sign-ins per normalised user name and per client address, in fixed windows, in the database.

    A window starts at the first failure of a name (or address) and lasts `window`; within it at most `per_name`
    (`per_address`) attempts reach the password check. An attempt is counted *before* the check (`admit`), in
    the same transaction that reads the count, so parallel requests cannot all slip past the bound; the count is
    given back on success (`succeeded`). A refused attempt only reads, unless it is the first refusal of its
    lock, so a flood of them costs one indexed SELECT each and no argon2. Whether the name exists plays no part.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        per_name: int = 5,
        per_address: int = 50,
        window: timedelta = timedelta(minutes=15),
    ) -> None:
        if per_name < 1 or per_address < 1 or window <= timedelta(0):
            raise ValueError("throttle bounds and window must be positive")
        self.engine = engine
        self.limits: dict[Scope, int] = {"name": per_name, "address": per_address}
        self.window = window

    def admit(self, name: str, address: str, now: datetime) -> Throttled | None:
        keys = self._keys(name, address)
        with self.engine.connect() as conn:  # the cheap path: a lock already written down needs no write
            lock = self._lock(self._rows(conn, keys, lock=False), now)
        if lock is not None and not lock.first:
            return lock
        return self._retrying(lambda: self._admit(keys, now))

    def succeeded(self, name: str, address: str, now: datetime) -> None:
        name_key, address_key = self._keys(name, address)

        def work() -> None:
            with self._write() as conn:
                conn.execute(delete(sign_in_throttle).where(self._is(name_key)))
                # the attempt counted in `admit` was no failure; (if the window rolled over meanwhile, the new one
                # is one lower than it should be: a harmless rounding against a rare race)
                conn.execute(
                    update(sign_in_throttle)
                    .where(self._is(address_key), sign_in_throttle.c.failures > 0)
                    .values(failures=sign_in_throttle.c.failures - 1)
                )
                self._sweep(conn, now)

        self._retrying(work)

    def forget(self, name: str, address: str, now: datetime) -> None:
        keys = self._keys(name, address)

        def work() -> None:
            with self._write() as conn:
                conn.execute(
                    update(sign_in_throttle)
                    .where(or_(*(self._is(k) for k in keys)), sign_in_throttle.c.failures > 0)
                    .values(failures=sign_in_throttle.c.failures - 1)
                )

        self._retrying(work)

    def failures(self, name: str, address: str, now: datetime) -> dict[Scope, int]:
        """The failures counted in the current windows (for tests and operators)."""
        keys = self._keys(name, address)
        with self.engine.connect() as conn:
            rows = self._rows(conn, keys, lock=False)
        return {scope: self._live(rows.get((scope, key)), now)[1] for scope, key in keys}

    # -- inside --------------------------------------------------------------------------------------

    def _admit(self, keys: tuple[tuple[Scope, str], tuple[Scope, str]], now: datetime) -> Throttled | None:
        with self._write() as conn:
            rows = self._rows(conn, keys, lock=True)  # FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE locks all
            lock = self._lock(rows, now)
            if lock is not None:
                if lock.first:  # noted, so the next refusal of this lock takes the read-only path
                    locked = next(k for k in keys if k[0] == lock.scope)
                    conn.execute(update(sign_in_throttle).where(self._is(locked)).values(refusal_logged=True))
                return lock
            grows = False
            for key in keys:
                row = rows.get(key)
                failures = self._live(row, now)[1]
                if row is None:  # a concurrent insert of the same key fails on the primary key and is retried
                    grows = True
                    conn.execute(
                        insert(sign_in_throttle).values(
                            scope=key[0], key=key[1], window_start=iso(now), failures=1, refusal_logged=False
                        )
                    )
                elif failures == 0:  # its window ended: a new one starts with this attempt
                    conn.execute(
                        update(sign_in_throttle)
                        .where(self._is(key))
                        .values(window_start=iso(now), failures=1, refusal_logged=False)
                    )
                else:
                    conn.execute(update(sign_in_throttle).where(self._is(key)).values(failures=failures + 1))
            if grows:  # after the writes above: the rows just (re)started are not swept
                self._sweep(conn, now)
            return None

    def _sweep(self, conn: Connection, now: datetime) -> None:
        """Remove rows whose window has ended: the table holds only live windows, however many names are tried.

        Done when a row is added or a sign-in succeeds, never on the path of a refusal."""
        conn.execute(delete(sign_in_throttle).where(sign_in_throttle.c.window_start <= iso(now - self.window)))

    def _lock(self, rows: dict[tuple[str, str], Any], now: datetime) -> Throttled | None:
        """The lock on this attempt, the name's before the address's (the one a person can act on)."""
        scopes: tuple[Scope, ...] = ("name", "address")
        for scope in scopes:
            for (row_scope, _), row in rows.items():
                start, failures = self._live(row, now)
                if row_scope == scope and start is not None and failures >= self.limits[scope]:
                    return Throttled(scope, start + self.window, first=not row.refusal_logged)
        return None

    def _live(self, row: Any, now: datetime) -> tuple[datetime | None, int]:
        """The row's window start and failures, or (None, 0) when there is no row or its window has ended."""
        if row is None:
            return None, 0
        start = from_iso(row.window_start)
        if now >= start + self.window:
            return None, 0
        return start, int(row.failures)

    def _keys(self, name: str, address: str) -> tuple[tuple[Scope, str], tuple[Scope, str]]:
        return ("name", throttle_name(name)), ("address", address[:KEY_LENGTH])

    def _rows(self, conn: Connection, keys: tuple[tuple[Scope, str], ...], *, lock: bool) -> dict[tuple[str, str], Any]:
        query = (
            select(sign_in_throttle)
            .where(or_(*(self._is(k) for k in keys)))
            .order_by(sign_in_throttle.c.scope, sign_in_throttle.c.key)  # one lock order for every transaction
        )
        if lock:
            query = query.with_for_update()
        return {(r.scope, r.key): r for r in conn.execute(query)}

    @staticmethod
    def _is(key: tuple[str, str]) -> Any:
        return and_(sign_in_throttle.c.scope == key[0], sign_in_throttle.c.key == key[1])

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(rutin_write=True) as conn, conn.begin():  # BEGIN IMMEDIATE
            yield conn

    @staticmethod
    def _retrying(work: Callable[[], T]) -> T:
        """Run a write again when a concurrent one won a race that PostgreSQL reports as an error.

        Two first failures of one name both insert its row (one hits the primary key), or two transactions wait
        on each other's rows (a deadlock PostgreSQL breaks by failing one). Either way nothing was written."""
        for attempt in range(5):
            try:
                return work()
            except IntegrityError:
                if attempt == 4:
                    raise
            except DBAPIError as exc:
                if "deadlock" not in str(exc).lower() or attempt == 4:
                    raise
        raise AssertionError("unreachable")
