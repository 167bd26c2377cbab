"""Shared fixtures: a database per backend, a fixed clock, a real server on port 0.

Every test that takes ``database_url`` runs once per backend chosen with
``--db`` (default: both SQLite and PostgreSQL). The PostgreSQL server comes from
``ANTREAN_TEST_POSTGRES_URL`` (default: the local server's ``test`` database);
each test gets a fresh database of its own, migrated, that is dropped
afterwards. An unreachable PostgreSQL fails the tests; it never skips them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from antrean.client import BookingClient
from antrean.server.config import Settings
from antrean.server.domain.clock import FixedClock
from antrean.server.domain.offices import Office, Period, default_office
from antrean.server.storage import connect
from antrean.server.transport.server import AntreanServer, create_server

POSTGRES_ADMIN_URL = os.environ.get(
    "ANTREAN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")

# Monday 12 July 2027, 10:00 WIB: the fixed "now" of the tests.
NOW = datetime(2027, 7, 12, 3, 0, tzinfo=UTC)
# Monday 19 July 2027: an open day inside the booking window.
SERVICE_DATE = date(2027, 7, 19)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default="sqlite,postgresql",
        help="comma-separated backends to run database tests on "
        "(sqlite, postgresql; default both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "backends(*names, why): run only on these backends; `why` says why the "
        "case does not apply to the others",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        chosen = [
            name.strip()
            for name in metafunc.config.getoption("--db").split(",")
            if name.strip()
        ]
        unknown = set(chosen) - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"--db: unknown backend(s) {sorted(unknown)}")
        only = metafunc.definition.get_closest_marker("backends")
        if only is not None:
            chosen = [name for name in chosen if name in only.args]
        metafunc.parametrize("backend", chosen, scope="session")


@pytest.fixture
def database_url(backend: str, tmp_path, _migrated_template: str) -> Iterator[str]:
    """A fresh database of the backend, migrated to the current schema; dropped
    after the test.

    It is a copy of a template migrated once per session: a file copy on
    SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
    """
    if backend == "sqlite":
        path = tmp_path / "antrean.db"
        shutil.copyfile(_migrated_template, path)
        yield f"sqlite:///{path}"
        return
    yield from _fresh_postgres_database(template=_migrated_template)


@pytest.fixture
def empty_database_url(backend: str, tmp_path) -> Iterator[str]:
    """A fresh, empty database of the backend (no tables); dropped after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    yield from _fresh_postgres_database()


@pytest.fixture(scope="session")
def _migrated_template(backend: str, tmp_path_factory) -> Iterator[str]:
    """A database migrated once per session and backend, for tests to copy."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("template") / "template.db"
        _migrate(f"sqlite:///{path}")
        yield str(path)
        return
    for url in _fresh_postgres_database(prefix="antrean_template"):
        _migrate(url)
        yield sa.engine.make_url(url).database


def _migrate(url: str) -> None:
    database = connect(url, pool_size=1)
    try:
        database.migrate()
    finally:
        # No connection may stay open: PostgreSQL copies only an unused
        # template, and SQLite folds its WAL into the file on the last close.
        database.dispose()


def postgres_admin_engine() -> sa.Engine:
    """An engine on the PostgreSQL server's admin database, in autocommit."""
    return sa.create_engine(
        sa.engine.make_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT"
    )


def _fresh_postgres_database(
    *, template: str | None = None, prefix: str = "antrean_test"
) -> Iterator[str]:
    admin_url = sa.engine.make_url(POSTGRES_ADMIN_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = postgres_admin_engine()
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise RuntimeError(
            f"PostgreSQL is not reachable at {admin_url.render_as_string()}: start "
            "it (see README) or run with --db sqlite"
        ) from error
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def small_office(office_id: str = "kecil", quota: int = 50) -> Office:
    """An office with one morning of four half-hour slots holding ``quota``."""
    morning = (Period(time(8, 0), time(10, 0)),)
    return Office(
        id=office_id,
        name="Kantor Uji",
        time_zone="Asia/Jakarta",
        hours={weekday: morning for weekday in range(5)},
        daily_quota=quota,
    )


@pytest.fixture
def offices() -> tuple[Office, ...]:
    """The offices the test server is configured with."""
    makassar = Office(
        id="makassar",
        name="Kantor Imigrasi Makassar",
        time_zone="Asia/Makassar",
        hours=default_office().hours,
    )
    return (default_office(), small_office(), makassar)


@pytest.fixture
def settings(database_url: str, offices) -> Settings:
    return Settings(
        listen="127.0.0.1:0",
        database_url=database_url,
        offices=offices,
        worker_threads=8,
    )


@pytest.fixture
def server(settings: Settings, clock: FixedClock) -> Iterator[AntreanServer]:
    """A real gRPC server on a free port, stopped after the test."""
    running = create_server(settings, clock=clock)
    running.start()
    yield running
    running.stop(grace=1)


@pytest.fixture
def client(server: AntreanServer) -> Iterator[BookingClient]:
    with BookingClient(f"127.0.0.1:{server.port}") as booking_client:
        yield booking_client
