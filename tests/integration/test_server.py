"""The server's standard services: reflection for generic tools, health."""

from __future__ import annotations

import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from antrean.client import AntreanError


def test_reflection_lists_the_booking_service(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = set(database.get_services())
        methods = database.FindFileContainingSymbol("antrean.v1.BookingService")

    assert {"antrean.v1.BookingService", "grpc.health.v1.Health"} <= services
    assert methods.name == "antrean/v1/booking_service.proto"


def test_health_says_not_serving_once_shutdown_begins(server):
    server.health.enter_graceful_shutdown()

    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=5
        )

    assert response.status == health_pb2.HealthCheckResponse.NOT_SERVING


def test_every_call_is_logged_with_its_status_and_no_personal_data(client, caplog):
    caplog.set_level(logging.DEBUG, logger="antrean.server.transport.auth")

    with pytest.raises(AntreanError):
        client.get_booking(phone_number="+6281234567890", office_id="jakarta-pusat")
    client.get_availability(office_id="jakarta-pusat")

    calls = [r.getMessage() for r in caplog.records if r.msg.startswith("call ")]
    assert [c.split(" ms=")[0] for c in calls] == [
        "call method=GetBooking client=anonymous status=NOT_FOUND",
        "call method=GetAvailability client=anonymous status=OK",
    ]
    assert "1234567890" not in caplog.text
