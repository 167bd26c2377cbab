"""``antrean-whatsapp``: options, the environment's secrets, and the start."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from starlette.applications import Starlette

from antrean.chat.console import ServerUnreachable
from antrean.chat.whatsapp import cli

SECRETS = {
    "WHATSAPP_VERIFY_TOKEN": "verify-token-for-tests",
    "WHATSAPP_APP_SECRET": "app-secret-for-tests",
    "WHATSAPP_ACCESS_TOKEN": "access-token-for-tests",
    "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
}
OPTIONAL = ("WHATSAPP_GRAPH_URL", "WHATSAPP_API_VERSION")
OPTION_ENVIRONMENT = ("LISTEN", "SERVER", "OFFICE", "LANG", "TOKEN")


class FakeClient:
    closed = False

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.closed = True


@pytest.fixture
def started(monkeypatch) -> dict:
    """What the command connected to and served, instead of doing it."""
    seen: dict = {"client": FakeClient()}

    def connect(target: str, token: str | None) -> FakeClient:
        seen["connect"] = (target, token)
        return seen["client"]

    def serve(app, host: str, port: int) -> None:
        seen["serve"] = (app, host, port)

    monkeypatch.setattr(cli, "connect", connect)
    monkeypatch.setattr(cli, "serve", serve)
    for name in (*SECRETS, *OPTIONAL):
        monkeypatch.delenv(name, raising=False)
    for name in OPTION_ENVIRONMENT:
        monkeypatch.delenv(f"ANTREAN_{name}", raising=False)
    monkeypatch.delenv("ANTREAN_WHATSAPP_LISTEN", raising=False)
    return seen


def run(arguments: list[str], env: dict[str, str] | None = None):
    return CliRunner().invoke(cli.main, arguments, env=env)


def test_the_defaults_serve_locally_for_jakarta_pusat(started):
    result = run([], env=SECRETS)

    assert result.exit_code == 0, result.output
    app, host, port = started["serve"]
    assert isinstance(app, Starlette)
    assert (host, port) == ("127.0.0.1", 8080)
    assert started["connect"] == ("127.0.0.1:50051", None)
    assert started["client"].closed


def test_options_come_from_the_environment(started):
    env = {
        **SECRETS,
        "ANTREAN_WHATSAPP_LISTEN": "0.0.0.0:9000",
        "ANTREAN_SERVER": "10.0.0.7:6000",
        "ANTREAN_TOKEN": "gateway-token",
    }

    result = run([], env=env)

    assert result.exit_code == 0, result.output
    assert started["serve"][1:] == ("0.0.0.0", 9000)
    assert started["connect"] == ("10.0.0.7:6000", "gateway-token")


def test_an_ipv6_listen_address_is_read(started):
    result = run(["--listen", "[::1]:8443"], env=SECRETS)

    assert result.exit_code == 0, result.output
    assert started["serve"][1:] == ("::1", 8443)


@pytest.mark.parametrize("listen", ["8080", "localhost:", "host:http", "host:70000"])
def test_a_bad_listen_address_is_a_usage_error(started, listen):
    result = run(["--listen", listen], env=SECRETS)

    assert result.exit_code == 2
    assert "HOST:PORT" in result.stderr
    assert "serve" not in started


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_a_missing_setting_is_one_line_naming_it(started, missing):
    env = {**SECRETS, missing: ""}

    result = run([], env=env)

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert missing in result.stderr
    assert "Traceback" not in result.stderr
    assert "serve" not in started


def test_secrets_never_reach_the_output(started):
    result = run([], env=SECRETS)

    for name in ("VERIFY_TOKEN", "APP_SECRET", "ACCESS_TOKEN"):
        assert SECRETS[f"WHATSAPP_{name}"] not in result.output
    settings = cli.settings_from_environment(SECRETS)
    assert SECRETS["WHATSAPP_APP_SECRET"] not in repr(settings)


def test_the_graph_url_and_version_have_defaults_and_can_be_set():
    default = cli.settings_from_environment(SECRETS)
    chosen = cli.settings_from_environment(
        {
            **SECRETS,
            "WHATSAPP_GRAPH_URL": "http://127.0.0.1:9999",
            "WHATSAPP_API_VERSION": "v22.0",
        }
    )

    assert (default.graph_url, default.api_version) == (
        "https://graph.facebook.com",
        "v21.0",
    )
    assert (chosen.graph_url, chosen.api_version) == ("http://127.0.0.1:9999", "v22.0")


def test_an_unreachable_server_stops_the_start(started, monkeypatch):
    def unreachable(target: str, token: str | None):
        raise ServerUnreachable(f"cannot reach the antrean server at {target}")

    monkeypatch.setattr(cli, "connect", unreachable)

    result = run(["--server", "127.0.0.1:9"], env=SECRETS)

    assert result.exit_code == 1
    assert "127.0.0.1:9" in result.stderr
    assert "serve" not in started


def test_help_documents_options_and_settings_but_offers_no_secret_option():
    result = run(["--help"])

    assert result.exit_code == 0
    for option in ("--listen", "--server", "--office", "--lang", "--token"):
        assert option in result.stdout
    for variable in SECRETS:
        assert variable in result.stdout
    for secret in ("--verify-token", "--app-secret", "--access-token"):
        assert secret not in result.stdout
