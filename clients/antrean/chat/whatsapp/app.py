"""The webhook as an ASGI app: Meta's handshake, then signed notifications.

``GET /webhook``   the verification handshake: echo ``hub.challenge`` when
                   ``hub.mode`` is ``subscribe`` and ``hub.verify_token`` is ours.
``POST /webhook``  a notification: check the signature on the raw body, parse
                   it, queue its messages, answer 200 at once (Meta redelivers
                   whatever is not answered 2xx quickly).
``GET /healthz``   200 while the process serves, for a load balancer.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from antrean.chat.whatsapp.handler import (
    DEFAULT_WORKERS,
    MessageHandler,
    Replier,
    Sender,
)
from antrean.chat.whatsapp.payload import PayloadError, parse_notification
from antrean.chat.whatsapp.signature import SIGNATURE_HEADER, verify_signature

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook"
# Meta's notifications batch at most a few megabytes; more is not from Meta.
MAX_BODY_BYTES = 4 * 1024 * 1024


class _BodyTooLarge(Exception):
    pass


def create_app(
    conversation: Replier,
    sender: Sender,
    verify_token: str,
    app_secret: str,
    *,
    language: str = "id",
    phone_number_id: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> Starlette:
    """Returns the webhook app; its ``state.handler`` is the ``MessageHandler``.

    ``phone_number_id``, when given, is the business number this gateway
    answers for: messages sent to other numbers of the same app are skipped.
    Stopping the app (its lifespan's end) answers the messages already queued.
    """
    if not verify_token or not app_secret:
        raise ValueError("verify_token and app_secret must not be empty")
    handler = MessageHandler(
        conversation,
        sender,
        language=language,
        phone_number_id=phone_number_id,
        workers=workers,
    )

    async def verify(request: Request) -> Response:
        params = request.query_params
        token = params.get("hub.verify_token", "")
        if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            token.encode(), verify_token.encode()
        ):
            logger.warning("whatsapp verification refused")
            return PlainTextResponse("forbidden", status_code=403)
        challenge = params.get("hub.challenge")
        if not challenge:
            return PlainTextResponse("hub.challenge is missing", status_code=400)
        logger.info("whatsapp verification accepted")
        return PlainTextResponse(challenge)

    async def receive(request: Request) -> Response:
        try:
            body = await _read_body(request)
        except _BodyTooLarge:
            return PlainTextResponse("body too large", status_code=413)

        signature = request.headers.get(SIGNATURE_HEADER)
        if signature is None:
            logger.warning("whatsapp notification refused reason=missing_signature")
            return PlainTextResponse("signature missing", status_code=401)
        if not verify_signature(body, signature, app_secret):
            logger.warning("whatsapp notification refused reason=bad_signature")
            return PlainTextResponse("signature mismatch", status_code=403)

        try:
            inbound = parse_notification(body)
        except PayloadError as error:
            logger.warning("whatsapp notification refused reason=%r", error.reason)
            return PlainTextResponse(error.reason, status_code=400)
        handler.accept(inbound)
        return PlainTextResponse("ok")

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            # Draining blocks on gRPC and HTTPS calls: keep it off the loop.
            await run_in_threadpool(handler.close)

    app = Starlette(
        routes=[
            Route(WEBHOOK_PATH, verify, methods=["GET"]),
            Route(WEBHOOK_PATH, receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.handler = handler
    return app


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
