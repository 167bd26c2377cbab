"""Refusals from the server as one exception type keyed by reason."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "antrean"


class AntreanError(Exception):
    """A call that the server refused or could not complete.

    ``reason`` is the ``google.rpc.ErrorInfo`` reason (``UNKNOWN`` when the
    status carried none, e.g. a deadline or a lost connection) and
    ``metadata`` its dynamic values.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        metadata: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = metadata or {}

    def __repr__(self) -> str:
        return f"AntreanError({self.code.name}, {self.reason})"

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError) -> AntreanError:
        """Reads the status code and the ErrorInfo detail of a failed call."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        message = error.details() if hasattr(error, "details") else str(error)
        reason, metadata = "UNKNOWN", {}
        status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
        for detail in status.details if status else ():
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
                break
        return cls(code, reason, message or "", metadata)
