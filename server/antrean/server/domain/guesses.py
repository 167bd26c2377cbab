"""Throttles callers who guess booking codes (R10, DESIGN §6).

A booking code is one of about 10^12 strings, so guessing one is hopeless
unless a caller may try without end. Each caller (an internal client, by name)
may miss a handful of times in a window, which covers an officer's typing
errors; after that its lookups by code are refused until old misses leave the
window. The counts live in the server process: each replica keeps its own.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import deque
from collections.abc import Iterator
from datetime import datetime, timedelta

from antrean.server.domain.errors import BookingError, ErrorKind

# Misses allowed per caller in MISS_WINDOW; the next lookup by code is refused.
MISSES_ALLOWED = 20
MISS_WINDOW = timedelta(minutes=10)
# The refusals of a lookup by code that tell a guesser something.
MISS_REASONS = frozenset({"BOOKING_NOT_FOUND", "BOOKING_OF_ANOTHER_OFFICE"})


class CodeGuesses:
    """Counts each caller's recent misses of a booking code."""

    def __init__(
        self, allowed: int = MISSES_ALLOWED, window: timedelta = MISS_WINDOW
    ) -> None:
        self._allowed = allowed
        self._window = window
        self._misses: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def lookup(self, caller: str, now: datetime) -> Iterator[None]:
        """Holds one lookup by code: refused up front when the caller missed too
        often, counted when the block refuses with a miss."""
        self.check(caller, now)
        try:
            yield
        except BookingError as refusal:
            self.record(caller, refusal, now)
            raise

    def check(self, caller: str, now: datetime) -> None:
        """Refuses a caller with too many recent misses (RESOURCE_EXHAUSTED)."""
        with self._lock:
            misses = self._recent(caller, now)
            if len(misses) < self._allowed:
                return
            wait = misses[0] + self._window - now
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise BookingError(
            ErrorKind.RESOURCE_EXHAUSTED,
            "TOO_MANY_FAILED_LOOKUPS",
            f"Too many booking codes were not found; try again in {seconds} s, "
            "reading the code from the applicant's confirmation.",
            metadata={"retry_after_seconds": str(seconds)},
        )

    def record(self, caller: str, refusal: BookingError, now: datetime) -> None:
        """Counts the refusal of a lookup by code if it was a miss."""
        if refusal.reason not in MISS_REASONS:
            return
        with self._lock:
            self._recent(caller, now).append(now)

    def _recent(self, caller: str, now: datetime) -> deque[datetime]:
        # The newest misses are enough to know when the oldest leaves the window.
        misses = self._misses.setdefault(caller, deque(maxlen=self._allowed))
        while misses and misses[0] <= now - self._window:
            misses.popleft()
        return misses
