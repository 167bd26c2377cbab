"""A thin typed client of ``antrean.v1.BookingService``.

    AntreanError                 a refusal: status code, ErrorInfo reason, metadata
    └── (no subclasses)          branch on ``error.reason``, never on the text

``BookingClient`` wraps the generated stub: it sets deadlines, gives every
mutating call a ``request_id`` so that its retries are safe, retries what the
server marks as unavailable, and turns statuses into ``AntreanError``.
"""

from antrean.client.client import BookingClient
from antrean.client.convert import date_from_proto, date_to_proto, state_name
from antrean.client.errors import AntreanError

__all__ = [
    "AntreanError",
    "BookingClient",
    "date_from_proto",
    "date_to_proto",
    "state_name",
]
