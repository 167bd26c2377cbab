"""The server under test: ``antrean-server`` in a subprocess, watched via /proc."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import deque
from datetime import datetime
from pathlib import Path

_STARTED = re.compile(r"server started listen=(?P<host>\S+):(?P<port>\d+)")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0


class ServerFailed(Exception):
    """The server did not start, or a step before it failed; the text says why."""


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    # After the command name: state is field 3, utime 14 and stime 15.
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def context_switches(pid: int) -> int:
    """Context switches of all a process's threads so far, from /proc.

    Each time a thread hands the GIL over (around every SQLite or socket call)
    the kernel switches threads; the count shows what CPU time alone hides.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            status = (task / "status").read_text()
        except FileNotFoundError:
            continue  # the thread ended meanwhile
        for line in status.splitlines():
            if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt")):
                total += int(line.split()[1])
    return total


def machine_cpu() -> tuple[float, float]:
    """All CPUs' busy and total time since boot, in seconds, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    idle = fields[3] + fields[4]  # idle and iowait
    total = sum(fields)
    return (total - idle) / _CLOCK_TICKS, total / _CLOCK_TICKS


def server_command() -> list[str]:
    """The ``antrean-server`` of this environment."""
    beside = Path(sys.executable).with_name("antrean-server")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("antrean-server")
    if found is None:
        raise ServerFailed("antrean-server is not installed; run `make setup`")
    return [found]


def migrate(database_url: str) -> bool:
    """Runs ``antrean-server migrate`` when the server has it; True if it ran.

    A server with migrations refuses to start on an unmigrated database; one
    without them creates its tables itself.
    """
    command = server_command()
    probe = subprocess.run(
        [*command, "migrate", "--help"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return False
    if "--database" in probe.stdout:
        arguments = ["migrate", "--database", database_url]
    else:
        arguments = ["--database", database_url, "migrate"]
    done = subprocess.run(
        [*command, *arguments], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ServerFailed(
            f"antrean-server migrate failed (exit {done.returncode}): "
            f"{done.stderr.strip()[-2000:]}"
        )
    return True


class ServerProcess:
    """``antrean-server`` listening on a free local port, with the test clock."""

    def __init__(
        self, *, database_url: str, config_file: Path, test_clock: datetime
    ) -> None:
        self._arguments = [
            *server_command(),
            "--listen",
            "127.0.0.1:0",
            "--database",
            database_url,
            "--config",
            str(config_file),
        ]
        self._environment = {
            **os.environ,
            "ANTREAN_TEST_CLOCK": test_clock.isoformat(),
        }
        self._log: deque[str] = deque(maxlen=200)
        self._started = threading.Event()
        self._process: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Starts the server and waits for its ``server started`` line."""
        self._process = subprocess.Popen(
            self._arguments,
            env=self._environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read_log, daemon=True).start()
        if not self._started.wait(START_TIMEOUT_SECONDS) or not self.port:
            self.stop()
            raise ServerFailed(
                "antrean-server did not start; its last lines:\n" + self.log_tail()
            )

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server process (all its threads)."""
        return cpu_seconds(self.pid)

    def context_switches(self) -> int:
        """Context switches of the server's threads so far."""
        return context_switches(self.pid)

    def peak_rss_bytes(self) -> int:
        """The server's peak resident set size (VmHWM)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> int | None:
        """Stops the server gracefully (SIGTERM); returns its exit status."""
        process = self._process
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()

    def log_tail(self, lines: int = 20) -> str:
        return "\n".join(list(self._log)[-lines:])

    def _read_log(self) -> None:
        assert self._process is not None and self._process.stderr is not None
        for line in self._process.stderr:
            self._log.append(line.rstrip())
            match = _STARTED.search(line)
            if match and not self._started.is_set():
                self.port = int(match["port"])
                self._started.set()
        self._started.set()  # the server ended: stop waiting for it
