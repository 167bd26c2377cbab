"""The server's configuration: read once at start, validated, passed down.

``load_settings`` merges, from strongest to weakest: command-line options, the
environment, the TOML file, the built-in defaults. Anything wrong stops the
start with a ``ConfigError`` that names the file (or variable, or option), the
key and what to change. docs/configuration.md is the reference.
"""

from antrean.server.config._load import load_settings
from antrean.server.config._settings import (
    CLIENT_ROLES,
    ClientCredential,
    ConfigError,
    Settings,
)

__all__ = [
    "CLIENT_ROLES",
    "ClientCredential",
    "ConfigError",
    "Settings",
    "load_settings",
]
