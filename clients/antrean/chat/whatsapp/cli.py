"""``antrean-whatsapp``: the WhatsApp webhook, served by uvicorn.

Options say where to listen and which antrean server and office to book at.
The WhatsApp secrets come from the environment only, never from options (a
command line is visible to every user of the machine) and never into logs.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

import click
import uvicorn

from antrean.chat.console import ServerUnreachable, connect
from antrean.chat.conversation import Conversation
from antrean.chat.options import conversation_options
from antrean.chat.whatsapp.app import create_app
from antrean.chat.whatsapp.sender import (
    DEFAULT_API_VERSION,
    DEFAULT_GRAPH_URL,
    GraphSender,
)

logger = logging.getLogger(__name__)

DEFAULT_LISTEN = "127.0.0.1:8080"
# Each variable with what to put in it, for the one line a missing one gets.
REQUIRED_ENVIRONMENT = {
    "WHATSAPP_VERIFY_TOKEN": "the verify token you typed in the Meta app's "
    "webhook settings",
    "WHATSAPP_APP_SECRET": "the Meta app's App Secret (App settings > Basic)",
    "WHATSAPP_ACCESS_TOKEN": "a system user's access token with "
    "whatsapp_business_messaging",
    "WHATSAPP_PHONE_NUMBER_ID": "the business number's Phone number ID "
    "(WhatsApp > API Setup)",
}


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp side of the configuration, read from the environment."""

    verify_token: str
    app_secret: str
    access_token: str
    phone_number_id: str
    graph_url: str = DEFAULT_GRAPH_URL
    api_version: str = DEFAULT_API_VERSION

    def __repr__(self) -> str:  # the secrets stay out of any traceback or log
        return (
            f"WhatsAppSettings(phone_number_id={self.phone_number_id!r}, "
            f"graph_url={self.graph_url!r}, api_version={self.api_version!r})"
        )


class MissingSetting(Exception):
    """A required environment variable is unset or empty."""


def settings_from_environment(environ: dict[str, str]) -> WhatsAppSettings:
    """Reads the WhatsApp settings; raises ``MissingSetting`` naming the first gap."""
    for name, meaning in REQUIRED_ENVIRONMENT.items():
        if not environ.get(name, "").strip():
            raise MissingSetting(f"set {name}: {meaning}")
    return WhatsAppSettings(
        verify_token=environ["WHATSAPP_VERIFY_TOKEN"].strip(),
        app_secret=environ["WHATSAPP_APP_SECRET"].strip(),
        access_token=environ["WHATSAPP_ACCESS_TOKEN"].strip(),
        phone_number_id=environ["WHATSAPP_PHONE_NUMBER_ID"].strip(),
        graph_url=environ.get("WHATSAPP_GRAPH_URL", "").strip() or DEFAULT_GRAPH_URL,
        api_version=environ.get("WHATSAPP_API_VERSION", "").strip()
        or DEFAULT_API_VERSION,
    )


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) → host and port."""
    host, _, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT, e.g. 127.0.0.1:8080")
    return host, int(port)


def _listen_option(
    context: click.Context, parameter: click.Parameter, value: str
) -> tuple[str, int]:
    try:
        return parse_listen(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    envvar="ANTREAN_WHATSAPP_LISTEN",
    show_default=True,
    show_envvar=True,
    metavar="HOST:PORT",
    callback=_listen_option,
    help="Where the webhook listens; put a TLS proxy in front of it.",
)
@conversation_options
def main(
    listen: tuple[str, int], server: str, office: str, lang: str, token: str | None
) -> None:
    """Answer citizens' WhatsApp messages: the Cloud API webhook.

    The WhatsApp settings come from the environment: WHATSAPP_VERIFY_TOKEN,
    WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID,
    optionally WHATSAPP_GRAPH_URL and WHATSAPP_API_VERSION.
    """
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    # httpx logs each request's URL at INFO; one line per message is ours to write.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        whatsapp = settings_from_environment(dict(os.environ))
    except MissingSetting as error:
        click.echo(f"antrean-whatsapp: {error}", err=True)
        sys.exit(2)
    try:
        client = connect(server, token)
    except ServerUnreachable as error:
        click.echo(f"antrean-whatsapp: {error}", err=True)
        sys.exit(1)

    host, port = listen
    sender = GraphSender(
        whatsapp.access_token,
        whatsapp.phone_number_id,
        graph_url=whatsapp.graph_url,
        api_version=whatsapp.api_version,
    )
    with client, sender:
        conversation = Conversation(client, office, language=lang.lower())
        app = create_app(
            conversation,
            sender,
            whatsapp.verify_token,
            whatsapp.app_secret,
            language=lang.lower(),
            phone_number_id=whatsapp.phone_number_id,
        )
        logger.info(
            "whatsapp webhook starting listen=%s:%d office=%s server=%s "
            "phone_number_id=%s",
            host,
            port,
            office,
            server,
            whatsapp.phone_number_id,
        )
        serve(app, host, port)


def serve(app: object, host: str, port: int) -> None:
    """Runs ``app`` until interrupted.

    No access log: the handshake's query string carries the verify token.
    """
    uvicorn.run(app, host=host, port=port, access_log=False)
