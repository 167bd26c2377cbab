"""Real ``antrean-server`` processes, a TCP proxy that can cut the database off,
a booking load, and the checks that the database is consistent.

Nothing here sleeps to wait for readiness: a server is ready when it has
logged its start line, and health is polled with a bound.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import grpc
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from antrean.client import AntreanError, BookingClient

SERVER = Path(sys.executable).with_name("antrean-server")
# 10:00 WIB on Monday 12 July 2027, as tests.conftest.NOW.
TEST_CLOCK = "2027-07-12T10:00:00+07:00"
START_TIMEOUT = 30.0
_STARTED = re.compile(r"server started listen=127\.0\.0\.1:(\d+)")

# `kecil` holds 50 places a day; `besar` enough that a load never fills it.
CONFIG = """\
[server]
worker_threads = 8

[[offices]]
id = "kecil"
name = "Kantor Uji"
time_zone = "Asia/Jakarta"
daily_quota = 50

[offices.hours]
monday = ["08:00-10:00"]
tuesday = ["08:00-10:00"]
wednesday = ["08:00-10:00"]
thursday = ["08:00-10:00"]
friday = ["08:00-10:00"]

[[offices]]
id = "besar"
name = "Kantor Uji Besar"
time_zone = "Asia/Jakarta"
daily_quota = 4000
"""


def write_config(folder: Path) -> Path:
    path = folder / "antrean.toml"
    path.write_text(CONFIG)
    return path


def server_environment() -> dict[str, str]:
    """The test's environment without settings that would steer the server."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("ANTREAN_")
    }
    environment["ANTREAN_TEST_CLOCK"] = TEST_CLOCK
    return environment


def run_command(*arguments: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Runs ``antrean-server`` with arguments to completion, capturing output."""
    return subprocess.run(
        [str(SERVER), *arguments],
        capture_output=True,
        text=True,
        env=server_environment(),
        timeout=timeout,
        check=False,
    )


class ServerProcess:
    """One ``antrean-server`` on a free port; its log is read as it comes."""

    def __init__(self, database_url: str, config: Path) -> None:
        self.database_url = database_url
        self.config = config
        self.log: list[str] = []
        self.port = 0
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._process = subprocess.Popen(
            [
                str(SERVER),
                "--listen",
                "127.0.0.1:0",
                "--database",
                database_url,
                "--config",
                str(config),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=server_environment(),
        )
        # Drained all along: a full pipe would block the server's logging.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_started(self, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Waits for the start line and takes the port from it."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self._lines.get(timeout=end - time.monotonic())
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"antrean-server exited: {self.log[-5:]}")
            found = _STARTED.search(line)
            if found:
                self.port = int(found.group(1))
                return self
        self.kill()
        raise RuntimeError(f"antrean-server did not start: {self.log[-5:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
        self._process.wait(timeout=10)
        self._close_log()

    def wait_for_line(self, text: str, timeout: float = 10.0) -> str:
        """Waits for the next log line that contains ``text``, and returns it."""
        end = time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=max(end - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(
                    f"no {text!r} in the log: {self.log[-3:]}"
                ) from None
            if line is None:
                raise AssertionError(f"exited before {text!r}: {self.log[-3:]}")
            if text in line:
                return line

    def send(self, signum: int) -> None:
        """Sends a signal and returns at once (nothing once the server exited)."""
        self._process.send_signal(signum)

    def signal_until_exit(self, signum: int, timeout: float = 15.0) -> int:
        """Sends a signal again and again until the server exits; its status."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self._process.send_signal(signum)  # nothing once it has exited
            try:
                status = self._process.wait(timeout=0.02)
            except subprocess.TimeoutExpired:
                continue
            self._close_log()
            return status
        self.kill()
        raise AssertionError(f"still running after {timeout} s of signals")

    def stop(self) -> int:
        """SIGTERM, then waits for the graceful shutdown; returns the status."""
        if self._process.poll() is None:
            self._process.terminate()
        return self.wait_exit()

    def wait_exit(self) -> int:
        """Waits for the server to exit; returns the status."""
        try:
            status = self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._close_log()
        return status

    def _close_log(self) -> None:
        self._drainer.join(timeout=10)
        assert self._process.stderr is not None
        self._process.stderr.close()

    def _drain(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self.log.append(line.rstrip("\n"))
            self._lines.put(line)
        self._lines.put(None)


def start_servers(database_url: str, config: Path, count: int) -> list[ServerProcess]:
    """Starts ``count`` servers side by side on one database."""
    servers = [ServerProcess(database_url, config) for _ in range(count)]
    try:
        return [server.wait_started() for server in servers]
    except BaseException:
        for server in servers:
            server.kill()
        raise


def health(target: str) -> str:
    """The server's overall health status name, or UNREACHABLE."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return "UNREACHABLE"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Polls ``condition`` every 50 ms until it holds; fails after ``timeout``."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


class TcpProxy:
    """Forwards a local port to the database; ``cut`` is an outage.

    While cut, every open connection is closed and every new one is closed as
    soon as it is accepted, as when the database host goes down. ``restore``
    lets connections through again.
    """

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._flowing = threading.Event()
        self._flowing.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self._open.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for each in sockets:
            _close(each)

    def restore(self) -> None:
        self._open.set()

    def freeze(self) -> None:
        """Stops forwarding but keeps every connection open: a silent partition."""
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self.thaw()
        self.cut()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.difference_update((source, sink))
            _close(source)
            _close(sink)


def _close(each: socket.socket) -> None:
    with contextlib.suppress(OSError):
        each.shutdown(socket.SHUT_RDWR)
    each.close()


def phone(n: int) -> str:
    return f"+62813{n:08d}"


@dataclass
class Load:
    """Threads that request and confirm bookings for new numbers until stopped.

    Spread over ``targets`` round robin and over ``dates``; every confirmation
    the server acknowledged is kept in ``confirmed`` (number → booking code).
    """

    targets: list[str]
    dates: list[date]
    office_id: str = "besar"
    threads: int = 8
    first_number: int = 0
    timeout: float = 5.0
    confirmed: dict[str, str] = field(default_factory=dict)
    failures: Counter = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Load:
        for worker in range(self.threads):
            thread = threading.Thread(target=self._run, args=(worker,), daemon=True)
            thread.start()
            self._workers.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._workers:
            thread.join(timeout=30)
            assert not thread.is_alive(), "a load thread hangs"

    def acknowledged(self) -> int:
        with self._lock:
            return len(self.confirmed)

    def failed(self) -> int:
        with self._lock:
            return sum(self.failures.values())

    def _run(self, worker: int) -> None:
        target = self.targets[worker % len(self.targets)]
        n = self.first_number + worker
        with BookingClient(target, timeout=self.timeout) as client:
            while not self._stop.is_set():
                self._book(client, phone(n), self.dates[n % len(self.dates)])
                n += self.threads

    def _book(self, client: BookingClient, number: str, day: date) -> None:
        try:
            approval = client.request_booking(
                phone_number=number,
                office_id=self.office_id,
                applicant_name="Pemohon Uji",
                birth_date=date(1980, 1, 1),
                service_date=day,
            ).approval_code
            booking = client.confirm_booking(
                phone_number=number, approval_code=approval
            )
        except AntreanError as error:
            with self._lock:
                self.failures[f"{error.code.name}:{error.reason}"] += 1
            return
        with self._lock:
            self.confirmed[number] = booking.booking_code


def consistency_problems(
    database_url: str, acknowledged: dict[str, str] | None = None
) -> list[str]:
    """Everything that breaks I1–I5 or was half-written; empty when consistent.

    Each slot's ``taken`` equals its confirmed and checked-in rows (each place
    counted exactly once); a confirmed row has its code, slot and times; a row
    that holds no place has none; every acknowledged confirmation is there.
    """
    problems = []
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            problems += _rows(
                connection,
                "slot counter differs from its rows",
                """SELECT s.id, s.taken, COUNT(b.id) FROM slots s
                   LEFT JOIN bookings b ON b.slot_id = s.id
                    AND b.state IN ('confirmed', 'checked_in')
                   GROUP BY s.id, s.taken HAVING s.taken <> COUNT(b.id)""",
            )
            problems += _rows(
                connection,
                "slot over capacity",
                "SELECT id FROM slots WHERE taken > capacity OR taken < 0",
            )
            problems += _rows(
                connection,
                "confirmed booking half-written",
                """SELECT id FROM bookings WHERE state IN ('confirmed', 'checked_in')
                   AND (booking_code IS NULL OR slot_id IS NULL
                        OR slot_start_time IS NULL OR confirm_time IS NULL)""",
            )
            problems += _rows(
                connection,
                "pending booking holds a place",
                """SELECT id FROM bookings WHERE state = 'pending'
                   AND (booking_code IS NOT NULL OR slot_id IS NOT NULL)""",
            )
            problems += _rows(
                connection,
                "number with two active bookings",
                """SELECT phone_number FROM bookings
                   WHERE state IN ('pending', 'confirmed')
                   GROUP BY phone_number HAVING COUNT(*) > 1""",
            )
            if acknowledged:
                codes = dict(
                    connection.exec_driver_sql(
                        "SELECT phone_number, booking_code FROM bookings "
                        "WHERE state IN ('confirmed', 'checked_in')"
                    ).all()
                )
                lost = [n for n, code in acknowledged.items() if codes.get(n) != code]
                if lost:
                    problems.append(f"acknowledged confirmations lost: {lost[:5]}")
    finally:
        engine.dispose()
    return problems


def _rows(connection: sa.Connection, problem: str, query: str) -> Iterable[str]:
    rows = connection.exec_driver_sql(query).all()
    return [f"{problem}: {list(rows)[:5]}"] if rows else []


def count(database_url: str, query: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(query).scalar_one()
    finally:
        engine.dispose()
