"""`antrean-counter show CODE`: every readable field of one booking."""

from __future__ import annotations

from datetime import UTC, datetime

from .conftest import CounterDesk
from .fakes import Booking, make_booking, timestamp


def test_show_prints_every_field(counter: CounterDesk) -> None:
    counter.client.booking = make_booking(
        state=Booking.STATE_CHECKED_IN,
        queue_number=42,
        check_in_time=timestamp(datetime(2027, 7, 18, 0, 55, tzinfo=UTC)),
    )

    result = counter("show", "K7PXM3QD")

    assert result.exit_code == 0
    for text in [
        "K7PXM3QD",
        "jakarta-pusat",
        "+6281299990001",
        "ADI NUGROHO",
        "20-11-1967",
        "18-07-2027",
        "checked_in",
        "08:30 WIB",
        "Asia/Jakarta (WIB)",
        "42",
        "02-07-2027 10:04 WIB",  # requested
        "02-07-2027 10:06 WIB",  # confirmed
        "18-07-2027 07:55 WIB",  # checked in
    ]:
        assert text in result.stdout


def test_show_asks_for_the_booking_at_the_counters_office(
    counter: CounterDesk,
) -> None:
    counter("show", "K7PX", "M3QD")

    assert counter.client.calls == [
        ("get_booking", {"booking_code": "K7PXM3QD", "office_id": "jakarta-pusat"})
    ]


def test_show_marks_fields_a_pending_booking_lacks(counter: CounterDesk) -> None:
    counter.client.booking = make_booking(
        booking_code="", state=Booking.STATE_PENDING, slot_start_time=None
    )

    result = counter("show", "K7PXM3QD")

    slot_line = next(line for line in result.stdout.splitlines() if "Slot" in line)
    assert slot_line.split() == ["Slot", "hour", "-"]
    assert "approval" not in result.stdout.lower()
