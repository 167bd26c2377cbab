"""Global options: environment defaults, the required office, help."""

from __future__ import annotations

from .conftest import CounterDesk


def test_missing_office_is_a_usage_error(counter: CounterDesk) -> None:
    result = counter.run("checkin", "K7PXM3QD")

    assert result.exit_code == 2
    assert "--office" in result.stderr
    assert "ANTREAN_OFFICE" in result.stderr
    assert counter.opened == []


def test_blank_office_is_a_usage_error(counter: CounterDesk) -> None:
    result = counter.run("--office", "  ", "list")

    assert result.exit_code == 2


def test_defaults_are_the_local_server_and_no_token(counter: CounterDesk) -> None:
    counter("checkin", "K7PXM3QD")

    assert counter.opened == [("127.0.0.1:50051", None)]


def test_environment_variables_set_server_office_and_token(
    counter: CounterDesk,
) -> None:
    env = {
        "ANTREAN_SERVER": "antrean.internal:6000",
        "ANTREAN_OFFICE": "makassar",
        "ANTREAN_TOKEN": "counter-token-x1",
    }

    result = counter.run("checkin", "K7PXM3QD", env=env)

    assert result.exit_code == 0
    assert counter.opened == [("antrean.internal:6000", "counter-token-x1")]
    assert counter.client.calls[0][1]["office_id"] == "makassar"


def test_options_win_over_environment_variables(counter: CounterDesk) -> None:
    env = {"ANTREAN_SERVER": "antrean.internal:6000", "ANTREAN_OFFICE": "makassar"}

    counter.run(
        "--server", "10.0.0.9:50051", "--office", "jayapura", "show", "K7", env=env
    )

    assert counter.opened == [("10.0.0.9:50051", None)]
    assert counter.client.calls[0][1]["office_id"] == "jayapura"


def test_help_documents_every_option_and_command(counter: CounterDesk) -> None:
    result = counter.run("--help")

    assert result.exit_code == 0
    for text in [
        "--server",
        "ANTREAN_SERVER",
        "--office",
        "ANTREAN_OFFICE",
        "--token",
        "ANTREAN_TOKEN",
        "--time-zone",
        "ANTREAN_TIME_ZONE",
        "checkin",
        "list",
        "show",
    ]:
        assert text in result.stdout


def test_command_help_needs_no_office(counter: CounterDesk) -> None:
    result = counter.run("list", "--help")

    assert result.exit_code == 0
    assert "--state" in result.stdout
    assert "no_show" in result.stdout
