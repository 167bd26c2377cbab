"""Alembic, run from the package: no ``alembic.ini`` and no working directory.

The revisions live in ``migrations/versions``. ``upgrade`` applies them on a
connection inside the caller's transaction, so a migration is all or nothing
on both databases (SQLite runs DDL in transactions too). ``check`` is what the
server does at start.

A developer who changes ``schema.py`` writes the next revision with::

    python -m antrean.server.storage.migrate revision "add a column"

which compares the models with a scratch database at the current head.
"""

from __future__ import annotations

import functools
import logging
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from antrean.server.storage.errors import SchemaOutOfDate
from antrean.server.storage.schema import metadata

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
# Two replicas that run `antrean-server migrate` at once take turns.
_ADVISORY_LOCK_KEY = 0x616E7472  # "antr"
_FIX = "run `antrean-server migrate` with the same --database and --config first"


def head() -> str:
    """The revision this version of the server needs."""
    revision = _script().get_current_head()
    assert revision is not None, "migrations/versions has no revision"
    return revision


def current(connection: sa.Connection) -> str | None:
    """The database's revision, or None when it has none."""
    return MigrationContext.configure(connection).get_current_revision()


def description(revision: str) -> str:
    """The first line of a revision's docstring, for logs."""
    script = _script().get_revision(revision)
    return (script.doc or "").strip() if script is not None else ""


def upgrade(connection: sa.Connection) -> list[str]:
    """Applies the revisions the database lacks; returns them, oldest first.

    Runs inside the connection's transaction, which the caller commits. A
    database made by ``create_all`` before migrations existed is adopted (stamped
    at the head) when its tables equal the models.
    """
    if connection.dialect.name == "postgresql":
        # A migration may take long (an index on a big table): no timeout.
        connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        lock = f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})"
        connection.exec_driver_sql(lock)
    before = current(connection)
    config = _config(connection)
    if before is None and _has_tables(connection):
        _adopt(connection, config)
        return []
    if before is not None and not _known(before):
        # A newer release migrated first (a rolling update, a rollback): its
        # migrations keep this release working, so there is nothing to do.
        logger.warning(
            "database schema is newer than this server revision=%s known_head=%s",
            before,
            head(),
        )
        return []
    command.upgrade(config, "head")
    return _revisions_between(before, current(connection))


def downgrade(connection: sa.Connection, revision: str) -> None:
    """Undoes revisions down to ``revision`` (``base``: all); for tests and by hand."""
    command.downgrade(_config(connection), revision)


def check(connection: sa.Connection) -> None:
    """Raises SchemaOutOfDate unless the database is at this version's revision.

    A revision the server does not know is a newer one: a release being rolled
    out migrated the database first. Migrations keep the previous release
    working (add, then drop a release later), so the server starts and warns.
    """
    revision = current(connection)
    needed = head()
    if revision == needed:
        return
    if revision is None:
        raise SchemaOutOfDate(f"the database has no antrean schema yet; {_FIX}")
    if not _known(revision):
        logger.warning(
            "database schema is newer than this server revision=%s known_head=%s",
            revision,
            needed,
        )
        return
    raise SchemaOutOfDate(
        f"the database schema is at revision {revision}, this server needs "
        f"{needed}; {_FIX}"
    )


def _known(revision: str) -> bool:
    """Whether this release ships the revision (an unknown one is newer)."""
    try:
        return _script().get_revision(revision) is not None
    except CommandError:
        return False


def differences(connection: sa.Connection) -> list:
    """What tells the database's schema from the models (empty when equal)."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return compare_metadata(context, metadata)


def _adopt(connection: sa.Connection, config: Config) -> None:
    found = differences(connection)
    if found:
        raise SchemaOutOfDate(
            "the database has antrean tables but no migration history, and they "
            f"differ from this version's schema ({len(found)} differences); "
            "migrate a new, empty database instead"
        )
    command.stamp(config, "head")
    logger.info("schema adopted revision=%s", head())


def _has_tables(connection: sa.Connection) -> bool:
    names = set(sa.inspect(connection).get_table_names())
    return bool(names & set(metadata.tables))


def _revisions_between(before: str | None, after: str | None) -> list[str]:
    if after is None or after == before:
        return []
    script = _script()
    steps = script.iterate_revisions(after, before or "base")
    return [step.revision for step in reversed(list(steps))]


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _new_revision(message: str) -> None:
    """Writes the next revision, autogenerated against a scratch database."""
    number = f"{int(head()) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = sa.create_engine(f"sqlite:///{scratch}/scratch.db")
        with engine.begin() as connection:
            command.upgrade(_config(connection), "head")
            command.revision(
                _config(connection), message, autogenerate=True, rev_id=number
            )
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit('usage: python -m antrean.server.storage.migrate revision "MESSAGE"')
    _new_revision(sys.argv[2])
