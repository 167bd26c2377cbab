"""``BookingService`` servicer: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

import functools
import hashlib
import logging
import traceback
import uuid
from collections.abc import Callable

import grpc
from google.protobuf.message import Message

from antrean.server.domain.bookings import Bookings, Replayed, RequestKey
from antrean.server.domain.errors import BookingError, ErrorKind, invalid_argument
from antrean.server.storage import BookingRecord, BookingState, DatabaseUnavailable
from antrean.server.transport import convert, page_tokens
from antrean.server.transport.auth import current_principal
from antrean.server.transport.status import to_status
from antrean.v1 import booking_pb2, booking_service_pb2_grpc
from antrean.v1 import booking_service_pb2 as api

logger = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _refusals(method: Callable) -> Callable:
    """Sends domain refusals as statuses; never leaks an internal error's text."""

    @functools.wraps(method)
    def wrapper(self, request, context: grpc.ServicerContext):
        try:
            return method(self, request, context)
        except BookingError as refusal:
            context.abort_with_status(to_status(refusal))
        except DatabaseUnavailable:
            context.abort_with_status(to_status(_database_unavailable()))
        except Exception as error:
            # The text of an unexpected error may quote personal data (SQL
            # parameters); log where it happened, send the caller nothing of it.
            frame = traceback.extract_tb(error.__traceback__)[-1]
            logger.error(
                "internal error method=%s class=%s at=%s:%d",
                method.__name__,
                type(error).__name__,
                frame.filename.rsplit("/", 1)[-1],
                frame.lineno,
            )
            context.abort_with_status(to_status(_internal_error()))

    return wrapper


class BookingServicer(booking_service_pb2_grpc.BookingServiceServicer):
    """Implements the contract over the domain's ``Bookings``."""

    def __init__(self, bookings: Bookings) -> None:
        self._bookings = bookings

    @_refusals
    def RequestBooking(self, request, context):
        current_principal().check_office(request.office_id)
        reply = _Reply(api.RequestBookingResponse, self._request_response)
        outcome = self._bookings.request(
            phone_number=request.phone_number,
            office_id=request.office_id,
            applicant_name=request.applicant_name,
            birth_date=convert.date_from_proto(
                request.birth_date, "birth_date", "INVALID_BIRTH_DATE"
            ),
            service_date=convert.date_from_proto(
                request.service_date, "service_date", "INVALID_SERVICE_DATE"
            ),
            key=_request_key("RequestBooking", request),
            encode=reply.encode,
        )
        return reply.send(outcome)

    @_refusals
    def ConfirmBooking(self, request, context):
        reply = self._booking_reply(api.ConfirmBookingResponse)
        outcome = self._bookings.confirm(
            phone_number=request.phone_number,
            approval_code=request.approval_code,
            key=_request_key("ConfirmBooking", request),
            encode=reply.encode,
        )
        return reply.send(outcome)

    @_refusals
    def CancelBooking(self, request, context):
        reply = self._booking_reply(api.CancelBookingResponse)
        outcome = self._bookings.cancel(
            phone_number=request.phone_number,
            key=_request_key("CancelBooking", request),
            encode=reply.encode,
        )
        return reply.send(outcome)

    @_refusals
    def CheckIn(self, request, context):
        current_principal().check_office(request.office_id)
        reply = self._booking_reply(api.CheckInResponse)
        outcome = self._bookings.check_in(
            office_id=request.office_id,
            booking_code=request.booking_code,
            key=_request_key("CheckIn", request),
            encode=reply.encode,
            caller=current_principal().name,
        )
        return reply.send(outcome)

    @_refusals
    def GetBooking(self, request, context):
        principal = current_principal()
        if request.office_id:
            principal.check_office(request.office_id)
        office_id = principal.office_id or request.office_id
        lookup = request.WhichOneof("lookup")
        if lookup == "booking_code":
            principal.check_code_lookup()
            record = self._bookings.get_by_code(
                request.booking_code, office_id, principal.name
            )
        elif lookup == "phone_number":
            record = self._bookings.get_active(request.phone_number, office_id)
        else:
            raise invalid_argument(
                "MISSING_LOOKUP",
                "lookup",
                "Give either booking_code or phone_number.",
            )
        return api.GetBookingResponse(booking=self._booking(record))

    @_refusals
    def ListBookings(self, request, context):
        current_principal().check_office(request.office_id)
        service_date = convert.date_from_proto(
            request.service_date, "service_date", "INVALID_SERVICE_DATE"
        )
        state = _state_filter(request.state)
        page_size = _page_size(request.page_size)
        query = f"{request.office_id}|{service_date}|{request.state}"
        after_id = page_tokens.decode(request.page_token, query)
        records = self._bookings.list(
            request.office_id, service_date, state, after_id, page_size + 1
        )
        page = records[:page_size]
        response = api.ListBookingsResponse(
            bookings=[self._booking(record) for record in page]
        )
        if len(records) > page_size:
            response.next_page_token = page_tokens.encode(page[-1].id, query)
        return response

    @_refusals
    def GetAvailability(self, request, context):
        current_principal().check_office(request.office_id)
        response = api.GetAvailabilityResponse()
        for entry in self._bookings.availability(request.office_id):
            response.dates.add(
                service_date=convert.date_to_proto(entry.service_date),
                capacity=entry.capacity,
                remaining=entry.remaining,
            )
        return response

    # Building responses.

    def _booking(self, record: BookingRecord):
        try:
            office = self._bookings.office(record.office_id)
        except BookingError:
            office = None  # an office removed from the configuration
        return convert.booking_to_proto(record, office)

    def _request_response(self, record: BookingRecord) -> api.RequestBookingResponse:
        return api.RequestBookingResponse(
            booking=self._booking(record), approval_code=record.approval_code or ""
        )

    def _booking_reply(self, response_type) -> _Reply:
        return _Reply(
            response_type, lambda record: response_type(booking=self._booking(record))
        )


class _Reply:
    """Builds a mutating call's response once: stored under its request id,
    then sent."""

    def __init__(self, response_type, build: Callable[[BookingRecord], Message]):
        self._response_type = response_type
        self._build = build
        self._built: tuple[BookingRecord, Message] | None = None

    def encode(self, record: BookingRecord) -> bytes:
        message = self._build(record)
        self._built = (record, message)
        return message.SerializeToString(deterministic=True)

    def send(self, outcome: BookingRecord | Replayed) -> Message:
        if isinstance(outcome, Replayed):
            return self._response_type.FromString(outcome.response)
        if self._built is not None and self._built[0] is outcome:
            return self._built[1]
        return self._build(outcome)


def _request_key(method: str, request: Message) -> RequestKey | None:
    """The request id with a fingerprint of everything else in the request."""
    request_id = request.request_id  # type: ignore[attr-defined]
    if not request_id:
        return None
    try:
        canonical = str(uuid.UUID(request_id))
    except ValueError:
        raise invalid_argument(
            "INVALID_REQUEST_ID",
            "request_id",
            "request_id must be a UUID such as 123e4567-e89b-12d3-a456-426614174000,"
            " or empty.",
        ) from None
    rest = type(request)()
    rest.CopyFrom(request)
    rest.request_id = ""  # type: ignore[attr-defined]
    fingerprint = hashlib.sha256(rest.SerializeToString(deterministic=True))
    return RequestKey(canonical, method, fingerprint.hexdigest())


def _state_filter(value: int) -> BookingState | None:
    if value == booking_pb2.Booking.STATE_UNSPECIFIED:
        return None
    state = convert.state_from_proto(value)
    if state is None:
        raise invalid_argument(
            "INVALID_STATE",
            "state",
            "state must be one of the Booking.State values, or unspecified for all.",
        )
    return state


def _page_size(requested: int) -> int:
    if requested < 0:
        raise invalid_argument(
            "INVALID_PAGE_SIZE", "page_size", "page_size must not be negative."
        )
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _internal_error() -> BookingError:
    return BookingError(
        ErrorKind.INTERNAL,
        "INTERNAL_ERROR",
        "The server failed on this request; it was not carried out. Retry with "
        "the same request_id, and report it if it happens again.",
    )


def _database_unavailable() -> BookingError:
    return BookingError(
        ErrorKind.UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
        "The database is not reachable right now; retry with the same request_id.",
    )
