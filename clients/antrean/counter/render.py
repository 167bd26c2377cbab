"""Bookings as text for the counter: pure functions that build strings and rich
renderables and never print.

Names come from citizens' chat messages, so they are always wrapped in
``rich.text.Text``: a name such as ``[bold]X`` must show as typed, never be
read as rich markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from google.type import date_pb2
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from antrean.client import date_from_proto, state_name
from antrean.v1 import booking_pb2

Booking = booking_pb2.Booking

# What an unset field shows as, e.g. the slot of a pending booking.
UNSET = "-"


def format_date(day: date) -> str:
    """Returns a date as ``DD-MM-YYYY``, the way the office writes dates."""
    return f"{day.day:02d}-{day.month:02d}-{day.year:04d}"


def format_proto_date(value: date_pb2.Date) -> str:
    """Returns a ``google.type.Date`` as ``DD-MM-YYYY``, or ``-`` when unset."""
    try:
        return format_date(date_from_proto(value))
    except ValueError:
        # An unset Date is all zeros, which is no calendar date.
        return UNSET


def format_clock(moment: datetime, zone: tzinfo, abbreviation: str = "") -> str:
    """Returns an instant as ``HH:MM WIB`` in a zone, with its abbreviation."""
    local = moment.astimezone(zone)
    return f"{local:%H:%M} {abbreviation or local.tzname() or ''}".rstrip()


def booking_zone(booking: Booking) -> tuple[tzinfo, str]:
    """Returns the booking's office time zone and its abbreviation.

    Falls back to UTC, labelled so, when the booking names no zone that this
    machine knows: a wrong hour labelled ``WIB`` would mislead the officer.
    """
    try:
        zone = ZoneInfo(booking.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC, "UTC"
    return zone, booking.time_zone_abbreviation


def format_hour(booking: Booking) -> str:
    """Returns the booking's slot start as ``08:30 WIB``, or ``-`` when unset."""
    return _format_instant(booking, "slot_start_time", "{clock}")


def format_time(booking: Booking, field: str) -> str:
    """Returns a timestamp field as ``18-07-2027 08:30 WIB``, or ``-``."""
    return _format_instant(booking, field, "{day} {clock}")


def format_queue_number(booking: Booking) -> str:
    """Returns the queue number, or ``-`` before check-in (it starts at 1)."""
    return str(booking.queue_number) if booking.queue_number else UNSET


def check_in_card(booking: Booking) -> Panel:
    """Returns the check-in result: the queue number, then what the officer
    compares with the ID card."""
    queue = Text(
        f"QUEUE NUMBER  {format_queue_number(booking)}",
        style="bold reverse",
        justify="center",
    )
    details = _label_grid(
        [
            ("Name", booking.applicant_name),
            ("Birth date", format_proto_date(booking.birth_date)),
            ("Service date", format_proto_date(booking.service_date)),
            ("Slot hour", format_hour(booking)),
            ("Booking code", booking.booking_code),
        ]
    )
    hint = Text("Compare the name and birth date with the ID card.", style="dim")
    return Panel(
        Group(queue, Text(""), details, Text(""), hint),
        title="Checked in",
        expand=False,
    )


def booking_fields(booking: Booking) -> list[tuple[str, str]]:
    """Returns every readable field of a booking as (label, text) pairs."""
    zone_name = booking.time_zone or UNSET
    if booking.time_zone_abbreviation:
        zone_name = f"{zone_name} ({booking.time_zone_abbreviation})"
    return [
        ("Booking code", booking.booking_code or UNSET),
        ("Office", booking.office_id or UNSET),
        ("Phone number", booking.phone_number or UNSET),
        ("Name", booking.applicant_name or UNSET),
        ("Birth date", format_proto_date(booking.birth_date)),
        ("Service date", format_proto_date(booking.service_date)),
        ("State", state_name(booking.state)),
        ("Slot hour", format_hour(booking)),
        ("Time zone", zone_name),
        ("Queue number", format_queue_number(booking)),
        ("Requested", format_time(booking, "create_time")),
        ("Request expires", format_time(booking, "expire_time")),
        ("Confirmed", format_time(booking, "confirm_time")),
        ("Checked in", format_time(booking, "check_in_time")),
        ("Cancelled", format_time(booking, "cancel_time")),
    ]


def booking_details(booking: Booking) -> RenderableType:
    """Returns all fields of one booking as aligned lines."""
    return _label_grid(booking_fields(booking))


def _counter_order(booking: Booking) -> tuple[bool, int, int, int, int]:
    """Slot start, then confirmation; the server lists by request (stable
    pages), and ``sorted`` keeps that order among equals."""
    if not booking.HasField("slot_start_time"):
        return (True, 0, 0, 0, 0)
    slot, confirm = booking.slot_start_time, booking.confirm_time
    return (False, slot.seconds, slot.nanos, confirm.seconds, confirm.nanos)


def bookings_table(bookings: Sequence[Booking], title: str) -> Table:
    """Returns the day's bookings as a table by slot, then by confirmation;
    bookings without a slot last, in the order they were requested."""
    table = Table(title=title, title_justify="left")
    table.add_column("Hour", no_wrap=True)
    table.add_column("Code", no_wrap=True)
    table.add_column("Name")
    table.add_column("Birth date", no_wrap=True)
    table.add_column("State", no_wrap=True)
    table.add_column("Queue", justify="right", no_wrap=True)
    for booking in sorted(bookings, key=_counter_order):
        table.add_row(
            format_hour(booking),
            booking.booking_code or UNSET,
            Text(booking.applicant_name),
            format_proto_date(booking.birth_date),
            state_name(booking.state),
            format_queue_number(booking),
        )
    return table


def state_counts(bookings: Sequence[Booking]) -> str:
    """Returns the footer line, e.g. ``3 bookings: confirmed 2, checked_in 1``."""
    total = f"{len(bookings)} booking{'' if len(bookings) == 1 else 's'}"
    counts = Counter(booking.state for booking in bookings)
    if not counts:
        return total
    # Enum order follows a booking's life, which reads better than by count.
    parts = [f"{state_name(state)} {counts[state]}" for state in sorted(counts)]
    return f"{total}: {', '.join(parts)}"


def _format_instant(booking: Booking, field: str, template: str) -> str:
    if not booking.HasField(field):
        return UNSET
    zone, abbreviation = booking_zone(booking)
    moment = getattr(booking, field).ToDatetime(tzinfo=UTC)
    day = format_date(moment.astimezone(zone).date())
    return template.format(day=day, clock=format_clock(moment, zone, abbreviation))


def _label_grid(rows: Sequence[tuple[str, str]]) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, Text(value))
    return grid
