"""SIGTERM and SIGINT stop a real server gracefully, however often they come."""

from __future__ import annotations

import signal

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.integration.processes import ServerProcess, write_config


def shutdown_lines(server: ServerProcess) -> list[str]:
    return [line for line in server.log if "shutting down" in line]


def test_a_second_signal_while_draining_changes_nothing(database_url, tmp_path):
    server = ServerProcess(database_url, write_config(tmp_path)).wait_started()
    with grpc.insecure_channel(server.target) as channel:
        # An open stream keeps the first stop draining while the second comes.
        watch = health_pb2_grpc.HealthStub(channel).Watch(
            health_pb2.HealthCheckRequest(service="")
        )
        assert next(watch).status == health_pb2.HealthCheckResponse.SERVING

        server.send(signal.SIGTERM)
        assert next(watch).status == health_pb2.HealthCheckResponse.NOT_SERVING
        server.wait_for_line("shutting down signal=SIGTERM")
        server.send(signal.SIGINT)
        watch.cancel()

    assert server.wait_exit() == 0
    assert len(shutdown_lines(server)) == 1
    assert any("server stopped" in line for line in server.log)
    assert not [line for line in server.log if " ERROR " in line]


def test_a_flood_of_signals_stops_the_server_once(database_url, tmp_path):
    server = ServerProcess(database_url, write_config(tmp_path)).wait_started()

    for n in range(300):
        server.send(signal.SIGINT if n % 2 else signal.SIGTERM)

    assert server.wait_exit() == 0
    assert len(shutdown_lines(server)) == 1


def test_a_second_ctrl_c_after_the_stop_still_exits_cleanly(database_url, tmp_path):
    server = ServerProcess(database_url, write_config(tmp_path)).wait_started()

    server.send(signal.SIGINT)
    server.wait_for_line("server stopped")

    # Ctrl-C pressed on and on while the process tears down.
    assert server.signal_until_exit(signal.SIGINT) == 0
