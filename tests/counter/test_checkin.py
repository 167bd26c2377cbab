"""R8 at the counter: `antrean-counter checkin CODE`."""

from __future__ import annotations

from datetime import UTC, datetime

from .conftest import CounterDesk
from .fakes import Booking, make_booking, timestamp


def test_checkin_shows_what_the_officer_compares_and_the_queue_number(
    counter: CounterDesk,
) -> None:
    counter.client.booking = make_booking(
        state=Booking.STATE_CHECKED_IN, queue_number=42
    )

    result = counter("checkin", "K7PXM3QD")

    assert result.exit_code == 0
    assert "ADI NUGROHO" in result.stdout
    assert "20-11-1967" in result.stdout
    assert "18-07-2027" in result.stdout
    assert "08:30 WIB" in result.stdout
    assert "QUEUE NUMBER  42" in result.stdout
    assert result.stderr == ""


def test_checkin_sends_the_code_for_the_counters_office(counter: CounterDesk) -> None:
    result = counter("checkin", "k7pxm3qd")

    assert result.exit_code == 0
    assert counter.client.calls == [
        ("check_in", {"office_id": "jakarta-pusat", "booking_code": "k7pxm3qd"})
    ]
    assert counter.client.closed


def test_checkin_joins_a_code_typed_in_two_halves(counter: CounterDesk) -> None:
    counter("checkin", "K7PX", "M3QD")

    assert counter.client.calls[0][1]["booking_code"] == "K7PXM3QD"


def test_checkin_hour_is_in_the_bookings_own_time_zone(counter: CounterDesk) -> None:
    # The counter's --time-zone stays Asia/Jakarta; the booking decides the hour.
    counter.client.booking = make_booking(
        office_id="makassar",
        slot_start_time=timestamp(datetime(2027, 7, 18, 0, 30, tzinfo=UTC)),
        time_zone="Asia/Makassar",
        time_zone_abbreviation="WITA",
        queue_number=7,
    )

    result = counter("checkin", "K7PXM3QD")

    assert "08:30 WITA" in result.stdout


def test_checkin_name_is_shown_as_typed_not_as_markup(counter: CounterDesk) -> None:
    counter.client.booking = make_booking(applicant_name="[bold]TONO[/bold]")

    result = counter("checkin", "K7PXM3QD")

    assert "[bold]TONO[/bold]" in result.stdout


def test_checkin_without_a_code_is_a_usage_error(counter: CounterDesk) -> None:
    result = counter("checkin")

    assert result.exit_code == 2
    assert counter.client.calls == []
