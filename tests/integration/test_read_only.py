"""A database that no longer takes writes (a standby after a failover)."""

from __future__ import annotations

from datetime import date

import grpc
import pytest
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from antrean.client import AntreanError, BookingClient
from antrean.server.transport.server import create_server
from tests.conftest import SERVICE_DATE, postgres_admin_engine


@pytest.mark.backends("postgresql", why="SQLite has no read-only standby")
def test_read_only_database_is_unavailable_and_not_serving(
    database_url, settings, clock
):
    name = sa.engine.make_url(database_url).database
    admin = postgres_admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'
        )
    admin.dispose()
    server = create_server(settings, clock=clock)
    server.start()
    try:
        with (
            BookingClient(f"127.0.0.1:{server.port}") as client,
            pytest.raises(AntreanError) as caught,
        ):
            client.request_booking(
                phone_number="+6281234567890",
                office_id="jakarta-pusat",
                applicant_name="Wati Susanti",
                birth_date=date(1988, 8, 8),
                service_date=SERVICE_DATE,
            )
        server.check_health_now()
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=5
            )
    finally:
        server.stop(grace=0)

    assert (caught.value.code, caught.value.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "DATABASE_UNAVAILABLE",
    )
    assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
