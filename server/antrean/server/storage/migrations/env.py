"""Alembic's entry point: migrates the connection that ``storage.migrate`` passes.

There is no alembic.ini and no URL here: the server opens the database with its
own settings and hands the connection over, inside its transaction.
"""

from alembic import context

from antrean.server.storage.schema import metadata

if context.is_offline_mode():
    raise SystemExit("antrean migrations run on a live connection, not as SQL")

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite changes most columns by copying the table; batch mode does that.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    compare_server_default=True,
)
with context.begin_transaction():
    context.run_migrations()
