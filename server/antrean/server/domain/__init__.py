"""The booking rules as plain Python: no I/O of their own, no gRPC."""
