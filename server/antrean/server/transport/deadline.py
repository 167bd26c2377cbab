"""Each call's database work is held to the call's own deadline."""

from __future__ import annotations

import grpc

from antrean.server.storage.database import deadline


class DatabaseDeadlineInterceptor(grpc.ServerInterceptor):
    """Holds each call's database work to the call's own deadline.

    A transaction still waiting on the database when the caller's deadline
    passes is rolled back, never committed behind the caller's back; the
    caller's retry with the same request_id then has the only effect.
    """

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary

        def bounded(request, context: grpc.ServicerContext):
            with deadline(context.time_remaining()):
                return inner(request, context)

        return grpc.unary_unary_rpc_method_handler(
            bounded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
