"""After the crowd: the database and what the callers were told must agree.

The bench reads the database directly (it is a tool, not a layer of the
server) and checks the invariants of DESIGN §5 on the run's service dates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from antrean.bench.load import PhaseResult
from antrean.bench.plan import Crowd

# Confirmed, checked-in and no-show bookings hold a place in their slot.
_HOLDING = ("confirmed", "checked_in", "no_show")
_FAILURES = ("INTERNAL", "UNKNOWN")


@dataclass(frozen=True)
class Check:
    """One verification: what was checked, whether it held, and the figures."""

    name: str
    passed: bool
    detail: str


def verify(
    engine: sa.Engine, crowd: Crowd, booked: PhaseResult, health: PhaseResult
) -> list[Check]:
    first = min(release.service_date for release in crowd.releases)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT office_id, service_date, phone_number, booking_code, state,"
                " slot_id FROM bookings WHERE service_date >= :first"
            ),
            {"first": first},
        ).all()
        slot_rows = connection.execute(
            sa.text(
                "SELECT id, taken, capacity FROM slots WHERE service_date >= :first"
            ),
            {"first": first},
        ).all()
        overfull = connection.execute(
            sa.text("SELECT count(*) FROM slots WHERE taken > capacity")
        ).scalar_one()
    bookings = [_Row(*row) for row in rows]
    return [
        _places_filled(crowd, bookings),
        _within_capacity(slot_rows, bookings, overfull),
        _taken_matches(slot_rows, bookings),
        _acknowledged_are_stored(booked, bookings),
        _nothing_left_pending(bookings),
        _one_active_per_number(bookings),
        _no_internal_errors(booked, health),
        _no_unexpected_refusals(booked, health),
        _retries_replayed(booked),
    ]


@dataclass(frozen=True)
class _Row:
    office_id: str
    service_date: object
    phone_number: str | None
    booking_code: str | None
    state: str
    slot_id: int | None


def _places_filled(crowd: Crowd, bookings: list[_Row]) -> Check:
    held = Counter(
        (row.office_id, str(row.service_date))
        for row in bookings
        if row.state in ("confirmed", "checked_in")
    )
    wanted = {
        (release.office_id, str(release.service_date)): release.places
        for release in crowd.releases
    }
    wrong = sorted(
        f"{office} {day}: {held.get((office, day), 0)} of {places}"
        for (office, day), places in wanted.items()
        if held.get((office, day), 0) != places
    )
    stray = sorted(f"{office} {day}" for office, day in set(held) - set(wanted))
    total = sum(held.values())
    detail = f"{total:,} confirmed of {crowd.places:,} places offered"
    if wrong:
        detail += "; " + ", ".join(wrong[:5])
    if stray:
        detail += "; bookings on dates not released: " + ", ".join(stray[:5])
    return Check("confirmed bookings = places offered", not wrong and not stray, detail)


def _within_capacity(slot_rows, bookings: list[_Row], overfull: int) -> Check:
    holding = Counter(row.slot_id for row in bookings if row.state in _HOLDING)
    over = [
        slot_id
        for slot_id, _taken, capacity in slot_rows
        if holding.get(slot_id, 0) > capacity
    ]
    detail = (
        f"{len(slot_rows):,} slots of the run; slots with taken > capacity in the"
        f" whole database: {overfull}; slots holding more bookings than places:"
        f" {len(over)}"
    )
    return Check("no slot over capacity (I1)", overfull == 0 and not over, detail)


def _taken_matches(slot_rows, bookings: list[_Row]) -> Check:
    holding = Counter(row.slot_id for row in bookings if row.state in _HOLDING)
    wrong = [
        f"slot {slot_id}: taken {taken}, bookings {holding.get(slot_id, 0)}"
        for slot_id, taken, _capacity in slot_rows
        if taken != holding.get(slot_id, 0)
    ]
    taken = sum(row[1] for row in slot_rows)
    detail = f"sum of taken {taken:,}, confirmed rows {sum(holding.values()):,}"
    if wrong:
        detail += "; " + ", ".join(wrong[:5])
    return Check("slot taken = bookings holding it", not wrong, detail)


def _acknowledged_are_stored(booked: PhaseResult, bookings: list[_Row]) -> Check:
    by_code = {row.booking_code: row for row in bookings if row.booking_code}
    cancelled = set(booked.cancelled)
    wrong = []
    for phone, code in booked.confirmed:
        row = by_code.get(code)
        state = "cancelled" if code in cancelled else "confirmed"
        if row is None:
            wrong.append(f"{code}: missing")
        elif row.phone_number != phone or row.state != state:
            wrong.append(f"{code}: {row.state}, expected {state}")
    detail = (
        f"{len(booked.confirmed):,} acknowledged confirmations,"
        f" {len(cancelled):,} of them cancelled by the crowd"
    )
    if wrong:
        detail += f"; {len(wrong)} wrong: " + ", ".join(wrong[:5])
    return Check("every acknowledged confirm is stored (I3)", not wrong, detail)


def _nothing_left_pending(bookings: list[_Row]) -> Check:
    pending = sum(1 for row in bookings if row.state == "pending")
    states = Counter(row.state for row in bookings)
    detail = ", ".join(f"{state} {count:,}" for state, count in sorted(states.items()))
    return Check("no request left pending", pending == 0, detail)


def _one_active_per_number(bookings: list[_Row]) -> Check:
    active = Counter(
        row.phone_number for row in bookings if row.state in ("pending", "confirmed")
    )
    doubled = [number for number, count in active.items() if count > 1]
    detail = f"{len(active):,} numbers hold a booking; {len(doubled)} hold two"
    return Check("one active booking per number (I2)", not doubled, detail)


def _no_internal_errors(*phases: PhaseResult) -> Check:
    seen = _errors(phases, lambda code: code in _FAILURES)
    return Check("no INTERNAL or UNKNOWN status", not seen, _describe(seen))


def _no_unexpected_refusals(*phases: PhaseResult) -> Check:
    seen = _errors(phases, lambda code: code not in _FAILURES)
    return Check("no refusal but SERVICE_DATE_FULL", not seen, _describe(seen))


def _retries_replayed(booked: PhaseResult) -> Check:
    mismatches = sum(booked.retry_mismatches.values())
    detail = (
        "identical responses" if not mismatches else _describe(booked.retry_mismatches)
    )
    return Check(
        "a retried request_id gets the first response (I4)", not mismatches, detail
    )


def _errors(phases: Iterable[PhaseResult], wanted) -> Counter:
    seen: Counter = Counter()
    for phase in phases:
        for (method, code, reason), count in phase.errors.items():
            if wanted(code):
                seen[method, code, reason] += count
    return seen


def _describe(counts: Counter) -> str:
    if not counts:
        return "none"
    parts = []
    for key, count in counts.most_common(5):
        label = " ".join(key) if isinstance(key, tuple) else str(key)
        parts.append(f"{label} ×{count:,}")
    return ", ".join(parts)
