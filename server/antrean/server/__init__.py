"""The antrean gRPC server: transport over domain rules over storage."""
