"""Transport: gRPC servicers and interceptors. The only layer that imports grpc."""
