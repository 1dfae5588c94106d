"""The web app: password hashes on users, server-side sessions, and indexes for listing and filtering cases.

Sessions live in the database (only a hash of each token) so several web workers or machines share them.
The expression indexes cover the student and group inputs of the shipped procedures inside `cases.data`,
so "Mina ärenden" filtered by student or group stays an index lookup at 10,000 cases and more.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# a frozen copy of adapters/sql/listing.py's KEYED_FIELDS at this revision (migrations never import live code)
KEYED_FIELDS = (
    "personnummer",
    "elev_utskrift",
    "kontrollelev",
    "betygsgrupp",
    "ny_betygsgrupp",
    "grupp",
    "provningsgrupp",
)


def _expression(dialect: str, name: str) -> str:
    if dialect == "postgresql":
        return f"((data::jsonb) ->> '{name}')"
    return f"json_extract(data, '$.{name}')"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.Text, nullable=True))
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("last_seen_at", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_name"])
    op.create_index("ix_sessions_expires", "sessions", ["expires_at"])
    op.create_index("ix_cases_overdue", "cases", ["overdue_at"])
    # the procedure filter, and the process owner's open cases per version and step (an index-only scan)
    op.create_index("ix_cases_steps", "cases", ["procedure_id", "procedure_hash", "state", "status"])
    dialect = op.get_bind().dialect.name
    for name in KEYED_FIELDS:
        op.create_index(f"ix_cases_data_{name}", "cases", [sa.text(_expression(dialect, name))])


def downgrade() -> None:
    for name in KEYED_FIELDS:
        op.drop_index(f"ix_cases_data_{name}", "cases")
    op.drop_index("ix_cases_steps", "cases")
    op.drop_index("ix_cases_overdue", "cases")
    op.drop_index("ix_sessions_expires", "sessions")
    op.drop_index("ix_sessions_user", "sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_hash")
