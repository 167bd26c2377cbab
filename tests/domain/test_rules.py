"""R3, R5, R7, R8, R9, R10: the pure decisions of rules.py on hand-built bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from antrean.server.domain import rules
from antrean.server.domain.errors import BookingError, ErrorKind
from antrean.server.domain.offices import default_office
from antrean.server.storage import BookingRecord, BookingState
from tests.conftest import NOW, SERVICE_DATE, small_office

APPROVAL_CODE = "00002681"
WRONG_CODE = "00002682"
BOOKING_CODE = "7KM2X9PQ"
MAX_ATTEMPTS = 5
EXPIRE_TIME = NOW + timedelta(minutes=15)
# 08:00 WIB on the service date: the first slot.
SLOT_START = datetime(2027, 7, 19, 1, 0, tzinfo=UTC)
# 07:00 WIB on the service date: an applicant in good time.
AT_THE_COUNTER = SLOT_START - timedelta(hours=1)


def pending(**changes) -> BookingRecord:
    fields = {
        "id": 1,
        "office_id": "jakarta-pusat",
        "phone_number": "+6281234567890",
        "applicant_name": "SITI AMINAH",
        "birth_date": date(1990, 2, 14),
        "service_date": SERVICE_DATE,
        "state": BookingState.PENDING,
        "approval_code": APPROVAL_CODE,
        "approval_attempts": 0,
        "booking_code": None,
        "slot_id": None,
        "slot_start_time": None,
        "queue_number": None,
        "create_time": NOW,
        "expire_time": EXPIRE_TIME,
        "confirm_time": None,
        "check_in_time": None,
        "cancel_time": None,
    }
    fields.update(changes)
    return BookingRecord(**fields)


def confirmed(**changes) -> BookingRecord:
    fields = {
        "state": BookingState.CONFIRMED,
        "booking_code": BOOKING_CODE,
        "slot_id": 1,
        "slot_start_time": SLOT_START,
        "confirm_time": NOW + timedelta(minutes=1),
    }
    fields.update(changes)
    return pending(**fields)


def check_in_refusal(booking, office, now) -> BookingError:
    with pytest.raises(BookingError) as caught:
        rules.check_can_check_in(booking, office, now)
    return caught.value


def no_next_dates(office, day, now) -> list[date]:
    return []


# R3, R10: confirmation.


def test_confirmation_without_any_booking_is_not_found():
    refusal = rules.confirmation_refusal(None, APPROVAL_CODE, NOW, MAX_ATTEMPTS)

    assert refusal is not None
    assert refusal.kind is ErrorKind.NOT_FOUND
    assert refusal.reason == "PENDING_BOOKING_NOT_FOUND"


@pytest.mark.parametrize(
    "state", [BookingState.CANCELLED, BookingState.CHECKED_IN, BookingState.NO_SHOW]
)
def test_confirmation_of_a_finished_booking_is_not_found(state):
    booking = confirmed(state=state)

    refusal = rules.confirmation_refusal(booking, APPROVAL_CODE, NOW, MAX_ATTEMPTS)

    assert refusal is not None
    assert refusal.reason == "PENDING_BOOKING_NOT_FOUND"


@pytest.mark.parametrize("after", [timedelta(0), timedelta(hours=1)])
def test_request_expired_by_time_cannot_be_confirmed(after):
    refusal = rules.confirmation_refusal(
        pending(), APPROVAL_CODE, EXPIRE_TIME + after, MAX_ATTEMPTS
    )

    assert refusal is not None
    assert refusal.kind is ErrorKind.FAILED_PRECONDITION
    assert refusal.reason == "BOOKING_REQUEST_EXPIRED"


def test_request_marked_expired_cannot_be_confirmed():
    booking = pending(state=BookingState.EXPIRED)

    refusal = rules.confirmation_refusal(booking, APPROVAL_CODE, NOW, MAX_ATTEMPTS)

    assert refusal is not None
    assert refusal.reason == "BOOKING_REQUEST_EXPIRED"


def test_expired_request_with_a_wrong_code_is_expired_not_a_wrong_try():
    refusal = rules.confirmation_refusal(
        pending(), WRONG_CODE, EXPIRE_TIME, MAX_ATTEMPTS
    )

    assert refusal is not None
    assert refusal.reason == "BOOKING_REQUEST_EXPIRED"


@pytest.mark.parametrize("code", [APPROVAL_CODE, WRONG_CODE])
def test_void_request_is_refused_even_with_the_right_code(code):
    booking = pending(state=BookingState.VOID, approval_attempts=MAX_ATTEMPTS)

    refusal = rules.confirmation_refusal(booking, code, NOW, MAX_ATTEMPTS)

    assert refusal is not None
    assert refusal.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert refusal.reason == "TOO_MANY_APPROVAL_ATTEMPTS"
    assert refusal.metadata["max_attempts"] == "5"


def test_wrong_approval_code_is_a_mismatch():
    refusal = rules.confirmation_refusal(pending(), WRONG_CODE, NOW, MAX_ATTEMPTS)

    assert refusal is not None
    assert refusal.kind is ErrorKind.INVALID_ARGUMENT
    assert refusal.reason == "APPROVAL_CODE_MISMATCH"
    assert refusal.field == "approval_code"


def test_right_approval_code_confirms_until_the_last_second():
    now = EXPIRE_TIME - timedelta(seconds=1)

    assert (
        rules.confirmation_refusal(pending(), APPROVAL_CODE, now, MAX_ATTEMPTS) is None
    )


def test_right_code_again_on_a_confirmed_booking_is_the_same_confirmation():
    refusal = rules.confirmation_refusal(
        confirmed(), APPROVAL_CODE, EXPIRE_TIME + timedelta(hours=1), MAX_ATTEMPTS
    )

    assert refusal is None


def test_wrong_code_on_a_confirmed_booking_finds_nothing_pending():
    refusal = rules.confirmation_refusal(confirmed(), WRONG_CODE, NOW, MAX_ATTEMPTS)

    assert refusal is not None
    assert refusal.reason == "PENDING_BOOKING_NOT_FOUND"


# R8: check-in.


def test_check_in_of_an_unknown_code_is_not_found():
    error = check_in_refusal(None, default_office(), AT_THE_COUNTER)

    assert error.kind is ErrorKind.NOT_FOUND
    assert error.reason == "BOOKING_NOT_FOUND"


def test_check_in_at_another_office_is_denied():
    error = check_in_refusal(confirmed(), small_office(), AT_THE_COUNTER)

    assert error.kind is ErrorKind.PERMISSION_DENIED
    assert error.reason == "BOOKING_OF_ANOTHER_OFFICE"


@pytest.mark.parametrize(
    "state", [BookingState.CANCELLED, BookingState.NO_SHOW, BookingState.PENDING]
)
def test_check_in_of_a_booking_that_is_not_confirmed_is_refused(state):
    error = check_in_refusal(confirmed(state=state), default_office(), AT_THE_COUNTER)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "BOOKING_NOT_CONFIRMED"
    assert error.metadata["state"] == state.value


def test_second_check_in_is_refused_with_the_queue_number():
    booking = confirmed(state=BookingState.CHECKED_IN, queue_number=7)

    error = check_in_refusal(booking, default_office(), AT_THE_COUNTER)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "ALREADY_CHECKED_IN"
    assert error.metadata["queue_number"] == "7"


@pytest.mark.parametrize(
    "now",
    [AT_THE_COUNTER - timedelta(days=1), AT_THE_COUNTER + timedelta(days=1), NOW],
    ids=["day-before", "day-after", "booking-day"],
)
def test_check_in_on_another_day_is_refused(now):
    error = check_in_refusal(confirmed(), default_office(), now)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "NOT_SERVICE_DATE"
    assert error.metadata["service_date"] == "2027-07-19"


def test_check_in_day_is_the_office_local_date():
    # 17:30 UTC on 18 July is 00:30 WIB on 19 July, the service date.
    now = datetime(2027, 7, 18, 17, 30, tzinfo=UTC)

    rules.check_can_check_in(confirmed(), default_office(), now)


@pytest.mark.parametrize(
    "after", [timedelta(0), timedelta(seconds=1), timedelta(hours=3)]
)
def test_check_in_at_or_after_the_slot_start_is_closed(after):
    error = check_in_refusal(confirmed(), default_office(), SLOT_START + after)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "CHECK_IN_CLOSED"
    assert error.metadata["slot_start_time"] == "2027-07-19T01:00:00Z"


def test_check_in_one_minute_before_the_slot_start_is_accepted():
    now = SLOT_START - timedelta(minutes=1)

    rules.check_can_check_in(confirmed(), default_office(), now)


# R5, R9: what counts as active.


def test_pending_booking_is_active_until_it_expires():
    assert rules.is_active(pending(), EXPIRE_TIME - timedelta(seconds=1))
    assert not rules.is_active(pending(), EXPIRE_TIME)


def test_confirmed_booking_is_active_until_its_slot_starts():
    assert rules.is_active(confirmed(), SLOT_START - timedelta(seconds=1))
    assert not rules.is_active(confirmed(), SLOT_START)


def test_confirmed_booking_outlives_its_approval_deadline():
    assert rules.is_active(confirmed(), EXPIRE_TIME + timedelta(days=1))


@pytest.mark.parametrize(
    "state",
    [
        BookingState.CHECKED_IN,
        BookingState.CANCELLED,
        BookingState.EXPIRED,
        BookingState.VOID,
        BookingState.NO_SHOW,
    ],
)
def test_finished_booking_is_not_active(state):
    assert not rules.is_active(confirmed(state=state), NOW)


# R7: the service date.


def test_service_date_inside_the_window_on_an_open_day_is_accepted():
    rules.check_service_date(default_office(), SERVICE_DATE, NOW, no_next_dates)


@pytest.mark.parametrize(
    "service_date", [date(2027, 7, 12), date(2027, 8, 12), date(2026, 7, 13)]
)
def test_service_date_outside_the_window_is_out_of_range(service_date):
    with pytest.raises(BookingError) as caught:
        rules.check_service_date(default_office(), service_date, NOW, no_next_dates)

    assert caught.value.kind is ErrorKind.OUT_OF_RANGE
    assert caught.value.reason == "SERVICE_DATE_OUTSIDE_WINDOW"
    assert caught.value.metadata == {
        "service_date": service_date.isoformat(),
        "first_date": "2027-07-13",
        "last_date": "2027-08-11",
    }


def test_closed_service_date_names_the_next_open_dates():
    def next_dates(office, day, now):
        return [date(2027, 7, 19), date(2027, 7, 20)]

    with pytest.raises(BookingError) as caught:
        rules.check_service_date(default_office(), date(2027, 7, 17), NOW, next_dates)

    assert caught.value.kind is ErrorKind.FAILED_PRECONDITION
    assert caught.value.reason == "SERVICE_DATE_CLOSED"
    assert caught.value.metadata["closure"] == "weekend"
    assert caught.value.metadata["next_open_dates"] == "2027-07-19,2027-07-20"


@pytest.mark.parametrize("typed", ["", "7KM2X9P", "7KM2X9P0"])
def test_malformed_booking_code_is_invalid(typed):
    with pytest.raises(BookingError) as caught:
        rules.parse_booking_code(typed)

    assert caught.value.kind is ErrorKind.INVALID_ARGUMENT
    assert caught.value.reason == "INVALID_BOOKING_CODE"
    assert caught.value.field == "booking_code"
