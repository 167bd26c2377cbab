"""An office's calendar and slot layout (R6, R7), in the office's local time."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

# How Indonesians name their three time zones; the only zones an office may use.
TIME_ZONE_ABBREVIATIONS: Mapping[str, str] = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


# Not strftime("%A"): that follows the server's locale.
_WEEKDAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)


@dataclass(frozen=True)
class Period:
    """An opening period of one day, local time, end exclusive."""

    start: time
    end: time


@dataclass(frozen=True)
class Slot:
    """One slot of an open date: its local start and how many it serves."""

    start: datetime
    capacity: int


@dataclass(frozen=True)
class Closure:
    """Why a date is not an open day."""

    kind: str  # "weekend", "holiday" or "closure"
    name: str


@dataclass(frozen=True)
class Office:
    """An office's booking settings; built once from the configuration."""

    id: str
    name: str
    time_zone: str
    hours: Mapping[int, tuple[Period, ...]]  # weekday (Monday 0) -> periods
    daily_quota: int = 400
    slot_minutes: int = 30
    booking_window_days: int = 30
    closures: frozenset[date] = field(default_factory=frozenset)

    @functools.cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def time_zone_abbreviation(self) -> str:
        return TIME_ZONE_ABBREVIATIONS[self.time_zone]

    @functools.cached_property
    def _slot_times(self) -> Mapping[int, tuple[time, ...]]:
        return {
            weekday: tuple(_slot_starts(periods, self.slot_minutes))
            for weekday, periods in self.hours.items()
        }

    @functools.cached_property
    def _slot_capacities(self) -> tuple[int, ...]:
        """Capacities of the slots of a full weekday, earliest first.

        The daily quota is spread evenly over the slots of the longest weekday;
        the remainder goes to the earliest slots. Shorter days (a Friday with
        its midday break) offer the capacities of their own slots only.
        """
        most = max((len(times) for times in self._slot_times.values()), default=0)
        if most == 0:
            return ()
        share, remainder = divmod(self.daily_quota, most)
        return tuple(share + (1 if i < remainder else 0) for i in range(most))

    def local_date(self, instant: datetime) -> date:
        """Returns the office's calendar date at an instant."""
        return instant.astimezone(self.zone).date()

    def window(self, now: datetime) -> tuple[date, date]:
        """Returns the first and last bookable service dates (R7)."""
        today = self.local_date(now)
        return today + timedelta(days=1), today + timedelta(
            days=self.booking_window_days
        )

    def closure(self, day: date) -> Closure | None:
        """Returns why the office is closed on a date, or None when it is open."""
        if not self._slot_times.get(day.weekday()):
            return Closure("weekend", _WEEKDAY_NAMES[day.weekday()])
        holiday = _indonesian_holidays(day.year).get(day)
        if holiday is not None:
            return Closure("holiday", holiday)
        if day in self.closures:
            return Closure("closure", "office closure")
        return None

    def slots_on(self, day: date) -> tuple[Slot, ...]:
        """Returns the slots of a date, earliest first; none when closed."""
        if self.closure(day) is not None:
            return ()
        return tuple(
            Slot(datetime.combine(day, start, self.zone), capacity)
            for start, capacity in zip(
                self._slot_times[day.weekday()], self._slot_capacities, strict=False
            )
        )

    def slot_layout(self, day: date) -> list[tuple[datetime, int]]:
        """The date's slots as (start instant in UTC, capacity), earliest first."""
        return [
            (slot.start.astimezone(UTC), slot.capacity) for slot in self.slots_on(day)
        ]

    def capacity_on(self, day: date) -> int:
        """The places that a date offers in total; 0 when closed."""
        capacity = self._capacities.get(day)
        if capacity is None:
            capacity = sum(slot.capacity for slot in self.slots_on(day))
            self._capacities[day] = capacity
        return capacity

    def open_dates(self, now: datetime) -> list[date]:
        """Returns the open dates of the booking window, earliest first."""
        today = self.local_date(now)
        dates = self._open_dates.get(today)
        if dates is None:
            first, last = self.window(now)
            days = (first + timedelta(days=n) for n in range((last - first).days + 1))
            dates = tuple(day for day in days if self.closure(day) is None)
            self._open_dates.clear()  # the window moves once a day
            self._open_dates[today] = dates
        return list(dates)

    # The calendar is fixed once the office is configured, so what is worked
    # out from it is kept: a full date's refusal names the next open dates and
    # their room, and a flash crowd asks that many times a second.

    @functools.cached_property
    def _capacities(self) -> dict[date, int]:
        return {}

    @functools.cached_property
    def _open_dates(self) -> dict[date, tuple[date, ...]]:
        return {}


def _slot_starts(periods: tuple[Period, ...], minutes: int):
    step = timedelta(minutes=minutes)
    for period in periods:
        start = datetime.combine(date.min, period.start)
        end = datetime.combine(date.min, period.end)
        while start + step <= end:
            yield start.time()
            start += step


@functools.lru_cache(maxsize=16)
def _indonesian_holidays(year: int) -> Mapping[date, str]:
    """Indonesia's national holidays of a year, computed once per year."""
    # In Indonesian: the names citizens know, whatever the server's locale.
    return dict(holidays.country_holidays("ID", years=year, language="id"))


def default_office() -> Office:
    """The built-in office: Jakarta Pusat, 400 places on a full weekday."""
    weekday = (Period(time(8, 0), time(16, 0)),)
    # Friday closes for the midday prayer.
    friday = (Period(time(8, 0), time(11, 30)), Period(time(13, 30), time(16, 0)))
    return Office(
        id="jakarta-pusat",
        name="Kantor Imigrasi Jakarta Pusat",
        time_zone="Asia/Jakarta",
        hours={0: weekday, 1: weekday, 2: weekday, 3: weekday, 4: friday},
    )
