"""R6, R7: an office's slots, booking window and open days, with no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from antrean.server.domain.offices import Office, default_office
from tests.conftest import NOW, small_office

MONDAY = date(2027, 7, 19)
FRIDAY = date(2027, 7, 23)
SATURDAY = date(2027, 7, 24)
SUNDAY = date(2027, 7, 25)
INDEPENDENCE_DAY = date(2027, 8, 17)  # a Tuesday


def office_in(time_zone: str, **changes) -> Office:
    """The default office's hours, in another time zone."""
    return Office(
        id=time_zone.lower(),
        name=f"Kantor Uji {time_zone}",
        time_zone=time_zone,
        hours=default_office().hours,
        **changes,
    )


def local_starts(office: Office, day: date) -> list[time]:
    return [slot.start.astimezone(office.zone).time() for slot in office.slots_on(day)]


# R6: the slot layout.


def test_full_weekday_has_sixteen_slots_of_twenty_five_places():
    office = default_office()

    assert [slot.capacity for slot in office.slots_on(MONDAY)] == [25] * 16
    assert office.capacity_on(MONDAY) == 400


def test_first_slot_starts_at_eight_wib_which_is_one_utc():
    layout = default_office().slot_layout(MONDAY)

    assert layout[0] == (datetime(2027, 7, 19, 1, 0, tzinfo=UTC), 25)
    assert layout[-1][0] == datetime(2027, 7, 19, 8, 30, tzinfo=UTC)  # 15:30 WIB
    assert all(start.tzinfo is UTC for start, _ in layout)


def test_slots_follow_each_other_every_half_hour():
    starts = [start for start, _ in default_office().slot_layout(MONDAY)]

    gaps = {later - earlier for earlier, later in pairwise(starts)}

    assert gaps == {timedelta(minutes=30)}


def test_friday_has_twelve_slots_around_the_midday_break():
    office = default_office()

    assert local_starts(office, FRIDAY) == [
        *(time(hour, minute) for hour in range(8, 11) for minute in (0, 30)),
        time(11, 0),
        time(13, 30),
        *(time(hour, minute) for hour in range(14, 16) for minute in (0, 30)),
    ]
    assert [slot.capacity for slot in office.slots_on(FRIDAY)] == [25] * 12
    assert office.capacity_on(FRIDAY) == 300


def test_no_friday_slot_starts_during_the_midday_break():
    starts = local_starts(default_office(), FRIDAY)

    assert not [start for start in starts if time(11, 30) <= start < time(13, 30)]


@pytest.mark.parametrize(
    ("quota", "capacities"),
    [
        (50, [13, 13, 12, 12]),
        (51, [13, 13, 13, 12]),
        (52, [13, 13, 13, 13]),
        (49, [13, 12, 12, 12]),
    ],
)
def test_quota_remainder_goes_to_the_earliest_slots(quota, capacities):
    office = small_office(quota=quota)

    assert [slot.capacity for slot in office.slots_on(MONDAY)] == capacities
    assert office.capacity_on(MONDAY) == quota


def test_slot_start_is_office_local_time_in_jayapura():
    layout = office_in("Asia/Jayapura").slot_layout(MONDAY)

    # 08:00 WIT is 23:00 UTC of the day before.
    assert layout[0][0] == datetime(2027, 7, 18, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("time_zone", "abbreviation"),
    [("Asia/Jakarta", "WIB"), ("Asia/Makassar", "WITA"), ("Asia/Jayapura", "WIT")],
)
def test_time_zone_abbreviation_is_the_indonesian_one(time_zone, abbreviation):
    assert office_in(time_zone).time_zone_abbreviation == abbreviation


# R7: the booking window.


def test_window_runs_from_tomorrow_to_thirty_days_ahead():
    assert default_office().window(NOW) == (date(2027, 7, 13), date(2027, 8, 11))


def test_window_length_follows_the_office_setting():
    office = office_in("Asia/Jakarta", booking_window_days=7)

    assert office.window(NOW) == (date(2027, 7, 13), date(2027, 7, 19))


@pytest.mark.parametrize(
    ("now", "time_zone", "today"),
    [
        # 18:00 UTC is already 01:00 on 13 July in Jakarta, 03:00 in Jayapura.
        (datetime(2027, 7, 12, 18, 0, tzinfo=UTC), "Asia/Jakarta", date(2027, 7, 13)),
        (datetime(2027, 7, 12, 18, 0, tzinfo=UTC), "Asia/Jayapura", date(2027, 7, 13)),
        # 16:00 UTC is 23:00 on 12 July in Jakarta but 01:00 on 13 July in Jayapura.
        (datetime(2027, 7, 12, 16, 0, tzinfo=UTC), "Asia/Jakarta", date(2027, 7, 12)),
        (datetime(2027, 7, 12, 16, 0, tzinfo=UTC), "Asia/Jayapura", date(2027, 7, 13)),
        # 15:00 UTC is midnight exactly in Jayapura.
        (datetime(2027, 7, 12, 15, 0, tzinfo=UTC), "Asia/Jayapura", date(2027, 7, 13)),
        (
            datetime(2027, 7, 12, 14, 59, tzinfo=UTC),
            "Asia/Jayapura",
            date(2027, 7, 12),
        ),
    ],
)
def test_window_starts_the_day_after_the_office_local_date(now, time_zone, today):
    office = office_in(time_zone)

    assert office.local_date(now) == today
    assert office.window(now) == (
        today + timedelta(days=1),
        today + timedelta(days=30),
    )


# R7: open days.


@pytest.mark.parametrize("day", [SATURDAY, SUNDAY])
def test_weekend_is_closed(day):
    office = default_office()

    closure = office.closure(day)

    assert closure is not None
    assert closure.kind == "weekend"
    assert office.slots_on(day) == ()
    assert office.capacity_on(day) == 0


def test_national_holiday_is_closed():
    office = default_office()

    closure = office.closure(INDEPENDENCE_DAY)

    assert INDEPENDENCE_DAY.weekday() == 1
    assert closure is not None
    assert closure.kind == "holiday"
    assert office.slots_on(INDEPENDENCE_DAY) == ()
    assert office.capacity_on(INDEPENDENCE_DAY) == 0


def test_office_closure_is_closed():
    closed = date(2027, 7, 21)
    office = office_in("Asia/Jakarta", closures=frozenset({closed}))

    closure = office.closure(closed)

    assert closure is not None
    assert closure.kind == "closure"
    assert office.capacity_on(closed) == 0
    assert office.closure(closed + timedelta(days=1)) is None


@pytest.mark.parametrize("day", [MONDAY, FRIDAY, date(2027, 8, 16), date(2027, 8, 18)])
def test_weekday_that_is_no_holiday_is_open(day):
    assert default_office().closure(day) is None


def test_open_dates_are_the_weekdays_of_the_window():
    dates = default_office().open_dates(NOW)

    assert dates[0] == date(2027, 7, 13)
    assert dates[-1] == date(2027, 8, 11)
    assert len(dates) == 22
    assert all(day.weekday() < 5 for day in dates)
    assert dates == sorted(dates)


def test_open_dates_leave_out_holidays_and_closures():
    closed = date(2027, 8, 19)
    office = office_in("Asia/Jakarta", closures=frozenset({closed}))
    now = datetime(2027, 8, 10, 3, 0, tzinfo=UTC)

    dates = office.open_dates(now)

    assert date(2027, 8, 16) in dates
    assert INDEPENDENCE_DAY not in dates
    assert closed not in dates
    assert dates[0] == date(2027, 8, 11)
