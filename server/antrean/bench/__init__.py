"""The flash-crowd benchmark: ``python -m antrean.bench`` (``make bench``).

It starts ``antrean-server`` as a subprocess on a fresh database, plays the
crowd of a quota release against it from a separate load-generator process,
measures the same load generator against the health check (the ceiling), prints
one table and verifies the database. docs/benchmarks.md describes the options
and the figures of a recent run.

    cli        options, the run, the exit status
    plan       the offices' configuration and the crowd: who books what
    server     the server subprocess: start, port, CPU time, peak memory
    load       the load generator (grpc.aio), run in its own process
    history    past bookings inserted in bulk before a growth run
    verify     the checks of the database and of what the callers saw
    report     the printed table
"""
