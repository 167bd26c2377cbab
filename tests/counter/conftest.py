"""Fixtures that run ``antrean-counter`` against a fake client, offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner, Result

from antrean.counter import cli

from .fakes import FakeClient

# 18 July 2027, 06:00 in Jakarta: a service day at the office.
FIXED_NOW = datetime(2027, 7, 17, 23, 0, tzinfo=UTC)

# Settings that would leak from the shell running the tests into the CLI.
_LEAKING_ENV = (
    "ANTREAN_SERVER",
    "ANTREAN_OFFICE",
    "ANTREAN_TOKEN",
    "ANTREAN_TIME_ZONE",
    "FORCE_COLOR",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
)


@dataclass
class CounterDesk:
    """The CLI wired to a fake client and a fixed clock."""

    client: FakeClient
    opened: list[tuple[str, str | None]] = field(default_factory=list)
    runner: CliRunner = field(default_factory=CliRunner)

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Runs ``antrean-counter ARGS``; unexpected exceptions fail the test."""
        return self.runner.invoke(cli.cli, list(args), env=env, catch_exceptions=False)

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """Runs ``antrean-counter --office jakarta-pusat ARGS``."""
        return self.run("--office", "jakarta-pusat", *args, env=env)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _LEAKING_ENV:
        monkeypatch.delenv(name, raising=False)
    # A fixed width keeps tables from wrapping differently on each machine.
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def set_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Fixes the instant the CLI takes as now."""

    def fix(moment: datetime) -> None:
        monkeypatch.setattr(cli, "now", lambda: moment)

    fix(FIXED_NOW)
    return fix


@pytest.fixture
def counter(monkeypatch: pytest.MonkeyPatch, set_now: object) -> CounterDesk:
    """The CLI with ``make_client`` returning one shared fake client."""
    fake = CounterDesk(client=FakeClient())

    def make_client(server: str, token: str | None) -> FakeClient:
        fake.opened.append((server, token))
        return fake.client

    monkeypatch.setattr(cli, "make_client", make_client)
    return fake
