"""Local sign-in: argon2 password hashes stored with the users, and server-side sessions in the database.

Both sit behind the `Authenticator` and `SessionStore` ports, so single sign-on can replace the password check
later without touching the web app. The session table holds only a SHA-256 of each token: whoever reads the
database cannot take over a session. Sessions end after an idle period and, whatever the activity, after an
absolute lifetime.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, delete, insert, select, update

from adapters.sql.rows import from_iso, iso
from adapters.sql.tables import sessions, users
from engine.errors import InvalidValue, NotFound
from engine.ports import Identity, Session

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
