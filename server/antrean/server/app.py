"""``create_server``: the gRPC server with its services, ready to start."""

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
from antrean.server.storage.database import deadline
from antrean.server.transport.auth import AuthInterceptor, Credential
from antrean.server.transport.servicer import BookingServicer
from antrean.v1 import booking_service_pb2, booking_service_pb2_grpc

logger = logging.getLogger(__name__)

SERVICE_NAME = booking_service_pb2.DESCRIPTOR.services_by_name[
    "BookingService"
].full_name
# How often the database is pinged for the health service, and old request
# ids and personal data are purged.
HEALTH_INTERVAL_SECONDS = 2.0
PURGE_INTERVAL_SECONDS = 3600.0


@dataclass
class AntreanServer:
    """A started server; ``stop`` shuts it down gracefully."""

    server: grpc.Server
    port: int
    database: Database
    bookings: Bookings
    health: health.HealthServicer
    _stopping: threading.Event = field(default_factory=threading.Event)
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
        self.database.dispose()

    def wait(self) -> None:
        self.server.wait_for_termination()

    def _watch(self) -> None:
        """Keeps the health status in step with the database; purges hourly."""
        serving = True
        since_purge = PURGE_INTERVAL_SECONDS  # purge once soon after start
        while not self._stopping.wait(HEALTH_INTERVAL_SECONDS):
            try:
                self.database.ping()
                if not serving:
                    logger.info("database reachable again")
                serving = True
            except DatabaseUnavailable:
                if serving:
                    logger.warning("database unreachable; health NOT_SERVING")
                serving = False
            self._set_health(serving)
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
        if forgotten or erased:
            logger.info("purged request_ids=%d bookings_erased=%d", forgotten, erased)

    settings: Settings = field(default_factory=Settings)


class DatabaseDeadlineInterceptor(grpc.ServerInterceptor):
    """Holds each call's database work to the call's own deadline.

    A transaction still waiting on the database when the caller's deadline
    passes is rolled back, never committed behind the caller's back; the
    caller's retry with the same request_id then has the only effect.
    """

    # TODO(layers): move to transport/ beside AuthInterceptor, the only other
    # interceptor; it was written here while transport/ was being changed.
    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary

        def bounded(request, context: grpc.ServicerContext):
            with deadline(context.time_remaining()):
                return inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            bounded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


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
    first, and DatabaseUnavailable when it cannot be reached.
    """
    database = database or connect(
        settings.database_url, pool_size=settings.worker_threads
    )
    try:
        database.check_schema()
    except Exception:
        database.dispose()
        raise
    bookings = Bookings(
        database,
        {office.id: office for office in settings.offices},
        clock or make_clock(settings),
        pending_ttl=settings.pending_ttl,
        max_approval_attempts=settings.max_approval_attempts,
    )
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
    )
    booking_service_pb2_grpc.add_BookingServiceServicer_to_server(
        BookingServicer(bookings), server
    )
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
    )
    port = server.add_insecure_port(settings.listen)
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
    running = AntreanServer(
        server, port, database, bookings, health_servicer, settings=settings
    )
    running._set_health(True)
    return running
