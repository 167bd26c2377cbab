"""``ListBookings`` page tokens: where the previous page stopped.

A token carries the id of the previous page's last booking and a digest of the
request it belongs to, so that a token is refused with another office, date
or state filter. It is opaque to clients but not secret: a token made up by
hand is checked like any input and can only list what the caller may list
anyway.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from antrean.server.domain.errors import BookingError, invalid_argument

# Booking ids are positive 32-bit integers on every database.
_MAX_ID = 2**31 - 1
# A real token is about 60 characters; anything far longer was not made here.
_MAX_TOKEN_LENGTH = 200


def encode(last_id: int, query: str) -> str:
    """The token of the page that follows the booking ``last_id``."""
    payload = {"after": last_id, "query": _digest(query)}
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


def decode(token: str, query: str) -> int | None:
    """The booking id a token stands for; None for no token (the first page)."""
    if not token:
        return None
    if len(token) > _MAX_TOKEN_LENGTH:
        raise _invalid_token()
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = payload["after"]
        valid = (
            payload["query"] == _digest(query)
            and type(after) is int
            and 0 <= after <= _MAX_ID
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise _invalid_token()
    return after


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _invalid_token() -> BookingError:
    return invalid_argument(
        "INVALID_PAGE_TOKEN",
        "page_token",
        "The page token is not from a previous page of this same list; "
        "start again without a token.",
    )
