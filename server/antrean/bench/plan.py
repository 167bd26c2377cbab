"""What the bench books: the offices' configuration and the crowd.

Every office releases one date, the last full weekday of its booking window,
and the whole crowd wants that date: more numbers than places, arriving in a
random order across the offices. The numbers that come too late are refused
with SERVICE_DATE_FULL and give up, so when the crowd is done every released
place is taken.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from antrean.server.domain.offices import Office

# Monday 2 August 2027, 07:00 WIB: the moment the dates are released. The
# server's test clock starts here, so every run books the same dates.
RELEASE_TIME = datetime(2027, 8, 2, 0, 0, tzinfo=UTC)
# The three Indonesian time zones, in turn, so that local dates are exercised.
TIME_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
# Numbers are +62 812 followed by eight digits: valid Indonesian mobiles.
PHONE_PREFIX = "+62812"
DEFAULT_QUOTA = 400
NATIONAL_DAY_OFFICES = 125

_GIVEN_NAMES = (
    "AHMAD",
    "SITI",
    "BUDI",
    "DEWI",
    "AGUS",
    "SRI",
    "RUDI",
    "NUR",
    "EKO",
    "RINA",
    "HENDRA",
    "YULI",
    "WAHYU",
    "FITRI",
    "ARIF",
    "LESTARI",
)
_FAMILY_NAMES = (
    "SANTOSO",
    "WIJAYA",
    "HIDAYAT",
    "SAPUTRA",
    "LUBIS",
    "NASUTION",
    "SIREGAR",
    "PRATAMA",
    "KURNIAWAN",
    "SETIAWAN",
    "HARAHAP",
    "PANJAITAN",
)


@dataclass(frozen=True)
class Release:
    """One office's released date and how many places it offers."""

    office_id: str
    service_date: date
    places: int


@dataclass(frozen=True)
class Citizen:
    """One number of the crowd and what it will do."""

    phone_number: str
    office_id: str
    service_date: date
    applicant_name: str
    birth_date: date
    # Cancels (#batal) after confirming and books again under a corrected
    # name, as a citizen does who spots a typo in the summary.
    cancels: bool
    # Sends every call a second time with the same request_id, as a gateway
    # does whose first reply was lost; the replies must be identical.
    retries: bool

    @property
    def corrected_name(self) -> str:
        return f"{self.applicant_name} BINTI {_FAMILY_NAMES[0]}"


@dataclass(frozen=True)
class Crowd:
    releases: tuple[Release, ...]
    citizens: tuple[Citizen, ...]

    @property
    def places(self) -> int:
        return sum(release.places for release in self.releases)


def office_id(index: int) -> str:
    return f"kantor-{index + 1:03d}"


def phone_number(index: int) -> str:
    return f"{PHONE_PREFIX}{index:08d}"


def config_toml(offices: int, quota: int, worker_threads: int | None) -> str:
    """The server's configuration: ``offices`` offices with the built-in hours."""
    lines = ["# Written by antrean.bench for one run.", ""]
    if worker_threads is not None:
        lines += ["[server]", f"worker_threads = {worker_threads}", ""]
    for index in range(offices):
        lines += [
            "[[offices]]",
            f'id = "{office_id(index)}"',
            f'name = "Kantor Imigrasi Uji {index + 1:03d}"',
            f'time_zone = "{TIME_ZONES[index % len(TIME_ZONES)]}"',
            f"daily_quota = {quota}",
            "",
        ]
    return "\n".join(lines)


def releases(offices: Sequence[Office], now: datetime = RELEASE_TIME) -> list[Release]:
    """Each office's last open date of the window that offers a full quota."""
    result = []
    for office in offices:
        full = max(office.capacity_on(day) for day in office.open_dates(now))
        day = next(
            day
            for day in reversed(office.open_dates(now))
            if office.capacity_on(day) == full
        )
        result.append(Release(office.id, day, full))
    return result


def crowd(
    released: Sequence[Release],
    *,
    numbers: int,
    cancel_fraction: float,
    retry_fraction: float,
    seed: int,
) -> Crowd:
    """``numbers`` citizens shared evenly over the offices, in a random order."""
    share, remainder = divmod(numbers, len(released))
    rng = random.Random(seed)
    citizens = []
    for position, release in enumerate(released):
        for _ in range(share + (1 if position < remainder else 0)):
            citizens.append(
                Citizen(
                    phone_number=phone_number(len(citizens)),
                    office_id=release.office_id,
                    service_date=release.service_date,
                    applicant_name=(
                        f"{rng.choice(_GIVEN_NAMES)} {rng.choice(_FAMILY_NAMES)}"
                    ),
                    birth_date=date(1950, 1, 1) + timedelta(days=rng.randrange(20000)),
                    cancels=rng.random() < cancel_fraction,
                    retries=rng.random() < retry_fraction,
                )
            )
    rng.shuffle(citizens)
    return Crowd(tuple(released), tuple(citizens))


def shortfall(released: Sequence[Release], numbers: int) -> Release | None:
    """An office that gets fewer numbers than places, so could not fill up."""
    share = numbers // len(released)
    return next((release for release in released if release.places > share), None)
