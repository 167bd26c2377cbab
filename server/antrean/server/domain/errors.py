"""Typed refusals of the booking rules.

Every refusal is a ``BookingError`` carrying a kind (which canonical status the
transport sends), a stable ``reason`` in UPPER_SNAKE, the dynamic values as
``metadata`` and, for a malformed field, the field's name. Clients branch on
the reason; the message is for people.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class ErrorKind(enum.Enum):
    """The canonical status that a refusal maps to."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


class BookingError(Exception):
    """A refusal by the booking rules."""

    def __init__(
        self,
        kind: ErrorKind,
        reason: str,
        message: str,
        *,
        metadata: Mapping[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.reason = reason
        self.message = message
        self.metadata: dict[str, str] = dict(metadata or {})
        self.field = field

    def __repr__(self) -> str:
        return f"BookingError({self.kind.value}, {self.reason})"


def invalid_argument(reason: str, field: str, message: str) -> BookingError:
    """A malformed field of the request."""
    return BookingError(ErrorKind.INVALID_ARGUMENT, reason, message, field=field)
