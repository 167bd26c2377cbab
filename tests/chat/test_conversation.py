"""The conversation: each message makes the right call and the reply carries
the facts the citizen needs, for every answer and every refusal reason."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime

import grpc
import pytest
from google.protobuf import timestamp_pb2

from antrean.chat import messages
from antrean.chat.conversation import Conversation, request_id_for
from antrean.client import AntreanError, date_to_proto
from antrean.v1 import booking_pb2, booking_service_pb2

PHONE = "+6281234567890"
RAW_PHONE = "0812-3456-7890"
OFFICE = "jakarta-pusat"
OFFICE_NAME = "Kantor Imigrasi Jakarta Pusat"
TODAY = date(2027, 7, 1)
REQUEST = "#Siti Aminah#20111967#18072027"
APPROVAL_CODE = "00002681"
BOOKING_CODE = "K7P3QX9M"


def timestamp(instant: datetime) -> timestamp_pb2.Timestamp:
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(instant)
    return value


def pending_booking(time_zone: str = "Asia/Jakarta", abbreviation: str = "WIB"):
    return booking_pb2.Booking(
        office_id=OFFICE,
        office_name=OFFICE_NAME,
        phone_number=PHONE,
        applicant_name="SITI AMINAH",
        birth_date=date_to_proto(date(1967, 11, 20)),
        service_date=date_to_proto(date(2027, 7, 18)),
        state=booking_pb2.Booking.STATE_PENDING,
        time_zone=time_zone,
        time_zone_abbreviation=abbreviation,
        create_time=timestamp(datetime(2027, 7, 1, 2, 0, tzinfo=UTC)),
        expire_time=timestamp(datetime(2027, 7, 1, 2, 15, tzinfo=UTC)),
    )


def confirmed_booking(time_zone: str = "Asia/Jakarta", abbreviation: str = "WIB"):
    booking = pending_booking(time_zone, abbreviation)
    booking.state = booking_pb2.Booking.STATE_CONFIRMED
    booking.booking_code = BOOKING_CODE
    # 01:00 UTC is 08:00 in Jakarta and 09:00 in Makassar.
    booking.slot_start_time.CopyFrom(timestamp(datetime(2027, 7, 18, 1, 0, tzinfo=UTC)))
    booking.confirm_time.CopyFrom(timestamp(datetime(2027, 7, 1, 2, 5, tzinfo=UTC)))
    return booking


def cancelled(booking: booking_pb2.Booking) -> booking_pb2.Booking:
    booking.state = booking_pb2.Booking.STATE_CANCELLED
    booking.cancel_time.CopyFrom(timestamp(datetime(2027, 7, 1, 3, 0, tzinfo=UTC)))
    return booking


class FakeClient:
    """Stands in for BookingClient: records calls, returns or raises as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.error: AntreanError | None = None
        self.booking = confirmed_booking()

    def _record(self, method: str, **arguments) -> None:
        self.calls.append((method, arguments))
        if self.error is not None:
            raise self.error

    def request_booking(self, **arguments):
        self._record("request_booking", **arguments)
        return booking_service_pb2.RequestBookingResponse(
            booking=pending_booking(), approval_code=APPROVAL_CODE
        )

    def confirm_booking(self, **arguments):
        self._record("confirm_booking", **arguments)
        return self.booking

    def cancel_booking(self, **arguments):
        self._record("cancel_booking", **arguments)
        return cancelled(self.booking)

    def get_booking(self, **arguments):
        self._record("get_booking", **arguments)
        return self.booking


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def chat(client: FakeClient) -> Conversation:
    return Conversation(client, OFFICE, today=lambda: TODAY)


@pytest.fixture
def english(client: FakeClient) -> Conversation:
    return Conversation(client, OFFICE, language="en", today=lambda: TODAY)


def refuse(client: FakeClient, code: grpc.StatusCode, reason: str, **metadata: str):
    client.error = AntreanError(code, reason, "refused", metadata)


ENGLISH_WEEKDAYS = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


# --- answers ---


def test_a_request_passes_the_raw_number_and_the_parsed_fields(client, chat):
    chat.reply(RAW_PHONE, REQUEST)

    assert client.calls == [
        (
            "request_booking",
            {
                "phone_number": RAW_PHONE,
                "office_id": OFFICE,
                "applicant_name": "Siti Aminah",
                "birth_date": date(1967, 11, 20),
                "service_date": date(2027, 7, 18),
                "request_id": None,
            },
        )
    ]


def test_the_summary_repeats_what_was_understood_and_gives_the_approval_code(chat):
    reply = chat.reply(RAW_PHONE, REQUEST)

    assert PHONE in reply
    assert "SITI AMINAH" in reply
    assert "20-11-1967" in reply
    assert "18-07-2027" in reply
    assert f"\n{APPROVAL_CODE}\n" in reply
    assert "15 menit" in reply


def test_replies_name_the_office_by_its_name(client, chat, english):
    summary = chat.reply(PHONE, REQUEST)
    confirmation = english.reply(PHONE, APPROVAL_CODE)
    check = chat.reply(PHONE, "#cek")

    for reply in (summary, confirmation, check):
        assert OFFICE_NAME in reply
        assert OFFICE not in reply


def test_replies_name_the_office_by_its_id_when_it_has_no_name(client, chat):
    client.booking.office_name = ""

    assert OFFICE in chat.reply(PHONE, APPROVAL_CODE)


def test_two_digit_birth_years_use_the_injected_today(client):
    chat = Conversation(client, OFFICE, today=lambda: date(2026, 12, 3))

    chat.reply(PHONE, "#Siti Aminah#201127#18072027")

    assert client.calls[0][1]["birth_date"] == date(1927, 11, 20)


def test_a_code_from_a_number_already_booked_shows_its_booking(client, chat):
    nothing_pending = AntreanError(
        grpc.StatusCode.NOT_FOUND, "PENDING_BOOKING_NOT_FOUND", "refused", {}
    )

    def confirm_booking(**arguments):
        client.calls.append(("confirm_booking", arguments))
        raise nothing_pending

    client.confirm_booking = confirm_booking

    reply = chat.reply(PHONE, "12345678")

    assert [method for method, _ in client.calls] == [
        "confirm_booking",
        "get_booking",
    ]
    assert BOOKING_CODE in reply
    assert reply == chat.reply(PHONE, "#cek")


def test_an_approval_code_confirms_with_its_digits_only(client, chat):
    chat.reply(PHONE, "0000 2681")

    assert client.calls == [
        (
            "confirm_booking",
            {"phone_number": PHONE, "approval_code": APPROVAL_CODE, "request_id": None},
        )
    ]


def test_the_confirmation_gives_code_date_hour_and_arrival(chat):
    reply = chat.reply(PHONE, APPROVAL_CODE)

    assert "SITI AMINAH" in reply
    assert BOOKING_CODE in reply
    assert "kode booking" in reply.lower()
    assert "18-07-2027" in reply
    assert "08:00 WIB" in reply
    assert "07:30 WIB" in reply


def test_the_service_hour_is_the_office_local_time(client, chat):
    client.booking = confirmed_booking("Asia/Makassar", "WITA")

    reply = chat.reply(PHONE, APPROVAL_CODE)

    assert "09:00 WITA" in reply
    assert "08:30 WITA" in reply


def test_batal_cancels_and_names_the_cancelled_booking(client, chat):
    reply = chat.reply(PHONE, "#batal")

    assert client.calls == [
        ("cancel_booking", {"phone_number": PHONE, "request_id": None})
    ]
    assert BOOKING_CODE in reply
    assert "18-07-2027" in reply


def test_batal_of_a_pending_request_names_its_date(client, chat):
    client.booking = pending_booking()

    reply = chat.reply(PHONE, "#BATAL")

    assert "18-07-2027" in reply
    assert "#NAMA#TGLLAHIR#TGLLAYANAN" in reply


def test_cek_shows_a_confirmed_booking(client, chat):
    reply = chat.reply(PHONE, "#cek")

    assert client.calls == [("get_booking", {"phone_number": PHONE})]
    assert BOOKING_CODE in reply
    assert "18-07-2027" in reply
    assert "08:00 WIB" in reply


def test_cek_of_a_pending_request_says_it_awaits_the_code_until_expiry(client, chat):
    client.booking = pending_booking()

    reply = chat.reply(PHONE, "#cek")

    assert "18-07-2027" in reply
    assert "09:15 WIB" in reply  # expire_time 02:15 UTC
    assert APPROVAL_CODE not in reply


def test_a_parse_error_is_answered_without_calling_the_server(client, chat):
    reply = chat.reply(PHONE, "#Siti Aminah#31041990#18072027")

    assert client.calls == []
    assert "31041990" in reply


def test_an_oversized_message_is_answered_without_calling_the_server(client, chat):
    text = "#" + "Siti Aminah " * 50 + "#20111967#18072027"

    reply = chat.reply(PHONE, text)

    assert client.calls == []
    assert str(len(text)) in reply  # the characters sent
    assert messages.EXAMPLE in reply


def test_a_name_over_100_letters_is_answered_without_calling_the_server(
    client, english
):
    reply = english.reply(PHONE, f"#{'A' * 101}#20111967#18072027")

    assert client.calls == []
    assert re.search(r"\b100\b", reply)  # the limit
    assert re.search(r"\b101\b", reply)  # the length sent


def test_a_name_with_digits_names_them_without_calling_the_server(client, chat):
    reply = chat.reply(PHONE, "#Siti Aminah 2#20111967#18072027")

    assert client.calls == []
    assert '"2"' in reply
    assert ". ' - ," in reply


def test_a_name_without_letters_is_answered_without_calling_the_server(client, chat):
    reply = chat.reply(PHONE, "#...#20111967#18072027")

    assert client.calls == []
    assert reply != messages.help_text("id")


def test_a_wrong_part_count_is_answered_with_the_example(client, chat):
    reply = chat.reply(PHONE, "#Siti Aminah#20111967")

    assert client.calls == []
    assert re.search(r"\b2\b", reply)  # the number of parts sent
    assert messages.EXAMPLE in reply


def test_a_seven_digit_code_is_answered_without_calling_the_server(client, chat):
    reply = chat.reply(PHONE, "0002681")

    assert client.calls == []
    assert re.search(r"\b7\b", reply)  # the number of digits sent


def test_anything_else_gets_the_help(client, chat):
    reply = chat.reply(PHONE, "halo, mau antre paspor")

    assert client.calls == []
    assert messages.EXAMPLE in reply
    assert "#batal" in reply
    assert "#cek" in reply


# --- refusals, worded by reason ---


def test_a_date_outside_the_window_names_the_window(client, chat):
    refuse(
        client,
        grpc.StatusCode.OUT_OF_RANGE,
        "SERVICE_DATE_OUTSIDE_WINDOW",
        first_date="2027-07-02",
        last_date="2027-07-31",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#18082027")

    assert "18-08-2027" in reply
    assert "02-07-2027" in reply
    assert "31-07-2027" in reply


def test_a_holiday_is_named_with_the_next_open_dates(client, chat):
    refuse(
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERVICE_DATE_CLOSED",
        closure="holiday",
        closure_name="Hari Kemerdekaan",
        next_open_dates="2027-08-18,2027-08-19",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#17082027")

    assert "17-08-2027" in reply
    assert "Hari Kemerdekaan" in reply
    assert "18-08-2027, 19-08-2027" in reply


@pytest.mark.parametrize(("language", "weekday"), [("id", "Sabtu"), ("en", "Saturday")])
def test_a_weekend_is_named_by_the_weekday_of_the_requested_date(
    client, language, weekday
):
    chat = Conversation(client, OFFICE, language=language, today=lambda: TODAY)
    refuse(
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERVICE_DATE_CLOSED",
        service_date="2027-07-17",
        closure="weekend",
        closure_name="Saturday",
        next_open_dates="2027-07-19",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#17072027")

    assert "17-07-2027" in reply
    assert weekday in reply
    assert "19-07-2027" in reply


def test_an_indonesian_weekend_reply_has_no_english_words(client, chat):
    refuse(
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERVICE_DATE_CLOSED",
        service_date="2027-07-18",
        closure="weekend",
        closure_name="Sunday",
        next_open_dates="2027-07-19",
    )

    reply = chat.reply(PHONE, REQUEST)

    assert "Minggu" in reply
    for english_word in (*ENGLISH_WEEKDAYS, "weekend", "closure"):
        assert english_word.lower() not in reply.lower()


def test_a_holiday_is_named_in_english_replies_too(client, english):
    refuse(
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERVICE_DATE_CLOSED",
        service_date="2027-08-17",
        closure="holiday",
        closure_name="Hari Kemerdekaan Republik Indonesia",
        next_open_dates="2027-08-18",
    )

    reply = english.reply(PHONE, "#Siti Aminah#20111967#17082027")

    assert "Hari Kemerdekaan Republik Indonesia" in reply
    assert "17-08-2027" in reply


def test_a_weekend_without_next_open_dates_still_says_what_to_do(client, chat):
    refuse(
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERVICE_DATE_CLOSED",
        closure="weekend",
        closure_name="",
        next_open_dates="",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#17072027")

    assert "17-07-2027" in reply
    assert reply != messages.service_busy("id")


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_an_office_closure_names_the_date_but_not_the_servers_words(client, language):
    chat = Conversation(client, OFFICE, language=language, today=lambda: TODAY)
    refuse(
        client,
        grpc.StatusCode.FAILED_PRECONDITION,
        "SERVICE_DATE_CLOSED",
        service_date="2027-07-19",
        closure="closure",
        closure_name="office closure",
        next_open_dates="2027-07-20",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#19072027")

    assert "office closure" not in reply
    assert "19-07-2027" in reply
    assert "20-07-2027" in reply


def test_a_full_date_names_the_next_available_dates(client, chat):
    refuse(
        client,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "SERVICE_DATE_FULL",
        service_date="2027-07-18",
        next_available_dates="2027-07-19,2027-07-20,2027-07-21",
    )

    reply = chat.reply(PHONE, REQUEST)

    assert "18-07-2027" in reply
    assert "19-07-2027, 20-07-2027, 21-07-2027" in reply


def test_a_full_date_at_confirmation_names_the_date_from_metadata(client, chat):
    refuse(
        client,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "SERVICE_DATE_FULL",
        service_date="2027-07-18",
        next_available_dates="",
    )

    reply = chat.reply(PHONE, APPROVAL_CODE)

    assert "18-07-2027" in reply
    assert reply != messages.service_busy("id")


def test_a_second_request_names_the_confirmed_booking_held(client, chat):
    refuse(
        client,
        grpc.StatusCode.ALREADY_EXISTS,
        "ACTIVE_BOOKING_EXISTS",
        office_id=OFFICE,
        service_date="2027-07-18",
        state="confirmed",
        booking_code=BOOKING_CODE,
        slot_start_time="2027-07-18T01:00:00Z",
        time_zone="Asia/Jayapura",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#19072027")

    assert BOOKING_CODE in reply
    assert OFFICE in reply  # the metadata carries only the office's id
    assert "18-07-2027" in reply
    assert "10:00 WIT" in reply
    assert "#batal" in reply


def test_a_second_request_names_the_pending_request_held(client, chat):
    refuse(
        client,
        grpc.StatusCode.ALREADY_EXISTS,
        "ACTIVE_BOOKING_EXISTS",
        office_id=OFFICE,
        service_date="2027-07-18",
        state="pending",
        booking_code="",
        slot_start_time="",
        time_zone="Asia/Jakarta",
    )

    reply = chat.reply(PHONE, "#Siti Aminah#20111967#19072027")

    assert "18-07-2027" in reply
    assert "#batal" in reply


def test_a_wrong_approval_code_says_how_many_tries_are_left(client, chat):
    refuse(
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        "APPROVAL_CODE_MISMATCH",
        attempts_left="3",
    )

    reply = chat.reply(PHONE, "12345678")

    assert re.search(r"\b3\b", reply)
    assert reply != messages.refusal("APPROVAL_CODE_MISMATCH", {}, "id")


@pytest.mark.parametrize(("language", "void"), [("id", "batal"), ("en", "void")])
def test_the_last_wrong_code_says_the_request_is_void(client, language, void):
    chat = Conversation(client, OFFICE, language=language, today=lambda: TODAY)
    refuse(
        client,
        grpc.StatusCode.INVALID_ARGUMENT,
        "APPROVAL_CODE_MISMATCH",
        attempts_left="0",
    )

    reply = chat.reply(PHONE, "12345678")

    assert void in reply
    assert not re.search(r"\b0\b", reply)  # no "tries left: 0"
    assert messages.EXAMPLE in reply  # how to send a new request
    assert reply != messages.refusal("APPROVAL_CODE_MISMATCH", {}, language)


def test_too_many_wrong_codes_says_the_request_is_void(client, chat):
    refuse(
        client,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TOO_MANY_APPROVAL_ATTEMPTS",
        max_attempts="5",
    )

    reply = chat.reply(PHONE, "12345678")

    assert re.search(r"\b5\b", reply)


@pytest.mark.parametrize(
    ("text", "code", "reason"),
    [
        (REQUEST, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PHONE_NUMBER"),
        (REQUEST, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_APPLICANT_NAME"),
        (REQUEST, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_BIRTH_DATE"),
        (REQUEST, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_SERVICE_DATE"),
        (APPROVAL_CODE, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_APPROVAL_CODE"),
        (REQUEST, grpc.StatusCode.NOT_FOUND, "OFFICE_NOT_FOUND"),
        (APPROVAL_CODE, grpc.StatusCode.NOT_FOUND, "PENDING_BOOKING_NOT_FOUND"),
        (
            APPROVAL_CODE,
            grpc.StatusCode.FAILED_PRECONDITION,
            "BOOKING_REQUEST_EXPIRED",
        ),
        ("#batal", grpc.StatusCode.NOT_FOUND, "ACTIVE_BOOKING_NOT_FOUND"),
        ("#cek", grpc.StatusCode.NOT_FOUND, "ACTIVE_BOOKING_NOT_FOUND"),
    ],
)
def test_every_reason_has_its_own_reply(client, chat, text, code, reason):
    refuse(client, code, reason)

    reply = chat.reply(PHONE, text)

    assert reply == messages.refusal(reason, {}, "id")
    assert reply != messages.service_busy("id")
    assert reply != messages.help_text("id")


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_a_refused_birth_date_names_the_servers_range(client, language):
    chat = Conversation(client, OFFICE, language=language, today=lambda: TODAY)
    refuse(client, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_BIRTH_DATE")

    reply = chat.reply(PHONE, "#ani#14-02-1890#18072027")

    assert client.calls[0][1]["birth_date"] == date(1890, 2, 14)
    assert "1900" in reply


@pytest.mark.parametrize("language", messages.LANGUAGES)
def test_a_refused_name_says_what_a_name_may_hold(client, language):
    chat = Conversation(client, OFFICE, language=language, today=lambda: TODAY)
    refuse(client, grpc.StatusCode.INVALID_ARGUMENT, "INVALID_APPLICANT_NAME")

    reply = chat.reply(PHONE, REQUEST)

    assert ". ' - ," in reply
    assert re.search(r"\b100\b", reply)


def test_a_booking_in_another_state_is_described_in_the_replys_language(client, chat):
    client.booking = cancelled(confirmed_booking())

    reply = chat.reply(PHONE, "#cek")

    assert BOOKING_CODE in reply
    assert "cancelled" not in reply.lower()


def test_the_refusal_replies_differ_from_one_another():
    reasons = [
        "INVALID_PHONE_NUMBER",
        "INVALID_APPLICANT_NAME",
        "INVALID_BIRTH_DATE",
        "INVALID_SERVICE_DATE",
        "INVALID_APPROVAL_CODE",
        "OFFICE_NOT_FOUND",
        "PENDING_BOOKING_NOT_FOUND",
        "BOOKING_REQUEST_EXPIRED",
        "ACTIVE_BOOKING_NOT_FOUND",
        "APPROVAL_CODE_MISMATCH",
        "TOO_MANY_APPROVAL_ATTEMPTS",
    ]
    for language in messages.LANGUAGES:
        replies = {messages.refusal(reason, {}, language) for reason in reasons}
        assert len(replies) == len(reasons)


def test_new_request_hints_name_the_example(client, chat):
    refuse(client, grpc.StatusCode.NOT_FOUND, "ACTIVE_BOOKING_NOT_FOUND")

    assert messages.EXAMPLE in chat.reply(PHONE, "#cek")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (grpc.StatusCode.UNAVAILABLE, "UNKNOWN"),
        (grpc.StatusCode.UNAVAILABLE, "DATABASE_UNAVAILABLE"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, "UNKNOWN"),
        (grpc.StatusCode.INVALID_ARGUMENT, "SOMETHING_NEW"),
        (grpc.StatusCode.UNAUTHENTICATED, "INVALID_CREDENTIALS"),
        (grpc.StatusCode.INVALID_ARGUMENT, "REQUEST_ID_REUSED"),
    ],
)
def test_unavailable_and_unknown_refusals_say_try_again_soon(
    client, chat, code, reason
):
    refuse(client, code, reason)

    assert chat.reply(PHONE, REQUEST) == messages.service_busy("id")


# --- language, idempotency, privacy ---


def test_english_is_selectable(client):
    english = Conversation(client, OFFICE, language="en", today=lambda: TODAY)
    indonesian = Conversation(client, OFFICE, today=lambda: TODAY)

    reply = english.reply(PHONE, APPROVAL_CODE)

    assert reply != indonesian.reply(PHONE, APPROVAL_CODE)
    assert "Service date" in reply
    assert BOOKING_CODE in reply
    assert "07:30 WIB" in reply
    assert english.reply(PHONE, "halo") == messages.help_text("en")


def test_an_unknown_language_is_refused_at_construction(client):
    with pytest.raises(ValueError, match="language"):
        Conversation(client, OFFICE, language="jv")


@pytest.mark.parametrize("text", [REQUEST, APPROVAL_CODE, "#batal"])
def test_a_redelivered_message_carries_the_same_request_id(client, chat, text):
    chat.reply(PHONE, text, message_id="wamid.HBgMNjI4MTIzNDU2Nzg5MBUCABIYIDNB")
    chat.reply(PHONE, text, message_id="wamid.HBgMNjI4MTIzNDU2Nzg5MBUCABIYIDNB")
    chat.reply(PHONE, text, message_id="wamid.HBgMNjI4MTIzNDU2Nzg5MBUCABIYIDNC")

    first, again, other = (arguments["request_id"] for _, arguments in client.calls)
    assert first == again == request_id_for("wamid.HBgMNjI4MTIzNDU2Nzg5MBUCABIYIDNB")
    assert other != first


def test_the_request_id_of_a_message_id_never_changes():
    # Redeliveries may reach a restarted or another gateway process.
    assert request_id_for("wamid.TEST1") == "d4c1c678-33fd-5eae-96e2-09cc44640f30"


def test_logs_carry_no_personal_data(client, chat, caplog):
    caplog.set_level(logging.DEBUG, logger="antrean.chat")

    chat.reply(PHONE, REQUEST, message_id="wamid.TEST1")
    chat.reply(PHONE, APPROVAL_CODE)
    refuse(client, grpc.StatusCode.NOT_FOUND, "OFFICE_NOT_FOUND")
    chat.reply(PHONE, REQUEST)

    assert caplog.records
    for forbidden in (PHONE, "Siti", "SITI", APPROVAL_CODE, BOOKING_CODE, "1967"):
        assert forbidden not in caplog.text
