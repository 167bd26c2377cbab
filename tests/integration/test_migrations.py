"""Migrations make the schema; the server starts only on a migrated database."""

from __future__ import annotations

import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from antrean.server.storage import SchemaOutOfDate, connect, migrate
from antrean.server.storage.schema import metadata
from antrean.server.transport.server import create_server
from tests.integration.processes import (
    ServerProcess,
    health,
    run_command,
    write_config,
)

PASSWORD = "s3cret-Pa55"


def migrated(url: str) -> list[str]:
    database = connect(url, pool_size=1)
    try:
        return database.migrate()
    finally:
        database.dispose()


def inspect(url: str, look):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return look(connection)
    finally:
        engine.dispose()


def test_migrated_schema_equals_the_models(empty_database_url):
    assert migrated(empty_database_url) == [migrate.head()]

    assert inspect(empty_database_url, migrate.differences) == []


def test_migrated_schema_keeps_the_partial_index_and_the_check(empty_database_url):
    migrated(empty_database_url)

    def read(connection: sa.Connection):
        inspector = sa.inspect(connection)
        indexes = {i["name"]: i for i in inspector.get_indexes("bookings")}
        checks = {c["name"]: c for c in inspector.get_check_constraints("slots")}
        return indexes, checks, _index_sql(connection)

    indexes, checks, index_sql = inspect(empty_database_url, read)

    active = indexes["uq_bookings_active_phone_number"]
    assert active["unique"] and active["column_names"] == ["phone_number"]
    assert re.search(
        r"WHERE \(*state\)* IN \('pending', 'confirmed'\)"
        r"|WHERE \(*\(state\)::text = ANY \(+ARRAY\['pending'.*'confirmed'",
        index_sql,
    ), index_sql
    assert "taken >= 0" in checks["ck_slots_taken_within_capacity"]["sqltext"]
    model = {i.name for t in metadata.tables.values() for i in t.indexes}
    assert model <= set(indexes) | {"ix_request_ids_create_time"}


def _index_sql(connection: sa.Connection) -> str:
    name = "uq_bookings_active_phone_number"
    if connection.dialect.name == "sqlite":
        query = "SELECT sql FROM sqlite_master WHERE name = :name"
    else:
        query = "SELECT indexdef FROM pg_indexes WHERE indexname = :name"
    return connection.execute(sa.text(query), {"name": name}).scalar_one()


def test_migrations_go_down_and_up_again(empty_database_url):
    migrated(empty_database_url)
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            migrate.downgrade(connection, "base")
        with engine.connect() as connection:
            assert migrate.current(connection) is None
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()

    assert migrated(empty_database_url) == [migrate.head()]
    assert inspect(empty_database_url, migrate.differences) == []


def test_migrating_a_migrated_database_changes_nothing(database_url):
    assert migrated(database_url) == []


def test_a_database_made_before_migrations_is_adopted(empty_database_url):
    engine = sa.create_engine(empty_database_url)
    metadata.create_all(engine)
    engine.dispose()

    assert migrated(empty_database_url) == []

    assert inspect(empty_database_url, migrate.current) == migrate.head()


@pytest.mark.backends("postgresql", why="a new SQLite file gets its schema")
def test_server_refuses_an_empty_database(empty_database_url, settings):
    database = connect(empty_database_url)

    with pytest.raises(SchemaOutOfDate, match="antrean-server migrate"):
        create_server(settings, database=database)


@pytest.mark.backends("sqlite", why="the embedded default needs no setup")
def test_a_new_sqlite_file_gets_its_schema_on_first_start(tmp_path, settings):
    url = f"sqlite:///{tmp_path / 'new.db'}"

    server = create_server(dataclasses.replace(settings, database_url=url))
    server.stop(grace=0)

    assert inspect(url, migrate.current) == migrate.head()


def test_server_refuses_a_schema_that_is_behind(database_url, settings):
    def older(connection: sa.Connection) -> None:
        connection.execute(sa.text("DELETE FROM alembic_version"))
        connection.commit()

    inspect(database_url, older)

    with pytest.raises(SchemaOutOfDate, match="antrean-server migrate"):
        create_server(settings)


def test_server_starts_on_a_newer_schema_and_warns(database_url, settings, caplog):
    def newer(connection: sa.Connection) -> None:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        connection.commit()

    inspect(database_url, newer)

    server = create_server(settings)
    server.stop(grace=0)

    assert "newer than this server revision=9999" in caplog.text


def test_migrate_leaves_a_newer_schema_alone(database_url, caplog):
    def newer(connection: sa.Connection) -> None:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        connection.commit()

    inspect(database_url, newer)

    assert migrated(database_url) == []
    assert "newer than this server revision=9999" in caplog.text


def test_two_migrations_at_once_both_succeed(empty_database_url):
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(migrated, [empty_database_url] * 2))

    assert sorted(results) == [[], [migrate.head()]]
    assert inspect(empty_database_url, migrate.differences) == []


# The command line.


@pytest.mark.backends("postgresql", why="a new SQLite file gets its schema")
def test_serving_an_unmigrated_database_stops_with_one_line(empty_database_url):
    result = run_command("--listen", "127.0.0.1:0", "--database", empty_database_url)

    assert result.returncode == 1
    [message] = [line for line in result.stderr.splitlines() if " INFO " not in line]
    assert message.startswith("antrean-server: ")
    assert "run `antrean-server migrate`" in message


def test_migrate_command_applies_then_the_server_starts(empty_database_url, tmp_path):
    head = migrate.head()
    applied = run_command("migrate", "--database", empty_database_url)
    again = run_command("--database", empty_database_url, "migrate")

    assert applied.returncode == 0, applied.stderr
    line = f"INFO antrean.server.storage.database migration applied revision={head}"
    assert line in applied.stderr
    assert again.returncode == 0, again.stderr
    assert "schema up to date" in again.stderr
    assert "migration applied" not in again.stderr
    assert "alembic" not in applied.stderr + again.stderr

    server = ServerProcess(empty_database_url, write_config(tmp_path)).wait_started()
    try:
        assert health(server.target) == "SERVING"
    finally:
        assert server.stop() == 0


@pytest.mark.backends("postgresql", why="only a server URL carries a password")
def test_database_password_appears_in_no_log_or_error(empty_database_url, tmp_path):
    # The local server trusts its clients, so any password connects.
    url = sa.engine.make_url(empty_database_url).set(password=PASSWORD)
    with_password = url.render_as_string(hide_password=False)
    unreachable = url.set(port=1).render_as_string(hide_password=False)

    outputs = [
        run_command("migrate", "--database", with_password),
        run_command("--listen", "127.0.0.1:0", "--database", unreachable),
        run_command("migrate", "--database", unreachable),
    ]
    server = ServerProcess(with_password, write_config(tmp_path)).wait_started()
    assert server.stop() == 0

    assert [result.returncode for result in outputs] == [0, 1, 1]
    text = "\n".join([*(r.stdout + r.stderr for r in outputs), *server.log])
    assert PASSWORD not in text
    assert "***" in text
    assert "server started" in text
