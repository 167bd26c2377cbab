"""``antrean-counter``: the officer's commands at the counter.

The only module of the counter that prints or exits. Exit status: 0 on
success, 1 when the server refuses or cannot be reached (one sentence on
stderr), 2 on a usage error (click's own).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.console import Console

from antrean.client import AntreanError, BookingClient, state_name
from antrean.client.client import DEFAULT_SERVER
from antrean.client.convert import state_from_name
from antrean.counter import refusals, render
from antrean.v1 import booking_pb2

DEFAULT_TIME_ZONE = "Asia/Jakarta"

# --date as the counter shows dates (DD-MM-YYYY) or as ISO 8601 (YYYY-MM-DD).
_DAY_FIRST = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")

# Every state but the zero value, in the order of a booking's life.
STATE_CHOICES = [
    state_name(value)
    for value in booking_pb2.Booking.State.values()
    if value != booking_pb2.Booking.STATE_UNSPECIFIED
]


@dataclass(frozen=True)
class Settings:
    """The global options, resolved once by the group."""

    server: str
    office: str | None
    token: str | None
    zone: ZoneInfo


def make_client(server: str, token: str | None) -> BookingClient:
    """Opens a client of the antrean server; tests replace this function."""
    return BookingClient(server, token=token)


def now() -> datetime:
    """Returns the current instant; tests replace this to fix "today"."""
    return datetime.now(UTC)


def today(zone: ZoneInfo) -> date:
    """Returns today's date in the office's time zone, not the machine's."""
    return now().astimezone(zone).date()


def _parse_zone(ctx: click.Context, param: click.Parameter, value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"'{value}' is not an IANA time zone; use e.g. Asia/Jakarta, "
            "Asia/Makassar or Asia/Jayapura."
        ) from None


def _parse_date(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> date | None:
    if value is None:
        return None
    text = value.strip()
    if match := _DAY_FIRST.fullmatch(text):
        day, month, year = map(int, match.groups())
    elif match := _YEAR_FIRST.fullmatch(text):
        year, month, day = map(int, match.groups())
    else:
        raise click.BadParameter(
            f"'{value}' is not a date; write DD-MM-YYYY or YYYY-MM-DD, "
            "e.g. 18-07-2027 or 2027-07-18."
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a real date; check the day and the month."
        ) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--server",
    envvar="ANTREAN_SERVER",
    default=DEFAULT_SERVER,
    show_default=True,
    show_envvar=True,
    metavar="HOST:PORT",
    help="Address of the antrean server.",
)
@click.option(
    "--office",
    envvar="ANTREAN_OFFICE",
    show_envvar=True,
    metavar="ID",
    help="ID of the office this counter serves, e.g. jakarta-pusat. "
    "Required by every command.",
)
@click.option(
    "--token",
    envvar="ANTREAN_TOKEN",
    show_envvar=True,
    metavar="TOKEN",
    help="This counter's access token, when the server requires one.",
)
@click.option(
    "--time-zone",
    "zone",
    envvar="ANTREAN_TIME_ZONE",
    default=DEFAULT_TIME_ZONE,
    show_default=True,
    show_envvar=True,
    metavar="TZ",
    callback=_parse_zone,
    help="The office's IANA time zone; decides which date is today for 'list', "
    "and the hour shown when a check-in is too late if the server names no zone.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    server: str,
    office: str | None,
    token: str | None,
    zone: ZoneInfo,
) -> None:
    """Check applicants in and see the day's bookings at an antrean counter.

    Exit status: 0 done; 1 the server refused (the reason is on stderr) or
    cannot be reached; 2 wrong usage.
    """
    ctx.obj = Settings(
        server=server,
        office=(office or "").strip() or None,
        token=token or None,
        zone=zone,
    )


@cli.command()
@click.argument("code", nargs=-1, required=True)
@click.pass_context
def checkin(ctx: click.Context, code: tuple[str, ...]) -> None:
    """Check in the applicant with booking CODE and show the queue number.

    Shows the name and birth date to compare with the ID card. A code read
    aloud in two halves may be typed with a space: K7PX M3QD.
    """
    with _session(ctx) as (client, office):
        booking = client.check_in(office_id=office, booking_code="".join(code))
    _console().print(render.check_in_card(booking))


@cli.command("list")
@click.option(
    "--date",
    "service_date",
    callback=_parse_date,
    metavar="DD-MM-YYYY",
    help="The service date to list, as DD-MM-YYYY or YYYY-MM-DD. "
    "Default: today in --time-zone.",
)
@click.option(
    "--state",
    type=click.Choice(STATE_CHOICES, case_sensitive=False),
    help="Only bookings in this state. Default: all states.",
)
@click.pass_context
def list_command(
    ctx: click.Context, service_date: date | None, state: str | None
) -> None:
    """List the bookings of a service date by slot, with counts per state."""
    settings: Settings = ctx.obj
    day = service_date or today(settings.zone)
    state_value = (
        state_from_name(state) if state else booking_pb2.Booking.STATE_UNSPECIFIED
    )
    with _session(ctx) as (client, office):
        # Read every page before printing, so a refusal midway shows no half list.
        bookings = list(
            client.list_bookings(office_id=office, service_date=day, state=state_value)
        )

    title = f"Bookings of {office} on {render.format_date(day)}"
    if state:
        title += f" ({state})"
    console = _console()
    console.print(render.bookings_table(bookings, title))
    console.print(render.state_counts(bookings))


@cli.command()
@click.argument("code", nargs=-1, required=True)
@click.pass_context
def show(ctx: click.Context, code: tuple[str, ...]) -> None:
    """Show every field of the booking with booking CODE."""
    with _session(ctx) as (client, office):
        booking = client.get_booking(booking_code="".join(code), office_id=office)
    _console().print(render.booking_details(booking))


def main() -> None:
    """Runs ``antrean-counter``."""
    cli(prog_name="antrean-counter")


@contextmanager
def _session(ctx: click.Context) -> Iterator[tuple[BookingClient, str]]:
    """Yields a client and the office; turns a refusal into a sentence and exit 1."""
    settings: Settings = ctx.obj
    office = _require_office(ctx, settings)
    try:
        with closing(make_client(settings.server, settings.token)) as client:
            yield client, office
    except AntreanError as error:
        sentence = refusals.describe(
            error, server=settings.server, office=office, zone=settings.zone
        )
        click.echo(sentence, err=True)
        ctx.exit(1)


def _require_office(ctx: click.Context, settings: Settings) -> str:
    # Checked here rather than by click's required=True, which would also
    # refuse `antrean-counter checkin --help` without an office.
    if settings.office is None:
        raise click.UsageError(
            "Missing option '--office': give this counter's office ID, "
            "e.g. --office jakarta-pusat, or set ANTREAN_OFFICE.",
            ctx=ctx.find_root(),
        )
    return settings.office


def _console() -> Console:
    # Made per command so that it writes to the stdout of the moment; rich
    # drops colours by itself when stdout is a pipe or a file.
    return Console(highlight=False)
