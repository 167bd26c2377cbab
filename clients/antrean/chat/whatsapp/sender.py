"""Replies out: text messages through the WhatsApp Cloud API (Graph API).

``POST {graph_url}/{api_version}/{phone_number_id}/messages`` with the
business's access token as a Bearer token. Server errors, throttling (429) and
failed connections are retried a few times; a retry may deliver a reply twice,
which a citizen can live with, while a lost reply leaves them waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_SECONDS = 0.5
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class SendError(Exception):
    """A reply could not be delivered to the Graph API.

    ``status`` is the last HTTP status (None when no answer came) and
    ``error_code`` the Graph API's numeric error code when it sent one: both
    safe to log, unlike the error message, which may quote the recipient.
    """

    def __init__(
        self, reason: str, *, status: int | None = None, error_code: int | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.error_code = error_code


class GraphSender:
    """Sends text messages from one business phone number.

    Thread-safe: the webhook's workers share one instance and its connections.
    Use as a context manager, or call ``close``.
    """

    def __init__(
        self,
        access_token: str,
        phone_number_id: str,
        *,
        graph_url: str = DEFAULT_GRAPH_URL,
        api_version: str = DEFAULT_API_VERSION,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.phone_number_id = phone_number_id
        self._path = f"/{api_version.strip('/')}/{phone_number_id}/messages"
        self._attempts = attempts
        self._backoff_seconds = backoff_seconds
        self._sleep = sleep
        self._http = httpx.Client(
            base_url=graph_url.rstrip("/"),
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> GraphSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send_text(self, to: str, body: str) -> str:
        """Sends ``body`` to the WhatsApp id ``to``; returns the sent message's id.

        Raises ``SendError`` when the Graph API refuses it or stays unreachable.
        """
        message = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": False, "body": body},
        }
        response = self._post_with_retries(message)
        return _sent_message_id(response)

    def _post_with_retries(self, message: dict[str, Any]) -> httpx.Response:
        for attempt in range(1, self._attempts + 1):
            last_try = attempt == self._attempts
            try:
                response = self._http.post(self._path, json=message)
            except httpx.TransportError as error:
                failure = type(error).__name__
                if last_try:
                    raise SendError(f"Graph API unreachable: {failure}") from None
                logger.debug("graph send retry attempt=%d error=%s", attempt, failure)
            else:
                if response.is_success:
                    return response
                if response.status_code not in _RETRIED_STATUSES or last_try:
                    raise _refusal(response)
                logger.debug(
                    "graph send retry attempt=%d status=%d",
                    attempt,
                    response.status_code,
                )
            self._sleep(self._backoff_seconds * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


def _refusal(response: httpx.Response) -> SendError:
    error_code = None
    try:
        error = response.json().get("error", {})
        if isinstance(error.get("code"), int):
            error_code = error["code"]
    except (ValueError, AttributeError):
        pass
    return SendError(
        f"Graph API answered {response.status_code}",
        status=response.status_code,
        error_code=error_code,
    )


def _sent_message_id(response: httpx.Response) -> str:
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, LookupError, TypeError):
        return ""
