"""The chat adapter's one job: a citizen's message in, the reply out.

``Conversation.reply`` parses the text, makes at most one call to the server
and words the outcome. The server enforces every booking rule; this module
only turns its answers and refusals into replies. Transports (the console,
WhatsApp webhooks) call it with the sender's number and the text.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import grpc

from antrean.chat import messages
from antrean.chat.parse import (
    ApprovalCode,
    BookingRequestText,
    Cancel,
    Check,
    Command,
    ParseError,
    Unrecognised,
    parse,
)
from antrean.client import AntreanError
from antrean.v1 import booking_pb2, booking_service_pb2

logger = logging.getLogger(__name__)

# Fixed for good: a redelivered webhook must map to the request_id it had
# before, across restarts and across gateway processes.
MESSAGE_ID_NAMESPACE = uuid.UUID("50e9a9c5-78be-41ce-a96e-ac78a74737a9")
_CITIZEN_TIME_ZONE = ZoneInfo("Asia/Jakarta")

# Refusals that mean the gateway itself is misconfigured, not the citizen.
_OPERATOR_REASONS = frozenset(
    {
        "OFFICE_NOT_FOUND",
        "MISSING_CREDENTIALS",
        "INVALID_CREDENTIALS",
        "ROLE_NOT_ALLOWED",
        "OFFICE_NOT_ALLOWED",
        "REQUEST_ID_REUSED",
        "INVALID_REQUEST_ID",
    }
)

# Whatever the reason says, these mean "try again soon".
_TRANSIENT_CODES = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
)


class ChatClient(Protocol):
    """The calls of ``antrean.client.BookingClient`` that the chat makes."""

    def request_booking(
        self,
        *,
        phone_number: str,
        office_id: str,
        applicant_name: str,
        birth_date: date,
        service_date: date,
        request_id: str | None = None,
    ) -> booking_service_pb2.RequestBookingResponse: ...

    def confirm_booking(
        self, *, phone_number: str, approval_code: str, request_id: str | None = None
    ) -> booking_pb2.Booking: ...

    def cancel_booking(
        self, *, phone_number: str, request_id: str | None = None
    ) -> booking_pb2.Booking: ...

    def get_booking(
        self,
        *,
        booking_code: str | None = None,
        phone_number: str | None = None,
        office_id: str = "",
    ) -> booking_pb2.Booking: ...


def today_in_jakarta() -> date:
    """Today's date in Asia/Jakarta, whatever the machine's own zone."""
    return datetime.now(_CITIZEN_TIME_ZONE).date()


def request_id_for(message_id: str) -> str:
    """The RPC request_id of a chat message: the same for every redelivery."""
    return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, message_id))


class Conversation:
    """Answers the messages that citizens send to one office's number."""

    def __init__(
        self,
        client: ChatClient,
        office_id: str,
        *,
        language: str = "id",
        today: Callable[[], date] = today_in_jakarta,
    ) -> None:
        self._client = client
        self._office_id = office_id
        self._language = messages.check_language(language)
        self._today = today

    def reply(self, phone_number: str, text: str, message_id: str | None = None) -> str:
        """Returns the reply to ``text`` sent from ``phone_number``.

        ``message_id`` is the chat platform's id of the message; a redelivery
        with the same id has no second effect on the server.
        """
        command = parse(text, today=self._today())
        request_id = request_id_for(message_id) if message_id else None
        kind = type(command).__name__
        try:
            reply = self._answer(command, phone_number, request_id)
        except AntreanError as error:
            # Reasons and status codes are not personal data; numbers and names are.
            logger.debug("chat command=%s refused reason=%s", kind, error.reason)
            return self._word_refusal(error, command)
        logger.debug("chat command=%s answered", kind)
        return reply

    def _answer(
        self, command: Command, phone_number: str, request_id: str | None
    ) -> str:
        language = self._language
        match command:
            case BookingRequestText():
                response = self._client.request_booking(
                    phone_number=phone_number,
                    office_id=self._office_id,
                    applicant_name=command.name,
                    birth_date=command.birth_date,
                    service_date=command.service_date,
                    request_id=request_id,
                )
                return messages.request_summary(response, language)
            case ApprovalCode():
                try:
                    booking = self._client.confirm_booking(
                        phone_number=phone_number,
                        approval_code=command.code,
                        request_id=request_id,
                    )
                except AntreanError as error:
                    if error.reason != "PENDING_BOOKING_NOT_FOUND":
                        raise
                    return self._booking_held_instead(phone_number, error)
                return messages.confirmation(booking, language)
            case Cancel():
                booking = self._client.cancel_booking(
                    phone_number=phone_number, request_id=request_id
                )
                return messages.cancelled(booking, language)
            case Check():
                booking = self._client.get_booking(phone_number=phone_number)
                return messages.active_booking(booking, language)
            case ParseError():
                return messages.parse_problem(command, language)
            case Unrecognised():
                return messages.help_text(language)
        raise AssertionError(f"unhandled command {command!r}")

    def _booking_held_instead(self, phone_number: str, refusal: AntreanError) -> str:
        """A code sent by a number that has nothing to confirm: show what it
        holds, if anything, rather than ask for a request it may not make."""
        try:
            booking = self._client.get_booking(phone_number=phone_number)
        except AntreanError:
            raise refusal from None
        return messages.active_booking(booking, self._language)

    def _word_refusal(self, error: AntreanError, command: Command) -> str:
        if error.reason in _OPERATOR_REASONS:
            logger.warning(
                "chat refused for a gateway problem reason=%s code=%s office=%s",
                error.reason,
                error.code.name,
                self._office_id,
            )
        elif error.reason == "UNKNOWN":
            logger.warning("chat call failed code=%s", error.code.name)
        if error.code in _TRANSIENT_CODES:
            return messages.service_busy(self._language)

        service_date = (
            command.service_date if isinstance(command, BookingRequestText) else None
        )
        return messages.refusal(
            error.reason, error.metadata, self._language, service_date=service_date
        )
