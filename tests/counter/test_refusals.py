"""Refusals: one sentence on stderr chosen by reason, exit status 1."""

from __future__ import annotations

import grpc
import pytest

from antrean.client import AntreanError

from .conftest import CounterDesk
from .fakes import make_booking

StatusCode = grpc.StatusCode

# The server's message text, which the CLI must not depend on.
SERVER_TEXT = "server-side wording 7f3a"

CHECK_IN_REFUSALS = [
    pytest.param(
        StatusCode.INVALID_ARGUMENT,
        "INVALID_BOOKING_CODE",
        {},
        ["8 characters", "0, O, 1, I or L"],
        id="invalid-code",
    ),
    pytest.param(
        StatusCode.NOT_FOUND, "BOOKING_NOT_FOUND", {}, ["No booking"], id="not-found"
    ),
    pytest.param(
        StatusCode.NOT_FOUND,
        "OFFICE_NOT_FOUND",
        {},
        ["jakarta-pusat", "ANTREAN_OFFICE"],
        id="office-not-found",
    ),
    pytest.param(
        StatusCode.PERMISSION_DENIED,
        "BOOKING_OF_ANOTHER_OFFICE",
        {"office_id": "makassar"},
        ["'makassar'", "send the applicant to that office"],
        id="another-office-named",
    ),
    pytest.param(
        StatusCode.PERMISSION_DENIED,
        "BOOKING_OF_ANOTHER_OFFICE",
        {},
        ["another office", "send the applicant"],
        id="another-office-unnamed",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "NOT_SERVICE_DATE",
        {"service_date": "2027-07-21"},
        ["21-07-2027", "not today"],
        id="not-service-date",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "CHECK_IN_CLOSED",
        {"slot_start_time": "2027-07-18T01:30:00Z"},
        ["08:30 WIB", "void", "book again"],
        id="check-in-closed",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "BOOKING_NOT_CONFIRMED",
        {"state": "cancelled"},
        ["cancelled", "book again"],
        id="cancelled",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "BOOKING_NOT_CONFIRMED",
        {"state": "no_show"},
        ["no-show", "book again"],
        id="no-show",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "BOOKING_NOT_CONFIRMED",
        {"state": "pending"},
        ["pending", "book again"],
        id="pending",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "ALREADY_CHECKED_IN",
        {"queue_number": "17"},
        ["already checked in", "queue number 17"],
        id="already-checked-in",
    ),
    pytest.param(
        StatusCode.FAILED_PRECONDITION,
        "ALREADY_CHECKED_IN",
        {},
        ["already checked in", "antrean-counter show"],
        id="already-checked-in-without-number",
    ),
    pytest.param(
        StatusCode.UNAUTHENTICATED,
        "MISSING_CREDENTIALS",
        {},
        ["ANTREAN_TOKEN"],
        id="missing-credentials",
    ),
    pytest.param(
        StatusCode.UNAUTHENTICATED,
        "INVALID_CREDENTIALS",
        {},
        ["ANTREAN_TOKEN", "did not accept"],
        id="invalid-credentials",
    ),
    pytest.param(
        StatusCode.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED",
        {},
        ["ANTREAN_TOKEN", "not a counter token"],
        id="role-not-allowed",
    ),
    pytest.param(
        StatusCode.PERMISSION_DENIED,
        "OFFICE_NOT_ALLOWED",
        {},
        ["ANTREAN_TOKEN", "jakarta-pusat"],
        id="office-not-allowed",
    ),
    pytest.param(
        StatusCode.RESOURCE_EXHAUSTED,
        "TOO_MANY_FAILED_LOOKUPS",
        {"retry_after_seconds": "42"},
        ["wait 42 seconds", "type the code again"],
        id="too-many-failed-lookups",
    ),
    pytest.param(
        StatusCode.UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
        {},
        ["database", "try again"],
        id="database-unavailable",
    ),
]


@pytest.mark.parametrize(("code", "reason", "metadata", "expected"), CHECK_IN_REFUSALS)
def test_checkin_refusal_is_one_sentence_on_stderr_and_exit_1(
    counter: CounterDesk,
    code: grpc.StatusCode,
    reason: str,
    metadata: dict[str, str],
    expected: list[str],
) -> None:
    counter.client.error = AntreanError(code, reason, SERVER_TEXT, metadata)

    result = counter("checkin", "K7PXM3QD")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    for fragment in expected:
        assert fragment in result.stderr
    # Known reasons are worded by the CLI, never by the server's text.
    assert SERVER_TEXT not in result.stderr


@pytest.mark.parametrize("code", [StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED])
def test_unreachable_server_is_named_with_its_address(
    counter: CounterDesk, code: grpc.StatusCode
) -> None:
    counter.client.error = AntreanError(code, "UNKNOWN", "failed to connect")

    result = counter.run(
        "--server", "10.20.30.40:50051", "--office", "jakarta-pusat", "checkin", "K7"
    )

    assert result.exit_code == 1
    assert "cannot reach the antrean server at 10.20.30.40:50051" in result.stderr


def test_unknown_reason_shows_reason_and_server_text(counter: CounterDesk) -> None:
    counter.client.error = AntreanError(
        StatusCode.RESOURCE_EXHAUSTED, "SOMETHING_NEW", SERVER_TEXT, {}
    )

    result = counter("checkin", "K7PXM3QD")

    assert result.exit_code == 1
    assert f"the server refused: SOMETHING_NEW ({SERVER_TEXT})" in result.stderr


def test_check_in_closed_hour_follows_the_counters_time_zone(
    counter: CounterDesk,
) -> None:
    counter.client.error = AntreanError(
        StatusCode.FAILED_PRECONDITION,
        "CHECK_IN_CLOSED",
        SERVER_TEXT,
        {"slot_start_time": "2027-07-18T00:30:00Z"},
    )

    result = counter.run(
        "--office", "makassar", "--time-zone", "Asia/Makassar", "checkin", "K7PXM3QD"
    )

    assert result.exit_code == 1
    assert "08:30 WITA" in result.stderr


def test_check_in_closed_hour_follows_the_bookings_time_zone(
    counter: CounterDesk,
) -> None:
    counter.client.error = AntreanError(
        StatusCode.FAILED_PRECONDITION,
        "CHECK_IN_CLOSED",
        SERVER_TEXT,
        {"slot_start_time": "2027-07-18T00:30:00Z", "time_zone": "Asia/Makassar"},
    )

    # The counter's own --time-zone is left at its default, Asia/Jakarta.
    result = counter.run("--office", "makassar", "checkin", "K7PXM3QD")

    assert result.exit_code == 1
    assert "08:30 WITA" in result.stderr


def test_check_in_closed_with_an_unknown_zone_falls_back_to_the_option(
    counter: CounterDesk,
) -> None:
    counter.client.error = AntreanError(
        StatusCode.FAILED_PRECONDITION,
        "CHECK_IN_CLOSED",
        SERVER_TEXT,
        {"slot_start_time": "2027-07-18T00:30:00Z", "time_zone": "Asia/Bandung"},
    )

    result = counter.run(
        "--office", "jayapura", "--time-zone", "Asia/Jayapura", "checkin", "K7PXM3QD"
    )

    assert result.exit_code == 1
    assert "09:30 WIT" in result.stderr


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("INVALID_SERVICE_DATE", "DD-MM-YYYY"),
        ("INVALID_PAGE_TOKEN", "run the list command again"),
        ("OFFICE_NOT_FOUND", "ANTREAN_OFFICE"),
    ],
)
def test_list_refusal_is_one_sentence_on_stderr_and_exit_1(
    counter: CounterDesk, reason: str, expected: str
) -> None:
    counter.client.error = AntreanError(
        StatusCode.INVALID_ARGUMENT, reason, SERVER_TEXT, {}
    )
    counter.client.pages = [[]]

    result = counter("list")

    assert result.exit_code == 1
    assert expected in result.stderr


def test_list_refused_on_a_later_page_prints_no_partial_list(
    counter: CounterDesk,
) -> None:
    counter.client.pages = [[make_booking()], [make_booking(booking_code="R9TWV4KH")]]
    counter.client.fail_at_page = 1
    counter.client.error = AntreanError(
        StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", SERVER_TEXT, {}
    )

    result = counter("list")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert counter.client.closed


def test_show_refusal_is_one_sentence_on_stderr_and_exit_1(
    counter: CounterDesk,
) -> None:
    counter.client.error = AntreanError(
        StatusCode.PERMISSION_DENIED,
        "BOOKING_OF_ANOTHER_OFFICE",
        SERVER_TEXT,
        {"office_id": "jayapura"},
    )

    result = counter("show", "K7PXM3QD")

    assert result.exit_code == 1
    assert "'jayapura'" in result.stderr
