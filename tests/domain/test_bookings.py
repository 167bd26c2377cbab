"""R2–R10 and I4 through ``Bookings`` over a real database, on every backend."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from google.type import date_pb2

from antrean.server.domain import codes
from antrean.server.domain.bookings import Bookings, Replayed, RequestKey
from antrean.server.domain.clock import FixedClock
from antrean.server.domain.errors import BookingError, ErrorKind
from antrean.server.domain.offices import Office, default_office
from antrean.server.storage import BookingRecord, BookingState, Database, connect
from antrean.server.transport.convert import date_from_proto
from tests.conftest import NOW, SERVICE_DATE, small_office

PHONE = "+6281234567890"
OTHER_PHONE = "+6285712345678"
BIRTH_DATE = date(1990, 2, 14)
JAKARTA = "jakarta-pusat"
SMALL = "kecil"
JAYAPURA = "jayapura"
# 08:00 WIB on the service date, the first slot, and 07:00 WIB that morning.
FIRST_SLOT = datetime(2027, 7, 19, 1, 0, tzinfo=UTC)
SERVICE_MORNING = FIRST_SLOT - timedelta(hours=1)


def encode(record: BookingRecord) -> bytes:
    return str(record.id).encode()


def new_key(method: str = "RequestBooking", fingerprint: str = "a") -> RequestKey:
    return RequestKey(str(uuid.uuid4()), method, fingerprint)


def phone(n: int) -> str:
    return f"+62813{n:08d}"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = connect(database_url)
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def bookings(database: Database, clock: FixedClock) -> Bookings:
    jayapura = Office(
        id=JAYAPURA,
        name="Kantor Imigrasi Jayapura",
        time_zone="Asia/Jayapura",
        hours=default_office().hours,
    )
    offices = {office.id: office for office in (default_office(), small_office())}
    offices[JAYAPURA] = jayapura
    return Bookings(database, offices, clock)


def request(bookings: Bookings, **changes) -> BookingRecord:
    fields = {
        "phone_number": PHONE,
        "office_id": JAKARTA,
        "applicant_name": "Siti Aminah",
        "birth_date": BIRTH_DATE,
        "service_date": SERVICE_DATE,
    }
    fields.update(changes)
    record = bookings.request(**fields)
    assert isinstance(record, BookingRecord)
    return record


def book(bookings: Bookings, **changes) -> BookingRecord:
    """Requests and confirms a booking."""
    pending = request(bookings, **changes)
    assert pending.phone_number is not None and pending.approval_code is not None
    record = bookings.confirm(
        phone_number=pending.phone_number, approval_code=pending.approval_code
    )
    assert isinstance(record, BookingRecord)
    return record


def check_in(bookings: Bookings, booking: BookingRecord, office_id: str = JAKARTA):
    assert booking.booking_code is not None
    return bookings.check_in(office_id=office_id, booking_code=booking.booking_code)


def refusal(call, *args, **kwargs) -> BookingError:
    with pytest.raises(BookingError) as caught:
        call(*args, **kwargs)
    return caught.value


def wrong(code: str | None) -> str:
    assert code is not None
    return f"{(int(code) + 1) % 10**8:08d}"


def remaining(bookings: Bookings, office_id: str, day: date) -> int:
    places = {entry.service_date: entry for entry in bookings.availability(office_id)}
    return places[day].remaining


# R1, R2: a request.


def test_request_records_a_pending_booking_with_an_approval_code(bookings):
    record = request(bookings, phone_number="0812-3456-7890", applicant_name="siti  a")

    assert record.state is BookingState.PENDING
    assert record.phone_number == PHONE
    assert record.applicant_name == "SITI A"
    assert record.approval_code is not None
    assert codes.normalize_approval_code(record.approval_code) == record.approval_code
    assert record.booking_code is None
    assert record.slot_start_time is None
    assert record.expire_time == NOW + timedelta(minutes=15)


def test_birth_date_of_29_february_is_accepted(bookings):
    record = request(bookings, birth_date=date(1996, 2, 29))

    assert record.birth_date == date(1996, 2, 29)


def test_birth_date_of_31_april_is_refused_at_the_transport():
    # date(1967, 4, 31) cannot be built; the protobuf Date can, and is refused.
    value = date_pb2.Date(year=1967, month=4, day=31)

    error = refusal(date_from_proto, value, "birth_date", "INVALID_BIRTH_DATE")

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "INVALID_BIRTH_DATE"
    assert error.field == "birth_date"


def test_future_birth_date_is_refused(bookings):
    error = refusal(request, bookings, birth_date=date(2027, 7, 13))

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "INVALID_BIRTH_DATE"
    assert error.field == "birth_date"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("phone_number", "12345", "INVALID_PHONE_NUMBER"),
        ("applicant_name", "Ahmad 2", "INVALID_APPLICANT_NAME"),
    ],
)
def test_malformed_field_is_refused_and_nothing_is_recorded(
    bookings, field, value, reason
):
    error = refusal(request, bookings, **{field: value})

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == reason
    assert error.field == field
    assert bookings.list(JAKARTA, SERVICE_DATE, None, None, 10) == []


def test_request_at_an_unknown_office_is_not_found(bookings):
    error = refusal(request, bookings, office_id="atlantis")

    assert error.kind is ErrorKind.NOT_FOUND
    assert error.reason == "OFFICE_NOT_FOUND"
    assert error.metadata["office_id"] == "atlantis"


# R7: open days and the window.


def test_request_for_a_weekend_is_refused_naming_next_open_dates(bookings):
    error = refusal(request, bookings, service_date=date(2027, 7, 17))

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "SERVICE_DATE_CLOSED"
    assert error.metadata["closure"] == "weekend"
    assert error.metadata["next_open_dates"] == "2027-07-19,2027-07-20,2027-07-21"


def test_request_for_a_national_holiday_is_refused(bookings, clock):
    clock.set(datetime(2027, 8, 10, 3, 0, tzinfo=UTC))

    error = refusal(request, bookings, service_date=date(2027, 8, 17))

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "SERVICE_DATE_CLOSED"
    assert error.metadata["service_date"] == "2027-08-17"
    assert error.metadata["closure"] == "holiday"
    assert error.metadata["next_open_dates"] == "2027-08-18,2027-08-19,2027-08-20"


@pytest.mark.parametrize(
    "service_date",
    [date(2027, 8, 12), date(2027, 7, 12), date(2027, 7, 9)],
    ids=["past-window", "today", "past"],
)
def test_request_outside_the_window_is_out_of_range(bookings, service_date):
    error = refusal(request, bookings, service_date=service_date)

    assert error.kind is ErrorKind.OUT_OF_RANGE
    assert error.reason == "SERVICE_DATE_OUTSIDE_WINDOW"
    assert error.metadata["first_date"] == "2027-07-13"
    assert error.metadata["last_date"] == "2027-08-11"


@pytest.mark.parametrize("service_date", [date(2027, 7, 13), date(2027, 8, 11)])
def test_first_and_last_day_of_the_window_are_bookable(bookings, service_date):
    assert book(bookings, service_date=service_date).service_date == service_date


def test_window_of_a_jayapura_office_starts_from_its_own_date(bookings, clock):
    # 16:00 UTC: still 12 July in Jakarta, already 13 July in Jayapura.
    clock.set(datetime(2027, 7, 12, 16, 0, tzinfo=UTC))

    error = refusal(
        request, bookings, office_id=JAYAPURA, service_date=date(2027, 7, 13)
    )
    record = request(bookings, office_id=JAKARTA, service_date=date(2027, 7, 13))

    assert error.reason == "SERVICE_DATE_OUTSIDE_WINDOW"
    assert error.metadata["first_date"] == "2027-07-14"
    assert record.state is BookingState.PENDING


# R5: one active booking per number.


def test_second_request_from_same_number_in_another_spelling_is_refused(bookings):
    request(bookings, phone_number="+62 812 3456 7890")

    error = refusal(
        request, bookings, phone_number="0812-3456-7890", service_date=date(2027, 7, 20)
    )

    assert error.kind is ErrorKind.ALREADY_EXISTS
    assert error.reason == "ACTIVE_BOOKING_EXISTS"
    assert error.metadata["state"] == "pending"
    assert error.metadata["office_id"] == JAKARTA
    assert error.metadata["service_date"] == "2027-07-19"


def test_request_while_holding_a_confirmed_booking_names_it(bookings):
    booking = book(bookings)

    error = refusal(request, bookings, phone_number="6281234567890")

    assert error.reason == "ACTIVE_BOOKING_EXISTS"
    assert error.metadata["state"] == "confirmed"
    assert error.metadata["booking_code"] == booking.booking_code
    assert error.metadata["slot_start_time"] == "2027-07-19T01:00:00Z"


def test_another_number_may_request_the_same_date(bookings):
    request(bookings)

    assert request(bookings, phone_number=OTHER_PHONE).state is BookingState.PENDING


# R2, R3: confirmation and expiry.


def test_confirmation_takes_the_earliest_slot_and_gives_a_booking_code(bookings):
    booking = book(bookings)

    assert booking.state is BookingState.CONFIRMED
    assert booking.slot_start_time == FIRST_SLOT
    assert booking.booking_code is not None
    assert codes.normalize_booking_code(booking.booking_code) == booking.booking_code
    assert booking.confirm_time == NOW
    assert remaining(bookings, JAKARTA, SERVICE_DATE) == 399


def test_confirming_twice_with_the_right_code_returns_the_same_booking(bookings):
    pending = request(bookings)
    first = bookings.confirm(phone_number=PHONE, approval_code=pending.approval_code)

    second = bookings.confirm(
        phone_number="0812 3456 7890", approval_code=pending.approval_code
    )

    assert isinstance(first, BookingRecord) and isinstance(second, BookingRecord)
    assert second.booking_code == first.booking_code
    assert second.slot_start_time == first.slot_start_time
    assert remaining(bookings, JAKARTA, SERVICE_DATE) == 399


def test_request_confirmed_just_before_fifteen_minutes_is_booked(bookings, clock):
    pending = request(bookings)
    clock.advance(timedelta(minutes=15) - timedelta(seconds=1))

    booking = bookings.confirm(phone_number=PHONE, approval_code=pending.approval_code)

    assert isinstance(booking, BookingRecord)
    assert booking.state is BookingState.CONFIRMED


def test_request_expires_after_fifteen_minutes(bookings, clock):
    pending = request(bookings)
    clock.advance(timedelta(minutes=15))

    error = refusal(
        bookings.confirm, phone_number=PHONE, approval_code=pending.approval_code
    )

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "BOOKING_REQUEST_EXPIRED"
    assert remaining(bookings, JAKARTA, SERVICE_DATE) == 400


def test_expired_request_frees_the_number(bookings, clock):
    request(bookings)
    clock.advance(timedelta(minutes=15))

    error = refusal(bookings.get_active, PHONE)
    again = request(bookings)

    assert error.reason == "ACTIVE_BOOKING_NOT_FOUND"
    assert again.state is BookingState.PENDING


def test_confirmation_without_a_request_is_not_found(bookings):
    error = refusal(bookings.confirm, phone_number=PHONE, approval_code="00002681")

    assert error.kind is ErrorKind.NOT_FOUND
    assert error.reason == "PENDING_BOOKING_NOT_FOUND"


def test_malformed_approval_code_is_invalid(bookings):
    request(bookings)

    error = refusal(bookings.confirm, phone_number=PHONE, approval_code="2681")

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "INVALID_APPROVAL_CODE"
    assert error.field == "approval_code"


# R10: a few wrong approval codes, then the request is void.


def test_sixth_wrong_approval_code_voids_the_request(bookings):
    pending = request(bookings)
    bad = wrong(pending.approval_code)

    mismatches = [
        refusal(bookings.confirm, phone_number=PHONE, approval_code=bad)
        for _ in range(5)
    ]
    sixth = refusal(bookings.confirm, phone_number=PHONE, approval_code=bad)
    right = refusal(
        bookings.confirm, phone_number=PHONE, approval_code=pending.approval_code
    )

    assert [error.reason for error in mismatches] == ["APPROVAL_CODE_MISMATCH"] * 5
    assert [error.kind for error in mismatches] == [ErrorKind.INVALID_ARGUMENT] * 5
    assert [error.metadata["attempts_left"] for error in mismatches] == [
        "4",
        "3",
        "2",
        "1",
        "0",
    ]
    assert sixth.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert sixth.reason == "TOO_MANY_APPROVAL_ATTEMPTS"
    assert right.reason == "TOO_MANY_APPROVAL_ATTEMPTS"


def test_number_may_request_again_after_a_void_request(bookings):
    pending = request(bookings)
    for _ in range(5):
        refusal(
            bookings.confirm,
            phone_number=PHONE,
            approval_code=wrong(pending.approval_code),
        )

    again = request(bookings)
    booking = bookings.confirm(phone_number=PHONE, approval_code=again.approval_code)

    assert again.id != pending.id
    assert isinstance(booking, BookingRecord)
    assert booking.state is BookingState.CONFIRMED


# R4, R6: capacity and cancellation.


def test_cancellation_returns_the_place(bookings):
    booked = [book(bookings, phone_number=phone(n), office_id=SMALL) for n in range(50)]
    full = refusal(request, bookings, phone_number=OTHER_PHONE, office_id=SMALL)

    cancelled = bookings.cancel(phone_number=booked[0].phone_number)
    latecomer = book(bookings, phone_number=OTHER_PHONE, office_id=SMALL)

    assert full.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert full.reason == "SERVICE_DATE_FULL"
    assert full.metadata["next_available_dates"] == "2027-07-20,2027-07-21,2027-07-22"
    assert isinstance(cancelled, BookingRecord)
    assert cancelled.state is BookingState.CANCELLED
    assert latecomer.state is BookingState.CONFIRMED
    assert latecomer.slot_start_time == booked[0].slot_start_time == FIRST_SLOT
    assert remaining(bookings, SMALL, SERVICE_DATE) == 0


def test_slots_fill_earliest_first_with_the_quota_remainder(bookings):
    booked = [book(bookings, phone_number=phone(n), office_id=SMALL) for n in range(50)]

    per_slot = {}
    for booking in booked:
        per_slot[booking.slot_start_time] = per_slot.get(booking.slot_start_time, 0) + 1

    assert list(per_slot.values()) == [13, 13, 12, 12]
    assert list(per_slot) == sorted(per_slot)


def test_full_date_cannot_be_confirmed_by_a_request_made_before_it_filled(bookings):
    early = request(bookings, phone_number=OTHER_PHONE, office_id=SMALL)
    for n in range(50):
        book(bookings, phone_number=phone(n), office_id=SMALL)

    error = refusal(
        bookings.confirm, phone_number=OTHER_PHONE, approval_code=early.approval_code
    )

    assert error.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert error.reason == "SERVICE_DATE_FULL"


def test_cancelling_a_pending_request_frees_the_number(bookings):
    request(bookings)

    cancelled = bookings.cancel(phone_number="0812-3456-7890")
    again = request(bookings)

    assert isinstance(cancelled, BookingRecord)
    assert cancelled.state is BookingState.CANCELLED
    assert again.state is BookingState.PENDING


def test_cancel_without_a_booking_is_not_found(bookings):
    error = refusal(bookings.cancel, phone_number=PHONE)

    assert error.kind is ErrorKind.NOT_FOUND
    assert error.reason == "ACTIVE_BOOKING_NOT_FOUND"


# R8: check-in.


def test_check_in_gives_queue_numbers_per_office_and_day(bookings, clock):
    day_one = [book(bookings, phone_number=phone(n)) for n in range(3)]
    small = book(bookings, phone_number=phone(3), office_id=SMALL)
    day_two = book(bookings, phone_number=phone(4), service_date=date(2027, 7, 20))

    clock.set(SERVICE_MORNING)
    numbers = [check_in(bookings, booking).queue_number for booking in day_one]
    small_number = check_in(bookings, small, SMALL).queue_number
    clock.set(SERVICE_MORNING + timedelta(days=1))
    next_day_number = check_in(bookings, day_two).queue_number

    assert numbers == [1, 2, 3]
    assert small_number == 1
    assert next_day_number == 1


def test_check_in_returns_name_and_birth_date_for_the_id_card(bookings, clock):
    booking = book(bookings, birth_date=date(1996, 2, 29))
    clock.set(SERVICE_MORNING)

    checked_in = check_in(bookings, booking)

    assert isinstance(checked_in, BookingRecord)
    assert checked_in.state is BookingState.CHECKED_IN
    assert checked_in.applicant_name == "SITI AMINAH"
    assert checked_in.birth_date == date(1996, 2, 29)
    assert checked_in.check_in_time == SERVICE_MORNING


def test_check_in_accepts_the_code_as_read_aloud(bookings, clock):
    booking = book(bookings)
    clock.set(SERVICE_MORNING)
    code = booking.booking_code
    assert code is not None

    checked_in = bookings.check_in(
        office_id=JAKARTA, booking_code=f"{code[:4].lower()}-{code[4:].lower()}"
    )

    assert isinstance(checked_in, BookingRecord)
    assert checked_in.queue_number == 1


@pytest.mark.parametrize(
    "day", [timedelta(days=-1), timedelta(days=1)], ids=["day-before", "day-after"]
)
def test_check_in_on_the_wrong_day_is_refused(bookings, clock, day):
    booking = book(bookings)
    clock.set(SERVICE_MORNING + day)

    error = refusal(check_in, bookings, booking)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "NOT_SERVICE_DATE"
    assert error.metadata["service_date"] == "2027-07-19"


def test_check_in_after_the_slot_start_is_refused(bookings, clock):
    booking = book(bookings)
    clock.set(FIRST_SLOT)

    error = refusal(check_in, bookings, booking)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "CHECK_IN_CLOSED"
    assert error.metadata["slot_start_time"] == "2027-07-19T01:00:00Z"


def test_check_in_one_minute_before_the_slot_start_is_accepted(bookings, clock):
    booking = book(bookings)
    clock.set(FIRST_SLOT - timedelta(minutes=1))

    checked_in = check_in(bookings, booking)

    assert isinstance(checked_in, BookingRecord)
    assert checked_in.state is BookingState.CHECKED_IN


def test_check_in_at_another_office_is_refused(bookings, clock):
    booking = book(bookings)
    clock.set(SERVICE_MORNING)

    error = refusal(check_in, bookings, booking, SMALL)

    assert error.kind is ErrorKind.PERMISSION_DENIED
    assert error.reason == "BOOKING_OF_ANOTHER_OFFICE"


def test_second_check_in_is_refused_with_the_queue_number(bookings, clock):
    booking = book(bookings)
    clock.set(SERVICE_MORNING)
    check_in(bookings, booking)

    error = refusal(check_in, bookings, booking)

    assert error.reason == "ALREADY_CHECKED_IN"
    assert error.metadata["queue_number"] == "1"


def test_check_in_of_a_cancelled_booking_is_refused(bookings, clock):
    booking = book(bookings)
    bookings.cancel(phone_number=PHONE)
    clock.set(SERVICE_MORNING)

    error = refusal(check_in, bookings, booking)

    assert error.kind is ErrorKind.FAILED_PRECONDITION
    assert error.reason == "BOOKING_NOT_CONFIRMED"
    assert error.metadata["state"] == "cancelled"


def test_check_in_of_an_unknown_code_is_not_found(bookings):
    error = refusal(bookings.check_in, office_id=JAKARTA, booking_code="7KM2X9PQ")

    assert error.kind is ErrorKind.NOT_FOUND
    assert error.reason == "BOOKING_NOT_FOUND"


def test_check_in_in_jayapura_follows_the_office_local_date(bookings, clock):
    booking = book(bookings, office_id=JAYAPURA)
    # 22:30 UTC on 18 July is 07:30 WIT on 19 July, before the 08:00 WIT slot.
    clock.set(datetime(2027, 7, 18, 22, 30, tzinfo=UTC))

    checked_in = check_in(bookings, booking, JAYAPURA)

    assert booking.slot_start_time == datetime(2027, 7, 18, 23, 0, tzinfo=UTC)
    assert isinstance(checked_in, BookingRecord)
    assert checked_in.queue_number == 1


# R9: no-show.


def test_confirmed_booking_holds_the_number_until_its_slot_starts(bookings, clock):
    book(bookings)
    clock.set(FIRST_SLOT - timedelta(minutes=1))

    error = refusal(request, bookings, service_date=date(2027, 7, 20))

    assert error.reason == "ACTIVE_BOOKING_EXISTS"
    assert error.metadata["state"] == "confirmed"


def test_no_show_frees_the_number(bookings, clock):
    booking = book(bookings)
    clock.set(FIRST_SLOT)

    not_active = refusal(bookings.get_active, PHONE)
    again = request(bookings, service_date=date(2027, 7, 20))
    assert booking.booking_code is not None
    old = bookings.get_by_code(booking.booking_code)

    assert not_active.reason == "ACTIVE_BOOKING_NOT_FOUND"
    assert again.state is BookingState.PENDING
    assert old.state is BookingState.NO_SHOW


# I4: request ids.


def test_retried_request_key_returns_the_first_response(bookings):
    key = new_key()

    first = bookings.request(
        phone_number=PHONE,
        office_id=JAKARTA,
        applicant_name="Siti Aminah",
        birth_date=BIRTH_DATE,
        service_date=SERVICE_DATE,
        key=key,
        encode=encode,
    )
    second = bookings.request(
        phone_number=PHONE,
        office_id=JAKARTA,
        applicant_name="Siti Aminah",
        birth_date=BIRTH_DATE,
        service_date=SERVICE_DATE,
        key=key,
        encode=encode,
    )

    assert isinstance(first, BookingRecord)
    assert second == Replayed(str(first.id).encode())
    assert len(bookings.list(JAKARTA, SERVICE_DATE, None, None, 10)) == 1


def test_retried_confirm_key_takes_one_place(bookings):
    pending = request(bookings)
    key = new_key("ConfirmBooking")

    first = bookings.confirm(
        phone_number=PHONE, approval_code=pending.approval_code, key=key, encode=encode
    )
    second = bookings.confirm(
        phone_number=PHONE, approval_code=pending.approval_code, key=key, encode=encode
    )

    assert isinstance(first, BookingRecord)
    assert second == Replayed(str(first.id).encode())
    assert remaining(bookings, JAKARTA, SERVICE_DATE) == 399


def test_retried_cancel_key_replays_even_with_nothing_left_to_cancel(bookings):
    request(bookings)
    key = new_key("CancelBooking")

    first = bookings.cancel(phone_number=PHONE, key=key, encode=encode)
    second = bookings.cancel(phone_number=PHONE, key=key, encode=encode)

    assert isinstance(first, BookingRecord)
    assert second == Replayed(str(first.id).encode())


@pytest.mark.parametrize(
    "other",
    [
        RequestKey("", "RequestBooking", "b"),
        RequestKey("", "CancelBooking", "a"),
    ],
    ids=["other-fingerprint", "other-method"],
)
def test_same_key_with_a_different_request_is_refused(bookings, other):
    key = new_key()
    request(bookings, key=key, encode=encode)
    reused = RequestKey(key.request_id, other.method, other.fingerprint)

    error = refusal(
        request, bookings, phone_number=OTHER_PHONE, key=reused, encode=encode
    )

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "REQUEST_ID_REUSED"
    assert error.field == "request_id"
    assert len(bookings.list(JAKARTA, SERVICE_DATE, None, None, 10)) == 1


def test_refused_request_leaves_its_key_free_for_a_retry(bookings):
    key = new_key()
    request(bookings)

    refused = refusal(request, bookings, phone_number=PHONE, key=key, encode=encode)
    bookings.cancel(phone_number=PHONE)
    retried = request(bookings, key=key, encode=encode)

    assert refused.reason == "ACTIVE_BOOKING_EXISTS"
    assert isinstance(retried, BookingRecord)
    assert retried.state is BookingState.PENDING


def test_retried_request_key_replays_after_the_window_moved_on(bookings, clock):
    key = new_key()
    first = request(bookings, service_date=date(2027, 7, 13), key=key, encode=encode)
    clock.set(datetime(2027, 7, 12, 17, 0, 1, tzinfo=UTC))  # 00:00:01 WIB, 13 July

    second = bookings.request(
        phone_number=PHONE,
        office_id=JAKARTA,
        applicant_name="Siti Aminah",
        birth_date=BIRTH_DATE,
        service_date=date(2027, 7, 13),
        key=key,
        encode=encode,
    )

    assert second == Replayed(str(first.id).encode())


def test_retried_wrong_approval_code_counts_once(bookings):
    pending = request(bookings)
    key = new_key("ConfirmBooking")
    bad = wrong(pending.approval_code)

    first = refusal(
        bookings.confirm, phone_number=PHONE, approval_code=bad, key=key, encode=encode
    )
    retried = refusal(
        bookings.confirm, phone_number=PHONE, approval_code=bad, key=key, encode=encode
    )
    next_try = refusal(bookings.confirm, phone_number=PHONE, approval_code=bad)

    assert first.metadata["attempts_left"] == "4"
    assert retried.metadata["attempts_left"] == "4"
    assert next_try.metadata["attempts_left"] == "3"


# Retention (DESIGN §6).


def test_purge_erases_old_personal_data_and_forgets_old_request_ids(
    bookings, database, clock
):
    old_key = new_key()
    old = book(bookings, key=old_key, encode=encode)
    clock.set(datetime(2027, 8, 10, 3, 0, tzinfo=UTC))
    recent_key = new_key()
    recent = book(
        bookings,
        phone_number=OTHER_PHONE,
        service_date=date(2027, 8, 12),
        key=recent_key,
        encode=encode,
    )
    clock.set(datetime(2027, 8, 25, 3, 0, tzinfo=UTC))

    forgotten, erased = bookings.purge(
        request_id_retention=timedelta(days=20),
        personal_data_retention=timedelta(days=30),
    )

    assert (forgotten, erased) == (1, 1)
    assert old.booking_code is not None and recent.booking_code is not None
    erased_booking = bookings.get_by_code(old.booking_code)
    assert erased_booking.phone_number is None
    assert erased_booking.applicant_name is None
    assert erased_booking.birth_date is None
    assert erased_booking.approval_code is None
    assert erased_booking.state is BookingState.NO_SHOW
    kept = bookings.get_by_code(recent.booking_code)
    assert kept.applicant_name == "SITI AMINAH"
    assert kept.phone_number == OTHER_PHONE
    with database.read() as tx:
        assert tx.stored_response(old_key.request_id) is None
        assert tx.stored_response(recent_key.request_id) is not None


def test_no_request_id_outlives_the_personal_data_it_returned(
    bookings, database, clock
):
    booked = book(bookings)
    clock.set(SERVICE_MORNING)
    check_in_key = new_key("CheckIn")
    assert booked.booking_code is not None
    bookings.check_in(
        office_id=JAKARTA,
        booking_code=booked.booking_code,
        key=check_in_key,
        encode=encode,
    )
    clock.set(SERVICE_MORNING + timedelta(days=3))

    forgotten, erased = bookings.purge(
        request_id_retention=timedelta(days=30),
        personal_data_retention=timedelta(days=1),
    )

    assert (forgotten, erased) == (1, 1)
    with database.read() as tx:
        assert tx.stored_response(check_in_key.request_id) is None


def test_purge_keeps_everything_within_the_retention(bookings, clock):
    book(bookings)
    clock.set(SERVICE_MORNING)

    counts = bookings.purge(
        request_id_retention=timedelta(days=1),
        personal_data_retention=timedelta(days=30),
    )

    assert counts == (0, 0)


@pytest.mark.parametrize("confirmed", [False, True], ids=["unconfirmed", "no-show"])
def test_purge_erases_an_old_booking_the_number_never_came_back_to(
    bookings, clock, confirmed
):
    if confirmed:
        book(bookings)
    else:
        request(bookings)
    clock.set(datetime(2027, 10, 1, 3, 0, tzinfo=UTC))

    _, erased = bookings.purge(
        request_id_retention=timedelta(days=1),
        personal_data_retention=timedelta(days=30),
    )

    [old] = bookings.list(JAKARTA, SERVICE_DATE, None, None, 10)
    assert erased == 1
    assert old.applicant_name is None
    assert old.phone_number is None
    assert old.birth_date is None
