"""``antrean-chat``: the chat conversation over a terminal or a pipe.

Each line of standard input is one message from the ``--phone`` number; each
reply is printed followed by a blank line. This is the transport for trying
the adapter by hand and for scripted demos; WhatsApp webhooks use the same
``Conversation``.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import click
import grpc

from antrean.chat.conversation import Conversation
from antrean.chat.options import conversation_options
from antrean.client import BookingClient

logger = logging.getLogger(__name__)

# Long enough for a server that is still starting, short enough for a person.
CONNECT_TIMEOUT_SECONDS = 5.0
PROMPT = "> "


class ServerUnreachable(Exception):
    """No connection to the server could be made at all."""


def connect(target: str, token: str | None) -> BookingClient:
    """Returns a client of ``target`` once a connection to it succeeds.

    Raises ``ServerUnreachable`` when none succeeds within the timeout, so that
    the console can say so in one line instead of answering every message
    with "busy".
    """
    with grpc.insecure_channel(target) as probe:
        try:
            grpc.channel_ready_future(probe).result(timeout=CONNECT_TIMEOUT_SECONDS)
        except grpc.FutureTimeoutError:
            raise ServerUnreachable(
                f"cannot reach the antrean server at {target}; start it, or pass "
                "--server HOST:PORT (or set ANTREAN_SERVER)"
            ) from None
    return BookingClient(target, token=token)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--phone",
    required=True,
    envvar="ANTREAN_PHONE",
    show_envvar=True,
    metavar="NUMBER",
    help="The WhatsApp number the messages come from, e.g. +6281234567890.",
)
@conversation_options
def main(phone: str, server: str, office: str, lang: str, token: str | None) -> None:
    """Chat with antrean as a citizen would on WhatsApp.

    Type one message per line, e.g. #Ahmad#20111967#18072027, then the approval
    code from the reply; #cek shows the booking, #batal cancels it. Input may be
    piped; the command ends at the end of input.
    """
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        client = connect(server, token)
    except ServerUnreachable as error:
        click.echo(f"antrean-chat: {error}", err=True)
        sys.exit(1)

    with client:
        conversation = Conversation(client, office, language=lang.lower())
        try:
            converse(conversation, phone, sys.stdin)
        except KeyboardInterrupt:
            click.echo()
            sys.exit(130)


def converse(conversation: Conversation, phone_number: str, stdin: TextIO) -> None:
    """Answers each non-empty line of ``stdin`` until its end."""
    interactive = stdin.isatty()
    while True:
        if interactive:
            click.echo(PROMPT, nl=False)
        line = stdin.readline()
        if not line:
            if interactive:
                click.echo()
            return
        text = line.strip()
        if not text:
            continue
        click.echo(conversation.reply(phone_number, text))
        click.echo()
