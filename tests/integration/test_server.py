"""The server's standard services: reflection for generic tools, health."""

from __future__ import annotations

import dataclasses
import logging

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

from antrean.client import AntreanError
from antrean.server.transport.server import ListenError, create_server


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


def _health_status(server) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        return (
            health_pb2_grpc.HealthStub(channel)
            .Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
            .status
        )


def test_an_unexpected_ping_failure_turns_health_not_serving(server, monkeypatch):
    def broken_ping():
        raise RuntimeError("+6281234567890 SITI AMINAH")

    monkeypatch.setattr(server.database, "ping", broken_ping)

    assert server.check_health_now() is False
    assert _health_status(server) == health_pb2.HealthCheckResponse.NOT_SERVING

    monkeypatch.undo()
    assert server.check_health_now() is True
    assert _health_status(server) == health_pb2.HealthCheckResponse.SERVING


def test_an_unexpected_purge_failure_is_logged_without_its_text(
    server, monkeypatch, caplog
):
    def broken_purge(**_retention):
        raise RuntimeError("+6281234567890 SITI AMINAH")

    monkeypatch.setattr(server.bookings, "purge", broken_purge)

    server._purge()

    assert "purge failed class=RuntimeError" in caplog.text
    assert "6281234567890" not in caplog.text
    assert "SITI" not in caplog.text


def test_a_second_server_on_a_port_in_use_is_refused(server, settings, clock):
    taken = dataclasses.replace(settings, listen=f"127.0.0.1:{server.port}")

    with pytest.raises(ListenError) as caught:
        create_server(taken, clock=clock)

    assert f"127.0.0.1:{server.port}" in str(caught.value)
    assert "--listen" in str(caught.value)
