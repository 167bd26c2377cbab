"""The ``[[offices]]`` tables: ids, time zones, opening hours, quota, closures."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, time

from antrean.server.config._settings import ConfigError
from antrean.server.config._toml import Table, describe
from antrean.server.domain.offices import (
    TIME_ZONE_ABBREVIATIONS,
    Office,
    Period,
    default_office,
)

WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_OFFICE_KEYS = (
    "id",
    "name",
    "time_zone",
    "daily_quota",
    "slot_minutes",
    "booking_window_days",
    "closures",
    "hours",
)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_PERIOD = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The built-in office's values are the defaults of every configured office.
_DEFAULT = default_office()

# Upper bounds: the contract carries places as int32, so a quota past these
# would crash a response; a slot is at most a day, a window at most a year.
MAX_DAILY_QUOTA = 100_000
MAX_SLOT_MINUTES = 24 * 60
MAX_BOOKING_WINDOW_DAYS = 366


def read_offices(document: Table) -> tuple[Office, ...]:
    """Returns the configured offices, or the built-in one when there are none."""
    entries = document.tables("offices")
    if entries is None:
        return (_DEFAULT,)
    if not entries:
        problem = "is empty; add [[offices]], or remove the key for the built-in office"
        raise document.error("offices", problem)

    offices: list[Office] = []
    for entry in entries:
        office = _office(entry)
        for earlier, other in zip(entries, offices, strict=False):
            if other.id == office.id:
                problem = f"{office.id!r} is already the id of {earlier.path}"
                raise entry.error("id", f"{problem}; office ids must be unique")
        offices.append(office)
    return tuple(offices)


def _office(entry: Table) -> Office:
    entry.only(_OFFICE_KEYS)
    office_id = _office_id(entry)
    name = entry.string("name")
    time_zone = _time_zone(entry)

    slot_minutes = entry.positive_int(
        "slot_minutes", _DEFAULT.slot_minutes, MAX_SLOT_MINUTES
    )
    hours = _hours(entry, slot_minutes)
    return Office(
        id=office_id,
        name=name,
        time_zone=time_zone,
        hours=hours,
        daily_quota=_daily_quota(entry, hours, slot_minutes),
        slot_minutes=slot_minutes,
        booking_window_days=entry.positive_int(
            "booking_window_days", _DEFAULT.booking_window_days, MAX_BOOKING_WINDOW_DAYS
        ),
        closures=_closures(entry),
    )


def _office_id(entry: Table) -> str:
    office_id = entry.string("id")
    if not _SLUG.fullmatch(office_id):
        raise entry.error(
            "id",
            f"{office_id!r} is not a slug; use lower-case letters, digits and "
            "single hyphens, e.g. jakarta-pusat",
        )
    return office_id


def _time_zone(entry: Table) -> str:
    time_zone = entry.string("time_zone")
    if time_zone not in TIME_ZONE_ABBREVIATIONS:
        allowed = ", ".join(TIME_ZONE_ABBREVIATIONS)
        problem = f"{time_zone!r} is not an Indonesian time zone; use one of {allowed}"
        raise entry.error("time_zone", problem)
    return time_zone


def _hours(entry: Table, slot_minutes: int) -> dict[int, tuple[Period, ...]]:
    """Returns the weekly opening hours; the built-in office's when not given."""
    if not entry.has("hours"):
        _check_default_hours(entry, slot_minutes)
        return dict(_DEFAULT.hours)

    table = entry.table("hours")
    table.only(WEEKDAYS, what="weekday")
    hours = {}
    for weekday, name in enumerate(WEEKDAYS):
        periods = _periods(table, name, slot_minutes)
        if periods:
            hours[weekday] = periods
    if not hours:
        example = 'monday = ["08:00-16:00"]'
        raise entry.error("hours", f"no weekday is open; give one, e.g. {example}")
    return hours


def _check_default_hours(entry: Table, slot_minutes: int) -> None:
    for weekday, periods in _DEFAULT.hours.items():
        for period in periods:
            if _slot_count(period, slot_minutes) == 0:
                raise entry.error(
                    "slot_minutes",
                    f"a {slot_minutes}-minute slot does not fit the built-in "
                    f"{WEEKDAYS[weekday]} period {_format(period)}; "
                    "shorten the slots or give [offices.hours]",
                )


def _periods(hours: Table, name: str, slot_minutes: int) -> tuple[Period, ...]:
    """Returns one weekday's periods, earliest first, refusing overlaps."""
    items = hours.array(name) or []
    periods = sorted(
        (
            (_period(hours.source, path, value, slot_minutes), path)
            for path, value in items
        ),
        key=lambda pair: pair[0].start,
    )
    for (before, before_path), (after, after_path) in itertools.pairwise(periods):
        if after.start < before.end:
            problem = f"{_format(after)} overlaps {_format(before)} ({before_path})"
            raise ConfigError(hours.source, after_path, problem)
    return tuple(period for period, _ in periods)


def _period(source: str, path: str, value: object, slot_minutes: int) -> Period:
    match = _PERIOD.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        problem = f'expected "HH:MM-HH:MM" like "08:00-16:00", got {describe(value)}'
        raise ConfigError(source, path, problem)

    start_hour, start_minute, end_hour, end_minute = map(int, match.groups())
    try:
        period = Period(time(start_hour, start_minute), time(end_hour, end_minute))
    except ValueError:
        problem = f"{value!r} is not a time of day; hours 00-23, minutes 00-59"
        raise ConfigError(source, path, problem) from None
    if period.end <= period.start:
        raise ConfigError(source, path, f"{value!r} must end after it starts")
    if _slot_count(period, slot_minutes) == 0:
        problem = f"{value!r} is shorter than one slot ({slot_minutes} minutes)"
        raise ConfigError(source, path, problem)
    return period


def _daily_quota(
    entry: Table, hours: dict[int, tuple[Period, ...]], slot_minutes: int
) -> int:
    """Returns the daily quota, refusing one too small to give every slot a place."""
    quota = entry.positive_int("daily_quota", _DEFAULT.daily_quota, MAX_DAILY_QUOTA)
    counts = {
        weekday: sum(_slot_count(period, slot_minutes) for period in periods)
        for weekday, periods in hours.items()
    }
    weekday = max(counts, key=counts.__getitem__)
    slots = counts[weekday]
    if quota < slots:
        raise entry.error(
            "daily_quota",
            f"{quota} places cannot give each of the {slots} slots of "
            f"{WEEKDAYS[weekday]} one place; raise daily_quota to at least "
            f"{slots} or make slot_minutes longer",
        )
    return quota


def _closures(entry: Table) -> frozenset[date]:
    closures = set()
    for path, value in entry.array("closures") or []:
        if isinstance(value, date) and not isinstance(value, datetime):
            closures.add(value)
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            closures.add(_calendar_date(entry.source, path, value.strip()))
        else:
            problem = f'expected a date like "2027-07-20", got {describe(value)}'
            raise ConfigError(entry.source, path, problem)
    return frozenset(closures)


def _calendar_date(source: str, path: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(source, path, f"{value!r} is not a real date") from None


def _slot_count(period: Period, slot_minutes: int) -> int:
    minutes = (period.end.hour - period.start.hour) * 60
    minutes += period.end.minute - period.start.minute
    return minutes // slot_minutes


def _format(period: Period) -> str:
    return f"{period.start:%H:%M}-{period.end:%H:%M}"
