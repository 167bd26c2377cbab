"""A fake ``BookingClient`` and builders of real protobuf bookings.

Names, numbers and codes here are invented.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from antrean.client import AntreanError
from antrean.v1 import booking_pb2

Booking = booking_pb2.Booking


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    """Returns a protobuf Timestamp of an aware datetime."""
    value = timestamp_pb2.Timestamp()
    value.FromDatetime(moment)
    return value


def make_booking(**fields: Any) -> Booking:
    """Returns a confirmed Jakarta booking, slot 08:30 WIB on 18-07-2027."""
    values: dict[str, Any] = {
        "booking_code": "K7PXM3QD",
        "office_id": "jakarta-pusat",
        "phone_number": "+6281299990001",
        "applicant_name": "ADI NUGROHO",
        "birth_date": date_pb2.Date(year=1967, month=11, day=20),
        "service_date": date_pb2.Date(year=2027, month=7, day=18),
        "state": Booking.STATE_CONFIRMED,
        "slot_start_time": timestamp(datetime(2027, 7, 18, 1, 30, tzinfo=UTC)),
        "time_zone": "Asia/Jakarta",
        "time_zone_abbreviation": "WIB",
        "create_time": timestamp(datetime(2027, 7, 2, 3, 4, tzinfo=UTC)),
        "confirm_time": timestamp(datetime(2027, 7, 2, 3, 6, tzinfo=UTC)),
    }
    values.update(fields)
    return Booking(**values)


class FakeClient:
    """Stands in for ``BookingClient``: answers with set bookings or an error.

    ``pages`` are served by ``list_bookings`` one fetch at a time, as the real
    client does; ``error`` is raised by every call, or, for ``list_bookings``
    with ``fail_at_page`` set, by the fetch of that page (from 0).
    """

    def __init__(self) -> None:
        self.booking: Booking = make_booking()
        self.pages: Sequence[Sequence[Booking]] = ()
        self.error: AntreanError | None = None
        self.fail_at_page: int | None = None
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.pages_fetched = 0
        self.closed = False

    def check_in(self, **arguments: Any) -> Booking:
        self.calls.append(("check_in", arguments))
        self._raise_error()
        return self.booking

    def get_booking(self, **arguments: Any) -> Booking:
        self.calls.append(("get_booking", arguments))
        self._raise_error()
        return self.booking

    def list_bookings(self, **arguments: Any) -> Iterator[Booking]:
        self.calls.append(("list_bookings", arguments))
        for index, page in enumerate(self.pages):
            if self.fail_at_page in (None, index):
                self._raise_error()
            self.pages_fetched += 1
            yield from page

    def close(self) -> None:
        self.closed = True

    def _raise_error(self) -> None:
        if self.error is not None:
            raise self.error
