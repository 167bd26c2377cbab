"""``create_server``: the gRPC server with its services, ready to start.

This is where the layers are put together: configuration, the database, the
domain's ``Bookings`` and the servicers, health and reflection.
"""

from __future__ import annotations

import logging
import threading
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from antrean.server.config import Settings
from antrean.server.domain.bookings import Bookings
from antrean.server.domain.clock import Clock, OffsetClock, SystemClock
from antrean.server.storage import Database, DatabaseUnavailable, connect
from antrean.server.transport.auth import AuthInterceptor, Credential
from antrean.server.transport.deadline import DatabaseDeadlineInterceptor
from antrean.server.transport.servicer import BookingServicer
from antrean.v1 import booking_service_pb2, booking_service_pb2_grpc

logger = logging.getLogger(__name__)

SERVICE_NAME = booking_service_pb2.DESCRIPTOR.services_by_name[
    "BookingService"
].full_name
# How often the database is pinged for the health service, and old request
# ids and personal data are purged.
HEALTH_INTERVAL_SECONDS = 2.0
PING_TIMEOUT_SECONDS = 3.0
PURGE_INTERVAL_SECONDS = 3600.0


@dataclass
class AntreanServer:
    """A started server; ``stop`` shuts it down gracefully."""

    server: grpc.Server
    port: int
    database: Database
    bookings: Bookings
    health: health.HealthServicer
    settings: Settings = field(default_factory=Settings)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _serving: bool = True
    _pinger: futures.ThreadPoolExecutor = field(
        default_factory=lambda: futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="antrean-ping"
        )
    )
    _ping: futures.Future | None = None
    _watcher: threading.Thread | None = None

    def start(self) -> None:
        self.server.start()
        self._watcher = threading.Thread(
            target=self._watch, name="antrean-watch", daemon=True
        )
        self._watcher.start()

    def stop(self, grace: float = 10.0) -> None:
        """Says NOT_SERVING first, then lets in-flight calls finish."""
        self._stopping.set()
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        if self._watcher is not None:
            self._watcher.join()
        self._pinger.shutdown(wait=False, cancel_futures=True)
        self.database.dispose()

    def wait(self) -> None:
        self.server.wait_for_termination()

    def check_health_now(self) -> bool:
        """Pings the database and sets the health status; True when serving.

        A database that stops answering without closing the connection would
        hold the ping for as long as the network lets it; a ping still running
        after PING_TIMEOUT_SECONDS counts as unreachable, and no second one is
        started while it hangs.
        """
        if self._ping is None or self._ping.done():
            self._ping = self._pinger.submit(self.database.ping)
        try:
            self._ping.result(timeout=PING_TIMEOUT_SECONDS)
            serving = True
        except (DatabaseUnavailable, futures.TimeoutError):
            serving = False
        except Exception as error:
            # Whatever stops the ping stops the service; the watcher goes on.
            logger.error("database ping failed class=%s", type(error).__name__)
            serving = False
        if serving != self._serving:
            if serving:
                logger.info("database reachable again")
            else:
                logger.warning("database unreachable or read-only; NOT_SERVING")
        self._serving = serving
        self._set_health(serving)
        return serving

    def _watch(self) -> None:
        """Keeps the health status in step with the database; purges hourly."""
        since_purge = PURGE_INTERVAL_SECONDS  # purge once soon after start
        while not self._stopping.wait(HEALTH_INTERVAL_SECONDS):
            serving = self.check_health_now()
            since_purge += HEALTH_INTERVAL_SECONDS
            if serving and since_purge >= PURGE_INTERVAL_SECONDS:
                since_purge = 0.0
                self._purge()

    def _set_health(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", SERVICE_NAME):
            self.health.set(name, status)

    def _purge(self) -> None:
        settings = self.settings
        try:
            forgotten, erased = self.bookings.purge(
                request_id_retention=settings.request_id_retention,
                personal_data_retention=settings.personal_data_retention,
            )
        except DatabaseUnavailable:
            logger.warning("purge failed: database unavailable; next try in an hour")
            return
        except Exception as error:
            # Its text may quote personal data; the watcher must go on.
            logger.error(
                "purge failed class=%s; next try in an hour", type(error).__name__
            )
            return
        if forgotten or erased:
            logger.info("purged request_ids=%d bookings_erased=%d", forgotten, erased)


class ListenError(Exception):
    """The server cannot listen on the configured address."""


def _prepare_schema(database: Database) -> None:
    """Checks the schema; a brand-new SQLite file gets it on this first start.

    The embedded default needs no setup. Any other database that is empty or
    behind is refused until ``antrean-server migrate`` has run.
    """
    if database.dialect == "sqlite" and database.is_new():
        database.migrate()
        logger.info("created the schema of a new SQLite database")
    database.check_schema()


def make_clock(settings: Settings) -> Clock:
    """The system clock, or the test clock when the setting asks for one."""
    if settings.test_clock is None:
        return SystemClock()
    logger.warning(
        "TEST CLOCK IN USE: the server's time starts at %s; never in production",
        settings.test_clock.isoformat(),
    )
    return OffsetClock(settings.test_clock)


def create_server(
    settings: Settings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
) -> AntreanServer:
    """Builds the server on ``settings.listen`` (port 0 picks a free port).

    Raises SchemaOutOfDate when the database needs ``antrean-server migrate``
    first, DatabaseUnavailable when it cannot be reached, and ListenError when
    the address cannot be bound.
    """
    database = database or connect(
        settings.database_url, pool_size=settings.worker_threads
    )
    try:
        _prepare_schema(database)
        bookings = Bookings(
            database,
            {office.id: office for office in settings.offices},
            clock or make_clock(settings),
            pending_ttl=settings.pending_ttl,
            max_approval_attempts=settings.max_approval_attempts,
        )
        server, health_servicer = _grpc_server(settings, bookings)
        port = _bind(server, settings.listen)
    except Exception:
        database.dispose()
        raise
    running = AntreanServer(
        server, port, database, bookings, health_servicer, settings=settings
    )
    running._set_health(True)
    return running


def _grpc_server(
    settings: Settings, bookings: Bookings
) -> tuple[grpc.Server, health.HealthServicer]:
    """The gRPC server with the booking, health and reflection services."""
    auth = AuthInterceptor(
        Credential(c.name, c.token_sha256, c.role, c.office_id)
        for c in settings.clients
    )
    if not auth.enabled:
        logger.warning("no [[clients]] configured: authentication is off")
    server = grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=settings.worker_threads, thread_name_prefix="antrean-rpc"
        ),
        interceptors=[auth, DatabaseDeadlineInterceptor()],
        # A second server on a port in use must fail, not share the port and
        # split the citizens between two databases.
        options=[("grpc.so_reuseport", 0)],
    )
    booking_service_pb2_grpc.add_BookingServiceServicer_to_server(
        BookingServicer(bookings), server
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    return server, health_servicer


def _bind(server: grpc.Server, listen: str) -> int:
    """Binds the address; returns the port, or raises ListenError."""
    try:
        port = server.add_insecure_port(listen)
    except RuntimeError:
        port = 0
    if port == 0:
        raise ListenError(
            f"cannot listen on {listen}: the port is in use or the address is "
            "not one of this machine's; choose another with --listen or "
            "ANTREAN_LISTEN"
        )
    return port
