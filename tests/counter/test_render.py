"""Formatting of bookings, without the CLI."""

from __future__ import annotations

from datetime import date

from rich.console import Console

from antrean.counter import render

from .fakes import Booking, make_booking


def _text(renderable: object) -> str:
    console = Console(width=100, color_system=None)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def test_dates_read_day_month_year() -> None:
    assert render.format_date(date(2027, 7, 8)) == "08-07-2027"


def test_slot_hour_of_an_unconfirmed_booking_is_unset() -> None:
    booking = make_booking(state=Booking.STATE_PENDING, slot_start_time=None)

    assert render.format_hour(booking) == "-"


def test_unknown_time_zone_falls_back_to_utc_and_says_so() -> None:
    booking = make_booking(time_zone="Asia/Atlantis")

    assert render.format_hour(booking) == "01:30 UTC"


def test_missing_abbreviation_is_taken_from_the_time_zone() -> None:
    booking = make_booking(time_zone="Asia/Jayapura", time_zone_abbreviation="")

    assert render.format_hour(booking) == "10:30 WIT"


def test_counts_of_no_bookings_is_just_the_total() -> None:
    assert render.state_counts([]) == "0 bookings"


def test_counts_follow_the_life_of_a_booking() -> None:
    bookings = [
        make_booking(state=Booking.STATE_NO_SHOW),
        make_booking(state=Booking.STATE_CHECKED_IN),
        make_booking(state=Booking.STATE_NO_SHOW),
    ]

    assert render.state_counts(bookings) == "3 bookings: checked_in 1, no_show 2"


def test_one_booking_is_singular() -> None:
    assert render.state_counts([make_booking()]) == "1 booking: confirmed 1"


def test_table_shows_names_as_typed() -> None:
    table = render.bookings_table([make_booking(applicant_name="[red]ADI")], "t")

    assert "[red]ADI" in _text(table)


def test_check_in_card_without_queue_number_shows_a_dash() -> None:
    text = _text(render.check_in_card(make_booking()))

    assert "QUEUE NUMBER  -" in text
