"""Guessing booking codes is throttled per caller (R10, DESIGN §6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from antrean.server.domain.errors import BookingError, ErrorKind
from antrean.server.domain.guesses import CodeGuesses
from antrean.server.domain.rules import booking_not_found, booking_of_another_office
from tests.conftest import NOW


def refused(guesses: CodeGuesses, caller: str, now=NOW) -> BookingError:
    with pytest.raises(BookingError) as caught:
        guesses.check(caller, now)
    return caught.value


def test_a_caller_may_miss_up_to_the_limit_then_is_refused():
    guesses = CodeGuesses(allowed=3, window=timedelta(minutes=10))
    for _ in range(3):
        guesses.check("desk", NOW)
        guesses.record("desk", booking_not_found(), NOW)

    refusal = refused(guesses, "desk")

    assert refusal.kind is ErrorKind.RESOURCE_EXHAUSTED
    assert refusal.reason == "TOO_MANY_FAILED_LOOKUPS"
    assert refusal.metadata == {"retry_after_seconds": "600"}


def test_another_offices_code_counts_as_a_miss():
    guesses = CodeGuesses(allowed=1)
    guesses.record("desk", booking_of_another_office(), NOW)

    assert refused(guesses, "desk").reason == "TOO_MANY_FAILED_LOOKUPS"


def test_other_refusals_and_other_callers_do_not_count():
    guesses = CodeGuesses(allowed=1)
    not_today = BookingError(ErrorKind.FAILED_PRECONDITION, "NOT_SERVICE_DATE", "x")
    guesses.record("desk", not_today, NOW)
    guesses.record("other-desk", booking_not_found(), NOW)

    guesses.check("desk", NOW)


def test_misses_leave_the_window_one_by_one():
    guesses = CodeGuesses(allowed=2, window=timedelta(minutes=10))
    guesses.record("desk", booking_not_found(), NOW)
    guesses.record("desk", booking_not_found(), NOW + timedelta(minutes=4))

    wait = refused(guesses, "desk", NOW + timedelta(minutes=9))
    guesses.check("desk", NOW + timedelta(minutes=10))
    guesses.record("desk", booking_not_found(), NOW + timedelta(minutes=10))

    assert wait.metadata == {"retry_after_seconds": "60"}
    assert refused(guesses, "desk", NOW + timedelta(minutes=11)).metadata == {
        "retry_after_seconds": "180"
    }
