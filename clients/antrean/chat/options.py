"""The command-line options that every chat transport shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from antrean.chat.messages import LANGUAGES
from antrean.client.client import DEFAULT_SERVER

DEFAULT_OFFICE = "jakarta-pusat"

F = TypeVar("F", bound=Callable[..., object])


def conversation_options(command: F) -> F:
    """Adds ``--server``, ``--office``, ``--lang`` and ``--token``."""
    options = [
        click.option(
            "--server",
            default=DEFAULT_SERVER,
            envvar="ANTREAN_SERVER",
            show_default=True,
            show_envvar=True,
            metavar="HOST:PORT",
            help="The antrean server to call.",
        ),
        click.option(
            "--office",
            default=DEFAULT_OFFICE,
            envvar="ANTREAN_OFFICE",
            show_default=True,
            show_envvar=True,
            metavar="ID",
            help="The office whose queue the messages book.",
        ),
        click.option(
            "--lang",
            type=click.Choice(LANGUAGES, case_sensitive=False),
            default="id",
            envvar="ANTREAN_LANG",
            show_default=True,
            show_envvar=True,
            help="The language of the replies: Indonesian (id) or English (en).",
        ),
        click.option(
            "--token",
            envvar="ANTREAN_TOKEN",
            metavar="TOKEN",
            show_envvar=True,
            default=None,
            help="The gateway's token for the antrean server, when it requires "
            "one. Prefer the environment variable: a command line is visible to "
            "others.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command
