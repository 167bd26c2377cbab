"""The statements of one transaction. Each method is one or two statements."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from antrean.server.storage.records import (
    ACTIVE_STATES,
    BookingRecord,
    BookingState,
    SlotRecord,
)
from antrean.server.storage.schema import bookings, queue_counters, request_ids, slots

_ACTIVE = [state.value for state in ACTIVE_STATES]


class Transaction:
    """Reads and writes inside one database transaction."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name

    # Bookings: reads.

    def booking_by_code(self, code: str, *, for_update: bool = False):
        query = sa.select(bookings).where(bookings.c.booking_code == code)
        return self._one_booking(query, for_update)

    def latest_booking(self, phone_number: str, *, for_update: bool = False):
        """The number's most recent booking in any state, or None."""
        query = (
            sa.select(bookings)
            .where(bookings.c.phone_number == phone_number)
            .order_by(bookings.c.id.desc())
            .limit(1)
        )
        return self._one_booking(query, for_update)

    def active_booking(self, phone_number: str, *, for_update: bool = False):
        """The number's pending or confirmed booking, or None."""
        query = sa.select(bookings).where(
            bookings.c.phone_number == phone_number, bookings.c.state.in_(_ACTIVE)
        )
        return self._one_booking(query, for_update)

    def list_bookings(
        self,
        office_id: str,
        service_date: date,
        state: BookingState | None,
        offset: int,
        limit: int,
    ) -> list[BookingRecord]:
        query = sa.select(bookings).where(
            bookings.c.office_id == office_id, bookings.c.service_date == service_date
        )
        if state is not None:
            query = query.where(bookings.c.state == state.value)
        query = (
            query.order_by(
                bookings.c.slot_start_time.is_(None),
                bookings.c.slot_start_time,
                bookings.c.confirm_time,
                bookings.c.id,
            )
            .offset(offset)
            .limit(limit)
        )
        return [_booking(row) for row in self._connection.execute(query)]

    # Bookings: writes.

    def release_stale(self, phone_number: str, now: datetime) -> None:
        """Ends the number's bookings that stopped being active with time (R9)."""
        self._release_stale(now, bookings.c.phone_number == phone_number)

    def release_all_stale(self, now: datetime) -> None:
        """Ends every booking that stopped being active with time."""
        self._release_stale(now, sa.true())

    def _release_stale(self, now: datetime, which: sa.ColumnElement[bool]) -> None:
        self._connection.execute(
            sa.update(bookings)
            .where(which, bookings.c.state == BookingState.PENDING)
            .where(bookings.c.expire_time <= now)
            .values(state=BookingState.EXPIRED.value)
        )
        self._connection.execute(
            sa.update(bookings)
            .where(which, bookings.c.state == BookingState.CONFIRMED)
            .where(bookings.c.slot_start_time <= now)
            .values(state=BookingState.NO_SHOW.value)
        )

    def insert_pending(
        self,
        *,
        office_id: str,
        phone_number: str,
        applicant_name: str,
        birth_date: date,
        service_date: date,
        approval_code: str,
        now: datetime,
        expire_time: datetime,
    ) -> BookingRecord:
        """Adds a pending booking; a second active one raises Conflict (I2)."""
        row = self._connection.execute(
            sa.insert(bookings)
            .values(
                office_id=office_id,
                phone_number=phone_number,
                applicant_name=applicant_name,
                birth_date=birth_date,
                service_date=service_date,
                state=BookingState.PENDING.value,
                approval_code=approval_code,
                approval_attempts=0,
                create_time=now,
                expire_time=expire_time,
            )
            .returning(*bookings.c)
        ).one()
        return _booking(row)

    def set_state(self, booking_id: int, state: BookingState, **values) -> None:
        self._connection.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(state=state.value, **values)
        )

    def count_wrong_approval(self, booking_id: int) -> int:
        """Adds one wrong approval code to the booking; returns the new count."""
        return self._connection.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(approval_attempts=bookings.c.approval_attempts + 1)
            .returning(bookings.c.approval_attempts)
        ).scalar_one()

    def confirm(
        self, booking_id: int, *, booking_code: str, slot: SlotRecord, now: datetime
    ) -> BookingRecord:
        """Marks the booking confirmed in a slot; a taken code raises Conflict."""
        row = self._connection.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(
                state=BookingState.CONFIRMED.value,
                booking_code=booking_code,
                slot_id=slot.id,
                slot_start_time=slot.start_time,
                confirm_time=now,
            )
            .returning(*bookings.c)
        ).one()
        return _booking(row)

    def check_in(self, booking_id: int, *, queue_number: int, now: datetime):
        row = self._connection.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(
                state=BookingState.CHECKED_IN.value,
                queue_number=queue_number,
                check_in_time=now,
            )
            .returning(*bookings.c)
        ).one()
        return _booking(row)

    def cancel(self, booking_id: int, now: datetime) -> BookingRecord:
        row = self._connection.execute(
            sa.update(bookings)
            .where(bookings.c.id == booking_id)
            .values(state=BookingState.CANCELLED.value, cancel_time=now)
            .returning(*bookings.c)
        ).one()
        return _booking(row)

    # Slots.

    def slots_of(self, office_id: str, service_date: date) -> list[SlotRecord]:
        query = (
            sa.select(slots.c.id, slots.c.start_time, slots.c.capacity, slots.c.taken)
            .where(slots.c.office_id == office_id)
            .where(slots.c.service_date == service_date)
            .order_by(slots.c.start_time)
        )
        return [SlotRecord(*row) for row in self._connection.execute(query)]

    def add_slots(
        self,
        office_id: str,
        service_date: date,
        layout: Iterable[tuple[datetime, int]],
    ) -> None:
        """Creates a date's slots unless another transaction already did."""
        rows = [
            {
                "office_id": office_id,
                "service_date": service_date,
                "start_time": start,
                "capacity": capacity,
                "taken": 0,
            }
            for start, capacity in layout
        ]
        insert = (sqlite if self._dialect == "sqlite" else postgresql).insert(slots)
        self._connection.execute(insert.on_conflict_do_nothing(), rows)

    def take_place(self, slot: SlotRecord) -> bool:
        """Takes one place in the slot if it still has room (I1).

        The condition is checked by the UPDATE itself, so two transactions can
        never both take the last place.
        """
        result = self._connection.execute(
            sa.update(slots)
            .where(slots.c.id == slot.id, slots.c.taken < slots.c.capacity)
            .values(taken=slots.c.taken + 1)
        )
        return result.rowcount == 1

    def return_place(self, slot_id: int) -> None:
        self._connection.execute(
            sa.update(slots)
            .where(slots.c.id == slot_id, slots.c.taken > 0)
            .values(taken=slots.c.taken - 1)
        )

    def taken_by_date(
        self, office_id: str, first: date, last: date
    ) -> dict[date, tuple[int, int]]:
        """Capacity and places taken per date that has slots, in one query."""
        query = (
            sa.select(
                slots.c.service_date,
                sa.func.sum(slots.c.capacity),
                sa.func.sum(slots.c.taken),
            )
            .where(slots.c.office_id == office_id)
            .where(slots.c.service_date.between(first, last))
            .group_by(slots.c.service_date)
        )
        return {
            day: (int(capacity), int(taken))
            for day, capacity, taken in self._connection.execute(query)
        }

    # Queue numbers.

    def next_queue_number(self, office_id: str, service_date: date) -> int:
        """Returns the day's next queue number, from 1, without gaps or repeats."""
        insert = (sqlite if self._dialect == "sqlite" else postgresql).insert(
            queue_counters
        )
        statement = (
            insert.values(office_id=office_id, service_date=service_date, last_number=1)
            .on_conflict_do_update(
                index_elements=["office_id", "service_date"],
                set_={"last_number": queue_counters.c.last_number + 1},
            )
            .returning(queue_counters.c.last_number)
        )
        return self._connection.execute(statement).scalar_one()

    # Request ids (I4).

    def stored_response(self, request_id: str) -> tuple[str, str, bytes] | None:
        """The method, fingerprint and response stored under a request id."""
        row = self._connection.execute(
            sa.select(
                request_ids.c.method, request_ids.c.fingerprint, request_ids.c.response
            ).where(request_ids.c.request_id == request_id)
        ).first()
        return None if row is None else (row[0], row[1], bytes(row[2]))

    def store_response(
        self,
        request_id: str,
        *,
        method: str,
        fingerprint: str,
        response: bytes,
        now: datetime,
    ) -> None:
        self._connection.execute(
            sa.insert(request_ids).values(
                request_id=request_id,
                method=method,
                fingerprint=fingerprint,
                response=response,
                create_time=now,
            )
        )

    # Retention.

    def forget_request_ids(self, before: datetime) -> int:
        result = self._connection.execute(
            sa.delete(request_ids).where(request_ids.c.create_time < before)
        )
        return result.rowcount

    def erase_personal_data(self, served_before: date) -> int:
        """Erases names, birth dates, numbers and codes of old bookings."""
        result = self._connection.execute(
            sa.update(bookings)
            .where(bookings.c.service_date < served_before)
            .where(bookings.c.applicant_name.is_not(None))
            .where(bookings.c.state.not_in(_ACTIVE))
            .values(
                phone_number=None,
                applicant_name=None,
                birth_date=None,
                approval_code=None,
            )
        )
        return result.rowcount

    def _one_booking(self, query: sa.Select, for_update: bool) -> BookingRecord | None:
        if for_update and self._dialect == "postgresql":
            query = query.with_for_update()
        row = self._connection.execute(query).first()
        return None if row is None else _booking(row)


def _booking(row: sa.Row | Sequence) -> BookingRecord:
    values = row._mapping
    return BookingRecord(
        **{
            key: values[key]
            for key in BookingRecord.__dataclass_fields__
            if key != "state"
        },
        state=BookingState(values["state"]),
    )
