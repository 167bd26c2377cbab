"""Decisions of the booking rules that need no database: pure functions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

from antrean.server.domain import codes
from antrean.server.domain.errors import BookingError, ErrorKind, invalid_argument
from antrean.server.domain.offices import Office
from antrean.server.storage import BookingRecord, BookingState

NextDates = Callable[[Office, date, datetime], list[date]]


def check_service_date(
    office: Office, service_date: date, now: datetime, next_dates: NextDates
) -> None:
    """A service date lies in the booking window and is an open day (R7)."""
    check_still_bookable(office, service_date, now)
    closure = office.closure(service_date)
    if closure is not None:
        raise BookingError(
            ErrorKind.FAILED_PRECONDITION,
            "SERVICE_DATE_CLOSED",
            f"The office is closed on {service_date.isoformat()} ({closure.name});"
            " choose an open day.",
            metadata={
                "service_date": service_date.isoformat(),
                "closure": closure.kind,
                "closure_name": closure.name,
                "next_open_dates": _dates(next_dates(office, service_date, now)),
            },
        )


def check_still_bookable(office: Office, service_date: date, now: datetime) -> None:
    """A service date lies inside the office's booking window (R7)."""
    first, last = office.window(now)
    if not first <= service_date <= last:
        raise BookingError(
            ErrorKind.OUT_OF_RANGE,
            "SERVICE_DATE_OUTSIDE_WINDOW",
            f"Bookings are open for {first.isoformat()} to {last.isoformat()};"
            " choose a date in that range.",
            metadata={
                "service_date": service_date.isoformat(),
                "first_date": first.isoformat(),
                "last_date": last.isoformat(),
            },
        )


def confirmation_refusal(
    booking: BookingRecord | None, code: str, now: datetime, max_attempts: int
) -> BookingError | None:
    """Why the number's latest booking cannot be confirmed with ``code``, if so."""
    if booking is None or booking.state not in (
        BookingState.PENDING,
        BookingState.CONFIRMED,
        BookingState.VOID,
        BookingState.EXPIRED,
    ):
        return _no_pending_booking()
    if booking.state is BookingState.VOID:
        return _too_many_attempts(max_attempts)
    if booking.state is BookingState.EXPIRED or (
        booking.state is BookingState.PENDING and booking.expire_time <= now
    ):
        return BookingError(
            ErrorKind.FAILED_PRECONDITION,
            "BOOKING_REQUEST_EXPIRED",
            "The booking request expired before it was confirmed; send the "
            "request again.",
        )
    if booking.approval_code != code:
        if booking.state is BookingState.CONFIRMED:
            return _no_pending_booking()
        return BookingError(
            ErrorKind.INVALID_ARGUMENT,
            "APPROVAL_CODE_MISMATCH",
            "The approval code is wrong; send the 8 digits from the summary.",
            field="approval_code",
        )
    return None


def check_can_check_in(
    booking: BookingRecord | None, office: Office, now: datetime
) -> None:
    """A booking code is valid at its office, on its date, until its slot (R8)."""
    if booking is None:
        raise booking_not_found()
    if booking.office_id != office.id:
        raise booking_of_another_office()
    if booking.state is BookingState.CHECKED_IN:
        raise BookingError(
            ErrorKind.FAILED_PRECONDITION,
            "ALREADY_CHECKED_IN",
            f"This booking was already checked in as number {booking.queue_number}.",
            metadata={"queue_number": str(booking.queue_number)},
        )
    if booking.state is not BookingState.CONFIRMED:
        raise BookingError(
            ErrorKind.FAILED_PRECONDITION,
            "BOOKING_NOT_CONFIRMED",
            f"This booking is {booking.state.value}, not confirmed; the applicant "
            "must book again.",
            metadata={"state": booking.state.value},
        )
    if office.local_date(now) != booking.service_date:
        raise BookingError(
            ErrorKind.FAILED_PRECONDITION,
            "NOT_SERVICE_DATE",
            f"This booking is for {booking.service_date.isoformat()}, not today.",
            metadata={"service_date": booking.service_date.isoformat()},
        )
    assert booking.slot_start_time is not None
    if now >= booking.slot_start_time:
        raise BookingError(
            ErrorKind.FAILED_PRECONDITION,
            "CHECK_IN_CLOSED",
            "The slot has started; late arrival voids the booking, so the "
            "applicant must book again.",
            metadata={
                "slot_start_time": _instant(booking.slot_start_time),
                "time_zone": office.time_zone,
            },
        )


def is_active(booking: BookingRecord, now: datetime) -> bool:
    """Pending and not expired, or confirmed and the slot not started (R5, R9)."""
    return as_of(booking, now).state in (BookingState.PENDING, BookingState.CONFIRMED)


def as_of(booking: BookingRecord, now: datetime) -> BookingRecord:
    """The booking in the state it has by ``now``: a pending one past its expiry
    has expired, a confirmed one whose slot has started is a no-show (R9)."""
    if booking.state is BookingState.PENDING and booking.expire_time <= now:
        return replace(booking, state=BookingState.EXPIRED)
    if (
        booking.state is BookingState.CONFIRMED
        and booking.slot_start_time is not None
        and booking.slot_start_time <= now
    ):
        return replace(booking, state=BookingState.NO_SHOW)
    return booking


def parse_booking_code(text: str) -> str:
    code = codes.normalize_booking_code(text)
    if code is None:
        raise invalid_argument(
            "INVALID_BOOKING_CODE",
            "booking_code",
            "A booking code is 8 letters and digits without 0, O, 1, I or L.",
        )
    return code


def date_full(service_date: date, later: list[date]) -> BookingError:
    return BookingError(
        ErrorKind.RESOURCE_EXHAUSTED,
        "SERVICE_DATE_FULL",
        f"{service_date.isoformat()} is fully booked; choose another date.",
        metadata={
            "service_date": service_date.isoformat(),
            "next_available_dates": _dates(later),
        },
    )


def active_booking_exists(booking: BookingRecord | None) -> BookingError:
    metadata = {}
    if booking is not None:
        metadata = {
            "office_id": booking.office_id,
            "service_date": booking.service_date.isoformat(),
            "state": booking.state.value,
            "booking_code": booking.booking_code or "",
            "slot_start_time": _instant(booking.slot_start_time),
        }
    return BookingError(
        ErrorKind.ALREADY_EXISTS,
        "ACTIVE_BOOKING_EXISTS",
        "This number already holds a booking; cancel it first to book another.",
        metadata=metadata,
    )


def no_active_booking() -> BookingError:
    return BookingError(
        ErrorKind.NOT_FOUND,
        "ACTIVE_BOOKING_NOT_FOUND",
        "This number holds no active booking.",
    )


def booking_not_found() -> BookingError:
    return BookingError(
        ErrorKind.NOT_FOUND,
        "BOOKING_NOT_FOUND",
        "No booking has this code; check the code with the applicant.",
    )


def booking_of_another_office() -> BookingError:
    return BookingError(
        ErrorKind.PERMISSION_DENIED,
        "BOOKING_OF_ANOTHER_OFFICE",
        "This booking is for another office; the applicant must go there.",
    )


def _no_pending_booking() -> BookingError:
    return BookingError(
        ErrorKind.NOT_FOUND,
        "PENDING_BOOKING_NOT_FOUND",
        "This number has no booking request waiting for an approval code; send "
        "a booking request first.",
    )


def _too_many_attempts(max_attempts: int) -> BookingError:
    return BookingError(
        ErrorKind.RESOURCE_EXHAUSTED,
        "TOO_MANY_APPROVAL_ATTEMPTS",
        f"{max_attempts} wrong approval codes were sent, so the request is void; "
        "send the booking request again.",
        metadata={"max_attempts": str(max_attempts)},
    )


def _dates(days: list[date]) -> str:
    return ",".join(day.isoformat() for day in days)


def _instant(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
