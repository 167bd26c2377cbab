"""Each RPC through a real server: its success and its refusals."""

from __future__ import annotations

from datetime import date, timedelta

import grpc
import pytest

from antrean.client import AntreanError, BookingClient, date_from_proto
from antrean.v1 import booking_pb2
from tests.conftest import SERVICE_DATE

PHONE = "+6281234567890"
State = booking_pb2.Booking


def request(client: BookingClient, **overrides):
    fields = {
        "phone_number": PHONE,
        "office_id": "jakarta-pusat",
        "applicant_name": "Siti Aminah",
        "birth_date": date(1990, 2, 14),
        "service_date": SERVICE_DATE,
    }
    fields.update(overrides)
    return client.request_booking(**fields)


def refusal(call, *args, **kwargs) -> AntreanError:
    with pytest.raises(AntreanError) as caught:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    return caught.value


def test_request_returns_pending_booking_with_approval_code(client):
    response = request(client, phone_number="0812-3456-7890")

    assert response.booking.state == State.STATE_PENDING
    assert response.booking.phone_number == PHONE
    assert response.booking.applicant_name == "SITI AMINAH"
    assert len(response.approval_code) == 8 and response.approval_code.isdigit()
    assert response.booking.booking_code == ""


def test_confirm_takes_earliest_slot_and_gives_booking_code(client):
    approval = request(client).approval_code

    booking = client.confirm_booking(phone_number=PHONE, approval_code=approval)

    assert booking.state == State.STATE_CONFIRMED
    assert len(booking.booking_code) == 8
    assert booking.time_zone_abbreviation == "WIB"
    assert booking.slot_start_time.ToDatetime().hour == 1  # 08:00 WIB in UTC


def test_read_never_shows_the_approval_code(client):
    request(client)

    booking = client.get_booking(phone_number=PHONE)

    assert booking.state == State.STATE_PENDING
    assert "approval" not in str(booking).lower()


@pytest.mark.parametrize(
    ("overrides", "code", "reason"),
    [
        ({"phone_number": "12345"}, "INVALID_ARGUMENT", "INVALID_PHONE_NUMBER"),
        ({"applicant_name": "  "}, "INVALID_ARGUMENT", "INVALID_APPLICANT_NAME"),
        (
            {"birth_date": date(2030, 1, 1)},
            "INVALID_ARGUMENT",
            "INVALID_BIRTH_DATE",
        ),
        ({"office_id": "nowhere"}, "NOT_FOUND", "OFFICE_NOT_FOUND"),
        (
            {"service_date": SERVICE_DATE + timedelta(days=60)},
            "OUT_OF_RANGE",
            "SERVICE_DATE_OUTSIDE_WINDOW",
        ),
        (
            {"service_date": date(2027, 7, 17)},
            "FAILED_PRECONDITION",
            "SERVICE_DATE_CLOSED",
        ),
    ],
)
def test_request_refusals(client, overrides, code, reason):
    error = refusal(request, client, **overrides)

    assert (error.code.name, error.reason) == (code, reason)


def test_national_holiday_is_closed_and_next_open_dates_are_named(client, clock):
    clock.set(clock.now().replace(month=8, day=10))

    error = refusal(request, client, service_date=date(2027, 8, 17))

    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert (error.reason, error.metadata["closure"]) == (
        "SERVICE_DATE_CLOSED",
        "holiday",
    )
    assert error.metadata["next_open_dates"].startswith("2027-08-18")


def test_request_for_31_april_is_invalid(client):
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    from antrean.v1 import booking_service_pb2, booking_service_pb2_grpc

    stub = booking_service_pb2_grpc.BookingServiceStub(client._channel)
    message = booking_service_pb2.RequestBookingRequest(
        phone_number=PHONE, office_id="jakarta-pusat", applicant_name="Budi"
    )
    message.birth_date.year, message.birth_date.month = 1990, 4
    message.birth_date.day = 31
    message.service_date.CopyFrom(booking_pb2.Booking().service_date)
    with pytest.raises(grpc.RpcError) as caught:
        stub.RequestBooking(message, timeout=5)

    status = rpc_status.from_call(caught.value)
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    bad_request = error_details_pb2.BadRequest()
    assert status.details[1].Unpack(bad_request)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (info.reason, info.domain) == ("INVALID_BIRTH_DATE", "antrean")
    assert bad_request.field_violations[0].field == "birth_date"


def test_second_request_from_same_number_in_another_spelling_is_refused(client):
    request(client)

    error = refusal(request, client, phone_number="62 812 3456 7890")

    assert error.code == grpc.StatusCode.ALREADY_EXISTS
    assert error.reason == "ACTIVE_BOOKING_EXISTS"
    assert error.metadata["service_date"] == SERVICE_DATE.isoformat()
    assert error.metadata["state"] == "pending"


def test_wrong_approval_code_counts_down_then_voids(client):
    approval = request(client).approval_code
    wrong = f"{(int(approval) + 1) % 10**8:08d}"

    lefts = []
    for _ in range(5):
        error = refusal(client.confirm_booking, phone_number=PHONE, approval_code=wrong)
        assert error.reason == "APPROVAL_CODE_MISMATCH"
        lefts.append(error.metadata["attempts_left"])
    sixth = refusal(client.confirm_booking, phone_number=PHONE, approval_code=approval)

    assert lefts == ["4", "3", "2", "1", "0"]
    assert sixth.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert sixth.reason == "TOO_MANY_APPROVAL_ATTEMPTS"
    request(client)  # the void request no longer blocks the number


def test_expired_request_cannot_be_confirmed(client, clock):
    approval = request(client).approval_code
    clock.advance(timedelta(minutes=16))

    error = refusal(client.confirm_booking, phone_number=PHONE, approval_code=approval)

    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "BOOKING_REQUEST_EXPIRED"
    request(client)


def test_confirm_without_request_is_not_found(client):
    error = refusal(
        client.confirm_booking, phone_number=PHONE, approval_code="12345678"
    )

    assert (error.code, error.reason) == (
        grpc.StatusCode.NOT_FOUND,
        "PENDING_BOOKING_NOT_FOUND",
    )


def test_malformed_approval_code_is_invalid(client):
    error = refusal(client.confirm_booking, phone_number=PHONE, approval_code="12ab")

    assert error.reason == "INVALID_APPROVAL_CODE"


def test_cancel_returns_the_place(client):
    for n in range(50):
        approval = request(
            client, phone_number=f"+62812000{n:05d}", office_id="kecil"
        ).approval_code
        client.confirm_booking(phone_number=f"+62812000{n:05d}", approval_code=approval)
    full = refusal(request, client, office_id="kecil")
    assert full.reason == "SERVICE_DATE_FULL"

    client.cancel_booking(phone_number="+6281200000007")
    approval = request(client, office_id="kecil").approval_code
    booking = client.confirm_booking(phone_number=PHONE, approval_code=approval)

    assert booking.state == State.STATE_CONFIRMED


def test_full_date_names_next_dates_with_room(client):
    for n in range(50):
        phone = f"+62812000{n:05d}"
        approval = request(client, phone_number=phone, office_id="kecil").approval_code
        client.confirm_booking(phone_number=phone, approval_code=approval)

    error = refusal(request, client, office_id="kecil")

    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.metadata["next_available_dates"].split(",") == [
        "2027-07-20",
        "2027-07-21",
        "2027-07-22",
    ]


def test_cancel_without_booking_is_not_found(client):
    error = refusal(client.cancel_booking, phone_number=PHONE)

    assert error.reason == "ACTIVE_BOOKING_NOT_FOUND"


def confirmed(client, **overrides) -> booking_pb2.Booking:
    phone = overrides.get("phone_number", PHONE)
    approval = request(client, **overrides).approval_code
    return client.confirm_booking(phone_number=phone, approval_code=approval)


def test_check_in_on_service_day_gives_queue_numbers(client, clock):
    first = confirmed(client)
    second = confirmed(client, phone_number="+6281298765432")
    clock.set(clock.now().replace(day=19, hour=0))  # 07:00 WIB on the day

    one = client.check_in(office_id="jakarta-pusat", booking_code=first.booking_code)
    two = client.check_in(
        office_id="jakarta-pusat", booking_code=second.booking_code.lower()
    )

    assert (one.queue_number, two.queue_number) == (1, 2)
    assert one.applicant_name == "SITI AMINAH"
    assert date_from_proto(one.birth_date) == date(1990, 2, 14)
    assert one.state == State.STATE_CHECKED_IN


@pytest.mark.parametrize(
    ("when", "office", "code", "reason"),
    [
        ((18, 3), "jakarta-pusat", "FAILED_PRECONDITION", "NOT_SERVICE_DATE"),
        ((19, 1), "jakarta-pusat", "FAILED_PRECONDITION", "CHECK_IN_CLOSED"),
        ((19, 0), "makassar", "PERMISSION_DENIED", "BOOKING_OF_ANOTHER_OFFICE"),
    ],
)
def test_check_in_refusals(client, clock, when, office, code, reason):
    booking = confirmed(client)
    clock.set(clock.now().replace(day=when[0], hour=when[1]))

    error = refusal(
        client.check_in, office_id=office, booking_code=booking.booking_code
    )

    assert (error.code.name, error.reason) == (code, reason)


def test_check_in_twice_is_refused_with_the_queue_number(client, clock):
    booking = confirmed(client)
    clock.set(clock.now().replace(day=19, hour=0))
    client.check_in(office_id="jakarta-pusat", booking_code=booking.booking_code)

    error = refusal(
        client.check_in, office_id="jakarta-pusat", booking_code=booking.booking_code
    )

    assert (error.reason, error.metadata["queue_number"]) == ("ALREADY_CHECKED_IN", "1")


def test_unknown_and_malformed_booking_codes(client):
    unknown = refusal(
        client.check_in, office_id="jakarta-pusat", booking_code="ABCDEFGH"
    )
    malformed = refusal(client.get_booking, booking_code="O0I1L")

    assert (unknown.code, unknown.reason) == (
        grpc.StatusCode.NOT_FOUND,
        "BOOKING_NOT_FOUND",
    )
    assert malformed.reason == "INVALID_BOOKING_CODE"


def test_no_show_frees_the_number(client, clock):
    confirmed(client)
    clock.set(clock.now().replace(day=19, hour=2))  # after the 08:00 slot

    again = request(client, service_date=date(2027, 7, 26))

    assert again.booking.state == State.STATE_PENDING


def test_list_bookings_pages_and_filters(client):
    for n in range(7):
        confirmed(client, phone_number=f"+62812000{n:05d}")
    request(client)

    everything = list(
        client.list_bookings(
            office_id="jakarta-pusat", service_date=SERVICE_DATE, page_size=3
        )
    )
    pending = list(
        client.list_bookings(
            office_id="jakarta-pusat",
            service_date=SERVICE_DATE,
            state=State.STATE_PENDING,
        )
    )

    assert len(everything) == 8
    assert len({b.booking_code for b in everything if b.booking_code}) == 7
    assert [b.phone_number for b in pending] == [PHONE]


def test_list_with_foreign_page_token_is_refused(client):
    from antrean.v1 import booking_service_pb2, booking_service_pb2_grpc

    stub = booking_service_pb2_grpc.BookingServiceStub(client._channel)
    message = booking_service_pb2.ListBookingsRequest(
        office_id="jakarta-pusat", page_token="bm90LWEtdG9rZW4="
    )
    message.service_date.year, message.service_date.month = 2027, 7
    message.service_date.day = 19
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListBookings(message, timeout=5)

    error = AntreanError.from_rpc_error(caught.value)
    assert (error.code, error.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
    )


def list_page(client, page_token="", **fields):
    from antrean.v1 import booking_service_pb2, booking_service_pb2_grpc

    stub = booking_service_pb2_grpc.BookingServiceStub(client._channel)
    message = booking_service_pb2.ListBookingsRequest(
        office_id="jakarta-pusat", page_token=page_token, **fields
    )
    message.service_date.year, message.service_date.month = 2027, 7
    message.service_date.day = 19
    try:
        return stub.ListBookings(message, timeout=5)
    except grpc.RpcError as error:
        raise AntreanError.from_rpc_error(error) from None


@pytest.mark.parametrize(
    "payload",
    [
        {"after": 2**63},
        {"after": -1},
        {"after": "1"},
        {"after": 1.5},
        {"before": 1},
        [1, 2, 3],
        "[" * 100_000,
    ],
    ids=[
        "huge-id",
        "negative-id",
        "id-as-text",
        "id-as-float",
        "no-id",
        "not-an-object",
        "deeply-nested",
    ],
)
def test_list_with_a_made_up_page_token_is_refused(client, payload):
    import base64
    import json

    first = list_page(client, page_size=1)
    query = json.loads(base64.urlsafe_b64decode(first.next_page_token or "e30="))
    if isinstance(payload, dict):
        payload = {**payload, "query": query.get("query", "")}
    text = payload if isinstance(payload, str) else json.dumps(payload)
    token = base64.urlsafe_b64encode(text.encode()).decode()

    error = refusal(list_page, client, page_token=token)

    assert (error.code, error.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
    )


def test_list_pages_skip_nothing_while_bookings_are_checked_in(client, clock):
    booked = [confirmed(client, phone_number=f"+62812000{n:05d}") for n in range(6)]
    clock.set(clock.now().replace(day=19, hour=0))  # 07:00 WIB on the day
    seen = []
    page = list_page(client, page_size=2, state=State.STATE_CONFIRMED)
    seen += [b.booking_code for b in page.bookings]
    for code in seen:
        client.check_in(office_id="jakarta-pusat", booking_code=code)
    while page.next_page_token:
        page = list_page(
            client,
            page_token=page.next_page_token,
            page_size=2,
            state=State.STATE_CONFIRMED,
        )
        seen += [b.booking_code for b in page.bookings]

    assert sorted(seen) == sorted(b.booking_code for b in booked)


def test_list_pages_skip_nothing_while_requests_are_confirmed(client):
    for n in range(4):
        confirmed(client, phone_number=f"+62812000{n:05d}")
    late = request(client, phone_number="+6281200000099")
    first = list_page(client, page_size=4)
    client.confirm_booking(
        phone_number="+6281200000099", approval_code=late.approval_code
    )
    rest = list_page(client, page_token=first.next_page_token, page_size=4)

    listed = [b.phone_number for b in [*first.bookings, *rest.bookings]]
    assert len(listed) == len(set(listed)) == 5
    assert rest.bookings[-1].state == State.STATE_CONFIRMED


def test_reads_show_an_expired_request_and_a_no_show_as_such(client, clock):
    request(client, phone_number="+6281200000001")
    late = confirmed(client, phone_number="+6281200000002")
    clock.set(clock.now().replace(day=19, hour=2))  # 09:00 WIB: slots begun

    shown = client.get_booking(booking_code=late.booking_code)
    expired = list(
        client.list_bookings(
            office_id="jakarta-pusat",
            service_date=SERVICE_DATE,
            state=State.STATE_EXPIRED,
        )
    )
    everything = list(
        client.list_bookings(office_id="jakarta-pusat", service_date=SERVICE_DATE)
    )

    assert shown.state == State.STATE_NO_SHOW
    assert [b.phone_number for b in expired] == ["+6281200000001"]
    assert sorted(b.state for b in everything) == [
        State.STATE_EXPIRED,
        State.STATE_NO_SHOW,
    ]


def test_availability_lists_open_dates_with_places_left(client):
    confirmed(client, office_id="kecil")

    dates = client.get_availability(office_id="kecil")

    first = dates[0]
    assert date_from_proto(first.service_date) == date(2027, 7, 13)
    by_date = {date_from_proto(d.service_date): d for d in dates}
    assert (by_date[SERVICE_DATE].capacity, by_date[SERVICE_DATE].remaining) == (50, 49)
    assert date(2027, 7, 17) not in by_date  # a Saturday


def test_date_filled_before_confirmation_ends_the_request(client):
    late = request(client, office_id="kecil").approval_code
    for n in range(50):
        confirmed(client, phone_number=f"+62812000{n:05d}", office_id="kecil")

    error = refusal(client.confirm_booking, phone_number=PHONE, approval_code=late)
    again = request(client, office_id="kecil", service_date=date(2027, 7, 20))

    assert (error.code, error.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "SERVICE_DATE_FULL",
    )
    assert again.booking.state == State.STATE_PENDING


def test_cancelled_booking_cannot_be_checked_in(client, clock):
    booking = confirmed(client)
    client.cancel_booking(phone_number=PHONE)
    clock.set(clock.now().replace(day=19, hour=0))

    error = refusal(
        client.check_in, office_id="jakarta-pusat", booking_code=booking.booking_code
    )

    assert (error.code, error.reason) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "BOOKING_NOT_CONFIRMED",
    )
    assert error.metadata["state"] == "cancelled"


def list_request(**fields):
    from antrean.v1 import booking_service_pb2

    message = booking_service_pb2.ListBookingsRequest(
        office_id="jakarta-pusat", **fields
    )
    if "service_date" not in fields:
        message.service_date.year, message.service_date.month = 2027, 7
        message.service_date.day = 19
    return message


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (list_request(page_size=-1), "INVALID_PAGE_SIZE"),
        (list_request(state=99), "INVALID_STATE"),
        (
            list_request(service_date={"year": 2027, "month": 2, "day": 30}),
            "INVALID_SERVICE_DATE",
        ),
    ],
)
def test_list_refusals(client, message, reason):
    from antrean.v1 import booking_service_pb2_grpc

    stub = booking_service_pb2_grpc.BookingServiceStub(client._channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListBookings(message, timeout=5)

    error = AntreanError.from_rpc_error(caught.value)
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason)


def test_get_booking_without_lookup_is_invalid(client):
    from antrean.v1 import booking_service_pb2, booking_service_pb2_grpc

    stub = booking_service_pb2_grpc.BookingServiceStub(client._channel)
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetBooking(booking_service_pb2.GetBookingRequest(), timeout=5)

    error = AntreanError.from_rpc_error(caught.value)
    assert (error.code, error.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_LOOKUP",
    )


def test_get_booking_by_code_and_by_number(client):
    booking = confirmed(client)

    by_code = client.get_booking(booking_code=booking.booking_code.lower())
    by_number = client.get_booking(phone_number="0812 3456 7890")

    assert by_code == by_number
    assert by_code.office_name == "Kantor Imigrasi Jakarta Pusat"


def test_phone_number_with_letters_is_refused(client):
    error = refusal(request, client, phone_number="08123456789A")

    assert error.reason == "INVALID_PHONE_NUMBER"
