"""A WhatsApp webhook notification's JSON → the inbound messages it carries.

Meta posts notifications of this shape (only the parts read here)::

    {"object": "whatsapp_business_account",
     "entry": [{"changes": [{"field": "messages",
                             "value": {"metadata": {"phone_number_id": "..."},
                                       "messages": [{"from": "6281234567890",
                                                     "id": "wamid...",
                                                     "type": "text",
                                                     "text": {"body": "..."}}],
                                       "statuses": [...]}}]}]}

One notification may batch several entries, changes and messages. Status
updates (sent, delivered, read) and changes of other fields carry nothing to
answer and are skipped. Anything else that is not of this shape is refused as
a whole, so that a half-understood notification is never half processed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

WHATSAPP_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"
TEXT = "text"
# E.164 allows at most 15 digits; WhatsApp writes them without the plus.
_MAX_NUMBER_DIGITS = 15


class PayloadError(ValueError):
    """The body is not a WhatsApp notification; ``reason`` says what is wrong.

    The reason names fields, never their values: it is answered to the caller
    and may be logged.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class InboundMessage:
    """One message a citizen sent to the business number.

    ``sender`` is the WhatsApp id: the number's digits with the country code and
    no plus. ``kind`` is WhatsApp's message type (text, image, audio, …);
    ``text`` is the body of a text message and None for any other kind.
    The number and the text stay out of ``repr`` so that they never reach a log
    by accident.
    """

    message_id: str
    sender: str = field(repr=False)
    kind: str
    text: str | None = field(default=None, repr=False)
    phone_number_id: str | None = None


def parse_notification(body: bytes) -> list[InboundMessage]:
    """Returns the messages of a webhook body, in the order they were sent.

    Raises ``PayloadError`` when the body is not JSON or not a notification of
    the documented shape.
    """
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise PayloadError("body is not JSON") from None

    notification = _object(document, "body")
    if notification.get("object") != WHATSAPP_OBJECT:
        raise PayloadError(f"object is not {WHATSAPP_OBJECT}")

    found: list[InboundMessage] = []
    for entry in _list(notification, "entry", "notification"):
        for change in _list(_object(entry, "entry"), "changes", "entry"):
            found.extend(_change_messages(_object(change, "change")))
    return found


def _change_messages(change: dict[str, Any]) -> list[InboundMessage]:
    if change.get("field") != MESSAGES_FIELD:
        return []
    value = _object(change.get("value"), "change value")
    phone_number_id = _optional_string(
        _object(value.get("metadata", {}), "metadata"), "phone_number_id", "metadata"
    )
    if "messages" not in value:
        return []  # statuses only: sent, delivered, read
    return [
        _message(_object(item, "message"), phone_number_id)
        for item in _list(value, "messages", "change value")
    ]


def _message(message: dict[str, Any], phone_number_id: str | None) -> InboundMessage:
    sender = _string(message, "from", "message")
    if not (sender.isascii() and sender.isdigit()) or len(sender) > _MAX_NUMBER_DIGITS:
        raise PayloadError("message from is not a number's digits")
    message_id = _string(message, "id", "message")
    kind = _string(message, "type", "message")

    text = None
    if kind == TEXT:
        text = _string(_object(message.get("text"), "message text"), "body", "text")
    return InboundMessage(
        message_id=message_id,
        sender=sender,
        kind=kind,
        text=text,
        phone_number_id=phone_number_id,
    )


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not an object")
    return value


def _list(container: dict[str, Any], key: str, what: str) -> list[Any]:
    value = container.get(key)
    if not isinstance(value, list):
        raise PayloadError(f"{what} has no {key} list")
    return value


def _string(container: dict[str, Any], key: str, what: str) -> str:
    value = container.get(key)
    if not isinstance(value, str) or not value:
        raise PayloadError(f"{what} has no {key} string")
    return value


def _optional_string(container: dict[str, Any], key: str, what: str) -> str | None:
    if key not in container:
        return None
    return _string(container, key, what)
