"""What the configuration holds once validated, and the error when it is not."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from antrean.server.domain.offices import Office, default_office

# What an internal client may do: book for citizens, act for one office, or all.
CLIENT_ROLES = ("gateway", "counter", "admin")


class ConfigError(Exception):
    """A configuration that cannot start the server.

    ``source`` is the file, ``environment`` or ``command line``; ``key`` the key
    path (``offices[1].hours.friday[0]``), variable or option, when there is one;
    ``problem`` what is wrong and how to fix it.
    """

    def __init__(self, source: str, key: str | None, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = source if key is None else f"{source}: {key}"
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class ClientCredential:
    """An internal client allowed to call the server."""

    name: str  # for logs, e.g. "whatsapp-gateway"
    token_sha256: str  # lower-case hex SHA-256 of the bearer token, never the token
    role: str  # one of CLIENT_ROLES
    office_id: str | None = None  # the office of a "counter" client, else None


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its configuration."""

    listen: str = "127.0.0.1:50051"
    # A relative SQLite file resolves against the working directory.
    database_url: str = "sqlite:///antrean.db"
    offices: tuple[Office, ...] = field(default_factory=lambda: (default_office(),))
    pending_ttl: timedelta = timedelta(minutes=15)
    max_approval_attempts: int = 5
    request_id_retention: timedelta = timedelta(hours=24)
    # Counted from the service date; then names, birth dates and numbers go.
    personal_data_retention: timedelta = timedelta(days=90)
    worker_threads: int = 8
    # No clients means authentication is off; the server warns about it.
    clients: tuple[ClientCredential, ...] = ()
    # For tests and demos only: the server's clock starts at this instant.
    test_clock: datetime | None = None
    config_file: Path | None = None

    @functools.cached_property
    def _offices_by_id(self) -> Mapping[str, Office]:
        return {office.id: office for office in self.offices}

    def office(self, office_id: str) -> Office | None:
        """Returns the office with this id, or None when there is none."""
        return self._offices_by_id.get(office_id)

    def redacted_database_url(self) -> str:
        """Returns the database URL with its password masked, for logs."""
        return redact_url(self.database_url)


def redact_url(url: str) -> str:
    """Masks the password of a URL, in its user info and in a query parameter."""
    parts = urlsplit(url)
    user_info, at, host = parts.netloc.rpartition("@")
    if at and ":" in user_info:
        user = user_info.partition(":")[0]
        url = url.replace(f"//{parts.netloc}", f"//{user}:***@{host}", 1)

    # libpq also takes the password as ?password=...
    pieces = parts.query.split("&")
    if any(piece.partition("=")[0] == "password" for piece in pieces):
        masked = [
            "password=***" if piece.partition("=")[0] == "password" else piece
            for piece in pieces
        ]
        url = url.replace(f"?{parts.query}", f"?{'&'.join(masked)}", 1)
    return url
