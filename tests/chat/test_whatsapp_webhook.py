"""The webhook end to end: signed notifications in over HTTP, replies out to a
fake Graph API that is a real local HTTP server speaking the documented
protocol. Both servers run under uvicorn on 127.0.0.1, on ports the OS picks.

Nothing sleeps to wait: a test waits on ``MessageHandler.wait_idle``, which
returns as soon as every queued message has been answered.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

import grpc
import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from antrean.chat import messages
from antrean.chat.conversation import Conversation, request_id_for
from antrean.chat.whatsapp import MessageHandler, create_app, mask_phone_number
from antrean.chat.whatsapp.sender import GraphSender
from antrean.client import AntreanError, date_to_proto
from antrean.v1 import booking_pb2, booking_service_pb2
from tests.conftest import SERVICE_DATE

VERIFY_TOKEN = "verify-token-for-tests"
APP_SECRET = "app-secret-for-tests"
ACCESS_TOKEN = "access-token-for-tests"
PHONE_NUMBER_ID = "106540352242922"
API_VERSION = "v21.0"
WA_ID = "6281234567890"
PHONE = "+6281234567890"
MASKED = "****7890"
OFFICE = "jakarta-pusat"
TODAY = date(2027, 7, 12)  # the server fixture's clock: Monday 12 July 2027
REQUEST_TEXT = "#Siti Aminah#20111967#19072027"
APPROVAL_CODE = "00002681"
BOOKING_CODE = "K7P3QX9M"
WAIT_SECONDS = 10


# ---------------------------------------------------------------- servers


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Runs ``app`` under uvicorn in a thread; yields its base URL.

    The socket listens before uvicorn starts, so a request made at once waits
    in the backlog rather than failing: no need to wait for the start.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, ws="none", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]})
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)
        sock.close()


class FakeGraph:
    """The Graph API's ``/messages`` edge: checks each request as Meta does and
    records the messages it accepts. ``failures`` are statuses to answer the
    next requests with, before answering 200 again."""

    def __init__(self) -> None:
        self.url = ""
        self._lock = threading.Lock()
        self.reset()
        self.app = Starlette(
            routes=[
                Route(
                    "/{version}/{number_id}/messages", self._messages, methods=["POST"]
                )
            ]
        )

    def reset(self) -> None:
        with self._lock:
            self.sent: list[dict] = []
            self.requests = 0
            self.failures: deque[int] = deque()
            self.problems: list[str] = []

    @property
    def bodies(self) -> list[str]:
        return [message["text"]["body"] for message in self.sent]

    async def _messages(self, request: Request) -> Response:
        with self._lock:
            self.requests += 1
        if request.headers.get("authorization") != f"Bearer {ACCESS_TOKEN}":
            return _graph_error(401, 190, "Invalid OAuth access token")
        path = request.path_params
        if (path["version"], path["number_id"]) != (API_VERSION, PHONE_NUMBER_ID):
            return self._problem(f"unexpected path {request.url.path}")
        message = await request.json()
        shape = {**message, "to": "", "text": {**message.get("text", {}), "body": ""}}
        if (
            shape
            != {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": "",
                "type": "text",
                "text": {"preview_url": False, "body": ""},
            }
            or not message["to"].isdigit()
        ):
            return self._problem(f"unexpected body keys {sorted(message)}")

        with self._lock:
            if self.failures:
                return _graph_error(self.failures.popleft(), 1, "Temporary failure")
            self.sent.append(message)
            number = len(self.sent)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": message["to"], "wa_id": message["to"]}],
                "messages": [{"id": f"wamid.OUT{number}"}],
            }
        )

    def _problem(self, problem: str) -> Response:
        self.problems.append(problem)
        return _graph_error(400, 100, "Invalid parameter")


def _graph_error(status: int, code: int, text: str) -> Response:
    return JSONResponse(
        {"error": {"message": text, "type": "OAuthException", "code": code}},
        status_code=status,
    )


# ---------------------------------------------------------------- the gateway


class FakeBookingClient:
    """Stands in for BookingClient: records calls, answers like the server."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.error: Exception | None = None

    def _record(self, method: str, arguments: dict) -> None:
        self.calls.append((method, arguments))
        if self.error is not None:
            raise self.error

    def request_booking(self, **arguments):
        self._record("request_booking", arguments)
        return booking_service_pb2.RequestBookingResponse(
            booking=_booking(booking_pb2.Booking.STATE_PENDING),
            approval_code=APPROVAL_CODE,
        )

    def confirm_booking(self, **arguments):
        self._record("confirm_booking", arguments)
        return _booking(booking_pb2.Booking.STATE_CONFIRMED)

    def cancel_booking(self, **arguments):
        self._record("cancel_booking", arguments)
        return _booking(booking_pb2.Booking.STATE_CANCELLED)

    def get_booking(self, **arguments):
        self._record("get_booking", arguments)
        return _booking(booking_pb2.Booking.STATE_CONFIRMED)


def _booking(state: int) -> booking_pb2.Booking:
    booking = booking_pb2.Booking(
        office_id=OFFICE,
        phone_number=PHONE,
        applicant_name="SITI AMINAH",
        birth_date=date_to_proto(date(1967, 11, 20)),
        service_date=date_to_proto(SERVICE_DATE),
        state=state,
        time_zone="Asia/Jakarta",
        time_zone_abbreviation="WIB",
    )
    if state == booking_pb2.Booking.STATE_CONFIRMED:
        booking.booking_code = BOOKING_CODE
        booking.slot_start_time.FromDatetime(datetime(2027, 7, 19, 1, 0, tzinfo=UTC))
    return booking


@dataclass
class Gateway:
    """A running webhook, the HTTP client to call it and its handler."""

    url: str
    http: httpx.Client
    handler: MessageHandler

    def post(
        self, payload: dict | bytes, signature: str | None = "sign"
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = meta_signature(body)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.http.post("/webhook", content=body, headers=headers)

    def deliver(self, payload: dict) -> None:
        """Posts a signed notification and waits until its replies are sent."""
        response = self.post(payload)
        assert response.status_code == 200, response.text
        assert self.handler.wait_idle(WAIT_SECONDS)


@contextmanager
def running_gateway(conversation, graph_url: str) -> Iterator[Gateway]:
    sender = GraphSender(
        ACCESS_TOKEN,
        PHONE_NUMBER_ID,
        graph_url=graph_url,
        api_version=API_VERSION,
        timeout=WAIT_SECONDS,
        backoff_seconds=0,
    )
    app = create_app(
        conversation,
        sender,
        VERIFY_TOKEN,
        APP_SECRET,
        phone_number_id=PHONE_NUMBER_ID,
    )
    with sender, serving(app) as url, httpx.Client(base_url=url) as http:
        yield Gateway(url, http, app.state.handler)


@pytest.fixture(scope="module")
def graph_server() -> Iterator[FakeGraph]:
    fake = FakeGraph()
    with serving(fake.app) as url:
        fake.url = url
        yield fake


@pytest.fixture
def graph(graph_server: FakeGraph) -> Iterator[FakeGraph]:
    """The module's fake Graph API, emptied for the test."""
    graph_server.reset()
    yield graph_server
    assert graph_server.problems == []


@pytest.fixture
def booking_client() -> FakeBookingClient:
    return FakeBookingClient()


@pytest.fixture
def gateway(graph, booking_client) -> Iterator[Gateway]:
    conversation = Conversation(booking_client, OFFICE, today=lambda: TODAY)
    with running_gateway(conversation, graph.url) as running:
        yield running


# ---------------------------------------------------------------- payloads


def meta_signature(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def text_message(body: str, wamid: str, sender: str = WA_ID) -> dict:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": "1783825200",
        "type": "text",
        "text": {"body": body},
    }


def notification(
    *items: dict, statuses: list | None = None, to: str = PHONE_NUMBER_ID
) -> dict:
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001234", "phone_number_id": to},
    }
    if items:
        value["contacts"] = [{"profile": {"name": "Siti"}, "wa_id": WA_ID}]
        value["messages"] = list(items)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "WABA-ID", "changes": [{"field": "messages", "value": value}]}
        ],
    }


def approval_code_in(reply: str) -> str:
    match = re.search(r"^(\d{8})$", reply, re.MULTILINE)
    assert match, reply
    return match[1]


# ---------------------------------------------------------------- handshake


def test_the_verification_handshake_echoes_the_challenge(gateway):
    response = gateway.http.get(
        "/webhook",
        params={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )

    assert response.status_code == 200
    assert response.text == "1158201444"
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {
            "hub.mode": "unsubscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1",
        },
        {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
    ],
)
def test_a_handshake_without_our_verify_token_is_forbidden(gateway, params):
    response = gateway.http.get("/webhook", params=params)

    assert response.status_code == 403
    assert "1" not in response.text


# ---------------------------------------------------------------- messages


def test_a_signed_request_message_is_answered_with_its_approval_code(
    gateway, graph, booking_client
):
    gateway.deliver(notification(text_message(REQUEST_TEXT, "wamid.REQ")))

    [(method, arguments)] = booking_client.calls
    assert method == "request_booking"
    assert arguments["phone_number"] == PHONE
    assert arguments["office_id"] == OFFICE
    assert arguments["request_id"] == request_id_for("wamid.REQ")
    [sent] = graph.sent
    assert sent["to"] == WA_ID
    assert approval_code_in(sent["text"]["body"]) == APPROVAL_CODE


def test_the_webhook_answers_before_the_reply_is_sent(graph, booking_client):
    # A booking client that blocks until released: the 200 must not wait for it.
    release = threading.Event()
    answer = booking_client.request_booking

    def slow_request_booking(**arguments):
        assert release.wait(WAIT_SECONDS)
        return answer(**arguments)

    booking_client.request_booking = slow_request_booking
    conversation = Conversation(booking_client, OFFICE, today=lambda: TODAY)
    with running_gateway(conversation, graph.url) as gateway:
        response = gateway.post(notification(text_message(REQUEST_TEXT, "wamid.S")))

        assert response.status_code == 200
        assert graph.sent == []
        release.set()
        assert gateway.handler.wait_idle(WAIT_SECONDS)

    assert len(graph.sent) == 1


def test_several_messages_are_answered_in_order(gateway, graph, booking_client):
    gateway.deliver(
        notification(
            text_message(REQUEST_TEXT, "wamid.1"),
            text_message(APPROVAL_CODE, "wamid.2"),
            text_message("#cek", "wamid.3"),
        )
    )

    assert [method for method, _ in booking_client.calls] == [
        "request_booking",
        "confirm_booking",
        "get_booking",
    ]
    assert APPROVAL_CODE in graph.bodies[0]
    assert "Kode booking: " + BOOKING_CODE in graph.bodies[1]
    assert BOOKING_CODE in graph.bodies[2]


def test_a_redelivered_message_is_answered_once(gateway, graph, booking_client):
    delivery = notification(text_message(REQUEST_TEXT, "wamid.AGAIN"))

    gateway.deliver(delivery)
    gateway.deliver(delivery)

    assert len(booking_client.calls) == 1
    assert len(graph.sent) == 1


def test_a_status_update_is_acknowledged_and_ignored(gateway, graph, booking_client):
    status = {"id": "wamid.OUT1", "status": "read", "recipient_id": WA_ID}

    gateway.deliver(notification(statuses=[status]))

    assert booking_client.calls == []
    assert graph.requests == 0


def test_a_photo_is_answered_with_a_request_for_text(gateway, graph, booking_client):
    photo = {
        "from": WA_ID,
        "id": "wamid.IMG",
        "timestamp": "1783825200",
        "type": "image",
        "image": {"mime_type": "image/jpeg", "id": "MEDIA-ID"},
    }
    reaction = {
        "from": WA_ID,
        "id": "wamid.LIKE",
        "timestamp": "1783825200",
        "type": "reaction",
        "reaction": {"message_id": "wamid.OUT1", "emoji": "👍"},
    }

    gateway.deliver(notification(photo, reaction))

    assert booking_client.calls == []
    [body] = graph.bodies
    assert body.startswith("Maaf, kami hanya dapat membaca pesan teks.")
    assert body.endswith(messages.help_text("id"))


def test_a_message_to_another_business_number_is_skipped(
    gateway, graph, booking_client
):
    gateway.deliver(notification(text_message("#cek", "wamid.X"), to="999999999"))

    assert booking_client.calls == []
    assert graph.requests == 0


def test_an_outage_of_the_booking_server_still_gets_a_reply(
    gateway, graph, booking_client
):
    booking_client.error = RuntimeError("boom")

    gateway.deliver(notification(text_message("#cek", "wamid.DOWN")))

    assert graph.bodies == [messages.service_busy("id")]


def test_a_refusal_is_worded_for_the_citizen(gateway, graph, booking_client):
    booking_client.error = AntreanError(
        grpc.StatusCode.NOT_FOUND, "ACTIVE_BOOKING_NOT_FOUND", "none", {}
    )

    gateway.deliver(notification(text_message("#cek", "wamid.NONE")))

    [body] = graph.bodies
    assert body == messages.refusal("ACTIVE_BOOKING_NOT_FOUND", {}, "id")


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        (None, 401),
        (meta_signature(b"another body"), 403),
        (meta_signature(b"", "another-secret"), 403),
        ("sha1=0123456789abcdef", 403),
    ],
)
def test_a_badly_signed_notification_is_refused_unprocessed(
    gateway, graph, booking_client, signature, status
):
    response = gateway.post(
        notification(text_message(REQUEST_TEXT, "wamid.FORGED")), signature=signature
    )

    assert response.status_code == status
    assert gateway.handler.wait_idle(WAIT_SECONDS)
    assert booking_client.calls == []
    assert graph.requests == 0
    # Refused unseen: the genuine delivery of the same id is still answered.
    gateway.deliver(notification(text_message(REQUEST_TEXT, "wamid.FORGED")))
    assert len(graph.sent) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body is not JSON"),
        (
            b'{"object": "whatsapp_business_account", "entry": 3}',
            "notification has no entry list",
        ),
    ],
)
def test_a_malformed_notification_is_a_400_with_a_reason(gateway, graph, body, reason):
    response = gateway.post(body)

    assert response.status_code == 400
    assert response.text == reason
    assert graph.requests == 0


def test_a_notification_with_one_bad_message_is_refused_whole(
    gateway, graph, booking_client
):
    good = text_message("#cek", "wamid.GOOD")
    bad = {**text_message("#cek", "wamid.BAD"), "text": {"body": None}}

    response = gateway.post(notification(good, bad))

    assert response.status_code == 400
    assert gateway.handler.wait_idle(WAIT_SECONDS)
    assert booking_client.calls == []


# ---------------------------------------------------------------- Graph API


def test_a_graph_server_error_is_retried(gateway, graph):
    graph.failures.extend([500])

    gateway.deliver(notification(text_message(REQUEST_TEXT, "wamid.RETRY")))

    assert graph.requests == 2
    [body] = graph.bodies
    assert approval_code_in(body) == APPROVAL_CODE


def test_a_graph_refusal_is_logged_without_retrying(gateway, graph, caplog):
    graph.failures.extend([400])
    caplog.set_level(logging.INFO, logger="antrean.chat.whatsapp")

    gateway.deliver(notification(text_message("#cek", "wamid.REFUSED")))

    assert graph.requests == 1
    assert "outcome=send_failed status=400 graph_error=1" in caplog.text


# ---------------------------------------------------------------- logs


def test_logs_mask_the_number_and_keep_texts_and_codes_out(gateway, caplog):
    caplog.set_level(logging.DEBUG)

    gateway.deliver(
        notification(
            text_message(REQUEST_TEXT, "wamid.L1"),
            text_message(APPROVAL_CODE, "wamid.L2"),
        )
    )
    gateway.deliver(notification(text_message(APPROVAL_CODE, "wamid.L2")))

    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("antrean.chat.whatsapp")
    ]
    assert lines == [
        f"whatsapp message kind=text from={MASKED} outcome=replied",
        f"whatsapp message kind=text from={MASKED} outcome=replied",
        f"whatsapp message kind=text from={MASKED} outcome=duplicate",
    ]
    for secret in (WA_ID, "Siti", "SITI", "20111967", APPROVAL_CODE, BOOKING_CODE):
        assert secret not in caplog.text
    for secret in (ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (WA_ID, MASKED),
        ("628123456789", "****6789"),
        ("447700900123", "****0123"),
        ("12345", "****45"),
    ],
)
def test_a_masked_number_keeps_only_its_last_four_digits(number, masked):
    assert mask_phone_number(number) == masked


# ---------------------------------------------------------------- a real server


def test_a_citizen_books_and_confirms_over_whatsapp(client, graph):
    conversation = Conversation(client, OFFICE, today=lambda: TODAY)

    with running_gateway(conversation, graph.url) as gateway:
        gateway.deliver(notification(text_message(REQUEST_TEXT, "wamid.B1")))
        approval_code = approval_code_in(graph.bodies[0])
        gateway.deliver(notification(text_message(approval_code, "wamid.B2")))

    confirmation = graph.bodies[1]
    assert "Kode booking" in confirmation
    booking = client.get_booking(phone_number=PHONE)
    assert booking.state == booking_pb2.Booking.STATE_CONFIRMED
    assert f"Kode booking: {booking.booking_code}" in confirmation


def test_a_redelivery_to_a_restarted_gateway_has_no_second_effect(client, graph):
    # A fresh gateway remembers no message ids: only the request_id derived
    # from the wamid stands between a redelivery and a second booking effect.
    conversation = Conversation(client, OFFICE, today=lambda: TODAY)
    request = notification(text_message(REQUEST_TEXT, "wamid.R1"))

    with running_gateway(conversation, graph.url) as first:
        first.deliver(request)
        approval_code = approval_code_in(graph.bodies[0])
        first.deliver(notification(text_message(approval_code, "wamid.R2")))
    with running_gateway(conversation, graph.url) as restarted:
        restarted.deliver(request)
        restarted.deliver(notification(text_message(approval_code, "wamid.R2")))

    assert approval_code_in(graph.bodies[2]) == approval_code
    assert graph.bodies[3] == graph.bodies[1]
    bookings = list(client.list_bookings(office_id=OFFICE, service_date=SERVICE_DATE))
    assert len(bookings) == 1
    places = {
        day.service_date.day: day.remaining
        for day in client.get_availability(office_id=OFFICE)
    }
    assert places[SERVICE_DATE.day] == 399
