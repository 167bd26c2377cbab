"""The statements of one transaction. Each method is one or two statements.

The statements of the booking path are built once, at import, with named
parameters: building a Core statement and its cache key costs several times
more than executing it, and a booking runs a dozen of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from antrean.server.storage.records import (
    ACTIVE_STATES,
    BookingRecord,
    BookingState,
    SlotRecord,
)
from antrean.server.storage.schema import (
    ACTIVE_CONDITION,
    bookings,
    queue_counters,
    request_ids,
    slots,
)

_ACTIVE = [state.value for state in ACTIVE_STATES]

# A booking row's columns in BookingRecord's order, so a row builds a record
# by position.
_BOOKING_COLUMNS = [bookings.c[name] for name in BookingRecord.__dataclass_fields__]
_STATE_INDEX = list(BookingRecord.__dataclass_fields__).index("state")


def _bookings_where(*conditions: sa.ColumnElement[bool]) -> sa.Select:
    return sa.select(*_BOOKING_COLUMNS).where(*conditions)


def _locking(query: sa.Select) -> dict[bool, sa.Select]:
    """The query as is, and with FOR UPDATE (PostgreSQL only: SQLite's
    BEGIN IMMEDIATE already holds the whole database)."""
    return {False: query, True: query.with_for_update()}


_BY_CODE = _locking(_bookings_where(bookings.c.booking_code == sa.bindparam("code")))
_LATEST = _locking(
    _bookings_where(bookings.c.phone_number == sa.bindparam("number"))
    .order_by(bookings.c.id.desc())
    .limit(1)
)
_ACTIVE_BOOKING = _locking(
    _bookings_where(
        bookings.c.phone_number == sa.bindparam("number"),
        bookings.c.state.in_(_ACTIVE),
    )
)

# A pending booking past its expiry has expired; a confirmed one whose slot
# has started is a no-show (R9). One statement ends both.
_STALE = sa.or_(
    sa.and_(
        bookings.c.state == BookingState.PENDING.value,
        bookings.c.expire_time <= sa.bindparam("now"),
    ),
    sa.and_(
        bookings.c.state == BookingState.CONFIRMED.value,
        bookings.c.slot_start_time <= sa.bindparam("now"),
    ),
)
_RELEASE_STALE_STATE = sa.case(
    (bookings.c.state == BookingState.PENDING.value, BookingState.EXPIRED.value),
    else_=BookingState.NO_SHOW.value,
)
_RELEASE_STALE = (
    sa.update(bookings)
    .where(bookings.c.phone_number == sa.bindparam("number"), _STALE)
    .values(state=_RELEASE_STALE_STATE)
)
_RELEASE_STALE_OF_DAY = (
    sa.update(bookings)
    .where(
        bookings.c.office_id == sa.bindparam("office"),
        bookings.c.service_date == sa.bindparam("day"),
        _STALE,
    )
    .values(state=_RELEASE_STALE_STATE)
)
_RELEASE_ALL_STALE = (
    sa.update(bookings).where(_STALE).values(state=_RELEASE_STALE_STATE)
)

_INSERT_PENDING = sa.insert(bookings).returning(*_BOOKING_COLUMNS)
_PENDING_COLUMNS = (
    "office_id",
    "phone_number",
    "applicant_name",
    "birth_date",
    "service_date",
    "state",
    "approval_code",
    "approval_attempts",
    "create_time",
    "expire_time",
)


def _new(name: str) -> sa.BindParameter:
    return sa.bindparam(f"new_{name}", type_=bookings.c[name].type)


# The places left on the new booking's date; 1 while it has no slots yet.
_ROOM_ON_DATE = sa.func.coalesce(
    sa.select(sa.func.sum(slots.c.capacity - slots.c.taken))
    .where(
        slots.c.office_id == _new("office_id"),
        slots.c.service_date == _new("service_date"),
    )
    .scalar_subquery(),
    1,
)
_INSERT_PENDING_IF_FREE = {
    name: dialect.insert(bookings)
    .from_select(
        _PENDING_COLUMNS,
        sa.select(*(_new(column) for column in _PENDING_COLUMNS)).where(
            _ROOM_ON_DATE > 0
        ),
    )
    .on_conflict_do_nothing(
        index_elements=[bookings.c.phone_number], index_where=ACTIVE_CONDITION
    )
    .returning(*_BOOKING_COLUMNS)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_SET_STATE = sa.update(bookings).where(bookings.c.id == sa.bindparam("booking_id"))
_COUNT_WRONG_APPROVAL = (
    sa.update(bookings)
    .where(bookings.c.id == sa.bindparam("booking_id"))
    .values(approval_attempts=bookings.c.approval_attempts + 1)
    .returning(bookings.c.approval_attempts)
)
_UPDATE_BOOKING = (
    sa.update(bookings)
    .where(bookings.c.id == sa.bindparam("booking_id"))
    .returning(*_BOOKING_COLUMNS)
)

_SLOTS_OF = (
    sa.select(slots.c.id, slots.c.start_time, slots.c.capacity, slots.c.taken)
    .where(
        slots.c.office_id == sa.bindparam("office"),
        slots.c.service_date == sa.bindparam("day"),
    )
    .order_by(slots.c.start_time)
)
# The condition on taken is checked by the UPDATE itself, so two transactions
# can never both take the last place (I1).
_HAS_ROOM = slots.c.taken < slots.c.capacity
_TAKE_PLACE = (
    sa.update(slots)
    .where(slots.c.id == sa.bindparam("slot_id"), _HAS_ROOM)
    .values(taken=slots.c.taken + 1)
)
_TAKE_EARLIEST_PLACE = (
    sa.update(slots)
    .where(
        slots.c.id
        == sa.select(slots.c.id)
        .where(
            slots.c.office_id == sa.bindparam("office"),
            slots.c.service_date == sa.bindparam("day"),
            _HAS_ROOM,
        )
        .order_by(slots.c.start_time)
        .limit(1)
        .scalar_subquery(),
        _HAS_ROOM,
    )
    .values(taken=slots.c.taken + 1)
    .returning(slots.c.id, slots.c.start_time, slots.c.capacity, slots.c.taken)
)
_RETURN_PLACE = (
    sa.update(slots)
    .where(slots.c.id == sa.bindparam("slot_id"), slots.c.taken > 0)
    .values(taken=slots.c.taken - 1)
)
_TAKEN_BY_DATE = (
    sa.select(
        slots.c.service_date,
        sa.func.sum(slots.c.capacity),
        sa.func.sum(slots.c.taken),
    )
    .where(slots.c.office_id == sa.bindparam("office"))
    .where(slots.c.service_date.between(sa.bindparam("first"), sa.bindparam("last")))
    .group_by(slots.c.service_date)
)

_STORED_RESPONSE = sa.select(
    request_ids.c.method, request_ids.c.fingerprint, request_ids.c.response
).where(request_ids.c.request_id == sa.bindparam("request_id"))
_STORE_RESPONSE = sa.insert(request_ids)


@dataclass(frozen=True)
class PendingBooking:
    """What a new request stores: a pending booking with its approval code."""

    office_id: str
    phone_number: str
    applicant_name: str
    birth_date: date
    service_date: date
    approval_code: str
    now: datetime
    expire_time: datetime

    def values(self, prefix: str = "") -> dict[str, object]:
        return {
            f"{prefix}office_id": self.office_id,
            f"{prefix}phone_number": self.phone_number,
            f"{prefix}applicant_name": self.applicant_name,
            f"{prefix}birth_date": self.birth_date,
            f"{prefix}service_date": self.service_date,
            f"{prefix}state": BookingState.PENDING.value,
            f"{prefix}approval_code": self.approval_code,
            f"{prefix}approval_attempts": 0,
            f"{prefix}create_time": self.now,
            f"{prefix}expire_time": self.expire_time,
        }


class Transaction:
    """Reads and writes inside one database transaction."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._lock = self._dialect == "postgresql"

    def ping(self) -> bool:
        """Whether the database answers and takes writes (not a read-only standby)."""
        if self._dialect != "postgresql":
            self._connection.exec_driver_sql("SELECT 1")
            return True
        read_only = self._connection.exec_driver_sql(
            "SHOW transaction_read_only"
        ).scalar()
        return read_only == "off"

    # Bookings: reads.

    def booking_by_code(self, code: str, *, for_update: bool = False):
        return self._one_booking(_BY_CODE, for_update, {"code": code})

    def latest_booking(self, phone_number: str, *, for_update: bool = False):
        """The number's most recent booking in any state, or None."""
        return self._one_booking(_LATEST, for_update, {"number": phone_number})

    def active_booking(self, phone_number: str, *, for_update: bool = False):
        """The number's pending or confirmed booking, or None."""
        return self._one_booking(_ACTIVE_BOOKING, for_update, {"number": phone_number})

    def list_bookings(
        self,
        office_id: str,
        service_date: date,
        state: BookingState | None,
        after_id: int | None,
        limit: int,
    ) -> list[BookingRecord]:
        """A day's bookings in the order they were requested, after ``after_id``.

        The id never changes, so paging by it never skips or repeats a booking,
        whatever happens to the others meanwhile.
        """
        query = _bookings_where(
            bookings.c.office_id == office_id, bookings.c.service_date == service_date
        )
        if state is not None:
            query = query.where(bookings.c.state == state.value)
        if after_id is not None:
            query = query.where(bookings.c.id > after_id)
        query = query.order_by(bookings.c.id).limit(limit)
        return [_booking(row) for row in self._connection.execute(query)]

    def release_stale_of_day(
        self, office_id: str, service_date: date, now: datetime
    ) -> None:
        """Ends the day's bookings that stopped being active with time (R9)."""
        self._connection.execute(
            _RELEASE_STALE_OF_DAY,
            {"office": office_id, "day": service_date, "now": now},
        )

    # Bookings: writes.

    def release_stale(self, phone_number: str, now: datetime) -> None:
        """Ends the number's bookings that stopped being active with time (R9)."""
        self._connection.execute(_RELEASE_STALE, {"number": phone_number, "now": now})

    def release_all_stale(self, now: datetime) -> None:
        """Ends every booking that stopped being active with time."""
        self._connection.execute(_RELEASE_ALL_STALE, {"now": now})

    def insert_pending(self, pending: PendingBooking) -> BookingRecord:
        """Adds a pending booking; a second active one raises Conflict (I2)."""
        row = self._connection.execute(_INSERT_PENDING, pending.values()).one()
        return _booking(row)

    def insert_pending_if_free(self, pending: PendingBooking) -> BookingRecord | None:
        """Adds a pending booking in one statement, or nothing and None.

        Nothing when the date's slots are all taken, or the number holds a
        booking in an active state, stale or not.
        """
        statement = _INSERT_PENDING_IF_FREE[self._dialect]
        row = self._connection.execute(statement, pending.values("new_")).first()
        return None if row is None else _booking(row)

    def set_state(self, booking_id: int, state: BookingState, **values) -> None:
        self._connection.execute(
            _SET_STATE, {"booking_id": booking_id, "state": state.value, **values}
        )

    def count_wrong_approval(self, booking_id: int) -> int:
        """Adds one wrong approval code to the booking; returns the new count."""
        return self._connection.execute(
            _COUNT_WRONG_APPROVAL, {"booking_id": booking_id}
        ).scalar_one()

    def confirm(
        self, booking_id: int, *, booking_code: str, slot: SlotRecord, now: datetime
    ) -> BookingRecord:
        """Marks the booking confirmed in a slot; a taken code raises Conflict."""
        return self._update_booking(
            booking_id,
            state=BookingState.CONFIRMED.value,
            booking_code=booking_code,
            slot_id=slot.id,
            slot_start_time=slot.start_time,
            confirm_time=now,
        )

    def check_in(self, booking_id: int, *, queue_number: int, now: datetime):
        return self._update_booking(
            booking_id,
            state=BookingState.CHECKED_IN.value,
            queue_number=queue_number,
            check_in_time=now,
        )

    def cancel(self, booking_id: int, now: datetime) -> BookingRecord:
        return self._update_booking(
            booking_id, state=BookingState.CANCELLED.value, cancel_time=now
        )

    # Slots.

    def slots_of(self, office_id: str, service_date: date) -> list[SlotRecord]:
        rows = self._connection.execute(
            _SLOTS_OF, {"office": office_id, "day": service_date}
        )
        return [SlotRecord(*row) for row in rows]

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

    def take_earliest_place(
        self, office_id: str, service_date: date
    ) -> SlotRecord | None:
        """Takes one place in the date's earliest slot with room, in one statement.

        None when no slot took it: the date has no slots yet, is full, or (on
        PostgreSQL) another transaction took the chosen slot's last place first.
        """
        row = self._connection.execute(
            _TAKE_EARLIEST_PLACE, {"office": office_id, "day": service_date}
        ).first()
        return None if row is None else SlotRecord(*row)

    def take_place(self, slot: SlotRecord) -> bool:
        """Takes one place in the slot if it still has room (I1)."""
        result = self._connection.execute(_TAKE_PLACE, {"slot_id": slot.id})
        return result.rowcount == 1

    def return_place(self, slot_id: int) -> None:
        self._connection.execute(_RETURN_PLACE, {"slot_id": slot_id})

    def taken_by_date(
        self, office_id: str, first: date, last: date
    ) -> dict[date, tuple[int, int]]:
        """Capacity and places taken per date that has slots, in one query."""
        rows = self._connection.execute(
            _TAKEN_BY_DATE, {"office": office_id, "first": first, "last": last}
        )
        return {day: (int(capacity), int(taken)) for day, capacity, taken in rows}

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
            _STORED_RESPONSE, {"request_id": request_id}
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
            _STORE_RESPONSE,
            {
                "request_id": request_id,
                "method": method,
                "fingerprint": fingerprint,
                "response": response,
                "create_time": now,
            },
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

    def _one_booking(
        self, query: dict[bool, sa.Select], for_update: bool, parameters: dict
    ) -> BookingRecord | None:
        statement = query[for_update and self._lock]
        row = self._connection.execute(statement, parameters).first()
        return None if row is None else _booking(row)

    def _update_booking(self, booking_id: int, **values) -> BookingRecord:
        row = self._connection.execute(
            _UPDATE_BOOKING, {"booking_id": booking_id, **values}
        ).one()
        return _booking(row)


def _booking(row: sa.Row | Sequence) -> BookingRecord:
    values = list(row)
    values[_STATE_INDEX] = BookingState(values[_STATE_INDEX])
    return BookingRecord(*values)
