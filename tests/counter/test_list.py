"""`antrean-counter list`: the day's bookings, every page, counts per state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from .conftest import CounterDesk
from .fakes import Booking, make_booking, timestamp


def _two_pages() -> list[list[Booking]]:
    return [
        [
            make_booking(booking_code="K7PXM3QD", applicant_name="ADI NUGROHO"),
            make_booking(
                booking_code="R9TWV4KH",
                applicant_name="SRI WAHYUNI",
                state=Booking.STATE_CHECKED_IN,
                queue_number=3,
            ),
        ],
        [make_booking(booking_code="HQ2ZN8YB", applicant_name="TONO PRASETYO")],
    ]


def test_list_shows_the_bookings_of_every_page(counter: CounterDesk) -> None:
    counter.client.pages = _two_pages()

    result = counter("list", "--date", "2027-07-18")

    assert result.exit_code == 0
    assert counter.client.pages_fetched == 2
    for code, name in [
        ("K7PXM3QD", "ADI NUGROHO"),
        ("R9TWV4KH", "SRI WAHYUNI"),
        ("HQ2ZN8YB", "TONO PRASETYO"),
    ]:
        assert code in result.stdout
        assert name in result.stdout
    assert "08:30 WIB" in result.stdout
    assert "20-11-1967" in result.stdout


def test_list_rows_go_by_slot_hour_then_confirmation(counter: CounterDesk) -> None:
    def at(hour: int, minute: int):
        return timestamp(datetime(2027, 7, 18, hour, minute, tzinfo=UTC))

    counter.client.pages = [
        [
            make_booking(booking_code="PENDING1", slot_start_time=None),
            make_booking(booking_code="LATESLOT", slot_start_time=at(2, 0)),
            make_booking(booking_code="EARLY2ND", confirm_time=at(0, 9)),
            make_booking(booking_code="EARLY1ST", confirm_time=at(0, 5)),
        ]
    ]

    result = counter("list", "--date", "2027-07-18")

    order = ["EARLY1ST", "EARLY2ND", "LATESLOT", "PENDING1"]
    positions = [result.stdout.index(code) for code in order]
    assert positions == sorted(positions)


def test_list_footer_counts_bookings_per_state(counter: CounterDesk) -> None:
    counter.client.pages = _two_pages()

    result = counter("list", "--date", "2027-07-18")

    assert "3 bookings: confirmed 2, checked_in 1" in result.stdout


def test_list_row_shows_the_queue_number_of_a_checked_in_booking(
    counter: CounterDesk,
) -> None:
    counter.client.pages = [
        [make_booking(state=Booking.STATE_CHECKED_IN, queue_number=118)]
    ]

    result = counter("list")

    row = next(line for line in result.stdout.splitlines() if "K7PXM3QD" in line)
    assert "checked_in" in row
    assert "118" in row


def test_list_of_an_empty_day_says_so(counter: CounterDesk) -> None:
    counter.client.pages = [[]]

    result = counter("list")

    assert result.exit_code == 0
    assert "0 bookings" in result.stdout


def test_list_passes_the_date_and_office(counter: CounterDesk) -> None:
    counter("list", "--date", "2027-07-21")

    assert counter.client.calls == [
        (
            "list_bookings",
            {
                "office_id": "jakarta-pusat",
                "service_date": date(2027, 7, 21),
                "state": Booking.STATE_UNSPECIFIED,
            },
        )
    ]


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("checked_in", Booking.STATE_CHECKED_IN),
        ("NO_SHOW", Booking.STATE_NO_SHOW),
        ("Pending", Booking.STATE_PENDING),
    ],
)
def test_list_state_filter_is_passed_to_the_server(
    counter: CounterDesk, typed: str, state: int
) -> None:
    result = counter("list", "--state", typed)

    assert result.exit_code == 0
    assert counter.client.calls[0][1]["state"] == state


def test_list_of_an_unknown_state_is_a_usage_error(counter: CounterDesk) -> None:
    result = counter("list", "--state", "arrived")

    assert result.exit_code == 2
    assert counter.client.calls == []


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("18-07-2027", date(2027, 7, 18)),
        ("2027-07-18", date(2027, 7, 18)),
        ("8-7-2027 ", date(2027, 7, 8)),
    ],
)
def test_list_date_is_read_as_displayed_or_as_iso(
    counter: CounterDesk, typed: str, day: date
) -> None:
    result = counter("list", "--date", typed)

    assert result.exit_code == 0
    assert counter.client.calls[0][1]["service_date"] == day


@pytest.mark.parametrize("typed", ["18/07", "tomorrow", "2027-7", "18072027"])
def test_list_of_a_malformed_date_is_a_usage_error(
    counter: CounterDesk, typed: str
) -> None:
    result = counter("list", "--date", typed)

    assert result.exit_code == 2
    assert "DD-MM-YYYY" in result.stderr
    assert counter.client.calls == []


@pytest.mark.parametrize("typed", ["30-02-2027", "2027-02-30", "01-13-2027"])
def test_list_of_an_impossible_date_says_it_is_not_real(
    counter: CounterDesk, typed: str
) -> None:
    result = counter("list", "--date", typed)

    assert result.exit_code == 2
    assert "not a real date" in result.stderr
    assert counter.client.calls == []


def test_list_defaults_to_today_in_the_offices_time_zone(
    counter: CounterDesk, set_now: Callable[[datetime], None]
) -> None:
    # 23:00 UTC on the 17th is already 06:00 on the 18th in Jakarta.
    set_now(datetime(2027, 7, 17, 23, 0, tzinfo=UTC))

    counter("list")

    assert counter.client.calls[0][1]["service_date"] == date(2027, 7, 18)


def test_list_today_follows_the_time_zone_option(
    counter: CounterDesk, set_now: Callable[[datetime], None]
) -> None:
    set_now(datetime(2027, 7, 17, 23, 0, tzinfo=UTC))

    counter.run("--office", "jakarta-pusat", "--time-zone", "UTC", "list")

    assert counter.client.calls[0][1]["service_date"] == date(2027, 7, 17)


def test_list_today_follows_the_time_zone_environment_variable(
    counter: CounterDesk, set_now: Callable[[datetime], None]
) -> None:
    # 15:30 UTC is 00:30 next day in Jayapura but 22:30 the same day in Jakarta.
    set_now(datetime(2027, 7, 17, 15, 30, tzinfo=UTC))

    counter("list", env={"ANTREAN_TIME_ZONE": "Asia/Jayapura"})

    assert counter.client.calls[0][1]["service_date"] == date(2027, 7, 18)


def test_unknown_time_zone_is_a_usage_error(counter: CounterDesk) -> None:
    result = counter.run(
        "--office", "jakarta-pusat", "--time-zone", "Asia/Bandung", "list"
    )

    assert result.exit_code == 2
    assert "Asia/Bandung" in result.stderr
    assert counter.opened == []
