"""The server configuration: precedence, the TOML file and its validation."""

from __future__ import annotations

import hashlib
import re
import textwrap
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from antrean.server.config import (
    ClientCredential,
    ConfigError,
    Settings,
    load_settings,
)
from antrean.server.domain.offices import Period, default_office

REPO = Path(__file__).parents[2]
MONDAY = date(2027, 7, 19)
FRIDAY = date(2027, 7, 23)
GATEWAY_HASH = "a" * 64
COUNTER_HASH = "b" * 64

FULL_FILE = f"""
[server]
listen = "0.0.0.0:6000"
database_url = "postgresql://antrean@db/antrean"
worker_threads = 4

[booking]
pending_ttl_minutes = 10
max_approval_attempts = 3
request_id_retention_hours = 48
personal_data_retention_days = 30

[[offices]]
id = "jakarta-pusat"
name = "Kantor Imigrasi Jakarta Pusat"
time_zone = "Asia/Jakarta"
closures = ["2027-07-20", 2027-07-21]

[[offices]]
id = "makassar"
name = "Kantor Imigrasi Makassar"
time_zone = "Asia/Makassar"
daily_quota = 250
slot_minutes = 60
booking_window_days = 14
[offices.hours]
monday = ["13:00-15:00", "08:00-12:00"]
friday = ["08:00-11:00"]

[[clients]]
name = "whatsapp-gateway"
token_sha256 = "{GATEWAY_HASH.upper()}"
role = "gateway"

[[clients]]
name = "counter-makassar"
token_sha256 = "{COUNTER_HASH}"
role = "counter"
office_id = "makassar"
"""

OFFICE = """
[[offices]]
id = "jakarta-pusat"
name = "Kantor Imigrasi Jakarta Pusat"
time_zone = "Asia/Jakarta"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "antrean.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, **environ: str) -> Settings:
    return load_settings(write(tmp_path, text), environ=environ)


def places(office, day: date) -> int:
    return sum(slot.capacity for slot in office.slots_on(day))


# Precedence


def test_defaults_apply_without_a_file():
    settings = load_settings(environ={})

    assert settings == Settings()
    assert settings.listen == "127.0.0.1:50051"
    assert settings.database_url == "sqlite:///antrean.db"
    assert settings.offices == (default_office(),)
    assert settings.pending_ttl == timedelta(minutes=15)
    assert settings.max_approval_attempts == 5
    assert settings.request_id_retention == timedelta(hours=24)
    assert settings.personal_data_retention == timedelta(days=90)
    assert settings.worker_threads == 8
    assert settings.clients == ()
    assert settings.test_clock is None
    assert settings.config_file is None


def test_default_office_has_400_places_on_monday_and_300_on_friday():
    office = load_settings(environ={}).office("jakarta-pusat")

    assert places(office, MONDAY) == 400
    assert places(office, FRIDAY) == 300


def test_environment_names_the_file(tmp_path):
    path = write(tmp_path, '[server]\nlisten = "0.0.0.0:6000"\n')

    settings = load_settings(environ={"ANTREAN_CONFIG": str(path)})

    assert settings.listen == "0.0.0.0:6000"
    assert settings.config_file == path


def test_argument_file_beats_environment_file(tmp_path):
    path = write(tmp_path, '[server]\nlisten = "0.0.0.0:6000"\n')

    settings = load_settings(path, environ={"ANTREAN_CONFIG": "/nonexistent.toml"})

    assert settings.config_file == path


def test_environment_beats_file(tmp_path):
    settings = load(
        tmp_path,
        FULL_FILE,
        ANTREAN_LISTEN="127.0.0.1:7000",
        ANTREAN_DATABASE_URL="sqlite:///other.db",
    )

    assert settings.listen == "127.0.0.1:7000"
    assert settings.database_url == "sqlite:///other.db"
    assert settings.worker_threads == 4  # the file still counts for the rest


def test_empty_environment_variable_counts_as_unset(tmp_path):
    settings = load(tmp_path, FULL_FILE, ANTREAN_LISTEN="", ANTREAN_TEST_CLOCK="")

    assert settings.listen == "0.0.0.0:6000"
    assert settings.test_clock is None


def test_overrides_beat_environment(tmp_path):
    environ_file = write(tmp_path, '[server]\nlisten = "127.0.0.1:1"\n')
    option_file = tmp_path / "option.toml"
    option_file.write_text("[server]\nworker_threads = 2\n", encoding="utf-8")

    settings = load_settings(
        environ={
            "ANTREAN_CONFIG": str(environ_file),
            "ANTREAN_LISTEN": "127.0.0.1:7000",
            "ANTREAN_DATABASE_URL": "sqlite:///env.db",
            "ANTREAN_TEST_CLOCK": "2027-07-19T07:00:00+07:00",
        },
        overrides={
            "config_file": str(option_file),
            "listen": "127.0.0.1:8000",
            "database_url": "sqlite:///option.db",
            "test_clock": "2027-08-02T08:00:00+08:00",
        },
    )

    assert settings.config_file == option_file
    assert settings.worker_threads == 2
    assert settings.listen == "127.0.0.1:8000"
    assert settings.database_url == "sqlite:///option.db"
    assert settings.test_clock == datetime(2027, 8, 2, tzinfo=UTC)


def test_overrides_that_are_none_count_as_not_given():
    settings = load_settings(
        environ={"ANTREAN_LISTEN": "127.0.0.1:7000"},
        overrides={"listen": None, "database_url": None, "config_file": None},
    )

    assert settings.listen == "127.0.0.1:7000"
    assert settings.config_file is None


def test_unknown_override_is_a_programming_error():
    with pytest.raises(ValueError, match="lisen"):
        load_settings(environ={}, overrides={"lisen": "127.0.0.1:1"})


# The file


def test_full_file_is_read(tmp_path):
    settings = load(tmp_path, FULL_FILE)

    assert settings.listen == "0.0.0.0:6000"
    assert settings.database_url == "postgresql://antrean@db/antrean"
    assert settings.worker_threads == 4
    assert settings.pending_ttl == timedelta(minutes=10)
    assert settings.max_approval_attempts == 3
    assert settings.request_id_retention == timedelta(hours=48)
    assert settings.personal_data_retention == timedelta(days=30)
    assert settings.clients == (
        ClientCredential("whatsapp-gateway", GATEWAY_HASH, "gateway", None),
        ClientCredential("counter-makassar", COUNTER_HASH, "counter", "makassar"),
    )


def test_office_without_hours_takes_the_default_hours(tmp_path):
    office = load(tmp_path, FULL_FILE).office("jakarta-pusat")

    assert office.hours == default_office().hours
    assert office.closures == {date(2027, 7, 20), date(2027, 7, 21)}
    assert places(office, MONDAY) == 400
    assert places(office, FRIDAY) == 300
    assert office.slots_on(date(2027, 7, 20)) == ()


def test_office_with_hours_spreads_its_quota_over_its_slots(tmp_path):
    office = load(tmp_path, FULL_FILE).office("makassar")

    assert office.time_zone_abbreviation == "WITA"
    assert office.booking_window_days == 14
    assert office.hours[0] == (
        Period(time(8, 0), time(12, 0)),
        Period(time(13, 0), time(15, 0)),
    )
    monday = office.slots_on(MONDAY)
    assert [slot.start.hour for slot in monday] == [8, 9, 10, 11, 13, 14]
    assert places(office, MONDAY) == 250
    assert len(office.slots_on(FRIDAY)) == 3
    assert office.slots_on(date(2027, 7, 20)) == ()  # Tuesday is closed


def test_unknown_office_is_none(tmp_path):
    assert load(tmp_path, FULL_FILE).office("medan") is None


def test_example_file_in_docs_loads():
    settings = load_settings(REPO / "docs" / "antrean.example.toml", environ={})

    time_zones = {office.time_zone for office in settings.offices}
    assert len(time_zones) == 2
    assert settings.clients
    # The file says whose hashes these are; a reader may try them.
    for credential in settings.clients:
        token = f"example-token-do-not-use-{credential.role}"
        assert credential.token_sha256 == hashlib.sha256(token.encode()).hexdigest()


# Validation: every failure names the key path


def client(role: str, office: str | None = None, token: str = GATEWAY_HASH) -> str:
    entry = f'[[clients]]\nname = "c"\ntoken_sha256 = "{token}"\nrole = "{role}"\n'
    return entry + (f'office_id = "{office}"\n' if office else "")


def office(**keys: object) -> str:
    lines = {
        "id": '"jakarta-pusat"',
        "name": '"Kantor Imigrasi Jakarta Pusat"',
        "time_zone": '"Asia/Jakarta"',
    }
    lines.update({key: str(value) for key, value in keys.items()})
    body = "".join(f"{key} = {value}\n" for key, value in lines.items() if value)
    return "[[offices]]\n" + body


def with_hours(**days: str) -> str:
    return (
        office()
        + "[offices.hours]\n"
        + "".join(f"{day} = {periods}\n" for day, periods in days.items())
    )


INVALID = {
    "unknown section": ("[sever]\n", "sever"),
    "unknown server key": ('[server]\nlisen = "127.0.0.1:1"\n', "server.lisen"),
    "unknown booking key": ("[booking]\npending_ttl = 5\n", "booking.pending_ttl"),
    "server not a table": ('server = "x"\n', "server"),
    "string for integer": ('[server]\nworker_threads = "8"\n', "server.worker_threads"),
    "boolean for integer": ("[server]\nworker_threads = true\n", "worker_threads"),
    "zero": ("[booking]\npending_ttl_minutes = 0\n", "booking.pending_ttl_minutes"),
    "negative": ("[booking]\nmax_approval_attempts = -1\n", "max_approval_attempts"),
    "float": ("[booking]\npersonal_data_retention_days = 1.5\n", "retention_days"),
    "listen without port": ('[server]\nlisten = "localhost"\n', "server.listen"),
    "listen port too big": ('[server]\nlisten = "localhost:65536"\n', "server.listen"),
    "listen bare ipv6": ('[server]\nlisten = "::1:50051"\n', "server.listen"),
    "mysql": ('[server]\ndatabase_url = "mysql://db/a"\n', "server.database_url"),
    "postgres": ('[server]\ndatabase_url = "postgres://db/a"\n', "database_url"),
    "no scheme": ('[server]\ndatabase_url = "antrean.db"\n', "database_url"),
    "offices empty": ("offices = []\n", "offices"),
    "offices not tables": ('offices = ["jakarta-pusat"]\n', "offices[0]"),
    "unknown office key": (office(quota=400), "offices[0].quota"),
    "missing id": (office(id=""), "offices[0].id"),
    "missing name": (office(name=""), "offices[0].name"),
    "missing time zone": (office(time_zone=""), "offices[0].time_zone"),
    "id not a slug": (office(id='"Jakarta Pusat"'), "offices[0].id"),
    "id with edge hyphen": (office(id='"-jakarta"'), "offices[0].id"),
    "duplicate id": (office() + office(), "offices[1].id"),
    "foreign zone": (office(time_zone='"Asia/Tokyo"'), "offices[0].time_zone"),
    "zone abbreviation": (office(time_zone='"WIB"'), "offices[0].time_zone"),
    "zero quota": (office(daily_quota=0), "offices[0].daily_quota"),
    "quota below slots": (office(daily_quota=10), "offices[0].daily_quota"),
    "zero slot": (office(slot_minutes=0), "offices[0].slot_minutes"),
    "slot over default hours": (office(slot_minutes=240), "offices[0].slot_minutes"),
    "zero window": (office(booking_window_days=0), "booking_window_days"),
    "closure format": (office(closures='["20-07-2027"]'), "offices[0].closures[0]"),
    "closure date-time": (office(closures="[2027-07-20T08:00:00]"), "closures[0]"),
    "closure number": (office(closures="[20270720]"), "offices[0].closures[0]"),
    "closure impossible": (office(closures='["2027-02-30"]'), "closures[0]"),
    "closures not array": (office(closures='"2027-07-20"'), "offices[0].closures"),
    "hours not a table": (office(hours='"08:00-16:00"'), "offices[0].hours"),
    "unknown weekday": (with_hours(senin='["08:00-16:00"]'), "offices[0].hours.senin"),
    "periods not array": (with_hours(monday='"08:00-16:00"'), "hours.monday"),
    "period format": (with_hours(monday='["8-16"]'), "offices[0].hours.monday[0]"),
    "period number": (with_hours(monday="[8]"), "offices[0].hours.monday[0]"),
    "period hour 25": (with_hours(monday='["08:00-25:00"]'), "hours.monday[0]"),
    "period reversed": (with_hours(monday='["16:00-08:00"]'), "hours.monday[0]"),
    "period empty": (with_hours(monday='["08:00-08:00"]'), "hours.monday[0]"),
    "period short": (
        with_hours(monday='["08:00-16:00", "16:00-16:20"]'),
        "offices[0].hours.monday[1]",
    ),
    "overlap": (
        with_hours(friday='["08:00-12:00", "11:00-16:00"]'),
        "offices[0].hours.friday[1]",
    ),
    "overlap out of order": (
        with_hours(friday='["11:00-16:00", "08:00-12:00"]'),
        "offices[0].hours.friday[0]",
    ),
    "no open weekday": (with_hours(), "offices[0].hours"),
    "unknown client key": (client("gateway") + "token = 'x'\n", "clients[0].token"),
    "token not hex": (client("gateway", token="z" * 64), "clients[0].token_sha256"),
    "token too short": (client("gateway", token="a" * 63), "clients[0].token_sha256"),
    "token missing": (
        '[[clients]]\nname = "c"\nrole = "admin"\n',
        "clients[0].token_sha256",
    ),
    "unknown role": (client("officer"), "clients[0].role"),
    "counter without office": (client("counter"), "clients[0].office_id"),
    "counter unknown office": (client("counter", "medan"), "clients[0].office_id"),
    "counter of built-in office": (client("counter", "jakarta"), "office_id"),
    "gateway with office": (client("gateway", "jakarta-pusat"), "clients[0].office_id"),
    "admin with office": (client("admin", "jakarta-pusat"), "clients[0].office_id"),
    "duplicate client name": (
        client("gateway") + client("admin", token="c" * 64),
        "clients[1].name",
    ),
    "shared token": (
        client("gateway") + client("admin").replace('"c"', '"d"'),
        "clients[1].token_sha256",
    ),
}


@pytest.mark.parametrize(("text", "key"), INVALID.values(), ids=INVALID.keys())
def test_invalid_file_is_refused_naming_the_key(tmp_path, text, key):
    path = write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})

    message = str(caught.value)
    assert key in message
    assert str(path) in message


# Each whole number's largest value: key path, the file with {value}, maximum.
UPPER_BOUNDS = [
    ("offices[0].daily_quota", "{office}daily_quota = {value}", 100_000),
    ("offices[0].slot_minutes", "{office}slot_minutes = {value}", 1440),
    ("offices[0].booking_window_days", "{office}booking_window_days = {value}", 366),
    ("server.worker_threads", "[server]\nworker_threads = {value}", 256),
    ("booking.pending_ttl_minutes", "[booking]\npending_ttl_minutes = {value}", 1440),
    (
        "booking.max_approval_attempts",
        "[booking]\nmax_approval_attempts = {value}",
        100,
    ),
    (
        "booking.request_id_retention_hours",
        "[booking]\nrequest_id_retention_hours = {value}",
        720,
    ),
    (
        "booking.personal_data_retention_days",
        "[booking]\npersonal_data_retention_days = {value}",
        3650,
    ),
]


@pytest.mark.parametrize(
    ("key", "template", "maximum"), UPPER_BOUNDS, ids=[key for key, *_ in UPPER_BOUNDS]
)
def test_a_number_above_its_maximum_is_refused_naming_the_key(
    tmp_path, key, template, maximum
):
    text = template.format(office=office(), value=maximum + 1)

    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text + "\n")

    assert caught.value.key == key
    assert str(maximum) in caught.value.problem


# A 1440-minute slot fits no opening period, so slot_minutes has no case here.
AT_MAXIMUM = [bound for bound in UPPER_BOUNDS if "slot_minutes" not in bound[0]]


@pytest.mark.parametrize(
    ("key", "template", "maximum"), AT_MAXIMUM, ids=[key for key, *_ in AT_MAXIMUM]
)
def test_a_number_at_its_maximum_is_accepted(tmp_path, key, template, maximum):
    text = template.format(office=office(), value=maximum)

    assert load(tmp_path, text + "\n").config_file is not None


def test_a_quota_beyond_int32_is_refused_before_any_rpc(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, office(daily_quota=99999999999))

    assert caught.value.key == "offices[0].daily_quota"


def test_unknown_key_lists_the_allowed_keys(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "[server]\nworker_thread = 4\n")

    assert "worker_threads" in caught.value.problem
    assert caught.value.key == "server.worker_thread"


def test_unsupported_time_zone_names_the_supported_ones(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, office(time_zone='"Asia/Singapore"'))

    for time_zone in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"):
        assert time_zone in caught.value.problem


def test_counter_of_a_configured_office_is_accepted(tmp_path):
    settings = load(tmp_path, OFFICE + client("counter", "jakarta-pusat"))

    assert settings.clients[0].office_id == "jakarta-pusat"


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:50051", "127.0.0.1:50051"),
        ("0.0.0.0:0", "0.0.0.0:0"),
        ("[::]:50051", "[::]:50051"),
        ("localhost:65535", "localhost:65535"),
        (" grpc.internal:08080 ", "grpc.internal:8080"),
    ],
)
def test_listen_address_is_accepted(listen, expected):
    settings = load_settings(environ={"ANTREAN_LISTEN": listen})

    assert settings.listen == expected


# Files that cannot be read


def test_missing_file_is_refused_naming_the_variable(tmp_path):
    path = tmp_path / "missing.toml"

    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"ANTREAN_CONFIG": str(path)})

    assert str(path) in str(caught.value)
    assert "ANTREAN_CONFIG" in str(caught.value)


def test_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=re.escape(str(tmp_path))):
        load_settings(tmp_path, environ={})


def test_invalid_toml_is_refused_with_its_line(tmp_path):
    path = write(tmp_path, '[server]\nlisten = "127.0.0.1:1"\nworker_threads = \n')

    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})

    assert str(path) in str(caught.value)
    assert "line 3" in str(caught.value)


def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "antrean.toml"
    path.write_bytes(b'[[offices]]\nname = "Kantor \xff"\n')

    with pytest.raises(ConfigError, match="UTF-8"):
        load_settings(path, environ={})


# Environment and options are validated like the file


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ANTREAN_LISTEN", "50051"),
        ("ANTREAN_DATABASE_URL", "mysql://db/antrean"),
        ("ANTREAN_TEST_CLOCK", "tomorrow"),
    ],
)
def test_invalid_environment_variable_is_refused_naming_it(variable, value):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={variable: value})

    assert variable in str(caught.value)


@pytest.mark.parametrize(
    ("option", "name", "value"),
    [
        ("--listen", "listen", "127.0.0.1:99999"),
        ("--database", "database_url", "oracle://db"),
        ("--database", "database_url", "postgresql+psycopg2://antrean@db/antrean"),
        ("--database", "database_url", "postgresql://antrean:pw@db:abc/antrean"),
        ("--database", "database_url", "postgresql://antrean@db/antrean?bogus=1"),
        (
            "--database",
            "database_url",
            "postgresql://antrean@db/antrean?connect_timeout=abc",
        ),
        (
            "--database",
            "database_url",
            "postgresql://antrean@db/antrean?connect_timeout=abc&connect_timeout=5",
        ),
        ("--database", "database_url", "postgresql://antrean@db/antrean?port=--5"),
        ("--database", "database_url", "postgresql://antrean@db/antrean?port=²"),
        ("--database", "database_url", "sqlite:////tmp/antrean.db?timeout=abc"),
        ("--test-clock", "test_clock", "2027-07-19T07:00:00"),
    ],
)
def test_invalid_option_is_refused_naming_it(option, name, value):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, overrides={name: value})

    assert option in str(caught.value)


# The test clock


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("postgresql://antrean:pa/ss@db:5432/antrean", "pa/ss"),
        ("postgresql://antrean:hunter@Secret99@db/antrean", "Secret99"),
        ("postgresql://antrean:pa[ss@db/antrean", "pa[ss"),
        ("postgresql://antrean:pa]ss@db/antrean", "pa]ss"),
    ],
    ids=["slash", "at-sign", "opening-bracket", "closing-bracket"],
)
def test_a_password_needing_percent_encoding_is_refused_unshown(url, secret):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={}, overrides={"database_url": url})

    assert "percent-encoded" in str(caught.value)
    assert secret not in str(caught.value)


def test_libpq_options_in_a_postgresql_url_are_accepted():
    url = "postgresql://antrean@db/antrean?sslmode=require&connect_timeout=5"

    settings = load_settings(environ={}, overrides={"database_url": url})

    assert settings.database_url == url


@pytest.mark.parametrize(
    "text",
    ["2027-07-19T07:00:00+07:00", "2027-07-19T00:00:00Z", "2027-07-19 00:00:00+00:00"],
)
def test_test_clock_is_read_from_the_environment(text):
    settings = load_settings(environ={"ANTREAN_TEST_CLOCK": text})

    assert settings.test_clock == datetime(2027, 7, 19, tzinfo=UTC)
    assert settings.test_clock.utcoffset() is not None


def test_test_clock_keeps_its_offset():
    environ = {"ANTREAN_TEST_CLOCK": "2027-07-19T07:00:00+07:00"}

    settings = load_settings(environ=environ)

    assert settings.test_clock.utcoffset() == timedelta(hours=7)


def test_naive_test_clock_is_refused():
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"ANTREAN_TEST_CLOCK": "2027-07-19T07:00:00"})

    assert "ANTREAN_TEST_CLOCK" in str(caught.value)
    assert "offset" in caught.value.problem


def test_test_clock_option_may_be_a_datetime():
    instant = datetime(2027, 7, 19, 7, tzinfo=timezone(timedelta(hours=9)))

    settings = load_settings(environ={}, overrides={"test_clock": instant})

    assert settings.test_clock == instant


def test_naive_test_clock_option_is_refused():
    with pytest.raises(ConfigError, match="--test-clock"):
        load_settings(environ={}, overrides={"test_clock": datetime(2027, 7, 19)})


# Logs never see the database password


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        (
            "postgresql://antrean:s3cret@db/antrean",
            "postgresql://antrean:***@db/antrean",
        ),
        (
            "postgresql+psycopg://antrean:s3cret@db:5432/antrean?sslmode=require",
            "postgresql+psycopg://antrean:***@db:5432/antrean?sslmode=require",
        ),
        (
            "postgresql://antrean@db/antrean?sslmode=require&password=s3cret",
            "postgresql://antrean@db/antrean?sslmode=require&password=***",
        ),
        ("postgresql://antrean@db/antrean", "postgresql://antrean@db/antrean"),
        ("sqlite:///antrean.db", "sqlite:///antrean.db"),
    ],
)
def test_redacted_database_url_hides_the_password(url, redacted):
    settings = Settings(database_url=url)

    assert settings.redacted_database_url() == redacted
    assert "s3cret" not in settings.redacted_database_url()


def test_config_error_names_source_key_and_problem():
    error = ConfigError("antrean.toml", "offices[0].time_zone", "is wrong")

    assert str(error) == "antrean.toml: offices[0].time_zone: is wrong"
