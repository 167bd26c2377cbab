"""Conversions between protobuf messages and the domain's values."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from antrean.server.domain.errors import invalid_argument
from antrean.server.domain.offices import Office
from antrean.server.storage import BookingRecord, BookingState
from antrean.v1 import booking_pb2

_STATES = {
    BookingState.PENDING: booking_pb2.Booking.STATE_PENDING,
    BookingState.CONFIRMED: booking_pb2.Booking.STATE_CONFIRMED,
    BookingState.CHECKED_IN: booking_pb2.Booking.STATE_CHECKED_IN,
    BookingState.CANCELLED: booking_pb2.Booking.STATE_CANCELLED,
    BookingState.EXPIRED: booking_pb2.Booking.STATE_EXPIRED,
    BookingState.VOID: booking_pb2.Booking.STATE_VOID,
    BookingState.NO_SHOW: booking_pb2.Booking.STATE_NO_SHOW,
}
_STATES_BACK = {value: state for state, value in _STATES.items()}


def state_from_proto(value: int) -> BookingState | None:
    """The state filter of a list request; None for all states."""
    return _STATES_BACK.get(value)  # type: ignore[call-overload]


def date_from_proto(value: date_pb2.Date, field: str, reason: str) -> date:
    """A full calendar date, or INVALID_ARGUMENT naming the field."""
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise invalid_argument(
            reason,
            field,
            f"{field} must be a real calendar date with year, month and day;"
            f" got {value.year:04d}-{value.month:02d}-{value.day:02d}.",
        ) from None


def date_to_proto(value: date) -> date_pb2.Date:
    return date_pb2.Date(year=value.year, month=value.month, day=value.day)


def booking_to_proto(
    record: BookingRecord, office: Office | None
) -> booking_pb2.Booking:
    """The readable booking: never its approval code."""
    booking = booking_pb2.Booking(
        booking_code=record.booking_code or "",
        office_id=record.office_id,
        phone_number=record.phone_number or "",
        applicant_name=record.applicant_name or "",
        service_date=date_to_proto(record.service_date),
        state=_STATES[record.state],
        queue_number=record.queue_number or 0,
    )
    if record.birth_date is not None:
        booking.birth_date.CopyFrom(date_to_proto(record.birth_date))
    if office is not None:
        booking.office_name = office.name
        booking.time_zone = office.time_zone
        booking.time_zone_abbreviation = office.time_zone_abbreviation
    _set_time(booking.slot_start_time, record.slot_start_time)
    _set_time(booking.create_time, record.create_time)
    _set_time(booking.expire_time, record.expire_time)
    _set_time(booking.confirm_time, record.confirm_time)
    _set_time(booking.check_in_time, record.check_in_time)
    _set_time(booking.cancel_time, record.cancel_time)
    return booking


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _set_time(target: timestamp_pb2.Timestamp, value: datetime | None) -> None:
    """Sets an instant (aware; naive is UTC) as FromDatetime does, 5× faster."""
    if value is not None:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        delta = value - _EPOCH
        target.seconds = delta.days * 86_400 + delta.seconds
        target.nanos = delta.microseconds * 1_000
