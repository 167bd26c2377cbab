"""Who is calling: bearer tokens of internal clients, their role and office.

With no clients configured the server runs open (it warns at start) and every
caller acts as an administrator, which suits the quick start and tests.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

import grpc

from antrean.server.domain.errors import BookingError, ErrorKind
from antrean.server.transport.status import to_status

logger = logging.getLogger(__name__)

SERVICE_PREFIX = "/antrean.v1.BookingService/"

# The methods each role may call. A counter is held to its own office too.
ROLE_METHODS = {
    "admin": None,  # everything
    "gateway": {
        "RequestBooking",
        "ConfirmBooking",
        "CancelBooking",
        "GetBooking",
        "GetAvailability",
    },
    "counter": {"CheckIn", "GetBooking", "ListBookings", "GetAvailability"},
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    name: str
    role: str
    office_id: str | None = None

    def check_office(self, office_id: str) -> None:
        """Refuses a counter that acts for another office than its own."""
        if self.office_id is not None and office_id != self.office_id:
            raise BookingError(
                ErrorKind.PERMISSION_DENIED,
                "OFFICE_NOT_ALLOWED",
                "This client may act only for its own office.",
                metadata={"office_id": self.office_id},
            )

    def check_code_lookup(self) -> None:
        """Refuses a gateway that looks a booking up by its code.

        A gateway speaks for the number a message came from: it reads that
        number's booking, never someone else's by code.
        """
        if self.role == "gateway":
            raise BookingError(
                ErrorKind.PERMISSION_DENIED,
                "ROLE_NOT_ALLOWED",
                "A gateway client may look a booking up only by phone number.",
                metadata={"role": self.role, "method": "GetBooking"},
            )


ANONYMOUS_ADMIN = Principal("anonymous", "admin")
_current: contextvars.ContextVar[Principal] = contextvars.ContextVar(
    "antrean_principal", default=ANONYMOUS_ADMIN
)


def current_principal() -> Principal:
    """The caller of the RPC being served on this thread."""
    return _current.get()


@dataclass(frozen=True)
class Credential:
    name: str
    token_sha256: str
    role: str
    office_id: str | None


class AuthInterceptor(grpc.ServerInterceptor):
    """Authenticates BookingService calls and logs one line per call."""

    def __init__(self, credentials: Iterable[Credential]) -> None:
        self._credentials = {c.token_sha256.lower(): c for c in credentials}

    @property
    def enabled(self) -> bool:
        return bool(self._credentials)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith(SERVICE_PREFIX):
            return handler  # health and reflection stay open for probes
        name = method.removeprefix(SERVICE_PREFIX)
        inner = handler.unary_unary

        def guarded(request, context: grpc.ServicerContext):
            started = time.perf_counter()
            try:
                principal = self._authenticate(context.invocation_metadata(), name)
            except BookingError as refusal:
                logger.info("call refused method=%s reason=%s", name, refusal.reason)
                context.abort_with_status(to_status(refusal))
            token = _current.set(principal)
            try:
                return inner(request, context)
            finally:
                _current.reset(token)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "call method=%s client=%s status=%s ms=%.2f",
                        name,
                        principal.name,
                        getattr(context.code(), "name", "OK"),
                        (time.perf_counter() - started) * 1000,
                    )

        return grpc.unary_unary_rpc_method_handler(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _authenticate(self, metadata, method: str) -> Principal:
        if not self._credentials:
            return ANONYMOUS_ADMIN
        token = _bearer_token(metadata)
        if token is None:
            raise BookingError(
                ErrorKind.UNAUTHENTICATED,
                "MISSING_CREDENTIALS",
                "Send 'authorization: Bearer <token>' with every call.",
            )
        credential = self._find(token)
        if credential is None:
            raise BookingError(
                ErrorKind.UNAUTHENTICATED,
                "INVALID_CREDENTIALS",
                "The token is not known to this server; check ANTREAN_TOKEN.",
            )
        allowed = ROLE_METHODS.get(credential.role)
        if allowed is not None and method not in allowed:
            raise BookingError(
                ErrorKind.PERMISSION_DENIED,
                "ROLE_NOT_ALLOWED",
                f"A {credential.role} client may not call {method}.",
                metadata={"role": credential.role, "method": method},
            )
        return Principal(credential.name, credential.role, credential.office_id)

    def _find(self, token: str) -> Credential | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        for known, credential in self._credentials.items():
            if hmac.compare_digest(known, digest):
                return credential
        return None


def _bearer_token(metadata) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None
