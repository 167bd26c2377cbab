"""Conversions between protobuf values and Python ones."""

from __future__ import annotations

from datetime import date

from google.type import date_pb2

from antrean.v1 import booking_pb2


def date_to_proto(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def date_from_proto(value: date_pb2.Date) -> date:
    return date(value.year, value.month, value.day)


def state_name(state: int) -> str:
    """Returns a booking state as a short lower-case word, e.g. ``confirmed``."""
    return booking_pb2.Booking.State.Name(state).removeprefix("STATE_").lower()


def state_from_name(name: str) -> int:
    """Parses ``confirmed`` or ``STATE_CONFIRMED`` into the enum value."""
    key = name.strip().upper()
    if not key.startswith("STATE_"):
        key = "STATE_" + key
    return booking_pb2.Booking.State.Value(key)
