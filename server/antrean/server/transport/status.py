"""Domain refusals as gRPC statuses with google.rpc error details."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from antrean.server.domain.errors import BookingError, ErrorKind

ERROR_DOMAIN = "antrean"

_CODES = {
    ErrorKind.INVALID_ARGUMENT: code_pb2.INVALID_ARGUMENT,
    ErrorKind.NOT_FOUND: code_pb2.NOT_FOUND,
    ErrorKind.ALREADY_EXISTS: code_pb2.ALREADY_EXISTS,
    ErrorKind.FAILED_PRECONDITION: code_pb2.FAILED_PRECONDITION,
    ErrorKind.OUT_OF_RANGE: code_pb2.OUT_OF_RANGE,
    ErrorKind.RESOURCE_EXHAUSTED: code_pb2.RESOURCE_EXHAUSTED,
    ErrorKind.PERMISSION_DENIED: code_pb2.PERMISSION_DENIED,
    ErrorKind.UNAUTHENTICATED: code_pb2.UNAUTHENTICATED,
    ErrorKind.UNAVAILABLE: code_pb2.UNAVAILABLE,
    ErrorKind.INTERNAL: code_pb2.INTERNAL,
}


def to_status(error: BookingError) -> grpc.Status:
    """Builds the status: code, message, ErrorInfo and one fitting detail."""
    details = [
        error_details_pb2.ErrorInfo(
            reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata
        )
    ]
    extra = _extra_detail(error)
    if extra is not None:
        details.append(extra)
    status = status_pb2.Status(
        code=_CODES[error.kind],
        message=error.message,
        details=[_pack(detail) for detail in details],
    )
    return rpc_status.to_status(status)


def _extra_detail(error: BookingError):
    if error.field is not None:
        return error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(
                    field=error.field, description=error.message
                )
            ]
        )
    if error.kind is ErrorKind.FAILED_PRECONDITION:
        return error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=error.reason, description=error.message
                )
            ]
        )
    if error.kind is ErrorKind.RESOURCE_EXHAUSTED:
        return error_details_pb2.QuotaFailure(
            violations=[
                error_details_pb2.QuotaFailure.Violation(
                    subject=error.metadata.get("service_date", "approval_code"),
                    description=error.message,
                )
            ]
        )
    return None


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed
