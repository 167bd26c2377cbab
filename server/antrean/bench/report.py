"""The printed table: Markdown, so that docs/benchmarks.md can quote it as is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from antrean.bench.load import HEALTH_CHECK, PhaseResult
from antrean.bench.verify import Check

BOOKING_RPCS = ("RequestBooking", "ConfirmBooking", "CancelBooking")
# The targets of issue 4, for a 2-core machine with 64 callers.
RATIO_TARGETS = {"sqlite": 0.50, "postgresql": 0.35}
P99_FACTOR = 4.0
PEAK_RSS_TARGET = 200 * 1024 * 1024
GROWTH_TARGET = 0.10


@dataclass(frozen=True)
class Setup:
    """What a run was asked to do."""

    backend: str  # "sqlite" or "postgresql"
    backend_version: str
    offices: int
    places: int
    numbers: int
    callers: int
    history: int
    worker_threads: int | None
    schema: str  # how the schema was made


@dataclass(frozen=True)
class Figures:
    """What a run measured."""

    setup: Setup
    health: PhaseResult
    crowd: PhaseResult
    server_cpu_health: float
    server_cpu_crowd: float
    switches_health: int
    switches_crowd: int
    load_cpu_health: float
    load_cpu_crowd: float
    # Share of all the machine's CPUs busy during each phase (any process).
    machine_busy_health: float
    machine_busy_crowd: float
    peak_rss: int
    checks: Sequence[Check]

    @property
    def confirmed(self) -> int:
        return len(self.crowd.confirmed) - len(self.crowd.cancelled)

    @property
    def booking_rate(self) -> float:
        return self.confirmed / self.crowd.seconds if self.crowd.seconds else 0.0

    @property
    def pairs(self) -> float:
        latency = self.health.latency.get(HEALTH_CHECK)
        return latency.calls / 2 if latency else 0.0

    @property
    def pair_rate(self) -> float:
        return self.pairs / self.health.seconds if self.health.seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.booking_rate / self.pair_rate if self.pair_rate else 0.0

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def header(setup: Setup) -> str:
    threads = (
        f"worker_threads {setup.worker_threads}"
        if setup.worker_threads
        else "worker_threads server default"
    )
    return (
        f"antrean bench: {setup.backend_version}; {setup.offices} offices,"
        f" {setup.places:,} places, {setup.numbers:,} numbers, {setup.callers}"
        f" callers, {setup.history:,} past bookings; {threads}; schema by"
        f" {setup.schema}"
    )


def table(figures: Figures) -> str:
    setup = figures.setup
    health = figures.health.latency.get(HEALTH_CHECK)
    health_p99 = health.p99 if health else 0.0
    rows = [
        ("confirmed bookings/s", f"{figures.booking_rate:,.0f}", ""),
        ("health Check pairs/s", f"{figures.pair_rate:,.0f}", ""),
        ("booking rate / health pair rate", f"{figures.ratio:.1%}", _ratio(figures)),
    ]
    for name in BOOKING_RPCS:
        latency = figures.crowd.latency.get(name)
        if latency is None:
            continue
        rows.append(
            (
                f"{name} p50 / p99 ms",
                _milliseconds(latency.p50, latency.p99),
                _p99(setup.backend, latency.p99, health_p99),
            )
        )
    if health is not None:
        rows.append(
            ("health Check p50 / p99 ms", _milliseconds(health.p50, health.p99), "")
        )
    rows += [
        (
            "server CPU s / 1,000 bookings",
            _per_thousand(figures.server_cpu_crowd, figures.confirmed),
            "",
        ),
        (
            "server CPU s / 1,000 health pairs",
            _per_thousand(figures.server_cpu_health, figures.pairs),
            "",
        ),
        (
            "server context switches / booking, / health pair",
            f"{_per_one(figures.switches_crowd, figures.confirmed)} / "
            f"{_per_one(figures.switches_health, figures.pairs)}",
            "",
        ),
        (
            "load generator CPU s / 1,000 bookings",
            _per_thousand(figures.load_cpu_crowd, figures.confirmed),
            "",
        ),
        (
            "load generator CPU s / 1,000 health pairs",
            _per_thousand(figures.load_cpu_health, figures.pairs),
            "",
        ),
        (
            "machine CPU busy, crowd / health",
            f"{figures.machine_busy_crowd:.0%} / {figures.machine_busy_health:.0%}",
            "",
        ),
        ("server peak RSS", f"{figures.peak_rss / 2**20:,.0f} MB", _rss(figures)),
        ("crowd", _crowd(figures), ""),
        ("calls", _calls(figures), ""),
    ]
    return _markdown(("measure", "value", "target"), rows)


def checks(figures: Figures) -> str:
    lines = []
    for check in figures.checks:
        mark = "ok  " if check.passed else "FAIL"
        lines.append(f"{mark} {check.name}: {check.detail}")
    return "\n".join(lines)


def growth(without: Figures, with_history: Figures) -> str:
    change = with_history.booking_rate / without.booking_rate - 1
    met = "met" if abs(change) < GROWTH_TARGET else "**not met**"
    history = with_history.setup.history
    rows = [
        ("booking rate, no history", f"{without.booking_rate:,.0f}/s", ""),
        (
            f"booking rate, {history:,} past bookings",
            f"{with_history.booking_rate:,.0f}/s",
            "",
        ),
        ("change", f"{change:+.1%}", f"less than ±{GROWTH_TARGET:.0%}: {met}"),
        (
            "server CPU s / 1,000 bookings",
            f"{_per_thousand(without.server_cpu_crowd, without.confirmed)} → "
            f"{_per_thousand(with_history.server_cpu_crowd, with_history.confirmed)}",
            "",
        ),
    ]
    return _markdown(("growth", "value", "target"), rows)


def _ratio(figures: Figures) -> str:
    target = RATIO_TARGETS.get(figures.setup.backend)
    if target is None:
        return ""
    return f"≥ {target:.0%}: {_verdict(figures.ratio >= target)}"


def _p99(backend: str, p99: float, health_p99: float) -> str:
    if not health_p99:
        return ""
    factor = p99 / health_p99
    if backend != "sqlite":
        return f"{factor:.2f} × health p99"
    return f"≤ {P99_FACTOR:.0f} × health p99: {_verdict(factor <= P99_FACTOR)}" + (
        f" ({factor:.2f}×)"
    )


def _rss(figures: Figures) -> str:
    return f"< {PEAK_RSS_TARGET / 2**20:.0f} MB: " + _verdict(
        figures.peak_rss < PEAK_RSS_TARGET
    )


def _crowd(figures: Figures) -> str:
    refused = sum(figures.crowd.refusals.values())
    return (
        f"{figures.confirmed:,} booked in {figures.crowd.seconds:.1f} s,"
        f" {refused:,} refused (date full)"
    )


def _calls(figures: Figures) -> str:
    counts = [
        f"{name} {latency.calls:,}"
        for name, latency in (
            *figures.crowd.latency.items(),
            *figures.health.latency.items(),
        )
    ]
    return ", ".join(counts)


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


def _milliseconds(p50: float, p99: float) -> str:
    return f"{p50 * 1000:.1f} / {p99 * 1000:.1f}"


def _per_thousand(seconds: float, count: float) -> str:
    return f"{seconds / count * 1000:.2f}" if count else "-"


def _per_one(amount: float, count: float) -> str:
    return f"{amount / count:.1f}" if count else "-"


def _markdown(titles: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [
        max(len(str(row[column])) for row in (titles, *rows))
        for column in range(len(titles))
    ]

    def line(cells: Sequence[str], right: bool = False) -> str:
        padded = [
            str(cell).rjust(width) if right and column == 1 else str(cell).ljust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (width + 1) + (":" if column == 1 else "-")
            for column, width in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(titles), rule, *(line(row, right=True) for row in rows)])
