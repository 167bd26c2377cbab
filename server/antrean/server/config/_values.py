"""Parsers of the settings that the file, the environment and options share."""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime

from antrean.server.config._toml import Invalid

_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+")
_DATABASE_SCHEMES = ("sqlite", "postgresql")
# The drivers that come with antrean, the default first.
_DRIVERS = {"sqlite": ("pysqlite",), "postgresql": ("psycopg",)}


def parse_listen(value: str) -> str:
    """Checks a HOST:PORT address to listen on; port 0 picks a free one."""
    host, colon, port = value.strip().rpartition(":")
    if not colon or not _HOST.fullmatch(host):
        raise Invalid(
            f"{value!r} is not HOST:PORT; write e.g. 127.0.0.1:50051, "
            "0.0.0.0:50051 or [::]:50051"
        )
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise Invalid(f"{value!r} has port {port!r}; the port must be 0-65535")
    return f"{host}:{int(port)}"


def parse_database_url(value: str) -> str:
    """Checks that a database URL names a supported database."""
    url = value.strip()
    scheme, separator, _ = url.partition("://")
    dialect = scheme.partition("+")[0]
    if scheme.startswith("postgres") and dialect != "postgresql":
        raise Invalid(f"write postgresql://... instead of {scheme}://...")
    if not separator or dialect not in _DATABASE_SCHEMES:
        raise Invalid(
            "must start with sqlite:// or postgresql://, e.g. "
            "sqlite:///antrean.db or postgresql://antrean@db-host/antrean"
        )
    driver = scheme.partition("+")[2]
    if driver and driver not in _DRIVERS[dialect]:
        raise Invalid(
            f"the driver {driver!r} is not installed; write {dialect}:// (or "
            f"{dialect}+{_DRIVERS[dialect][0]}://)"
        )
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises for a bad port)
    except ValueError:
        # A bad port, or a [ or ] outside an IPv6 address.
        raise Invalid(
            "the port after the host must be a number from 1 to 65535 "
            f"({_PERCENT_ENCODE})"
        ) from None
    if parts.netloc.count("@") > 1:
        raise Invalid(_PERCENT_ENCODE)
    if dialect == "postgresql":
        _check_connection_options(url)
    elif parts.query:
        raise Invalid(
            "a SQLite URL takes no ?options; write the file alone, e.g. "
            "sqlite:///antrean.db"
        )
    return url


def _check_connection_options(url: str) -> None:
    """Refuses a ``?name=value`` that libpq does not know, before connecting."""
    from psycopg import pq  # the driver knows which options its libpq takes

    given = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    known = {option.keyword.decode() for option in pq.Conninfo.get_defaults()}
    unknown = sorted(set(given) - known)
    if unknown:
        raise Invalid(
            f"unknown connection option {unknown[0]!r} after '?'; PostgreSQL "
            "takes libpq's parameters, e.g. ?sslmode=require&connect_timeout=5"
        )
    for name, values in sorted(given.items()):
        if len(values) > 1:
            raise Invalid(f"the connection option {name} is given twice; keep one")
    for name in sorted(_INTEGER_OPTIONS & set(given)):
        [value] = given[name]
        if not _WHOLE_NUMBER.fullmatch(value.strip()):
            raise Invalid(
                f"the connection option {name}={value!r} must be a whole number, "
                f"e.g. ?{name}=5"
            )


_PERCENT_ENCODE = (
    "a user name or password holding / # ? @ [ ] or : must be percent-encoded, "
    "e.g. @ as %40 and / as %2F"
)
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# libpq's connection options whose values are whole numbers.
_INTEGER_OPTIONS = frozenset(
    {
        "connect_timeout",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "port",
        "tcp_user_timeout",
    }
)


def parse_test_clock(value: str) -> datetime:
    """Parses the instant a test or demo clock starts at; it needs an offset."""
    example = "write e.g. 2027-07-19T07:00:00+07:00"
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(
            f"{value!r} is not an ISO 8601 date and time; {example}"
        ) from None
    if instant.tzinfo is None:
        raise Invalid(f"{value!r} has no UTC offset; {example}")
    return instant
