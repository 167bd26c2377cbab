"""Initial schema

Revision ID: 0001
Revises:
Create Date: 2027-07-01

The tables of the first release, written out rather than imported from
``schema.py``: a revision stays what it was when the models change.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# I2: one active booking per number.
ACTIVE_CONDITION = sa.text("state IN ('pending', 'confirmed')")


def upgrade() -> None:
    op.create_table(
        "slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "taken >= 0 AND taken <= capacity",
            name=op.f("ck_slots_taken_within_capacity"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slots")),
        sa.UniqueConstraint(
            "office_id",
            "service_date",
            "start_time",
            name=op.f("uq_slots_office_id_service_date_start_time"),
        ),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("phone_number", sa.String(16), nullable=True),
        sa.Column("applicant_name", sa.String(100), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("approval_code", sa.String(8), nullable=True),
        sa.Column(
            "approval_attempts", sa.Integer(), server_default="0", nullable=False
        ),
        sa.Column("booking_code", sa.String(8), nullable=True),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("slot_start_time", sa.DateTime(), nullable=True),
        sa.Column("queue_number", sa.Integer(), nullable=True),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.Column("expire_time", sa.DateTime(), nullable=False),
        sa.Column("confirm_time", sa.DateTime(), nullable=True),
        sa.Column("check_in_time", sa.DateTime(), nullable=True),
        sa.Column("cancel_time", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["slot_id"], ["slots.id"], name=op.f("fk_bookings_slot_id_slots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("booking_code", name=op.f("uq_bookings_booking_code")),
    )
    op.create_index(
        op.f("uq_bookings_active_phone_number"),
        "bookings",
        ["phone_number"],
        unique=True,
        sqlite_where=ACTIVE_CONDITION,
        postgresql_where=ACTIVE_CONDITION,
    )
    op.create_index(
        op.f("ix_bookings_phone_number"), "bookings", ["phone_number"], unique=False
    )
    op.create_index(
        op.f("ix_bookings_office_id_service_date"),
        "bookings",
        ["office_id", "service_date"],
        unique=False,
    )
    op.create_table(
        "queue_counters",
        sa.Column("office_id", sa.String(64), nullable=False),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "office_id", "service_date", name=op.f("pk_queue_counters")
        ),
    )
    op.create_table(
        "request_ids",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("create_time", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_request_ids")),
    )
    op.create_index(
        op.f("ix_request_ids_create_time"),
        "request_ids",
        ["create_time"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("request_ids")
    op.drop_table("queue_counters")
    op.drop_table("bookings")
    op.drop_table("slots")
