"""``antrean-chat``: lines in, replies out, with a fake client in place."""

from __future__ import annotations

import io
import socket
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner

from antrean.chat import console, messages
from antrean.chat.conversation import Conversation
from antrean.client import date_to_proto
from antrean.v1 import booking_pb2, booking_service_pb2

PHONE = "+6281234567890"
APPROVAL_CODE = "00002681"
BOOKING_CODE = "K7P3QX9M"
TODAY = date(2027, 7, 1)


def booking(state: int) -> booking_pb2.Booking:
    value = booking_pb2.Booking(
        office_id="jakarta-pusat",
        phone_number=PHONE,
        applicant_name="SITI AMINAH",
        birth_date=date_to_proto(date(1967, 11, 20)),
        service_date=date_to_proto(date(2027, 7, 18)),
        state=state,
        time_zone="Asia/Jakarta",
        time_zone_abbreviation="WIB",
    )
    if state == booking_pb2.Booking.STATE_CONFIRMED:
        value.booking_code = BOOKING_CODE
        value.slot_start_time.FromDatetime(datetime(2027, 7, 18, 1, 0, tzinfo=UTC))
    return value


class FakeClient:
    """Just enough of BookingClient for a console session."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.closed = False

    def __enter__(self) -> FakeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.closed = True

    def request_booking(self, **arguments):
        self.calls.append(("request_booking", arguments))
        return booking_service_pb2.RequestBookingResponse(
            booking=booking(booking_pb2.Booking.STATE_PENDING),
            approval_code=APPROVAL_CODE,
        )

    def confirm_booking(self, **arguments):
        self.calls.append(("confirm_booking", arguments))
        return booking(booking_pb2.Booking.STATE_CONFIRMED)

    def cancel_booking(self, **arguments):
        self.calls.append(("cancel_booking", arguments))
        return booking(booking_pb2.Booking.STATE_CANCELLED)

    def get_booking(self, **arguments):
        self.calls.append(("get_booking", arguments))
        return booking(booking_pb2.Booking.STATE_CONFIRMED)


@pytest.fixture
def client(monkeypatch) -> FakeClient:
    fake = FakeClient()
    connections: list[tuple[str, str | None]] = []

    def connect(target: str, token: str | None) -> FakeClient:
        connections.append((target, token))
        return fake

    monkeypatch.setattr(console, "connect", connect)
    fake.connections = connections  # type: ignore[attr-defined]
    for name in ("PHONE", "SERVER", "OFFICE", "LANG", "TOKEN"):
        monkeypatch.delenv(f"ANTREAN_{name}", raising=False)
    return fake


def run(arguments: list[str], text: str = "", env: dict[str, str] | None = None):
    return CliRunner().invoke(console.main, arguments, input=text, env=env)


def test_piped_lines_get_one_reply_each(client):
    lines = ["#Siti Aminah#20111967#18072027", "0000 2681", "#cek"]
    expected = Conversation(FakeClient(), "jakarta-pusat", today=lambda: TODAY)
    replies = [expected.reply(PHONE, line) for line in lines]

    result = run(["--phone", PHONE], "\n".join([lines[0], "", "   ", *lines[1:]]))

    assert result.exit_code == 0
    assert result.stdout == "".join(f"{reply}\n\n" for reply in replies)
    assert [method for method, _ in client.calls] == [
        "request_booking",
        "confirm_booking",
        "get_booking",
    ]
    assert APPROVAL_CODE in result.stdout
    assert BOOKING_CODE in result.stdout
    assert "07:30 WIB" in result.stdout
    assert client.closed


def test_each_reply_is_followed_by_a_blank_line(client):
    result = run(["--phone", PHONE], "halo\n#cek\n")

    help_text = messages.help_text("id")
    assert result.stdout.startswith(help_text + "\n\n")
    assert result.stdout.endswith("\n\n")


def test_the_phone_number_and_office_reach_the_client(client):
    run(["--phone", "0812-3456-7890", "--office", "makassar"], "#batal\n")

    assert client.calls == [
        ("cancel_booking", {"phone_number": "0812-3456-7890", "request_id": None})
    ]
    run(["--phone", PHONE, "--office", "makassar"], "#Siti Aminah#201167#180727\n")
    assert client.calls[-1][1]["office_id"] == "makassar"


def test_options_come_from_the_environment(client):
    env = {
        "ANTREAN_PHONE": PHONE,
        "ANTREAN_SERVER": "10.0.0.7:6000",
        "ANTREAN_OFFICE": "jayapura",
        "ANTREAN_LANG": "en",
        "ANTREAN_TOKEN": "token-for-tests",
    }

    result = run([], "halo\n#Siti Aminah#20111967#18072027\n", env=env)

    assert result.exit_code == 0
    assert client.connections == [("10.0.0.7:6000", "token-for-tests")]
    assert result.stdout.startswith(messages.help_text("en"))
    assert client.calls[0][1]["office_id"] == "jayapura"
    assert client.calls[0][1]["phone_number"] == PHONE


def test_the_defaults_are_the_local_server_and_jakarta_pusat(client):
    run(["--phone", PHONE], "#Siti Aminah#20111967#18072027\n")

    assert client.connections == [("127.0.0.1:50051", None)]
    assert client.calls[0][1]["office_id"] == "jakarta-pusat"


def test_an_empty_input_ends_quietly(client):
    result = run(["--phone", PHONE], "")

    assert result.exit_code == 0
    assert result.stdout == ""
    assert client.calls == []


def test_the_phone_number_is_required(client):
    result = run([], "#cek\n")

    assert result.exit_code == 2
    assert "--phone" in result.stderr


def test_help_documents_every_option():
    result = run(["--help"])

    assert result.exit_code == 0
    for option in ("--phone", "--server", "--office", "--lang", "--token"):
        assert option in result.stdout
    for variable in ("PHONE", "SERVER", "OFFICE", "LANG", "TOKEN"):
        assert f"ANTREAN_{variable}" in result.stdout
    assert "127.0.0.1:50051" in result.stdout
    assert "jakarta-pusat" in result.stdout


def test_an_unreachable_server_is_one_line_on_stderr(monkeypatch):
    def unreachable(target: str, token: str | None):
        raise console.ServerUnreachable(f"cannot reach the antrean server at {target}")

    monkeypatch.setattr(console, "connect", unreachable)

    result = run(["--phone", PHONE, "--server", "127.0.0.1:9"], "#cek\n")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr


def test_connect_gives_up_on_a_closed_local_port(monkeypatch):
    # A port that was free a moment ago: nothing listens, nothing leaves the host.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(console, "CONNECT_TIMEOUT_SECONDS", 0.05)

    with pytest.raises(console.ServerUnreachable, match=f"127.0.0.1:{port}"):
        console.connect(f"127.0.0.1:{port}", None)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_prompt(client, capsys):
    conversation = Conversation(client, "jakarta-pusat", today=lambda: TODAY)

    console.converse(conversation, PHONE, _Terminal("#cek\n"))

    output = capsys.readouterr().out
    assert output.startswith(console.PROMPT)
    assert BOOKING_CODE in output
    assert output.count(console.PROMPT) == 2
