"""The database schema as SQLAlchemy Core tables; Alembic migrations in `migrations/` create it.

Core rather than the ORM: a step is three or four small statements, and the ORM's unit of work costs
ten times as much per step. Everything here is portable SQL (SQLite and PostgreSQL); times are stored as
ISO-8601 UTC text so they sort and compare the same on both.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

procedure_versions = Table(
    "procedure_versions",
    metadata,
    Column("hash", String(64), primary_key=True),
    Column("procedure_id", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Text, nullable=False),
    Column("stored_at", String(40), nullable=False),
)

streams = Table(
    "streams",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("procedure_id", String(64), nullable=False),
    Column("procedure_hash", String(64), nullable=False),
    Column("state", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("data", Text, nullable=False),
    Column("wait", Text, nullable=True),
    Column("due_at", String(40), nullable=True),
    Column("overdue_at", String(40), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("lease_owner", String(120), nullable=True),
    Column("lease_until", String(40), nullable=True),
    Column("route", Text, nullable=True),
    Column("deadline_at", String(40), nullable=True),
    Index("ix_cases_due_at", "due_at"),
    Index("ix_cases_status", "status", "updated_at"),
    Index("ix_cases_overdue", "overdue_at"),
    Index("ix_cases_steps", "procedure_id", "procedure_hash", "state", "status"),
    # and, from migration 0003, expression indexes on the student and group inputs inside `data` (see listing.py)
)

events = Table(
    "events",
    metadata,
    Column("stream", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("at", String(40), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("step", String(64), nullable=True),
    Column("action", String(64), nullable=True),
    Column("data", Text, nullable=False),
    Column("state", String(64), nullable=True),
    Column("procedure_hash", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", String(40), nullable=True),
    Column("lease_owner", String(120), nullable=True),
    Column("lease_until", String(40), nullable=True),
    Column("sent_at", String(40), nullable=True),
    Column("last_error", Text, nullable=True),
    UniqueConstraint("key", name="uq_outbox_key"),
    Index("ix_outbox_pending", "status", "kind", "next_attempt_at"),
)

users = Table(
    "users",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("display_name", String(200), nullable=True),
    Column("email", String(254), nullable=True),
    Column("roles", Text, nullable=False),
    Column("tasks", Text, nullable=False),
    Column("admin", Boolean, nullable=False, default=False),
    Column("password_hash", Text, nullable=True),  # argon2; NULL means the user cannot sign in to the web app
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's token: a leaked table opens nothing
    Column("user_name", String(128), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("last_seen_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),  # the absolute end, whatever the activity
    Index("ix_sessions_user", "user_name"),
    Index("ix_sessions_expires", "expires_at"),
)

sign_in_throttle = Table(
    "sign_in_throttle",
    metadata,
    Column("scope", String(8), primary_key=True),  # "name" (normalised user name) or "address" (the client's)
    Column("key", String(128), primary_key=True),
    Column("window_start", String(40), nullable=False),  # the first failure counted in the current window
    Column("failures", Integer, nullable=False),  # attempts that reached the password check and did not succeed
    Column("refusal_logged", Boolean, nullable=False),  # this window's lock is already in the audit history
    Index("ix_sign_in_throttle_window", "window_start"),
)

sandbox_facts = Table(
    "sandbox_facts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("system", String(32), nullable=False),
    Column("fact", String(64), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("value", Boolean, nullable=False),
    Column("effective_at", String(40), nullable=False),
    Column("source", String(200), nullable=False),
    Index("ix_sandbox_facts_lookup", "system", "fact", "subject", "effective_at"),
    Index("ix_sandbox_facts_source", "source"),
)

timers = Table(
    "timers",
    metadata,
    Column("case_id", String(64), primary_key=True),
    Column("key", String(120), primary_key=True),
    Column("deadline", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("fire_at", String(40), nullable=False),
    Column("due_at", String(40), nullable=False),
    Column("status", String(16), nullable=False),  # pending, fired, met
    Column("fired_at", String(40), nullable=True),
    Column("lease_owner", String(120), nullable=True),
    Column("lease_until", String(40), nullable=True),
    Index("ix_timers_due", "status", "fire_at"),
)

workers = Table(
    "workers",
    metadata,
    Column("id", String(120), primary_key=True),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("heartbeat_at", String(40), nullable=False),
)
