"""``BookingClient``: the generated stub with deadlines, retries and errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import TypeVar

import grpc

from antrean.client.convert import date_to_proto
from antrean.client.errors import AntreanError
from antrean.v1 import booking_pb2, booking_service_pb2, booking_service_pb2_grpc

DEFAULT_SERVER = "127.0.0.1:50051"
DEFAULT_TIMEOUT = 10.0
_ATTEMPTS = 3
_BACKOFF_SECONDS = 0.2

Response = TypeVar("Response")


class BookingClient:
    """Calls one antrean server. Use as a context manager, or call ``close``."""

    def __init__(
        self,
        target: str = DEFAULT_SERVER,
        *,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._channel = grpc.insecure_channel(target)
        self._stub = booking_service_pb2_grpc.BookingServiceStub(self._channel)
        self._timeout = timeout
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()

    def __enter__(self) -> BookingClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def request_booking(
        self,
        *,
        phone_number: str,
        office_id: str,
        applicant_name: str,
        birth_date: date,
        service_date: date,
        request_id: str | None = None,
    ) -> booking_service_pb2.RequestBookingResponse:
        """Asks for a booking; the response carries the approval code."""
        request = booking_service_pb2.RequestBookingRequest(
            request_id=request_id or _new_request_id(),
            phone_number=phone_number,
            office_id=office_id,
            applicant_name=applicant_name,
            birth_date=date_to_proto(birth_date),
            service_date=date_to_proto(service_date),
        )
        return self._call(self._stub.RequestBooking, request)

    def confirm_booking(
        self, *, phone_number: str, approval_code: str, request_id: str | None = None
    ) -> booking_pb2.Booking:
        """Confirms the number's pending booking with its approval code."""
        request = booking_service_pb2.ConfirmBookingRequest(
            request_id=request_id or _new_request_id(),
            phone_number=phone_number,
            approval_code=approval_code,
        )
        return self._call(self._stub.ConfirmBooking, request).booking

    def cancel_booking(
        self, *, phone_number: str, request_id: str | None = None
    ) -> booking_pb2.Booking:
        """Cancels the number's active booking."""
        request = booking_service_pb2.CancelBookingRequest(
            request_id=request_id or _new_request_id(), phone_number=phone_number
        )
        return self._call(self._stub.CancelBooking, request).booking

    def check_in(
        self, *, office_id: str, booking_code: str, request_id: str | None = None
    ) -> booking_pb2.Booking:
        """Checks an applicant in at the counter of an office."""
        request = booking_service_pb2.CheckInRequest(
            request_id=request_id or _new_request_id(),
            office_id=office_id,
            booking_code=booking_code,
        )
        return self._call(self._stub.CheckIn, request).booking

    def get_booking(
        self,
        *,
        booking_code: str | None = None,
        phone_number: str | None = None,
        office_id: str = "",
    ) -> booking_pb2.Booking:
        """Returns a booking by code, or the active booking of a number."""
        if (booking_code is None) == (phone_number is None):
            raise ValueError("give exactly one of booking_code and phone_number")
        request = booking_service_pb2.GetBookingRequest(office_id=office_id)
        if booking_code is not None:
            request.booking_code = booking_code
        else:
            request.phone_number = phone_number or ""
        return self._call(self._stub.GetBooking, request).booking

    def list_bookings(
        self,
        *,
        office_id: str,
        service_date: date,
        state: int = booking_pb2.Booking.STATE_UNSPECIFIED,
        page_size: int = 0,
    ) -> Iterator[booking_pb2.Booking]:
        """Yields every booking of an office and date, fetching page by page."""
        request = booking_service_pb2.ListBookingsRequest(
            office_id=office_id,
            service_date=date_to_proto(service_date),
            state=state,  # type: ignore[arg-type]
            page_size=page_size,
        )
        while True:
            response = self._call(self._stub.ListBookings, request)
            yield from response.bookings
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token

    def get_availability(self, *, office_id: str) -> list[booking_pb2.DateAvailability]:
        """Returns the places left on each open date of the booking window."""
        request = booking_service_pb2.GetAvailabilityRequest(office_id=office_id)
        return list(self._call(self._stub.GetAvailability, request).dates)

    def _call(self, method: Callable[..., Response], request: object) -> Response:
        """Calls with a deadline; retries UNAVAILABLE, which is safe because
        every mutating request carries its request_id."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                return method(request, timeout=self._timeout, metadata=self._metadata)
            except grpc.RpcError as error:
                failure = AntreanError.from_rpc_error(error)
                if failure.code != grpc.StatusCode.UNAVAILABLE or attempt == _ATTEMPTS:
                    raise failure from None
                time.sleep(_BACKOFF_SECONDS * attempt)
        raise AssertionError("unreachable")


def _new_request_id() -> str:
    return str(uuid.uuid4())
