"""Real clients race against a real server; the database holds I1, I2, I4, I5."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import sqlalchemy as sa

from antrean.client import AntreanError, BookingClient
from tests.conftest import SERVICE_DATE

CHANNELS = 8
CALLERS = 32


def phone(n: int) -> str:
    return f"+62813{n:08d}"


def request(client: BookingClient, n: int) -> str:
    """Requests a booking for one number; returns its approval code."""
    return client.request_booking(
        phone_number=phone(n),
        office_id="kecil",
        applicant_name=f"Pemohon {chr(65 + n % 26)}",
        birth_date=date(1980, 1, 1 + n % 28),
        service_date=SERVICE_DATE,
    ).approval_code


def outcome(call) -> str:
    try:
        call()
    except AntreanError as error:
        return f"{error.code.name}:{error.reason}"
    return "OK"


def race(server, count, task):
    clients = [BookingClient(f"127.0.0.1:{server.port}") for _ in range(CHANNELS)]
    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            return list(
                pool.map(lambda n: task(clients[n % CHANNELS], n), range(count))
            )
    finally:
        for client in clients:
            client.close()


def slot_totals(database_url: str) -> tuple[int, int, int]:
    """(places taken by slot counters, confirmed rows, slots over capacity)."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        taken = connection.exec_driver_sql("SELECT SUM(taken) FROM slots").scalar()
        rows = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM bookings WHERE state = 'confirmed'"
        ).scalar()
        over = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM slots WHERE taken > capacity"
        ).scalar()
    engine.dispose()
    return taken, rows, over


def test_200_numbers_race_their_confirmations_for_50_places(
    server, database_url, caplog
):
    codes = race(server, 200, request)  # nothing is taken before confirmation

    confirms = Counter(
        race(
            server,
            200,
            lambda client, n: outcome(
                lambda: client.confirm_booking(
                    phone_number=phone(n), approval_code=codes[n]
                )
            ),
        )
    )

    assert confirms == {"OK": 50, "RESOURCE_EXHAUSTED:SERVICE_DATE_FULL": 150}
    assert slot_totals(database_url) == (50, 50, 0)
    # The client retries UNAVAILABLE silently: the server's log must show that
    # no transaction failed on a lock ("database is locked") or a connection.
    assert not [
        record
        for record in caplog.records
        if record.name.startswith("antrean.server")
        and record.levelno >= logging.WARNING
    ]


def test_one_number_racing_many_requests_holds_one_booking(server):
    def request(client: BookingClient, n: int) -> str:
        try:
            client.request_booking(
                phone_number="0813-0000-0001" if n % 2 else "+6281300000001",
                office_id="jakarta-pusat",
                applicant_name="Rina Wulandari",
                birth_date=date(1992, 3, 3),
                service_date=date(2027, 7, 13 + n % 4),
            )
        except AntreanError as error:
            return error.reason
        return "PENDING"

    outcomes = Counter(race(server, 50, request))

    assert outcomes == {"PENDING": 1, "ACTIVE_BOOKING_EXISTS": 49}


def test_parallel_retries_of_one_request_id_have_one_effect(server):
    request_id = str(uuid.uuid4())

    def retry(client: BookingClient, n: int):
        return client.request_booking(
            phone_number="+6281300000002",
            office_id="jakarta-pusat",
            applicant_name="Agus Salim",
            birth_date=date(1970, 8, 8),
            service_date=SERVICE_DATE,
            request_id=request_id,
        ).SerializeToString(deterministic=True)

    responses = set(race(server, 20, retry))

    assert len(responses) == 1


def test_parallel_confirms_of_one_booking_give_one_booking_code(server, client):
    approval = client.request_booking(
        phone_number="+6281300000003",
        office_id="jakarta-pusat",
        applicant_name="Maria Ulfa",
        birth_date=date(1999, 9, 9),
        service_date=SERVICE_DATE,
    ).approval_code

    def confirm(client: BookingClient, n: int):
        return client.confirm_booking(
            phone_number="+6281300000003", approval_code=approval
        ).SerializeToString(deterministic=True)

    responses = set(race(server, 20, confirm))

    assert len(responses) == 1
