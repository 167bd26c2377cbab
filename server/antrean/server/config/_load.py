"""Merging options, environment, file and defaults into one Settings."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from antrean.server.config._offices import read_offices
from antrean.server.config._settings import (
    CLIENT_ROLES,
    ClientCredential,
    ConfigError,
    Settings,
)
from antrean.server.config._toml import Invalid, Table, read_toml
from antrean.server.config._values import (
    parse_database_url,
    parse_listen,
    parse_test_clock,
)
from antrean.server.domain.offices import Office

logger = logging.getLogger(__name__)

CONFIG_VARIABLE = "ANTREAN_CONFIG"
# Settings that the environment and command-line options may set.
VARIABLES = {
    "listen": "ANTREAN_LISTEN",
    "database_url": "ANTREAN_DATABASE_URL",
    "test_clock": "ANTREAN_TEST_CLOCK",
}
OPTIONS = {
    "listen": "--listen",
    "database_url": "--database",
    "test_clock": "--test-clock",
    "config_file": "--config",
}
_PARSERS: Mapping[str, Callable[[str], object]] = {
    "listen": parse_listen,
    "database_url": parse_database_url,
    "test_clock": parse_test_clock,
}
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_DEFAULTS = Settings()

# Upper bounds of the [server] and [booking] numbers: a larger value is a typo
# (hours for minutes, an extra zero), never a setting an office needs.
MAX_WORKER_THREADS = 256
MAX_PENDING_TTL_MINUTES = 24 * 60
MAX_APPROVAL_ATTEMPTS = 100
MAX_REQUEST_ID_RETENTION_HOURS = 24 * 30
MAX_PERSONAL_DATA_RETENTION_DAYS = 3650


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    overrides: Mapping[str, object] | None = None,
) -> Settings:
    """Reads and validates the configuration; raises ConfigError when it is bad.

    ``overrides`` holds the command-line options (``listen``, ``database_url``,
    ``config_file``, ``test_clock``); None values count as not given. They beat
    the environment, which beats the file, which beats the defaults.
    """
    options = {
        name: value for name, value in (overrides or {}).items() if value is not None
    }
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise ValueError(f"unknown overrides {sorted(unknown)}; known: {list(OPTIONS)}")

    path, named_by = _config_path(config_file, environ, options)
    settings = _DEFAULTS if path is None else _read_file(path, named_by)
    from_environment = _from_environment(environ)
    settings = replace(settings, **(from_environment | _from_options(options)))

    logger.info(
        "configuration loaded file=%s offices=%s clients=%d environment=%s options=%s",
        path or "-",
        ",".join(office.id for office in settings.offices),
        len(settings.clients),
        ",".join(VARIABLES[name] for name in from_environment) or "-",
        ",".join(OPTIONS[name] for name in options) or "-",
    )
    return settings


def _config_path(
    config_file: Path | None, environ: Mapping[str, str], options: Mapping[str, object]
) -> tuple[Path | None, str | None]:
    """Returns the configuration file to read, if any, and what named it."""
    if "config_file" in options:
        return Path(str(options["config_file"])).expanduser(), "option --config"
    if config_file is not None:
        return Path(config_file).expanduser(), None
    if environ.get(CONFIG_VARIABLE):
        named_by = f"environment variable {CONFIG_VARIABLE}"
        return Path(environ[CONFIG_VARIABLE]).expanduser(), named_by
    return None, None


def _from_environment(environ: Mapping[str, str]) -> dict[str, object]:
    # An empty variable counts as unset, so `ANTREAN_LISTEN=` clears it.
    return {
        name: _parsed(name, environ[variable], "environment", variable)
        for name, variable in VARIABLES.items()
        if environ.get(variable)
    }


def _from_options(options: Mapping[str, object]) -> dict[str, object]:
    changes = {}
    for name, value in options.items():
        if name == "config_file":
            continue
        text = value.isoformat() if isinstance(value, datetime) else value
        if not isinstance(text, str):
            raise TypeError(f"override {name} must be a string, not {text!r}")
        changes[name] = _parsed(name, text, "command line", OPTIONS[name])
    return changes


def _parsed(name: str, value: str, source: str, key: str) -> object:
    try:
        return _PARSERS[name](value)
    except Invalid as error:
        raise ConfigError(source, key, str(error)) from None


def _read_file(path: Path, named_by: str | None) -> Settings:
    document = Table(str(path), "", read_toml(path, named_by))
    document.only(("server", "booking", "offices", "clients"))
    offices = read_offices(document)
    return replace(
        _DEFAULTS,
        **_server(document.table("server")),
        **_booking(document.table("booking")),
        offices=offices,
        clients=_clients(document, offices),
        config_file=path,
    )


def _server(server: Table) -> dict[str, object]:
    server.only(("listen", "database_url", "worker_threads"))
    return {
        "listen": server.parsed("listen", parse_listen, _DEFAULTS.listen),
        "database_url": server.parsed(
            "database_url", parse_database_url, _DEFAULTS.database_url
        ),
        "worker_threads": server.positive_int(
            "worker_threads", _DEFAULTS.worker_threads, MAX_WORKER_THREADS
        ),
    }


def _booking(booking: Table) -> dict[str, object]:
    booking.only(
        (
            "pending_ttl_minutes",
            "max_approval_attempts",
            "request_id_retention_hours",
            "personal_data_retention_days",
        )
    )

    def duration(
        name: str, unit: timedelta, default: timedelta, maximum: int
    ) -> timedelta:
        return booking.positive_int(name, default // unit, maximum) * unit

    minute, hour, day = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
    return {
        "pending_ttl": duration(
            "pending_ttl_minutes",
            minute,
            _DEFAULTS.pending_ttl,
            MAX_PENDING_TTL_MINUTES,
        ),
        "max_approval_attempts": booking.positive_int(
            "max_approval_attempts",
            _DEFAULTS.max_approval_attempts,
            MAX_APPROVAL_ATTEMPTS,
        ),
        "request_id_retention": duration(
            "request_id_retention_hours",
            hour,
            _DEFAULTS.request_id_retention,
            MAX_REQUEST_ID_RETENTION_HOURS,
        ),
        "personal_data_retention": duration(
            "personal_data_retention_days",
            day,
            _DEFAULTS.personal_data_retention,
            MAX_PERSONAL_DATA_RETENTION_DAYS,
        ),
    }


def _clients(
    document: Table, offices: tuple[Office, ...]
) -> tuple[ClientCredential, ...]:
    """Returns the clients allowed to call; names and tokens must be unique."""
    entries = document.tables("clients") or []
    clients: list[ClientCredential] = []
    for entry in entries:
        client = _client(entry, offices)
        for earlier, other in zip(entries, clients, strict=False):
            if other.name == client.name:
                problem = f"{client.name!r} is already the name of {earlier.path}"
                raise entry.error("name", f"{problem}; client names must be unique")
            if other.token_sha256 == client.token_sha256:
                problem = f"{earlier.path} has the same token; give each client its own"
                raise entry.error("token_sha256", problem)
        clients.append(client)
    return tuple(clients)


def _client(entry: Table, offices: tuple[Office, ...]) -> ClientCredential:
    entry.only(("name", "token_sha256", "role", "office_id"))
    name = entry.string("name")

    token_sha256 = entry.string("token_sha256").strip().lower()
    if not _SHA256_HEX.fullmatch(token_sha256):
        raise entry.error(
            "token_sha256",
            "expected the 64 hex digits of the token's SHA-256 (never the token "
            "itself); "
            'make it with: printf %s "$TOKEN" | sha256sum',
        )

    role = entry.string("role")
    if role not in CLIENT_ROLES:
        problem = f"{role!r} is not a role; use one of {', '.join(CLIENT_ROLES)}"
        raise entry.error("role", problem)

    office_id = entry.optional_string("office_id")
    office_ids = [office.id for office in offices]
    known = ", ".join(office_ids)
    if role == "counter" and office_id is None:
        problem = f"a counter acts for one office; set it to one of: {known}"
        raise entry.error("office_id", problem)
    if role != "counter" and office_id is not None:
        problem = f"only a counter has an office; remove it from this {role} client"
        raise entry.error("office_id", problem)
    if office_id is not None and office_id not in office_ids:
        problem = f"no office has id {office_id!r}; configured: {known}"
        raise entry.error("office_id", problem)

    return ClientCredential(name, token_sha256, role, office_id)
