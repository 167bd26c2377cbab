"""The Graph API sender: request shape, and which failures it retries."""

from __future__ import annotations

import json

import httpx
import pytest

from antrean.chat.whatsapp.sender import GraphSender, SendError

TOKEN = "access-token-for-tests"
PHONE_NUMBER_ID = "106540352242922"
WA_ID = "6281234567890"


class Script:
    """A Graph API stand-in that answers each request with the next step."""

    def __init__(self, *steps: int | type[Exception]) -> None:
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps.pop(0) if self.steps else 200
        if isinstance(step, type):
            raise step("scripted failure", request=request)
        if step == 200:
            return httpx.Response(200, json={"messages": [{"id": "wamid.OUT"}]})
        return httpx.Response(step, json={"error": {"message": "no", "code": 131000}})


def sender_for(script: Script, **options) -> GraphSender:
    options.setdefault("backoff_seconds", 0)
    return GraphSender(
        TOKEN,
        PHONE_NUMBER_ID,
        graph_url="https://graph.example.test/",
        api_version="v21.0",
        transport=httpx.MockTransport(script),
        **options,
    )


def test_a_text_goes_to_the_numbers_messages_edge_with_the_token():
    script = Script()

    with sender_for(script) as sender:
        sent_id = sender.send_text(WA_ID, "Halo")

    [request] = script.requests
    assert sent_id == "wamid.OUT"
    assert request.method == "POST"
    assert str(request.url) == (
        f"https://graph.example.test/v21.0/{PHONE_NUMBER_ID}/messages"
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "Halo"},
    }


@pytest.mark.parametrize("failure", [500, 503, 429, httpx.ConnectError])
def test_a_passing_failure_is_retried(failure):
    script = Script(failure)

    with sender_for(script) as sender:
        assert sender.send_text(WA_ID, "Halo") == "wamid.OUT"

    assert len(script.requests) == 2


def test_retries_back_off_exponentially():
    script = Script(500, 500)
    pauses: list[float] = []

    with sender_for(script, backoff_seconds=0.5, sleep=pauses.append) as sender:
        sender.send_text(WA_ID, "Halo")

    assert pauses == [0.5, 1.0]


def test_a_refusal_is_not_retried_and_carries_the_graph_error_code():
    script = Script(400)

    with sender_for(script) as sender, pytest.raises(SendError) as failed:
        sender.send_text(WA_ID, "Halo")

    assert len(script.requests) == 1
    assert (failed.value.status, failed.value.error_code) == (400, 131000)


def test_the_sender_gives_up_after_its_attempts():
    script = Script(500, 502, 503, 200)

    with sender_for(script) as sender, pytest.raises(SendError) as failed:
        sender.send_text(WA_ID, "Halo")

    assert len(script.requests) == 3
    assert failed.value.status == 503


def test_an_unreachable_graph_api_is_a_send_error():
    script = Script(httpx.ConnectError, httpx.ReadTimeout, httpx.ConnectError)

    with sender_for(script) as sender, pytest.raises(SendError) as failed:
        sender.send_text(WA_ID, "Halo")

    assert failed.value.status is None
    assert len(script.requests) == 3
