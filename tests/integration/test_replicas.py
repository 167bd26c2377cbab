"""Two ``antrean-server`` processes share one database; real clients race them.

This is the proof that replicas are safe: the invariants hold in the database,
not in a process. It runs on PostgreSQL and on SQLite (two processes on one
WAL file).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

from antrean.client import AntreanError, BookingClient
from tests.conftest import NOW, SERVICE_DATE, small_office
from tests.integration.processes import (
    consistency_problems,
    count,
    phone,
    start_servers,
    write_config,
)

CALLERS = 32
CHANNELS_PER_SERVER = 4


@pytest.fixture
def replicas(database_url, tmp_path) -> Iterator[list[str]]:
    """Two servers on the test's database; yields their targets."""
    servers = start_servers(database_url, write_config(tmp_path), count=2)
    yield [server.target for server in servers]
    for server in servers:
        assert server.stop() == 0
        assert not [line for line in server.log if " ERROR " in line]


def race(targets: list[str], tasks: int, task: Callable[[BookingClient, int], object]):
    """Runs ``task`` for 0..tasks-1 on CALLERS threads, spread over both servers."""
    clients = [
        BookingClient(target) for target in targets for _ in range(CHANNELS_PER_SERVER)
    ]
    try:
        with ThreadPoolExecutor(CALLERS) as pool:
            return list(
                pool.map(lambda n: task(clients[n % len(clients)], n), range(tasks))
            )
    finally:
        for client in clients:
            client.close()


def outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except AntreanError as error:
        return f"{error.code.name}:{error.reason}"
    return "OK"


def request(client: BookingClient, number: str, service_date: date = SERVICE_DATE):
    return client.request_booking(
        phone_number=number,
        office_id="kecil",
        applicant_name="Pemohon Uji",
        birth_date=date(1980, 1, 1),
        service_date=service_date,
    )


def test_500_numbers_race_two_servers_for_50_places(replicas, database_url):
    def book(client: BookingClient, n: int) -> str:
        def both():
            approval = request(client, phone(n)).approval_code
            client.confirm_booking(phone_number=phone(n), approval_code=approval)

        return outcome(both)

    outcomes = Counter(race(replicas, 500, book))

    assert outcomes == {"OK": 50, "RESOURCE_EXHAUSTED:SERVICE_DATE_FULL": 450}
    assert count(database_url, "SELECT SUM(taken) FROM slots") == 50
    assert consistency_problems(database_url) == []


def test_one_number_racing_50_requests_on_two_servers_holds_one_booking(
    replicas, database_url
):
    dates = small_office().open_dates(NOW)

    def ask(client: BookingClient, n: int) -> str:
        return outcome(lambda: request(client, phone(1), dates[n % len(dates)]))

    outcomes = Counter(race(replicas, 50, ask))

    assert outcomes == {"OK": 1, "ALREADY_EXISTS:ACTIVE_BOOKING_EXISTS": 49}
    active = "SELECT COUNT(*) FROM bookings WHERE state IN ('pending', 'confirmed')"
    assert count(database_url, active) == 1


def test_20_confirms_of_one_booking_on_two_servers_give_one_booking_code(
    replicas, database_url
):
    with BookingClient(replicas[0]) as client:
        approval = request(client, phone(2)).approval_code

    def confirm(client: BookingClient, n: int) -> bytes:
        booking = client.confirm_booking(phone_number=phone(2), approval_code=approval)
        return booking.SerializeToString(deterministic=True)

    responses = set(race(replicas, 20, confirm))

    assert len(responses) == 1
    assert count(database_url, "SELECT SUM(taken) FROM slots") == 1
    assert consistency_problems(database_url) == []


def test_confirm_and_cancel_raced_100_times_count_each_place_once(
    replicas, database_url
):
    def confirm_against_cancel(clients: list[BookingClient], n: int) -> str:
        """Confirms on one server while cancelling on the other, at once."""
        number = phone(1000 + n)
        approval = request(clients[0], number).approval_code
        start = threading.Barrier(2)
        results: dict[str, object] = {}

        def confirm():
            start.wait()
            results["confirm"] = outcome(
                lambda: results.setdefault(
                    "booking",
                    clients[n % 2].confirm_booking(
                        phone_number=number, approval_code=approval
                    ),
                )
            )

        def cancel():
            start.wait()
            results["cancel"] = outcome(
                lambda: results.setdefault(
                    "cancelled",
                    clients[1 - n % 2].cancel_booking(phone_number=number),
                )
            )

        threads = [threading.Thread(target=confirm), threading.Thread(target=cancel)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return _check_race(results)

    pairs = [[BookingClient(target) for target in replicas] for _ in range(10)]
    try:
        with ThreadPoolExecutor(10) as pool:
            orders = Counter(
                pool.map(lambda n: confirm_against_cancel(pairs[n % 10], n), range(100))
            )
    finally:
        for pair in pairs:
            for client in pair:
                client.close()

    assert sum(orders.values()) == 100
    assert set(orders) <= {"confirm first", "cancel first"}
    assert count(database_url, "SELECT COALESCE(SUM(taken), 0) FROM slots") == 0
    states = "SELECT COUNT(*) FROM bookings WHERE state <> 'cancelled'"
    assert count(database_url, states) == 0
    assert consistency_problems(database_url) == []


def _check_race(results: dict[str, object]) -> str:
    """Which went first; asserts that the two replies agree with each other."""
    assert results["cancel"] == "OK", results
    cancelled = results["cancelled"]
    if results["confirm"] == "OK":
        # The cancellation saw the confirmed booking and returned its place.
        assert cancelled.booking_code == results["booking"].booking_code
        return "confirm first"
    # The confirmation found the request cancelled already.
    assert results["confirm"].startswith(("NOT_FOUND:", "FAILED_PRECONDITION:"))
    assert not cancelled.booking_code
    return "cancel first"


def test_request_ids_replay_across_servers(replicas, database_url):
    request_id = str(uuid.uuid4())

    def retry(client: BookingClient, n: int) -> bytes:
        response = client.request_booking(
            phone_number=phone(3),
            office_id="kecil",
            applicant_name="Pemohon Uji",
            birth_date=date(1980, 1, 1),
            service_date=SERVICE_DATE,
            request_id=request_id,
        )
        return response.SerializeToString(deterministic=True)

    assert len(set(race(replicas, 20, retry))) == 1
    assert count(database_url, "SELECT COUNT(*) FROM bookings") == 1
