"""The tables. Migrations in ``migrations/`` create and change them."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored as naive UTC and read back as aware UTC on every database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be aware datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC)


slots = sa.Table(
    "slots",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office_id", sa.String(64), nullable=False),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("start_time", UTCDateTime, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("taken", sa.Integer, nullable=False, server_default="0"),
    # I1 a second time: even a faulty statement cannot overfill a slot.
    sa.CheckConstraint(
        "taken >= 0 AND taken <= capacity", name="taken_within_capacity"
    ),
    sa.UniqueConstraint("office_id", "service_date", "start_time"),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("office_id", sa.String(64), nullable=False),
    sa.Column("phone_number", sa.String(16)),
    sa.Column("applicant_name", sa.String(100)),
    sa.Column("birth_date", sa.Date),
    sa.Column("service_date", sa.Date, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("approval_code", sa.String(8)),
    sa.Column("approval_attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("booking_code", sa.String(8), unique=True),
    sa.Column("slot_id", sa.Integer, sa.ForeignKey("slots.id")),
    sa.Column("slot_start_time", UTCDateTime),
    sa.Column("queue_number", sa.Integer),
    sa.Column("create_time", UTCDateTime, nullable=False),
    sa.Column("expire_time", UTCDateTime, nullable=False),
    sa.Column("confirm_time", UTCDateTime),
    sa.Column("check_in_time", UTCDateTime),
    sa.Column("cancel_time", UTCDateTime),
)

# I2: one active booking per number, held by a partial unique index.
ACTIVE_CONDITION = sa.text("state IN ('pending', 'confirmed')")
sa.Index(
    "uq_bookings_active_phone_number",
    bookings.c.phone_number,
    unique=True,
    sqlite_where=ACTIVE_CONDITION,
    postgresql_where=ACTIVE_CONDITION,
)
sa.Index("ix_bookings_phone_number", bookings.c.phone_number)
sa.Index(
    "ix_bookings_office_id_service_date",
    bookings.c.office_id,
    bookings.c.service_date,
)

queue_counters = sa.Table(
    "queue_counters",
    metadata,
    sa.Column("office_id", sa.String(64), primary_key=True),
    sa.Column("service_date", sa.Date, primary_key=True),
    sa.Column("last_number", sa.Integer, nullable=False),
)

# I4: a request id is stored once, with the response it got.
request_ids = sa.Table(
    "request_ids",
    metadata,
    sa.Column("request_id", sa.String(36), primary_key=True),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("response", sa.LargeBinary, nullable=False),
    sa.Column("create_time", UTCDateTime, nullable=False, index=True),
)
