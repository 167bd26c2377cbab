"""The benchmark runs end to end at a tiny size; it measures nothing here."""

from __future__ import annotations

import subprocess
import sys

import pytest

TINY = [
    "--offices",
    "1",
    "--quota",
    "20",
    "--callers",
    "4",
    "--health-calls",
    "200",
    "--settle-seconds",
    "0",
]


@pytest.mark.timeout(60)
def test_bench_prints_its_table_and_passes_verification(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "antrean.bench", *TINY],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "| confirmed bookings/s" in done.stdout
    assert "| health Check pairs/s" in done.stdout
    assert "verification passed" in done.stdout
    assert "FAIL" not in done.stdout


def test_bench_refuses_fewer_numbers_than_places(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "antrean.bench", *TINY, "--numbers", "10"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert done.returncode == 2
    assert "--numbers" in done.stderr
