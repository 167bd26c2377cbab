"""Engines, connections, and transactions that retry faults and keep deadlines.

A write transaction fails in one of three ways that matter to the caller:

- ``Conflict``: a unique constraint refused the write; nothing was written.
- ``DatabaseUnavailable`` that is *transient*: the connection was lost, or
  PostgreSQL gave up on the transaction (serialization failure, deadlock).
  Nothing was written, unless the connection was lost during COMMIT, when the
  outcome is *in doubt*. ``Database.retrying`` runs such a transaction again.
- ``DatabaseUnavailable`` otherwise: the database is unreachable, a statement
  timed out, or the caller's deadline passed; nothing was written.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc

from antrean.server.storage.errors import Conflict, DatabaseUnavailable
from antrean.server.storage.transaction import Transaction

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Writers queue for SQLite's lock instead of failing with "database is locked";
# a transaction here lasts well under a millisecond. A call's deadline shortens
# the wait.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A transient fault is retried this many times, after a random pause of up to
# RETRY_BACKOFF_SECONDS, doubled at each retry: about 0.15 s in all, at most.
RETRIES = 3
RETRY_BACKOFF_SECONDS = 0.02
# Connections beyond one per RPC thread: the health watcher and the purge.
POOL_OVERFLOW = 2
# libpq waits this long for a new connection (a host that drops packets).
CONNECT_TIMEOUT_SECONDS = 5
# PostgreSQL cancels a statement of a call after this long, or at the call's
# deadline when that is nearer. Set once per connection, so that the usual
# call (a client's deadline of 10 s or so) costs no extra round trip.
STATEMENT_TIMEOUT_SECONDS = 5
# _NO_POOL_RESET: the pool does not roll a connection back when it is given
# back (a driver rollback after every COMMIT). Every checkout ends its own
# transaction: ``write()`` commits, and otherwise it and every other checkout
# roll back in ``_close_quietly``, which discards a connection whose rollback
# failed.
# A deadline further away than this is no deadline.
_LONGEST_DEADLINE_SECONDS = 86_400.0
# SQLSTATEs after which PostgreSQL has rolled the transaction back and running
# it again may succeed: serialization_failure, deadlock_detected, and the
# shutdowns of a restarting server.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "57P01", "57P02", "57P03"}
# Refused by the database itself at COMMIT: certainly rolled back, never in doubt.
_ROLLED_BACK_SQLSTATES = {"40001", "40P01"}
# Errors of the database's state rather than of the request: a read-only
# standby after a failover (25006), missing privileges (42501).
_UNAVAILABLE_SQLSTATES = {"25006", "42501"}
TCP_USER_TIMEOUT_MS = 10_000

# The monotonic instant of the current call's deadline: inf for a call without
# one, None outside calls (background work such as the purge, and migrations).
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "antrean_database_deadline", default=None
)


class TransientFault(DatabaseUnavailable):
    """A transaction that failed for a reason that may pass; see the module doc.

    ``in_doubt``: the connection was lost during COMMIT, so the transaction may
    have been committed.
    """

    def __init__(self, cause: str, *, in_doubt: bool = False) -> None:
        super().__init__(cause)
        self.cause = cause
        self.in_doubt = in_doubt


class DeadlinePassed(DatabaseUnavailable):
    """The caller's deadline passed; the transaction was rolled back."""


@contextlib.contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Holds the database work done in this block to ``seconds`` from now.

    A write transaction that is still waiting (for a lock, or on a slow
    statement) when the time is up is rolled back, and none is committed after
    it: the caller has given up and must retry with the same request id.
    ``None`` (or a deadline days away) is a call without a deadline.
    """
    if seconds is None or seconds > _LONGEST_DEADLINE_SECONDS:
        token = _deadline.set(math.inf)
    else:
        token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _remaining() -> float | None:
    """Seconds left before the call's deadline (inf: none); None outside calls."""
    end = _deadline.get()
    return None if end is None else end - time.monotonic()


class Database:
    """A pool of connections to one database, handing out short transactions."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._writer = engine.execution_options(antrean_write=True)
        # SQLite lets one writer in at a time; the others would poll its busy
        # handler, sleeping 1 to 100 ms between tries, while the lock stands
        # idle. Queueing this process's writers here hands the lock over at
        # once. It only orders them: the invariants are still held by the
        # database (BEGIN IMMEDIATE), across processes too.
        self._writer_turn = threading.Lock() if self.dialect == "sqlite" else None

    @contextlib.contextmanager
    def write(self) -> Iterator[Transaction]:
        """A transaction that may write; commits when the block ends normally.

        On SQLite it starts with BEGIN IMMEDIATE, so writers queue for the
        lock up front instead of failing on upgrade from a read lock; this
        process's writers queue for it in turn, no longer than their deadline.
        Under a deadline it commits only while the deadline has not passed.
        """
        _check_deadline()
        turn = self._writer_turn
        if turn is not None:
            _wait_for(turn)
        try:
            with _translated_errors(phase="connect"):
                connection = self._writer.connect()
            try:
                with _translated_errors(phase="transaction"):
                    transaction = connection.begin()
                    self._limit_statements(connection)
                    yield Transaction(connection)
                    _check_deadline()
                with _translated_errors(phase="commit"):
                    transaction.commit()
            finally:
                _close_quietly(connection)
        finally:
            if turn is not None:
                turn.release()

    @contextlib.contextmanager
    def read(self) -> Iterator[Transaction]:
        """A transaction for reads only; it never writes."""
        with _translated_errors(phase="read"), _checked_out(self.engine) as connection:
            yield Transaction(connection)
            connection.rollback()

    def reading(self, run: Callable[[Transaction], T]) -> T:
        """Returns ``run``'s reads in a read transaction.

        A connection lost before or during the reads (a database restarted
        while it sat in the pool) is replaced and the reads run again.
        """

        def once() -> T:
            with self.read() as tx:
                return run(tx)

        return self.retrying(once, replayable=True)

    def retrying(self, run: Callable[[], T], *, replayable: bool) -> T:
        """Calls ``run``, one whole write transaction, again after a transient fault.

        ``replayable``: ``run`` recognizes its own earlier effect (by request
        id), so it may also run again when a COMMIT's outcome is in doubt.
        Retries stop at the caller's deadline.
        """
        for retry in range(RETRIES + 1):
            try:
                return run()
            except TransientFault as fault:
                pause = random.uniform(0, RETRY_BACKOFF_SECONDS * 2**retry)
                remaining = _remaining()
                if (
                    retry == RETRIES
                    or (fault.in_doubt and not replayable)
                    or (remaining is not None and remaining <= pause)
                ):
                    logger.warning(
                        "database transaction failed cause=%s in_doubt=%s tries=%d",
                        fault.cause,
                        fault.in_doubt,
                        retry + 1,
                    )
                    raise
                logger.debug(
                    "database transaction retried cause=%s in_doubt=%s retry=%d",
                    fault.cause,
                    fault.in_doubt,
                    retry + 1,
                )
                time.sleep(pause)
        raise AssertionError("unreachable")

    def migrate(self) -> list[str]:
        """Brings the schema to this version's revision; returns those applied."""
        # Imported here: `python -m antrean.server.storage.migrate` must be able
        # to run that module as a script without importing it first.
        from antrean.server.storage import migrate

        with _translated_errors(phase="migrate"), self._writer.begin() as connection:
            applied = migrate.upgrade(connection)
        for revision in applied:
            logger.info(
                'migration applied revision=%s description="%s"',
                revision,
                migrate.description(revision),
            )
        return applied

    def is_new(self) -> bool:
        """True when the database holds no tables at all, e.g. a new SQLite file."""
        with _translated_errors(phase="read"), _checked_out(self.engine) as connection:
            return not sa.inspect(connection).get_table_names()

    def check_schema(self) -> None:
        """Raises SchemaOutOfDate unless the schema is this version's (or newer)."""
        from antrean.server.storage import migrate

        with _translated_errors(phase="read"), _checked_out(self.engine) as connection:
            migrate.check(connection)

    def ping(self) -> None:
        """Raises DatabaseUnavailable unless the database answers and takes writes."""
        if not self.reading(lambda tx: tx.ping()):
            raise DatabaseUnavailable("ReadOnlyDatabase")

    def dispose(self) -> None:
        self.engine.dispose()

    def _limit_statements(self, connection: sa.Connection) -> None:
        """Cancels any statement of this transaction that outlives the deadline.

        Calls with a distant deadline keep the connection's own timeout; work
        outside calls (the purge) has none.
        """
        if self.dialect != "postgresql":
            return  # SQLite: the busy timeout is set before BEGIN, below
        remaining = _remaining()
        if remaining is None:
            milliseconds = 0
        elif remaining < STATEMENT_TIMEOUT_SECONDS:
            milliseconds = max(1, int(remaining * 1000))
        else:
            return
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {milliseconds}")


def connect(url: str, *, pool_size: int = 8) -> Database:
    """Opens a database by URL: ``sqlite:///file.db`` or ``postgresql://…``.

    ``pool_size`` should be the number of threads that run transactions.
    """
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return Database(_sqlite_engine(parsed, pool_size))
    return Database(_postgresql_engine(parsed, pool_size))


def _postgresql_engine(url: sa.URL, pool_size: int) -> sa.Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    # The URL's own query parameters win over these defaults.
    connect_args = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "antrean-server",
        # A database that stops answering without closing the connection (a
        # network partition) must fail the connection in seconds, not in the
        # kernel's quarter of an hour: keepalives when idle, and a bound on
        # unacknowledged data while a statement waits for its reply.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
    }
    options = str(url.query.get("options", ""))
    if "statement_timeout" not in options:
        timeout = f"-c statement_timeout={STATEMENT_TIMEOUT_SECONDS * 1000}"
        connect_args["options"] = f"{options} {timeout}".strip()
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=POOL_OVERFLOW,
        pool_reset_on_return=None,  # see _NO_POOL_RESET
        # No pre-ping (a round trip per checkout): a connection that died
        # while pooled (a restarted database, a failover) fails its first
        # statement, and the transaction runs again on a new one (retrying).
        connect_args={
            key: value
            for key, value in connect_args.items()
            if key not in url.query or key == "options"
        },
    )


def _sqlite_engine(url: sa.URL, pool_size: int) -> sa.Engine:
    engine = sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=POOL_OVERFLOW,
        pool_reset_on_return=None,  # see _NO_POOL_RESET
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
        if immediate:
            # A statement only when the deadline is nearer than the busy
            # timeout, or to restore it after such a call.
            busy_ms = _sqlite_busy_ms()
            if connection.info.get(_BUSY_MS, SQLITE_BUSY_TIMEOUT_MS) != busy_ms:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={busy_ms}")
                connection.info[_BUSY_MS] = busy_ms
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# The busy timeout set on a SQLite connection, in its pool record's info.
_BUSY_MS = "antrean_busy_timeout_ms"


def _sqlite_busy_ms() -> int:
    """How long a writer may wait for SQLite's lock: up to the deadline."""
    remaining = _remaining()
    if remaining is None or remaining >= SQLITE_BUSY_TIMEOUT_MS / 1000:
        return SQLITE_BUSY_TIMEOUT_MS
    return max(1, int(remaining * 1000))


def _check_deadline() -> None:
    remaining = _remaining()
    if remaining is not None and remaining <= 0:
        logger.debug("database transaction abandoned: deadline passed")
        raise DeadlinePassed("deadline passed")


def _wait_for(turn: threading.Lock) -> None:
    """Takes the writers' turn, waiting no longer than the call's deadline."""
    remaining = _remaining()
    if remaining is None or remaining == math.inf:
        turn.acquire()
    elif not turn.acquire(timeout=max(remaining, 0.0)):
        logger.debug("database transaction abandoned: deadline passed")
        raise DeadlinePassed("deadline passed")


@contextlib.contextmanager
def _checked_out(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection from the pool, given back with its transaction ended."""
    connection = engine.connect()
    try:
        yield connection
    finally:
        _close_quietly(connection)


def _close_quietly(connection: sa.Connection) -> None:
    """Returns the connection to the pool, rolling back what is uncommitted.

    The pool does not reset the connections it gets back (_NO_POOL_RESET): one
    whose rollback failed is invalidated, never pooled with a transaction open.
    """
    try:
        if connection.in_transaction():
            connection.rollback()
    except exc.DBAPIError:
        # A lost connection is invalidated already, and its work rolled back.
        with contextlib.suppress(exc.DBAPIError):
            connection.invalidate()
    with contextlib.suppress(exc.DBAPIError):
        connection.close()


@contextlib.contextmanager
def _translated_errors(*, phase: str) -> Iterator[None]:
    """Turns driver errors into the storage layer's own exceptions.

    ``phase`` says how far a write had got: ``connect`` (nothing sent),
    ``transaction`` (statements sent, nothing committed), ``commit`` (COMMIT
    sent), or ``read`` (retried by ``reading``) or ``migrate`` (never retried).
    """
    try:
        yield
    except exc.IntegrityError as error:
        raise Conflict(_violated_constraint(error)) from error
    except (exc.OperationalError, exc.InterfaceError) as error:
        cause = type(error.orig).__name__
        if phase != "migrate" and _is_transient(error, phase):
            sqlstate = getattr(error.orig, "sqlstate", None)
            in_doubt = phase == "commit" and sqlstate not in _ROLLED_BACK_SQLSTATES
            raise TransientFault(cause, in_doubt=in_doubt) from error
        logger.debug("database error cause=%s phase=%s", cause, phase)
        raise DatabaseUnavailable(cause) from error
    except exc.DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) not in _UNAVAILABLE_SQLSTATES:
            raise
        cause = type(error.orig).__name__
        logger.warning("database refuses the work cause=%s phase=%s", cause, phase)
        raise DatabaseUnavailable(cause) from error


def _is_transient(error: exc.DBAPIError, phase: str) -> bool:
    if phase == "connect" or error.connection_invalidated:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith("08")


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
