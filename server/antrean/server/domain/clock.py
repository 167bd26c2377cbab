"""Clocks: every rule reads the time from one of these, never from the system."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """Real time shifted so that it starts at a chosen instant; for demos and tests.

    It keeps running, so the order of events and expiry work as in production.
    """

    def __init__(self, start: datetime) -> None:
        self._start = _require_aware(start).astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


class FixedClock:
    """A clock that stands still until it is moved; for tests."""

    def __init__(self, instant: datetime) -> None:
        self._instant = _require_aware(instant).astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._instant

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._instant = _require_aware(instant).astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._instant += delta


def _require_aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the clock needs an instant with a time zone")
    return instant
