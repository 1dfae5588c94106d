"""The worker: deadline timers, leases on cases and outbox rows, a registry of running workers.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timers",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("deadline", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("fire_at", sa.String(40), nullable=False),
        sa.Column("due_at", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fired_at", sa.String(40), nullable=True),
        sa.Column("lease_owner", sa.String(120), nullable=True),
        sa.Column("lease_until", sa.String(40), nullable=True),
    )
    op.create_index("ix_timers_due", "timers", ["status", "fire_at"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(120), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.String(40), nullable=True))
        batch.add_column(sa.Column("route", sa.Text, nullable=True))
        batch.add_column(sa.Column("deadline_at", sa.String(40), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(120), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.String(40), nullable=True))
        batch.add_column(sa.Column("sent_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text, nullable=True))
    op.create_index("ix_sandbox_facts_source", "sandbox_facts", ["source"])  # perform's "applied already?" check
    op.create_table(
        "workers",
        sa.Column("id", sa.String(120), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("heartbeat_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_index("ix_sandbox_facts_source", "sandbox_facts")
    with op.batch_alter_table("outbox") as batch:
        for column in ("last_error", "sent_at", "lease_until", "lease_owner"):
            batch.drop_column(column)
    with op.batch_alter_table("cases") as batch:
        for column in ("deadline_at", "route", "lease_until", "lease_owner"):
            batch.drop_column(column)
    op.drop_index("ix_timers_due", "timers")
    op.drop_table("timers")
