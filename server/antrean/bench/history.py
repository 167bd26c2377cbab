"""Past bookings, inserted in bulk before a growth run.

The rows look like the ones a year of service leaves behind: every open day of
every office booked full, most applicants checked in, some no-shows, some
cancellations; distinct numbers and booking codes; names, birth dates and
numbers already erased for service dates older than the retention period,
as the server's purge leaves them. Slots and queue counters come with them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from antrean.bench.plan import phone_number
from antrean.server.domain.codes import BOOKING_CODE_ALPHABET, BOOKING_CODE_LENGTH
from antrean.server.domain.offices import Office
from antrean.server.storage.schema import queue_counters, slots

# The server's default: personal data goes 90 days after the service date.
PERSONAL_DATA_RETENTION = timedelta(days=90)
NO_SHOW_SHARE = 0.10
# Cancelled rows, besides the places that were used, per place.
CANCELLED_SHARE = 0.06
_CHUNK = 20_000
_CODES = len(BOOKING_CODE_ALPHABET) ** BOOKING_CODE_LENGTH
# A prime that does not divide 31**8: i -> i * step (mod 31**8) is one-to-one,
# so history codes are distinct and look random.
_CODE_STEP = 1_000_003
_COLUMNS = (
    "office_id",
    "phone_number",
    "applicant_name",
    "birth_date",
    "service_date",
    "state",
    "approval_code",
    "approval_attempts",
    "booking_code",
    "slot_id",
    "slot_start_time",
    "queue_number",
    "create_time",
    "expire_time",
    "confirm_time",
    "check_in_time",
    "cancel_time",
)


@dataclass(frozen=True)
class _Slot:
    id: int
    office_id: str
    service_date: date
    start_time: datetime  # UTC, naive, as stored
    capacity: int


def insert_history(
    engine: sa.Engine, offices: Sequence[Office], count: int, now: datetime, seed: int
) -> int:
    """Inserts ``count`` past bookings of ``offices``; returns the count."""
    rng = random.Random(seed)
    layout = list(_past_slots(offices, now, count))
    with engine.begin() as connection:
        _insert_slots(connection, layout)
    rows = _rows(layout, count, now, rng)
    if engine.dialect.name == "postgresql":
        _copy_postgresql(engine, rows)
        _tidy_postgresql(engine)
    else:
        _insert_sqlite(engine, rows)
    return count


def _past_slots(offices: Sequence[Office], now: datetime, count: int) -> Iterator:
    """Slots of past open days, newest first, until they hold ``count`` rows."""
    per_place = 1 + CANCELLED_SHARE
    held = 0
    slot_id = 0
    day = min(office.local_date(now) for office in offices)
    while held < count:
        day -= timedelta(days=1)
        for office in offices:
            for start, capacity in office.slot_layout(day):
                slot_id += 1
                naive = start.astimezone(UTC).replace(tzinfo=None)
                yield _Slot(slot_id, office.id, day, naive, capacity)
                held += int(capacity * per_place) + 1
                if held >= count:
                    return


def _insert_slots(connection: sa.Connection, layout: list[_Slot]) -> None:
    for first in range(0, len(layout), _CHUNK):
        connection.execute(
            slots.insert(),
            [
                {
                    "id": slot.id,
                    "office_id": slot.office_id,
                    "service_date": slot.service_date,
                    "start_time": slot.start_time.replace(tzinfo=UTC),
                    "capacity": slot.capacity,
                    "taken": 0,
                }
                for slot in layout[first : first + _CHUNK]
            ],
        )
    counters: dict[tuple[str, date], int] = {}
    for slot in layout:
        key = (slot.office_id, slot.service_date)
        counters[key] = counters.get(key, 0) + slot.capacity
    if counters:
        connection.execute(
            queue_counters.insert(),
            [
                {"office_id": office, "service_date": day, "last_number": number}
                for (office, day), number in counters.items()
            ],
        )


def _rows(layout: list[_Slot], count: int, now: datetime, rng: random.Random):
    """The bookings of the slots, as tuples in ``_COLUMNS`` order."""
    erased_before = (now - PERSONAL_DATA_RETENTION).date()
    made = 0
    numbers = 0
    queue: dict[tuple[str, date], int] = {}
    for slot in layout:
        personal = slot.service_date >= erased_before
        cancelled = int(slot.capacity * CANCELLED_SHARE + rng.random())
        for place in range(slot.capacity + cancelled):
            if made == count:
                return
            if place >= slot.capacity:
                state = "cancelled"
            elif rng.random() < NO_SHOW_SHARE:
                state = "no_show"
            else:
                state = "checked_in"
            created = slot.start_time - timedelta(
                days=rng.randrange(1, 30), minutes=rng.randrange(24 * 60)
            )
            queue_number = check_in_time = cancel_time = None
            if state == "checked_in":
                key = (slot.office_id, slot.service_date)
                queue_number = queue[key] = queue.get(key, 0) + 1
                check_in_time = slot.start_time - timedelta(minutes=rng.randrange(30))
            elif state == "cancelled":
                cancel_time = created + timedelta(hours=rng.randrange(1, 24))
            phone = name = birth = approval = None
            if personal:
                phone = phone_number(numbers)
                numbers += 1
                name = "WARGA SEJARAH"
                birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
                approval = f"{rng.randrange(10**8):08d}"
            yield (
                slot.office_id,
                phone,
                name,
                birth,
                slot.service_date,
                state,
                approval,
                0,
                _history_code(made),
                slot.id,
                slot.start_time,
                queue_number,
                created,
                created + timedelta(minutes=15),
                created + timedelta(minutes=2),
                check_in_time,
                cancel_time,
            )
            made += 1


def _history_code(index: int) -> str:
    value = (index * _CODE_STEP + 7) % _CODES
    letters = []
    for _ in range(BOOKING_CODE_LENGTH):
        value, digit = divmod(value, len(BOOKING_CODE_ALPHABET))
        letters.append(BOOKING_CODE_ALPHABET[digit])
    return "".join(letters)


def _insert_sqlite(engine: sa.Engine, rows) -> None:
    """Plain executemany on the driver, values as SQLAlchemy stores them."""
    placeholders = ", ".join("?" for _ in _COLUMNS)
    statement = f"INSERT INTO bookings ({', '.join(_COLUMNS)}) VALUES ({placeholders})"
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(value) for value in row))
            if len(batch) == _CHUNK:
                cursor.executemany(statement, batch)
                batch.clear()
        if batch:
            cursor.executemany(statement, batch)
        _set_taken(cursor)
        connection.commit()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    finally:
        connection.close()


def _sqlite_value(value):
    # SQLAlchemy keeps SQLite dates and instants as text in these forms.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _copy_postgresql(engine: sa.Engine, rows) -> None:
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            columns = ", ".join(_COLUMNS)
            with cursor.copy(f"COPY bookings ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            _set_taken(cursor)
            # The slots were given their ids; move the sequence past them.
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('slots', 'id'), "
                "(SELECT coalesce(max(id), 1) FROM slots))"
            )
        driver.commit()
    finally:
        connection.close()


def _set_taken(cursor) -> None:
    """Counts the places each past slot holds, in one pass over the bookings."""
    cursor.execute(
        "UPDATE slots SET taken = held.places FROM ("
        "SELECT slot_id, count(*) AS places FROM bookings "
        "WHERE state IN ('confirmed', 'checked_in', 'no_show') GROUP BY slot_id"
        ") AS held WHERE held.slot_id = slots.id"
    )


def _tidy_postgresql(engine: sa.Engine) -> None:
    """What autovacuum would soon do after a bulk load: statistics, hint bits."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE")
