"""Throttling of failed sign-ins: a counter per user name and per client address, shared by every web process.

One row per (scope, key) holds the failures of the current window; rows whose window ended are swept away.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("scope", sa.String(8), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("window_start", sa.String(40), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("refusal_logged", sa.Boolean, nullable=False),
    )
    op.create_index("ix_sign_in_throttle_window", "sign_in_throttle", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_throttle_window", "sign_in_throttle")
    op.drop_table("sign_in_throttle")
