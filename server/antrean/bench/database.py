"""The run's own database: a temporary SQLite file, or a fresh PostgreSQL one."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from antrean.bench.server import migrate
from antrean.server.storage.schema import metadata


@dataclass(frozen=True)
class BenchDatabase:
    """A database made for one run: the server's URL and the bench's engine."""

    url: str
    engine: sa.Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def prepare(self) -> str:
        """Creates the schema the way the server expects it; says how."""
        if migrate(self.url):
            return "antrean-server migrate"
        metadata.create_all(self.engine)
        return "create_all"


@contextlib.contextmanager
def fresh_database(server_url: str | None, folder: Path) -> Iterator[BenchDatabase]:
    """A SQLite file in ``folder``, or a new database on a PostgreSQL server.

    ``server_url`` names the PostgreSQL server (any database of it that the
    user may connect to); the bench creates ``antrean_bench_<random>`` beside
    it and drops it afterwards.
    """
    if server_url is None:
        url = f"sqlite:///{folder / 'antrean-bench.db'}"
        engine = sa.create_engine(url)
        try:
            yield BenchDatabase(url, engine)
        finally:
            engine.dispose()
        return

    admin_url = _psycopg(sa.engine.make_url(server_url))
    name = f"antrean_bench_{secrets.token_hex(6)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name)
    engine = sa.create_engine(url)
    try:
        yield BenchDatabase(
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            engine,
        )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def _psycopg(url: sa.URL) -> sa.URL:
    if url.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {url.render_as_string()}")
    return url.set(drivername="postgresql+psycopg")


def temporary_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="antrean-bench-")
