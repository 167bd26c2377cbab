"""``python -m antrean.bench``: the flash-crowd benchmark, and its exit status."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
import sqlalchemy as sa

from antrean.bench import plan, report
from antrean.bench.database import BenchDatabase, fresh_database, temporary_folder
from antrean.bench.history import insert_history
from antrean.bench.load import CrowdPhase, HealthPhase, LoadGenerator, PhaseResult
from antrean.bench.server import ServerFailed, ServerProcess, machine_cpu
from antrean.bench.verify import verify
from antrean.server.config import load_settings

DEFAULT_OFFICES = 10
GROWTH_HISTORY = 1_000_000
# The server purges old request ids and personal data about 2 s after it
# starts; over a large history that is a long write, so let it pass first.
SETTLE_SECONDS = 4.0
# Health calls: two per place offered, within these bounds.
MIN_HEALTH_CALLS = 4_000
MAX_HEALTH_CALLS = 60_000
EXIT_VERIFICATION_FAILED = 1
EXIT_NOT_RUN = 2


@dataclass(frozen=True)
class Options:
    offices: int
    quota: int
    numbers: int | None
    callers: int
    cancel_fraction: float
    retry_fraction: float
    database_url: str | None
    worker_threads: int | None
    health_calls: int | None
    seed: int
    profile: Path | None
    settle_seconds: float


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--offices",
    type=click.IntRange(1),
    default=DEFAULT_OFFICES,
    show_default=True,
    help="Offices that release a date at once.",
)
@click.option(
    "--quota",
    type=click.IntRange(16),
    default=plan.DEFAULT_QUOTA,
    show_default=True,
    help="Places each office offers on its released date (its daily_quota).",
)
@click.option(
    "--numbers",
    type=click.IntRange(1),
    help="Distinct phone numbers in the crowd, each requesting and confirming "
    "once; at least the places offered.  [default: places offered × 1.1]",
)
@click.option(
    "--callers",
    type=click.IntRange(1),
    default=64,
    show_default=True,
    help="Concurrent callers of the load generator.",
)
@click.option(
    "--cancel-fraction",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Share of numbers that cancel after confirming, then book again.",
)
@click.option(
    "--retry-fraction",
    type=click.FloatRange(0, 1),
    default=0.05,
    show_default=True,
    help="Share of numbers that send every call twice with the same request_id.",
)
@click.option(
    "--database-url",
    metavar="URL",
    help="A PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432/test: "
    "the bench creates a fresh database on it and drops it afterwards.  "
    "[default: a temporary SQLite file]",
)
@click.option(
    "--history",
    type=click.IntRange(0),
    default=0,
    is_flag=False,
    flag_value=GROWTH_HISTORY,
    metavar="[N]",
    help="Growth run: run once without history, then again with N past "
    f"bookings inserted first (bare --history: {GROWTH_HISTORY:,}); "
    "report both booking rates and the change.",
)
@click.option(
    "--national-day",
    is_flag=True,
    help=f"A national release: {plan.NATIONAL_DAY_OFFICES} offices "
    "(overrides --offices).",
)
@click.option(
    "--worker-threads",
    type=click.IntRange(1),
    help="The server's [server] worker_threads.  [default: the server's]",
)
@click.option(
    "--health-calls",
    type=click.IntRange(2),
    help="Health checks of the ceiling phase.  [default: two per place, "
    f"{MIN_HEALTH_CALLS:,} to {MAX_HEALTH_CALLS:,}]",
)
@click.option(
    "--seed", type=int, default=2027, show_default=True, help="Seed of the crowd."
)
@click.option(
    "--settle-seconds",
    type=click.FloatRange(0),
    default=SETTLE_SECONDS,
    show_default=True,
    help="Wait after the server starts, so that its first purge is not measured.",
)
@click.option(
    "--profile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the server with py-spy during the crowd into this file "
    "(.svg flame graph, .json speedscope, else collapsed stacks); needs "
    "`pip install py-spy`.",
)
def main(
    offices: int,
    quota: int,
    numbers: int | None,
    callers: int,
    cancel_fraction: float,
    retry_fraction: float,
    database_url: str | None,
    history: int,
    national_day: bool,
    worker_threads: int | None,
    health_calls: int | None,
    seed: int,
    settle_seconds: float,
    profile: Path | None,
) -> None:
    """Plays the flash crowd of a quota release against antrean-server.

    Starts the server in a subprocess on a fresh database with the test clock,
    measures the health check's rate (the ceiling) and then the crowd's
    booking rate from a separate load-generator process, prints one table and
    verifies the database. Exits 1 when a verification fails, 2 when the run
    could not be made.
    """
    options = Options(
        offices=plan.NATIONAL_DAY_OFFICES if national_day else offices,
        quota=quota,
        numbers=numbers,
        callers=callers,
        cancel_fraction=cancel_fraction,
        retry_fraction=retry_fraction,
        database_url=database_url,
        worker_threads=worker_threads,
        health_calls=health_calls,
        seed=seed,
        profile=profile,
        settle_seconds=settle_seconds,
    )
    try:
        runs = [_run(options, history=0)]
        if history:
            runs.append(_run(options, history=history))
    except (ServerFailed, RuntimeError, sa.exc.OperationalError) as error:
        click.echo(f"antrean.bench: {error}", err=True)
        sys.exit(EXIT_NOT_RUN)
    if len(runs) == 2:
        click.echo(report.growth(*runs))
        click.echo()
    failed = [check for figures in runs for check in figures.checks if not check.passed]
    if failed:
        click.echo(
            f"VERIFICATION FAILED: {len(failed)} check(s); see FAIL above", err=True
        )
        sys.exit(EXIT_VERIFICATION_FAILED)
    click.echo("verification passed")


def _run(options: Options, *, history: int) -> report.Figures:
    with (
        temporary_folder() as folder,
        fresh_database(options.database_url, Path(folder)) as database,
    ):
        config_file = Path(folder) / "antrean-bench.toml"
        config_file.write_text(
            plan.config_toml(options.offices, options.quota, options.worker_threads)
        )
        offices = load_settings(config_file).offices
        released = plan.releases(offices)
        places = sum(release.places for release in released)
        numbers = options.numbers or round(places * 1.1)
        short = plan.shortfall(released, numbers)
        if short is not None:
            raise click.UsageError(
                f"--numbers {numbers} leaves {short.office_id} fewer numbers than "
                f"its {short.places} places; give at least {places:,}"
            )
        crowd = plan.crowd(
            released,
            numbers=numbers,
            cancel_fraction=options.cancel_fraction,
            retry_fraction=options.retry_fraction,
            seed=options.seed,
        )
        setup = report.Setup(
            backend=database.dialect,
            backend_version=_backend_version(database),
            offices=len(offices),
            places=places,
            numbers=numbers,
            callers=options.callers,
            history=history,
            worker_threads=options.worker_threads,
            schema=database.prepare(),
        )
        click.echo(report.header(setup))
        if history:
            started = time.perf_counter()
            insert_history(database.engine, offices, history, plan.RELEASE_TIME, 1)
            click.echo(
                f"inserted {history:,} past bookings in "
                f"{time.perf_counter() - started:.0f} s"
            )
        figures = _measure(options, setup, database, config_file, crowd)
        click.echo(report.table(figures))
        click.echo(report.checks(figures))
        click.echo()
        return figures


def _measure(
    options: Options,
    setup: report.Setup,
    database: BenchDatabase,
    config_file: Path,
    crowd: plan.Crowd,
) -> report.Figures:
    server = ServerProcess(
        database_url=database.url,
        config_file=config_file,
        test_clock=plan.RELEASE_TIME,
    )
    server.start()
    try:
        time.sleep(options.settle_seconds)
        calls = options.health_calls or min(
            max(2 * crowd.places, MIN_HEALTH_CALLS), MAX_HEALTH_CALLS
        )
        health = _phase(server, HealthPhase(calls, options.callers), None)
        booked = _phase(
            server, CrowdPhase(crowd.citizens, options.callers), options.profile
        )
        peak_rss = server.peak_rss_bytes()
    finally:
        status = server.stop()
    if status not in (0, None, -15):
        click.echo(f"antrean-server exited with status {status}:", err=True)
        click.echo(server.log_tail(), err=True)
    return report.Figures(
        setup=setup,
        health=health.result,
        crowd=booked.result,
        server_cpu_health=health.server_cpu,
        server_cpu_crowd=booked.server_cpu,
        switches_health=health.server_switches,
        switches_crowd=booked.server_switches,
        load_cpu_health=health.load_cpu,
        load_cpu_crowd=booked.load_cpu,
        machine_busy_health=health.machine_busy,
        machine_busy_crowd=booked.machine_busy,
        peak_rss=peak_rss,
        checks=verify(database.engine, crowd, booked.result, health.result),
    )


@dataclass(frozen=True)
class PhaseCost:
    """A phase's result, the CPU seconds it cost and how busy the machine was."""

    result: PhaseResult
    server_cpu: float
    server_switches: int
    load_cpu: float
    machine_busy: float


def _phase(
    server: ServerProcess, phase: HealthPhase | CrowdPhase, profile: Path | None
) -> PhaseCost:
    """Plays a phase; returns it with what it cost."""
    with LoadGenerator(server.target, phase) as load:
        server_before, load_before = server.cpu_seconds(), load.cpu_seconds()
        switches_before = server.context_switches()
        machine_before = machine_cpu()
        with _profiled(server.pid, profile):
            result = load.run()
        server_cpu = server.cpu_seconds() - server_before
        switches = server.context_switches() - switches_before
        load_cpu = load.cpu_seconds() - load_before
        busy, total = (
            after - before
            for after, before in zip(machine_cpu(), machine_before, strict=True)
        )
    return PhaseCost(
        result, server_cpu, switches, load_cpu, busy / total if total else 0.0
    )


@contextmanager
def _profiled(pid: int, output: Path | None):
    """Samples the server with py-spy while the block runs, if asked to."""
    if output is None:
        yield
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    formats = {".svg": "flamegraph", ".json": "speedscope"}
    recorder = subprocess.Popen(
        [
            py_spy,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "200",
            # Only the thread holding the GIL: where the Python work goes.
            "--gil",
            "--nonblocking",
            "--format",
            formats.get(output.suffix, "raw"),
            "--output",
            str(output),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)  # py-spy attaches before the load starts
    try:
        yield
    finally:
        recorder.send_signal(2)  # SIGINT: py-spy writes the file and exits
        _, errors = recorder.communicate(timeout=60)
        if recorder.returncode not in (0, None) and not output.exists():
            click.echo(f"py-spy failed: {errors.strip()[-500:]}", err=True)


def _backend_version(database: BenchDatabase) -> str:
    if database.dialect == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    with database.engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar_one()
    return f"PostgreSQL {version.split()[0]}"
