"""``ListBookings`` page tokens: where the previous page stopped.

A token carries the last booking's position in the list (see ListPosition)
and a digest of the request it belongs to, so that a token is refused with
another office, date or state filter. It is opaque to clients but not secret:
a token made up by hand is checked like any input and can only list what the
caller may list anyway.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime

from antrean.server.domain.errors import BookingError, invalid_argument
from antrean.server.storage import BookingRecord, ListPosition

# Booking ids are positive 32-bit integers on every database.
_MAX_ID = 2**31 - 1


def encode(last: BookingRecord, query: str) -> str:
    """The token of the page that follows ``last``."""
    payload = {
        "slot": _instant(last.slot_start_time),
        "confirm": _instant(last.confirm_time),
        "id": last.id,
        "query": _digest(query),
    }
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def decode(token: str, query: str) -> ListPosition | None:
    """The position a token stands for; None for no token (the first page)."""
    if not token:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        position = ListPosition(
            slot_start_time=_parse_instant(payload["slot"]),
            confirm_time=_parse_instant(payload["confirm"]),
            id=payload["id"],
        )
        valid = (
            payload["query"] == _digest(query)
            and type(position.id) is int
            and 0 <= position.id <= _MAX_ID
            and (position.slot_start_time is None) == (position.confirm_time is None)
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        valid = False
    if not valid:
        raise _invalid_token()
    return position


def _instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse_instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("an instant without offset")
    return parsed.astimezone(UTC)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _invalid_token() -> BookingError:
    return invalid_argument(
        "INVALID_PAGE_TOKEN",
        "page_token",
        "The page token is not from a previous page of this same list; "
        "start again without a token.",
    )
