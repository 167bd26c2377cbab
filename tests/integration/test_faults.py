"""Faults: servers killed mid-load, a database that goes away, lost connections,
deadlocks, and callers whose deadline passes while they wait on the database.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date

import grpc
import pytest
import sqlalchemy as sa

from antrean.client import AntreanError, BookingClient
from antrean.server.storage import DatabaseUnavailable, connect
from antrean.server.storage.database import TransientFault, deadline
from antrean.server.transport.server import create_server
from tests.conftest import NOW, SERVICE_DATE, default_office, postgres_admin_engine
from tests.integration.processes import (
    Load,
    ServerProcess,
    TcpProxy,
    consistency_problems,
    count,
    health,
    phone,
    start_servers,
    wait_until,
    write_config,
)

KILLS = 10
OPEN_DATES = default_office().open_dates(NOW)


# SQLite is a file inside the server's process: there is no connection to lose
# or to cut, and writers queue for one lock, so they never deadlock.
POSTGRESQL_ONLY = pytest.mark.backends("postgresql", why="no connections in SQLite")


# Crashes.


def test_servers_killed_mid_load_lose_no_acknowledged_confirmation(
    database_url, tmp_path
):
    config = write_config(tmp_path)
    servers = start_servers(database_url, config, count=2)
    acknowledged: dict[str, str] = {}
    chance = random.Random(3)
    try:
        for kill in range(KILLS):
            load = Load(
                [server.target for server in servers],
                OPEN_DATES,
                first_number=kill * 100_000,
            ).start()
            wait_until(lambda now=load: now.acknowledged() >= 5, 20, "confirmations")
            time.sleep(chance.uniform(0, 0.3))  # the random moment of the crash
            victim = chance.randrange(len(servers))
            servers[victim].kill()
            # The replacement starts while the load winds down.
            servers[victim] = ServerProcess(database_url, config)
            load.stop()
            acknowledged |= load.confirmed

            assert set(load.failures) <= {"UNAVAILABLE:UNKNOWN"}, load.failures
            assert consistency_problems(database_url, acknowledged) == []
            servers[victim].wait_started()
            assert health(servers[victim].target) == "SERVING"
    finally:
        for server in servers:
            server.kill()

    for server in servers:
        assert not [line for line in server.log if " ERROR " in line], server.log
    confirmed = "SELECT COUNT(*) FROM bookings WHERE state = 'confirmed'"
    assert count(database_url, confirmed) >= len(acknowledged) >= KILLS * 5


# Outages: the database goes away and comes back.


@pytest.fixture
def proxied_database_url(database_url) -> Iterator[tuple[str, TcpProxy]]:
    """The test database reached through a proxy that the test can cut."""
    url = sa.engine.make_url(database_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    yield url.set(port=proxy.port).render_as_string(hide_password=False), proxy
    proxy.close()


@POSTGRESQL_ONLY
def test_a_silent_database_turns_health_not_serving_and_back(
    proxied_database_url, settings, clock
):
    url, proxy = proxied_database_url
    server = create_server(dataclasses.replace(settings, database_url=url), clock=clock)
    try:
        before = server.check_health_now()
        proxy.freeze()
        during = server.check_health_now()
        proxy.thaw()
        after = server.check_health_now()
    finally:
        proxy.thaw()
        server.stop(grace=0)

    assert (before, during, after) == (True, False, True)


@POSTGRESQL_ONLY
def test_database_outage_under_load_is_unavailable_then_recovers(
    proxied_database_url, database_url, tmp_path
):
    url, proxy = proxied_database_url
    servers = start_servers(url, write_config(tmp_path), count=2)
    targets = [server.target for server in servers]
    load = Load(targets, OPEN_DATES).start()
    try:
        wait_until(lambda: load.acknowledged() >= 20, 20, "bookings before")

        proxy.cut()
        wait_until(
            lambda: all(health(t) == "NOT_SERVING" for t in targets),
            15,
            "health NOT_SERVING on both servers",
        )
        wait_until(lambda: load.failed() >= 4, 15, "refused calls")
        proxy.restore()
        wait_until(
            lambda: all(health(t) == "SERVING" for t in targets),
            15,
            "health SERVING again",
        )
        after = load.acknowledged()
        wait_until(lambda: load.acknowledged() >= after + 20, 20, "bookings after")
    finally:
        load.stop()
        for server in servers:
            server.stop()

    assert set(load.failures) == {"UNAVAILABLE:DATABASE_UNAVAILABLE"}, load.failures
    assert consistency_problems(database_url, load.confirmed) == []
    for server in servers:
        assert not [line for line in server.log if " ERROR " in line]


@POSTGRESQL_ONLY
def test_calls_during_an_outage_are_unavailable_never_internal(
    proxied_database_url, tmp_path
):
    url, proxy = proxied_database_url
    [server] = start_servers(url, write_config(tmp_path), count=1)
    try:
        proxy.cut()
        with BookingClient(server.target, timeout=5) as client:
            with pytest.raises(AntreanError) as refused:
                client.request_booking(
                    phone_number=phone(1),
                    office_id="kecil",
                    applicant_name="Pemohon Uji",
                    birth_date=date(1980, 1, 1),
                    service_date=SERVICE_DATE,
                )
            with pytest.raises(AntreanError) as unread:
                client.get_availability(office_id="kecil")
    finally:
        server.stop()

    for error in (refused.value, unread.value):
        assert (error.code, error.reason) == (
            grpc.StatusCode.UNAVAILABLE,
            "DATABASE_UNAVAILABLE",
        )


# Lost connections and deadlocks are retried inside the server.


def terminate_connections(database_url: str) -> int:
    """Ends every server connection to the database, as a restart would."""
    name = sa.engine.make_url(database_url).database
    admin = postgres_admin_engine()
    try:
        with admin.connect() as connection:
            return len(
                connection.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %(name)s AND application_name = 'antrean-server'",
                    {"name": name},
                ).all()
            )
    finally:
        admin.dispose()


def add_slot(tx, hour: int) -> None:
    start = NOW.replace(hour=hour)
    tx.add_slots("kecil", SERVICE_DATE, [(start, 10)])


@POSTGRESQL_ONLY
def test_a_call_after_the_database_dropped_its_connections_succeeds(
    server, client, database_url
):
    client.get_availability(office_id="kecil")
    assert terminate_connections(database_url) >= 1

    client.request_booking(
        phone_number=phone(1),
        office_id="kecil",
        applicant_name="Pemohon Uji",
        birth_date=date(1980, 1, 1),
        service_date=SERVICE_DATE,
    )
    client.get_availability(office_id="kecil")


@POSTGRESQL_ONLY
def test_a_transaction_whose_connection_is_lost_runs_again(database_url):
    database = connect(database_url, pool_size=2)
    tries = []

    def run() -> None:
        with database.write() as tx:
            tries.append(1)
            add_slot(tx, 1)
            if len(tries) == 1:
                terminate_connections(database_url)
            add_slot(tx, 2)

    try:
        database.retrying(run, replayable=False)
        with database.read() as tx:
            slots = tx.slots_of("kecil", SERVICE_DATE)
    finally:
        database.dispose()

    assert len(tries) == 2
    assert len(slots) == 2


@POSTGRESQL_ONLY
@pytest.mark.parametrize("replayable", [True, False])
def test_a_commit_in_doubt_runs_again_only_when_replayable(database_url, replayable):
    database = connect(database_url, pool_size=2)
    tries = []

    def run() -> None:
        with database.write() as tx:
            tries.append(1)
            add_slot(tx, 1)
            if len(tries) == 1:
                terminate_connections(database_url)  # COMMIT will fail

    try:
        if replayable:
            database.retrying(run, replayable=True)
        else:
            with pytest.raises(TransientFault) as failed:
                database.retrying(run, replayable=False)
            assert failed.value.in_doubt
    finally:
        database.dispose()

    assert len(tries) == (2 if replayable else 1)


@POSTGRESQL_ONLY
def test_a_deadlocked_transaction_runs_again(database_url):
    # Detect the deadlock in 50 ms, not the default second.
    database = connect(
        f"{database_url}?options=-c%20deadlock_timeout%3D50", pool_size=2
    )
    with database.write() as tx:
        add_slot(tx, 1)
        add_slot(tx, 2)
    with database.read() as tx:
        first, second = tx.slots_of("kecil", SERVICE_DATE)
    both_hold_one = threading.Barrier(2, timeout=10)
    tries = []

    def take(one, other) -> None:
        def run() -> None:
            with database.write() as tx:
                tries.append(1)
                assert tx.take_place(one)
                if len(tries) <= 2:
                    both_hold_one.wait()
                assert tx.take_place(other)

        database.retrying(run, replayable=False)

    threads = [
        threading.Thread(target=take, args=(first, second)),
        threading.Thread(target=take, args=(second, first)),
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        with database.read() as tx:
            taken = [slot.taken for slot in tx.slots_of("kecil", SERVICE_DATE)]
    finally:
        database.dispose()

    assert taken == [2, 2]
    assert len(tries) == 3


# Deadlines.


def test_a_transaction_past_its_deadline_is_rolled_back(database_url):
    database = connect(database_url, pool_size=1)
    try:
        with (
            pytest.raises(DatabaseUnavailable),
            deadline(0.05),
            database.write() as tx,
        ):
            add_slot(tx, 1)
            time.sleep(0.1)  # the statements outlive the deadline
        with database.read() as tx:
            assert tx.slots_of("kecil", SERVICE_DATE) == []
    finally:
        database.dispose()


class HeldLock:
    """Holds the lock a confirmation needs from another connection: the
    booking's row on PostgreSQL, the database's write lock on SQLite."""

    def __init__(self, backend: str, database_url: str) -> None:
        self._backend = backend
        self._engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
        self._connection = self._engine.connect()
        self._held = False

    def hold(self, number: str) -> None:
        if self._backend == "sqlite":
            self._connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            self._connection.exec_driver_sql("BEGIN")
            self._connection.exec_driver_sql(
                "SELECT id FROM bookings WHERE phone_number = %(number)s FOR UPDATE",
                {"number": number},
            )
        self._held = True

    def release(self) -> None:
        if self._held:
            self._connection.exec_driver_sql("ROLLBACK")
            self._held = False

    def close(self) -> None:
        self.release()
        self._connection.close()
        self._engine.dispose()


@pytest.fixture
def held_lock(backend, database_url) -> Iterator[HeldLock]:
    lock = HeldLock(backend, database_url)
    yield lock
    lock.close()


def test_a_confirm_past_its_deadline_is_rolled_back_and_its_retry_has_one_effect(
    server, client, database_url, held_lock, caplog
):
    caplog.set_level(logging.DEBUG, logger="antrean.server.storage.database")
    number = phone(7)
    approval = client.request_booking(
        phone_number=number,
        office_id="kecil",
        applicant_name="Pemohon Uji",
        birth_date=date(1980, 1, 1),
        service_date=SERVICE_DATE,
    ).approval_code
    request_id = str(uuid.uuid4())

    held_lock.hold(number)
    with (
        BookingClient(f"127.0.0.1:{server.port}", timeout=0.5) as hurried,
        pytest.raises(AntreanError) as late,
    ):
        hurried.confirm_booking(
            phone_number=number, approval_code=approval, request_id=request_id
        )
    assert late.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    wait_until(
        lambda: any("database error" in r.getMessage() for r in caplog.records),
        10,
        "the server to stop waiting",
    )
    held_lock.release()

    # Nothing of the late confirmation was committed: the request's id only.
    assert count(database_url, "SELECT COUNT(*) FROM request_ids") == 1
    assert count(database_url, "SELECT SUM(taken) FROM slots") in (None, 0)

    # The caller retries with the same request id: one confirmation.
    first = client.confirm_booking(
        phone_number=number, approval_code=approval, request_id=request_id
    )
    again = client.confirm_booking(
        phone_number=number, approval_code=approval, request_id=request_id
    )

    assert first == again
    assert count(database_url, "SELECT SUM(taken) FROM slots") == 1
    assert count(database_url, "SELECT COUNT(*) FROM request_ids") == 2
    assert consistency_problems(database_url) == []
