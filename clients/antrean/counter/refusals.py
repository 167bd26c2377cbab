"""The server's refusals as one plain-English sentence for the officer.

Each sentence says what was wrong and what to do next. The wording is chosen
by the ErrorInfo ``reason`` and filled from its ``metadata``; the server's
message text is shown only for reasons this module does not know.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import grpc

from antrean.client import AntreanError
from antrean.counter.render import format_clock, format_date


@dataclass(frozen=True)
class Refusal:
    """A refusal together with what the counter knows about its situation."""

    error: AntreanError
    server: str
    office: str
    zone: tzinfo

    def get(self, key: str) -> str:
        """Returns a metadata value, or an empty string when absent."""
        return self.error.metadata.get(key, "").strip()


def describe(error: AntreanError, *, server: str, office: str, zone: tzinfo) -> str:
    """Returns the sentence that tells the officer what went wrong and what to do.

    ``zone`` is the counter's time zone, used to show instants from metadata
    (which are UTC) as the office's local hour.
    """
    refusal = Refusal(error=error, server=server, office=office, zone=zone)
    sentence = _SENTENCES.get(error.reason)
    if sentence is not None:
        return sentence(refusal)
    if error.code in _UNREACHABLE_CODES:
        return _unreachable(refusal)
    return (
        f"Unexpected refusal, the server refused: {error.reason} ({error.message}); "
        "tell the operator if it happens again."
    )


# A lost connection or a deadline carries no ErrorInfo, so the code decides.
_UNREACHABLE_CODES = frozenset(
    {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
)


def _unreachable(refusal: Refusal) -> str:
    return (
        f"The counter cannot reach the antrean server at {refusal.server}; "
        "check that the server is running and that --server or ANTREAN_SERVER "
        "names it, then try again."
    )


def _database_unavailable(refusal: Refusal) -> str:
    return (
        f"The antrean server at {refusal.server} cannot reach its database right "
        "now; try again in a moment and tell the operator if it keeps happening."
    )


def _invalid_booking_code(refusal: Refusal) -> str:
    return (
        "That is not a booking code: a booking code has 8 characters and never "
        "contains 0, O, 1, I or L; check it with the applicant and enter it again."
    )


def _booking_not_found(refusal: Refusal) -> str:
    return (
        "No booking has that code; compare it with the applicant's confirmation "
        "message and enter it again, or ask the applicant to book by WhatsApp."
    )


def _office_not_found(refusal: Refusal) -> str:
    office = refusal.get("office_id") or refusal.office
    return (
        f"The server knows no office '{office}'; set --office or ANTREAN_OFFICE "
        "to this counter's office ID (e.g. jakarta-pusat) and try again."
    )


def _booking_of_another_office(refusal: Refusal) -> str:
    office = refusal.get("office_id")
    if office:
        return (
            f"This booking is for office '{office}', not '{refusal.office}'; "
            "send the applicant to that office."
        )
    return (
        f"This booking is for another office, not '{refusal.office}'; send the "
        "applicant to the office named in their confirmation message."
    )


def _not_service_date(refusal: Refusal) -> str:
    day = _local_date(refusal.get("service_date"))
    return (
        f"This booking is for {day}, not today, and can be checked in only on "
        "that date; if the date is still to come, ask the applicant to return then."
    )


def _check_in_closed(refusal: Refusal) -> str:
    # The booking's office zone beats the counter's --time-zone, which may be
    # left at its default at an office in another zone.
    zone = _zone(refusal.get("time_zone")) or refusal.zone
    hour = _local_hour(refusal.get("slot_start_time"), zone)
    started = f"started at {hour}" if hour else "has already started"
    return (
        f"Too late: this booking's slot {started}, so the booking is void; "
        "the applicant must book again by WhatsApp."
    )


def _booking_not_confirmed(refusal: Refusal) -> str:
    state = refusal.get("state")
    described = _STATE_WORDS.get(state, state.replace("_", " ") or "not confirmed")
    return (
        f"This booking cannot be checked in because it is {described}; "
        "the applicant must book again by WhatsApp."
    )


def _already_checked_in(refusal: Refusal) -> str:
    number = refusal.get("queue_number")
    if not number:
        return (
            "This booking is already checked in; look up its queue number with "
            "'antrean-counter show CODE' instead of checking it in again."
        )
    return (
        f"This booking is already checked in with queue number {number}; give the "
        "applicant that number instead of checking in again."
    )


def _invalid_service_date(refusal: Refusal) -> str:
    return (
        "The server refused that service date; give --date as a real date in the "
        "form DD-MM-YYYY or YYYY-MM-DD, e.g. 18-07-2027."
    )


def _invalid_page_token(refusal: Refusal) -> str:
    return (
        "The server refused the list's page token, probably because the list "
        "changed while it was read; run the list command again."
    )


def _missing_credentials(refusal: Refusal) -> str:
    return (
        "The server needs this counter's token; set ANTREAN_TOKEN (or pass "
        "--token) to the token the operator issued and try again."
    )


def _invalid_credentials(refusal: Refusal) -> str:
    return (
        "The server did not accept the token; check ANTREAN_TOKEN (or --token) "
        "against the token the operator issued for this counter."
    )


def _role_not_allowed(refusal: Refusal) -> str:
    return (
        "The token in ANTREAN_TOKEN (or --token) is not a counter token; ask the "
        "operator for a counter token for this office."
    )


def _office_not_allowed(refusal: Refusal) -> str:
    return (
        f"The token in ANTREAN_TOKEN (or --token) may not act for office "
        f"'{refusal.office}'; check --office or ANTREAN_OFFICE, or ask the "
        "operator for a token for this office."
    )


def _too_many_failed_lookups(refusal: Refusal) -> str:
    wait = refusal.get("retry_after_seconds") or "a few minutes"
    unit = " seconds" if wait.isdigit() else ""
    return (
        "Too many booking codes from this counter were not found lately; wait "
        f"{wait}{unit}, then type the code again from the applicant's confirmation."
    )


# How a booking state reads in a sentence ("This booking is ...").
_STATE_WORDS = {
    "pending": "still pending (its approval code was never sent back)",
    "cancelled": "cancelled",
    "expired": "expired",
    "void": "void",
    "no_show": "a no-show",
}

_SENTENCES: dict[str, Callable[[Refusal], str]] = {
    "DATABASE_UNAVAILABLE": _database_unavailable,
    "INVALID_BOOKING_CODE": _invalid_booking_code,
    "BOOKING_NOT_FOUND": _booking_not_found,
    "OFFICE_NOT_FOUND": _office_not_found,
    "BOOKING_OF_ANOTHER_OFFICE": _booking_of_another_office,
    "NOT_SERVICE_DATE": _not_service_date,
    "CHECK_IN_CLOSED": _check_in_closed,
    "BOOKING_NOT_CONFIRMED": _booking_not_confirmed,
    "ALREADY_CHECKED_IN": _already_checked_in,
    "INVALID_SERVICE_DATE": _invalid_service_date,
    "INVALID_PAGE_TOKEN": _invalid_page_token,
    "MISSING_CREDENTIALS": _missing_credentials,
    "INVALID_CREDENTIALS": _invalid_credentials,
    "ROLE_NOT_ALLOWED": _role_not_allowed,
    "OFFICE_NOT_ALLOWED": _office_not_allowed,
    "TOO_MANY_FAILED_LOOKUPS": _too_many_failed_lookups,
}


def _local_date(value: str) -> str:
    """Returns a ``YYYY-MM-DD`` metadata value as ``DD-MM-YYYY``, or as sent."""
    try:
        return format_date(date.fromisoformat(value))
    except ValueError:
        return value or "another day"


def _zone(name: str) -> ZoneInfo | None:
    """Returns the IANA zone of a metadata value, or None when unknown here."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local_hour(value: str, zone: tzinfo) -> str:
    """Returns an RFC 3339 metadata instant as ``08:30 WIB``, or as sent."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        # The contract sends UTC; an instant without offset is read as such.
        moment = moment.replace(tzinfo=UTC)
    return format_clock(moment, zone)
