"""Internal clients authenticate with bearer tokens and are scoped by role."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from antrean.client import AntreanError, BookingClient
from antrean.server.config import ClientCredential
from tests.conftest import SERVICE_DATE

GATEWAY_TOKEN = "gateway-token-for-tests"
COUNTER_TOKEN = "counter-token-for-tests"


def credential(name: str, token: str, role: str, office_id=None) -> ClientCredential:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return ClientCredential(name, digest, role, office_id)


@pytest.fixture
def settings(settings):
    return dataclasses.replace(
        settings,
        clients=(
            credential("gateway", GATEWAY_TOKEN, "gateway"),
            credential("desk", COUNTER_TOKEN, "counter", "jakarta-pusat"),
            credential("operator", "admin-token-for-tests", "admin"),
        ),
    )


def connect(server, token=None) -> BookingClient:
    return BookingClient(f"127.0.0.1:{server.port}", token=token)


def refusal(call, **kwargs) -> AntreanError:
    with pytest.raises(AntreanError) as caught:
        result = call(**kwargs)
        if hasattr(result, "__next__"):
            list(result)
    return caught.value


def test_call_without_token_is_unauthenticated(server):
    with connect(server) as client:
        error = refusal(client.get_availability, office_id="jakarta-pusat")

    assert (error.code, error.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "MISSING_CREDENTIALS",
    )


def test_unknown_token_is_unauthenticated(server):
    with connect(server, "guessed") as client:
        error = refusal(client.get_availability, office_id="jakarta-pusat")

    assert error.reason == "INVALID_CREDENTIALS"


def test_gateway_books_but_may_not_check_in(server):
    with connect(server, GATEWAY_TOKEN) as client:
        response = client.request_booking(
            phone_number="+6281234567890",
            office_id="jakarta-pusat",
            applicant_name="Tono Sugiarto",
            birth_date=date(1975, 5, 5),
            service_date=SERVICE_DATE,
        )
        error = refusal(
            client.check_in, office_id="jakarta-pusat", booking_code="ABCDEFGH"
        )

    assert response.approval_code
    assert (error.code, error.reason) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED",
    )


def test_counter_acts_only_for_its_own_office(server):
    with connect(server, COUNTER_TOKEN) as client:
        own = list(
            client.list_bookings(office_id="jakarta-pusat", service_date=SERVICE_DATE)
        )
        other = refusal(
            client.list_bookings, office_id="makassar", service_date=SERVICE_DATE
        )
        booking = refusal(
            client.request_booking,
            phone_number="+6281234567890",
            office_id="jakarta-pusat",
            applicant_name="Tono Sugiarto",
            birth_date=date(1975, 5, 5),
            service_date=SERVICE_DATE,
        )

    assert own == []
    assert (other.code, other.reason) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "OFFICE_NOT_ALLOWED",
    )
    assert booking.reason == "ROLE_NOT_ALLOWED"


def test_health_stays_open_for_probes(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="antrean.v1.BookingService"),
            timeout=5,
        )

    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_gateway_may_look_up_a_booking_only_by_phone_number(server):
    with connect(server, GATEWAY_TOKEN) as client:
        by_code = refusal(client.get_booking, booking_code="ABCDEFGH")
        by_phone = refusal(client.get_booking, phone_number="+6281234567890")

    assert (by_code.code, by_code.reason) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "ROLE_NOT_ALLOWED",
    )
    assert by_phone.reason == "ACTIVE_BOOKING_NOT_FOUND"


def test_a_counter_guessing_codes_is_throttled_and_others_are_not(server):
    with connect(server, COUNTER_TOKEN) as desk:
        misses = [
            refusal(desk.check_in, office_id="jakarta-pusat", booking_code=code)
            for code in (f"ABCDEF{a}{b}" for a in "GH" for b in "JKMNPQRSTU")
        ]
        throttled = refusal(desk.get_booking, booking_code="ABCDEFHV")
    with connect(server, "admin-token-for-tests") as operator:
        other = refusal(operator.get_booking, booking_code="ABCDEFHV")

    assert {m.reason for m in misses} == {"BOOKING_NOT_FOUND"}
    assert (throttled.code, throttled.reason) == (
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "TOO_MANY_FAILED_LOOKUPS",
    )
    assert int(throttled.metadata["retry_after_seconds"]) > 0
    assert other.reason == "BOOKING_NOT_FOUND"
