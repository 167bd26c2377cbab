"""Engines, connections and the start of a transaction on each database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import event, exc

from antrean.server.storage.errors import Conflict, DatabaseUnavailable
from antrean.server.storage.schema import metadata
from antrean.server.storage.transaction import Transaction

logger = logging.getLogger(__name__)

# Long enough that writers queue behind each other instead of failing with
# "database is locked"; a transaction here lasts well under a millisecond.
SQLITE_BUSY_TIMEOUT_MS = 30_000


class Database:
    """A pool of connections to one database, handing out short transactions."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer = engine.execution_options(antrean_write=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[Transaction]:
        """A transaction that may write; commits when the block ends normally.

        On SQLite it starts with BEGIN IMMEDIATE, so writers queue for the
        lock up front instead of failing on upgrade from a read lock.
        """
        with _translated_errors(), self._writer.begin() as connection:
            yield Transaction(connection)

    @contextlib.contextmanager
    def read(self) -> Iterator[Transaction]:
        """A transaction for reads only; it never writes."""
        with _translated_errors(), self.engine.connect() as connection:
            yield Transaction(connection)
            connection.rollback()

    def create_schema(self) -> None:
        """Creates the tables that are missing (SQLite quick start and tests)."""
        with _translated_errors():
            metadata.create_all(self.engine)

    def ping(self) -> None:
        """Raises DatabaseUnavailable unless the database answers."""
        with _translated_errors(), self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, *, pool_size: int = 8) -> Database:
    """Opens a database by URL: ``sqlite:///file.db`` or ``postgresql://…``."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(parsed, pool_size)
    else:
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        engine = sa.create_engine(
            parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )
    return Database(engine)


def _sqlite_engine(url: sa.URL, pool_size: int) -> sa.Engine:
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def configure(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the server replies (I3).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection):
        immediate = connection.get_execution_options().get("antrean_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@contextlib.contextmanager
def _translated_errors() -> Iterator[None]:
    """Turns driver errors into the storage layer's own exceptions."""
    try:
        yield
    except exc.IntegrityError as error:
        raise Conflict(_violated_constraint(error)) from error
    except (exc.OperationalError, exc.InterfaceError) as error:
        logger.warning("database error class=%s", type(error.orig).__name__)
        raise DatabaseUnavailable(type(error.orig).__name__) from error


def _violated_constraint(error: exc.IntegrityError) -> str:
    text = str(error.orig)
    diag = getattr(error.orig, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    if "request_id" in name or "request_ids.request_id" in text:
        return "request_id"
    if "booking_code" in name or "bookings.booking_code" in text:
        return "booking_code"
    if "phone_number" in name or "bookings.phone_number" in text:
        return "active_booking"
    return name or "unknown"
