"""``antrean-server``: run the booking service."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from antrean.server.app import create_server
from antrean.server.config import ConfigError, Settings, load_settings
from antrean.server.config._settings import redact_url

logger = logging.getLogger("antrean.server")


@click.group(invoke_without_command=True)
@click.option(
    "--listen",
    metavar="HOST:PORT",
    help="Address to listen on [env ANTREAN_LISTEN; default 127.0.0.1:50051].",
)
@click.option(
    "--database",
    "database_url",
    metavar="URL",
    help="sqlite:///FILE or postgresql://USER@HOST/DB "
    "[env ANTREAN_DATABASE_URL; default sqlite:///antrean.db].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    help="TOML file with offices, hours, closures and clients [env ANTREAN_CONFIG].",
)
@click.option(
    "--test-clock",
    metavar="ISO-8601",
    help="FOR TESTS AND DEMOS ONLY: start the server's clock at this instant, "
    "e.g. 2027-07-19T07:00:00+07:00 [env ANTREAN_TEST_CLOCK].",
)
@click.option("-v", "--verbose", is_flag=True, help="Log every call (DEBUG).")
@click.pass_context
def main(ctx, listen, database_url, config_file, test_clock, verbose) -> None:
    """Run the antrean booking server (gRPC, with health and reflection)."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = load_settings(
            config_file,
            overrides={
                "listen": listen,
                "database_url": database_url,
                "test_clock": test_clock,
            },
        )
    except ConfigError as error:
        click.echo(f"antrean-server: configuration error: {error}", err=True)
        sys.exit(2)
    ctx.obj = settings
    if ctx.invoked_subcommand is None:
        serve(settings)


def serve(settings: Settings) -> None:
    """Runs until SIGTERM or SIGINT, then shuts down gracefully."""
    server = create_server(settings)
    server.start()
    host = settings.listen.rsplit(":", 1)[0]
    logger.info(
        "server started listen=%s:%d database=%s offices=%s",
        host,
        server.port,
        redact_url(settings.database_url),
        ",".join(f"{o.id}({o.time_zone})" for o in settings.offices),
    )

    def shut_down(signum, _frame):
        logger.info("shutting down signal=%s", signal.Signals(signum).name)
        server.stop()

    signal.signal(signal.SIGTERM, shut_down)
    signal.signal(signal.SIGINT, shut_down)
    server.wait()
    logger.info("server stopped")
