"""Plain records that transactions return: no SQLAlchemy objects escape."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime


class BookingState(enum.StrEnum):
    """A booking's state as stored."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    VOID = "void"
    NO_SHOW = "no_show"


# The states that count for "one active booking per number" (I2).
ACTIVE_STATES = (BookingState.PENDING, BookingState.CONFIRMED)


@dataclass(frozen=True)
class BookingRecord:
    """One row of ``bookings``; personal fields are None once erased."""

    id: int
    office_id: str
    phone_number: str | None
    applicant_name: str | None
    birth_date: date | None
    service_date: date
    state: BookingState
    approval_code: str | None
    approval_attempts: int
    booking_code: str | None
    slot_id: int | None
    slot_start_time: datetime | None
    queue_number: int | None
    create_time: datetime
    expire_time: datetime
    confirm_time: datetime | None
    check_in_time: datetime | None
    cancel_time: datetime | None


@dataclass(frozen=True)
class SlotRecord:
    """One slot of an office's date and how many places it has taken."""

    id: int
    start_time: datetime
    capacity: int
    taken: int
