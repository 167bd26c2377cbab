"""Each inbound message → ``Conversation.reply`` → the reply through the sender.

The webhook must answer Meta at once, while a reply takes a gRPC call and an
HTTPS call, both blocking. ``MessageHandler.accept`` therefore only records the
messages (dropping ones seen before) and queues them on worker threads;
the workers do the calls. Messages from one number go to one worker, in order:
a citizen who sends a request and then, quickly, its approval code must not
have the code reach the server first.
"""

from __future__ import annotations

import logging
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from antrean.chat import messages
from antrean.chat.whatsapp.payload import TEXT, InboundMessage
from antrean.chat.whatsapp.sender import SendError

logger = logging.getLogger(__name__)

DEFAULT_WORKERS = 8
# Meta redelivers for up to a few days, mostly within minutes; ids are ~60
# bytes, so this remembers hours of traffic in about a megabyte.
DEFAULT_REMEMBERED_IDS = 10_000
# Kinds that ask for no answer: an emoji reaction to our reply, and notices
# such as "the customer changed their number".
SILENT_KINDS = frozenset({"reaction", "system"})

_TEXT_ONLY = {
    "id": "Maaf, kami hanya dapat membaca pesan teks.",
    "en": "Sorry, we can only read text messages.",
}


class Replier(Protocol):
    """What the handler needs of ``antrean.chat.Conversation``."""

    def reply(
        self, phone_number: str, text: str, message_id: str | None = None
    ) -> str: ...


class Sender(Protocol):
    """What the handler needs of ``GraphSender``."""

    def send_text(self, to: str, body: str) -> str: ...


def mask_phone_number(sender: str) -> str:
    """A number as logs may show it: ``6281234567890`` → ``****7890``.

    Four digits are enough to follow one conversation through the log, and too
    few to find the person behind it.
    """
    digits = "".join(character for character in sender if character.isdigit())
    return "****" + (digits[-4:] if len(digits) >= 10 else digits[-2:])


def text_only_reply(language: str) -> str:
    """The reply to a photo, voice note, sticker…: text please, and how."""
    return f"{_TEXT_ONLY[language]}\n\n{messages.help_text(language)}"


class MessageHandler:
    """Answers the messages of webhook notifications on worker threads."""

    def __init__(
        self,
        conversation: Replier,
        sender: Sender,
        *,
        language: str = "id",
        phone_number_id: str | None = None,
        workers: int = DEFAULT_WORKERS,
        remembered_ids: int = DEFAULT_REMEMBERED_IDS,
    ) -> None:
        self._conversation = conversation
        self._sender = sender
        self._language = messages.check_language(language)
        self._phone_number_id = phone_number_id
        self._remembered_ids = remembered_ids
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lanes = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"whatsapp-{lane}")
            for lane in range(max(1, workers))
        ]
        self._in_flight = 0
        self._lock = threading.Condition()

    def accept(self, inbound: Iterable[InboundMessage]) -> int:
        """Queues the messages that need an answer; returns how many it queued.

        Returns at once. A message whose id was seen before (a redelivery) is
        dropped; so are messages to another business number and reactions.
        """
        queued = 0
        for message in inbound:
            if not self._wanted(message):
                continue
            with self._lock:
                self._in_flight += 1
            try:
                self._lane_of(message.sender).submit(self._answer, message)
            except RuntimeError:  # closed: the app is shutting down
                self._finished()
                raise
            queued += 1
        return queued

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Blocks until every queued message is answered; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: self._in_flight == 0, timeout)

    def close(self) -> None:
        """Answers the messages already queued, then stops the workers."""
        for lane in self._lanes:
            lane.shutdown(wait=True)

    def _wanted(self, message: InboundMessage) -> bool:
        outcome = None
        if message.kind in SILENT_KINDS:
            outcome = "ignored"
        elif self._phone_number_id and message.phone_number_id not in (
            None,
            self._phone_number_id,
        ):
            outcome = "other_business_number"
        elif not self._first_sight(message.message_id):
            outcome = "duplicate"
        if outcome is None:
            return True
        _log_outcome(message, outcome)
        return False

    def _first_sight(self, message_id: str) -> bool:
        with self._lock:
            if message_id in self._seen:
                self._seen.move_to_end(message_id)
                return False
            self._seen[message_id] = None
            if len(self._seen) > self._remembered_ids:
                self._seen.popitem(last=False)
            return True

    def _lane_of(self, sender: str) -> ThreadPoolExecutor:
        return self._lanes[zlib.crc32(sender.encode()) % len(self._lanes)]

    def _answer(self, message: InboundMessage) -> None:
        try:
            self._answer_one(message)
        except Exception as error:  # a bug: log it rather than lose it in a Future
            logger.error(
                "whatsapp message kind=%s from=%s outcome=failed error=%s",
                message.kind,
                mask_phone_number(message.sender),
                type(error).__name__,
            )
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()

    def _answer_one(self, message: InboundMessage) -> None:
        reply, failure = self._reply_to(message)
        try:
            self._sender.send_text(message.sender, reply)
        except SendError as error:
            logger.warning(
                "whatsapp message kind=%s from=%s outcome=send_failed status=%s "
                "graph_error=%s",
                message.kind,
                mask_phone_number(message.sender),
                error.status,
                error.error_code,
            )
            return

        if failure is None:
            _log_outcome(message, "replied")
        else:
            logger.error(
                "whatsapp message kind=%s from=%s outcome=failed error=%s replied=busy",
                message.kind,
                mask_phone_number(message.sender),
                failure,
            )

    def _reply_to(self, message: InboundMessage) -> tuple[str, str | None]:
        """The reply, and the type of the error that stood in its way, if any."""
        if message.kind != TEXT or message.text is None:
            return text_only_reply(self._language), None
        try:
            reply = self._conversation.reply(
                "+" + message.sender, message.text, message_id=message.message_id
            )
        except Exception as error:
            # Refusals come back as replies; this is a bug or an outage. Only the
            # type is logged: an exception's text may quote the message.
            return messages.service_busy(self._language), type(error).__name__
        return reply, None


def _log_outcome(message: InboundMessage, outcome: str) -> None:
    logger.info(
        "whatsapp message kind=%s from=%s outcome=%s",
        message.kind,
        mask_phone_number(message.sender),
        outcome,
    )
