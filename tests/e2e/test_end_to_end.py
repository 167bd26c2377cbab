"""End to end: the installed commands as subprocesses, as a citizen and an officer.

A citizen books by chat the day before; the next morning the officer checks
the booking in at the counter. The server's test clock sets "now" for each day.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PHONE = "0812-3456-7890"
STARTED = re.compile(r"server started listen=\S+:(\d+)")


@contextmanager
def running_server(database_url: str, clock: str) -> Iterator[str]:
    """Starts antrean-server on a free port; yields its address; stops it."""
    environment = {**os.environ, "ANTREAN_TEST_CLOCK": clock}
    subprocess.run(
        [BIN / "antrean-server", "--database", database_url, "migrate"],
        env=environment,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [BIN / "antrean-server", "--listen", "127.0.0.1:0", "--database", database_url],
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield f"127.0.0.1:{_port_from_start_line(process)}"
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0
        process.stderr.close()


def _port_from_start_line(process: subprocess.Popen) -> str:
    lines = []
    for line in process.stderr:
        lines.append(line)
        match = STARTED.search(line)
        if match:
            return match.group(1)
    raise AssertionError("server exited before starting:\n" + "".join(lines))


def chat(server: str, *messages: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "antrean-chat", "--server", server, "--phone", PHONE],
        input="".join(f"{message}\n" for message in messages),
        capture_output=True,
        text=True,
        timeout=60,
    )


def counter(server: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "antrean-counter", *arguments],
        env={**os.environ, "ANTREAN_SERVER": server, "ANTREAN_OFFICE": "jakarta-pusat"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.timeout(180)
def test_citizen_books_by_chat_and_officer_checks_in(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'antrean.db'}"

    with running_server(database_url, "2027-07-18T10:00:00+07:00") as server:
        summary = chat(server, "# siti aminah # 14-02-1990 # 19/07/2027 #")
        approval_code = re.search(r"\b(\d{8})\b", summary.stdout).group(1)
        confirmation = chat(server, approval_code, "#cek")

    with running_server(database_url, "2027-07-19T07:10:00+07:00") as server:
        check_in = counter(server, "checkin", booking_code(confirmation.stdout))
        second_check_in = counter(server, "checkin", booking_code(confirmation.stdout))
        day_list = counter(server, "list", "--date", "2027-07-19")

    assert summary.returncode == 0
    assert "+6281234567890" in summary.stdout
    assert "SITI AMINAH" in summary.stdout
    assert "14-02-1990" in summary.stdout and "19-07-2027" in summary.stdout
    assert confirmation.returncode == 0
    assert "08:00 WIB" in confirmation.stdout and "07:30 WIB" in confirmation.stdout
    assert confirmation.stdout.count(booking_code(confirmation.stdout)) == 2  # #cek
    assert check_in.returncode == 0, check_in.stderr
    assert "SITI AMINAH" in check_in.stdout and "14-02-1990" in check_in.stdout
    assert re.search(r"QUEUE NUMBER\s+1\b", check_in.stdout)
    assert second_check_in.returncode == 1
    assert "queue number 1" in second_check_in.stderr
    assert day_list.returncode == 0 and "checked_in" in day_list.stdout


def booking_code(chat_output: str) -> str:
    return re.search(r"Kode booking: ([A-Z0-9]{8})", chat_output).group(1)
