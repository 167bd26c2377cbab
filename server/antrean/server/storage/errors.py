"""What a transaction can fail with, in storage terms."""

from __future__ import annotations


class Conflict(Exception):
    """A unique constraint refused a write; ``what`` names which one.

    ``active_booking``: the number already holds an active booking (I2);
    ``request_id``: the request id was stored meanwhile (I4);
    ``booking_code``: a freshly drawn booking code exists already (I5).
    """

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class DatabaseUnavailable(Exception):
    """The database could not be reached or gave up on the transaction."""


class SchemaOutOfDate(Exception):
    """The database schema is behind the code; ``antrean-server migrate`` fixes it."""
