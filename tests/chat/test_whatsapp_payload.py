"""Webhook JSON → inbound messages: what is answered, skipped and refused."""

from __future__ import annotations

import json

import pytest

from antrean.chat.whatsapp.payload import (
    InboundMessage,
    PayloadError,
    parse_notification,
)

WA_ID = "6281234567890"
PHONE_NUMBER_ID = "106540352242922"


def text(body: str, wamid: str = "wamid.A1", sender: str = WA_ID) -> dict:
    return {
        "from": sender,
        "id": wamid,
        "timestamp": "1783825200",
        "type": "text",
        "text": {"body": body},
    }


def notification(*changes: dict) -> bytes:
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "WABA-ID", "changes": list(changes)}],
        }
    ).encode()


def messages_change(*messages: dict, statuses: list | None = None) -> dict:
    value: dict = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "15550001234",
            "phone_number_id": PHONE_NUMBER_ID,
        },
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Siti"}, "wa_id": WA_ID}]
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {"field": "messages", "value": value}


def test_a_text_message_gives_sender_id_and_body():
    body = notification(messages_change(text("#Siti#20111967#19072027")))

    assert parse_notification(body) == [
        InboundMessage(
            message_id="wamid.A1",
            sender=WA_ID,
            kind="text",
            text="#Siti#20111967#19072027",
            phone_number_id=PHONE_NUMBER_ID,
        )
    ]


def test_several_messages_keep_their_order_across_changes_and_entries():
    first = messages_change(text("one", "wamid.1"), text("two", "wamid.2"))
    second = messages_change(text("three", "wamid.3", sender="6285712345678"))
    document = json.loads(notification(first))
    document["entry"].append({"id": "WABA-ID", "changes": [second]})

    parsed = parse_notification(json.dumps(document).encode())

    assert [m.message_id for m in parsed] == ["wamid.1", "wamid.2", "wamid.3"]
    assert [m.text for m in parsed] == ["one", "two", "three"]
    assert parsed[2].sender == "6285712345678"


def test_a_status_only_update_carries_no_message():
    statuses = [{"id": "wamid.OUT", "status": "delivered", "recipient_id": WA_ID}]

    assert parse_notification(notification(messages_change(statuses=statuses))) == []


def test_changes_of_other_fields_are_skipped():
    change = {"field": "account_update", "value": {"event": "VERIFIED_ACCOUNT"}}

    assert parse_notification(notification(change)) == []


def test_a_non_text_message_has_its_kind_and_no_text():
    image = {
        "from": WA_ID,
        "id": "wamid.IMG",
        "timestamp": "1783825200",
        "type": "image",
        "image": {"mime_type": "image/jpeg", "id": "MEDIA-ID"},
    }

    [message] = parse_notification(notification(messages_change(image)))

    assert (message.kind, message.text, message.message_id) == (
        "image",
        None,
        "wamid.IMG",
    )


def test_the_number_and_text_stay_out_of_repr():
    [message] = parse_notification(notification(messages_change(text("#Siti#x"))))

    assert WA_ID not in repr(message)
    assert "Siti" not in repr(message)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[1, 2]", "body is not an object"),
        (b'{"object": "page", "entry": []}', "object is not whatsapp_business_account"),
        (b'{"object": "whatsapp_business_account"}', "notification has no entry list"),
        (
            b'{"object": "whatsapp_business_account", "entry": [{"changes": {}}]}',
            "entry has no changes list",
        ),
        (
            b'{"object": "whatsapp_business_account", "entry": [{"changes": '
            b'[{"field": "messages", "value": []}]}]}',
            "change value is not an object",
        ),
    ],
)
def test_a_body_of_another_shape_is_refused(body, reason):
    with pytest.raises(PayloadError) as refused:
        parse_notification(body)

    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"from": "+6281234567890"}, "message from is not a number's digits"),
        ({"from": "62812345678901234"}, "message from is not a number's digits"),
        ({"from": None}, "message has no from string"),
        ({"id": ""}, "message has no id string"),
        ({"type": 3}, "message has no type string"),
        ({"text": "just a string"}, "message text is not an object"),
        ({"text": {"body": 5}}, "text has no body string"),
    ],
)
def test_a_malformed_message_refuses_the_whole_notification(broken, reason):
    good = text("#batal", "wamid.GOOD")
    bad = {**text("#cek", "wamid.BAD"), **broken}

    with pytest.raises(PayloadError) as refused:
        parse_notification(notification(messages_change(good, bad)))

    assert refused.value.reason == reason
    assert "6281234567890" not in str(refused.value)
