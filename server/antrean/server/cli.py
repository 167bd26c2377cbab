"""``antrean-server``: run the booking service, or migrate its database first."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import click

from antrean.server.config import ConfigError, Settings, load_settings
from antrean.server.storage import DatabaseUnavailable, SchemaOutOfDate, connect
from antrean.server.transport.server import ListenError, create_server

logger = logging.getLogger("antrean.server")

# Exit statuses: a bad configuration, and a database that cannot be used.
EXIT_CONFIG = 2
EXIT_DATABASE = 1


def _database_options(command: Callable) -> Callable:
    """The options that say which database: shared by serving and migrating."""
    command = click.option(
        "--config",
        "config_file",
        type=click.Path(path_type=Path),
        help="TOML file with offices, hours, closures and clients "
        "[env ANTREAN_CONFIG].",
    )(command)
    return click.option(
        "--database",
        "--database-url",
        "database_url",
        metavar="URL",
        help="sqlite:///FILE or postgresql://USER@HOST/DB "
        "[env ANTREAN_DATABASE_URL; default sqlite:///antrean.db].",
    )(command)


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Address to listen on [env ANTREAN_LISTEN; default 127.0.0.1:50051].",
)
@_database_options
@click.option(
    "--test-clock",
    metavar="ISO-8601",
    help="FOR TESTS AND DEMOS ONLY: start the server's clock at this instant, "
    "e.g. 2027-07-19T07:00:00+07:00 [env ANTREAN_TEST_CLOCK].",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every call (DEBUG).")
@click.pass_context
def main(ctx, listen, database_url, config_file, test_clock, verbose) -> None:
    """Run the antrean booking server (gRPC, with health and reflection).

    The database must be migrated first: `antrean-server migrate`.
    """
    _configure_logging(verbose)
    options = {
        "listen": listen,
        "database_url": database_url,
        "test_clock": test_clock,
        "config_file": config_file,
    }
    if ctx.invoked_subcommand is None:
        serve(_settings(options))
    else:
        ctx.obj = options


@main.command()
@_database_options
@click.pass_obj
def migrate(options, database_url, config_file) -> None:
    """Bring the database schema up to date; run once per release, before serving.

    Safe to run again, and from several hosts at once: they take turns.
    """
    given = {"database_url": database_url, "config_file": config_file}
    settings = _settings(options | {k: v for k, v in given.items() if v is not None})
    database = connect(settings.database_url, pool_size=1)
    try:
        if not database.migrate():
            logger.info(
                "schema up to date database=%s", settings.redacted_database_url()
            )
    except (DatabaseUnavailable, SchemaOutOfDate) as error:
        _stop_on_database(settings, error)
    finally:
        database.dispose()


def serve(settings: Settings) -> None:
    """Runs until SIGTERM or SIGINT, then shuts down gracefully."""
    try:
        server = create_server(settings)
    except (DatabaseUnavailable, SchemaOutOfDate) as error:
        _stop_on_database(settings, error)
    except ListenError as error:
        click.echo(f"antrean-server: {error}", err=True)
        sys.exit(1)

    stopping = False

    def shut_down(signum, _frame):
        nonlocal stopping
        # Further signals (Ctrl-C twice, `timeout`, a supervisor) are ignored
        # from here on, before anything else: grpc's stop is not reentrant,
        # and a handler that ran again inside itself could deadlock on a lock.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if stopping:
            return  # a signal that came before the two lines above
        stopping = True
        logger.info("shutting down signal=%s", signal.Signals(signum).name)
        threading.Thread(target=server.stop, name="antrean-stop").start()

    # Before the start line: whoever reads it may stop the server at once.
    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    server.start()
    host = settings.listen.rsplit(":", 1)[0]
    logger.info(
        "server started listen=%s:%d database=%s offices=%s",
        host,
        server.port,
        settings.redacted_database_url(),
        ",".join(f"{o.id}({o.time_zone})" for o in settings.offices),
    )
    server.wait()
    logger.info("server stopped")


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S",
    )
    # Log times in UTC, as stored instants are: never the server's own zone.
    logging.Formatter.converter = time.gmtime
    # Alembic narrates every step at INFO; "migration applied" says what matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _settings(options: dict) -> Settings:
    """Loads the configuration, or stops with the one line that says what to fix."""
    config_file = options.get("config_file")
    overrides = {k: v for k, v in options.items() if k != "config_file"}
    try:
        return load_settings(config_file, overrides=overrides)
    except ConfigError as error:
        click.echo(f"antrean-server: configuration error: {error}", err=True)
        sys.exit(EXIT_CONFIG)


def _stop_on_database(settings: Settings, error: Exception) -> NoReturn:
    """Stops with one line naming the database, never its password."""
    if isinstance(error, SchemaOutOfDate):
        problem = str(error)
    else:
        problem = f"cannot use the database: {_driver_message(error, settings)}"
    click.echo(
        f"antrean-server: {settings.redacted_database_url()}: {problem}", err=True
    )
    sys.exit(EXIT_DATABASE)


def _driver_message(error: Exception, settings: Settings) -> str:
    """The driver's own first line (host, port, what failed), password masked."""
    driver_error = getattr(error.__cause__, "orig", None) or error
    lines = str(driver_error).strip().splitlines() or [type(driver_error).__name__]
    message = lines[0]
    password = urlsplit(settings.database_url).password
    return message.replace(password, "***") if password else message
