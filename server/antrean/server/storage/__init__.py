"""Storage: the SQLAlchemy schema and the transactions that hold I1–I5.

Only this layer imports SQLAlchemy. It knows nothing of the booking rules; it
offers short transactions whose statements make the invariants hold in the
database itself (conditional updates, unique and partial unique indexes).
"""

from antrean.server.storage.database import Database, connect
from antrean.server.storage.errors import (
    Conflict,
    DatabaseUnavailable,
    SchemaOutOfDate,
)
from antrean.server.storage.records import (
    BookingRecord,
    BookingState,
    SlotRecord,
)

__all__ = [
    "BookingRecord",
    "BookingState",
    "Conflict",
    "Database",
    "DatabaseUnavailable",
    "SchemaOutOfDate",
    "SlotRecord",
    "connect",
]
