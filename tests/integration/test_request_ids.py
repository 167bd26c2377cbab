"""I4: a retried request_id returns the first response and has no second effect."""

from __future__ import annotations

import uuid
from datetime import date

import grpc
import pytest

from antrean.client import AntreanError
from tests.conftest import SERVICE_DATE

PHONE = "+6281234567890"


def ask(client, request_id, **overrides):
    fields = {
        "phone_number": PHONE,
        "office_id": "jakarta-pusat",
        "applicant_name": "Dewi Lestari",
        "birth_date": date(1985, 6, 1),
        "service_date": SERVICE_DATE,
        "request_id": request_id,
    }
    fields.update(overrides)
    return client.request_booking(**fields)


def test_retried_request_returns_first_response(client):
    request_id = str(uuid.uuid4())

    first = ask(client, request_id)
    second = ask(client, request_id)

    assert second == first
    assert second.approval_code == first.approval_code


def test_retried_confirm_returns_same_booking_and_takes_one_place(client):
    approval = ask(client, str(uuid.uuid4())).approval_code
    request_id = str(uuid.uuid4())

    first = client.confirm_booking(
        phone_number=PHONE, approval_code=approval, request_id=request_id
    )
    second = client.confirm_booking(
        phone_number=PHONE, approval_code=approval, request_id=request_id
    )
    places = {
        a.service_date.day: a.remaining
        for a in client.get_availability(office_id="jakarta-pusat")
    }

    assert second == first
    assert places[SERVICE_DATE.day] == 399


def test_retried_cancel_returns_first_response(client):
    ask(client, str(uuid.uuid4()))
    request_id = str(uuid.uuid4())

    first = client.cancel_booking(phone_number=PHONE, request_id=request_id)
    second = client.cancel_booking(phone_number=PHONE, request_id=request_id)

    assert second == first


def test_retried_check_in_gives_one_queue_number(client, clock):
    approval = ask(client, str(uuid.uuid4())).approval_code
    booking = client.confirm_booking(phone_number=PHONE, approval_code=approval)
    clock.set(clock.now().replace(day=19, hour=0))
    request_id = str(uuid.uuid4())

    first = client.check_in(
        office_id="jakarta-pusat",
        booking_code=booking.booking_code,
        request_id=request_id,
    )
    second = client.check_in(
        office_id="jakarta-pusat",
        booking_code=booking.booking_code,
        request_id=request_id,
    )

    assert second == first
    assert first.queue_number == 1


def test_same_request_id_with_a_different_request_is_refused(client):
    request_id = str(uuid.uuid4())
    ask(client, request_id)

    with pytest.raises(AntreanError) as caught:
        ask(client, request_id, applicant_name="Someone Else")

    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.reason == "REQUEST_ID_REUSED"


def test_request_id_must_be_a_uuid(client):
    with pytest.raises(AntreanError) as caught:
        ask(client, "not-a-uuid")

    assert caught.value.reason == "INVALID_REQUEST_ID"
