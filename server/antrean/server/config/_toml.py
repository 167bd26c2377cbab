"""Typed access to a parsed TOML file, naming every key by its path."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar

from antrean.server.config._settings import ConfigError

T = TypeVar("T")


class Invalid(ValueError):
    """A value that a parser refuses; its message says what is wrong and the fix."""


def read_toml(path: Path, named_by: str | None) -> dict[str, object]:
    """Reads and parses a TOML file; any failure is a ConfigError naming it."""
    origin = f" (named by {named_by})" if named_by else ""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        problem = f"cannot read the configuration file{origin}: {reason}"
        raise ConfigError(str(path), None, problem) from None
    except UnicodeDecodeError as error:
        problem = f"the file is not UTF-8 text ({error.reason} at byte {error.start})"
        raise ConfigError(str(path), None, problem) from None

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(str(path), None, f"not valid TOML: {error}") from None


def describe(value: object) -> str:
    """Names a TOML value's type, with the value when it is short."""
    kind = _type_name(value)
    if isinstance(value, list | dict):
        return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    return f"the {kind} {shown}" if len(shown) <= 40 else f"a {kind}"


def _type_name(value: object) -> str:
    # bool before int and datetime before date: each is a subclass of the next.
    for kind, name in (
        (bool, "boolean"),
        (int, "integer"),
        (float, "float"),
        (str, "string"),
        (list, "array"),
        (dict, "table"),
        (datetime, "date-time"),
        (date, "date"),
        (time, "time"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


@dataclass(frozen=True)
class Table:
    """A TOML table of the file ``source``, at key path ``path`` ("" at the top)."""

    source: str
    path: str
    values: Mapping[str, object]

    def key(self, name: str) -> str:
        """Returns the key path of one of this table's keys."""
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, problem: str) -> ConfigError:
        """Returns the error to raise about one of this table's keys."""
        return ConfigError(self.source, self.key(name), problem)

    def has(self, name: str) -> bool:
        return name in self.values

    def only(self, allowed: Sequence[str], what: str = "key") -> None:
        """Refuses keys other than ``allowed``, so that a typo cannot pass."""
        for name in self.values:
            if name not in allowed:
                problem = f"unknown {what}; allowed here: {', '.join(allowed)}"
                raise self.error(name, problem)

    def string(self, name: str) -> str:
        """Returns a required, non-blank string."""
        value = self._typed(name, str, "a string")
        if value is None:
            raise self.error(name, "missing; this key is required")
        if not value.strip():
            raise self.error(name, "must not be empty")
        return value

    def optional_string(self, name: str) -> str | None:
        return self.string(name) if name in self.values else None

    def parsed(self, name: str, parse: Callable[[str], T], default: T) -> T:
        """Returns a string key passed through ``parse``, or the default."""
        if name not in self.values:
            return default
        try:
            return parse(self.string(name))
        except Invalid as error:
            raise self.error(name, str(error)) from None

    def positive_int(self, name: str, default: int, maximum: int) -> int:
        """Returns a whole number from 1 to ``maximum``, or the default."""
        value = self._typed(name, int, "a whole number")
        if value is None:
            return default
        if not 1 <= value <= maximum:
            raise self.error(
                name, f"must be a whole number from 1 to {maximum}, not {value}"
            )
        return value

    def array(self, name: str) -> list[tuple[str, object]] | None:
        """Returns an array's items, each with its key path; None when absent."""
        items = self._typed(name, list, "an array")
        if items is None:
            return None
        return [
            (f"{self.key(name)}[{index}]", item) for index, item in enumerate(items)
        ]

    def table(self, name: str) -> Table:
        """Returns a sub-table; an empty one when absent."""
        value = self._typed(name, dict, "a table")
        return Table(self.source, self.key(name), value or {})

    def tables(self, name: str) -> list[Table] | None:
        """Returns an array of tables (``[[name]]``); None when absent."""
        items = self.array(name)
        if items is None:
            return None
        tables = []
        for path, item in items:
            if not isinstance(item, dict):
                problem = f"expected a table, got {describe(item)}; write [[{name}]]"
                raise ConfigError(self.source, path, problem)
            tables.append(Table(self.source, path, item))
        return tables

    def _typed(self, name: str, kind: type[T], expected: str) -> T | None:
        if name not in self.values:
            return None
        value = self.values[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(name, f"expected {expected}, got {describe(value)}")
        return value
