"""R1: what citizens really type parses into the command they meant."""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.chat.parse import (
    MESSAGE_MAX_LENGTH,
    NAME_MAX_LENGTH,
    ApprovalCode,
    BookingRequestText,
    Cancel,
    Check,
    ParseError,
    Problem,
    Unrecognised,
    parse,
)

TODAY = date(2026, 12, 3)
AHMAD = BookingRequestText("Ahmad", date(1967, 11, 20), date(2027, 7, 18))


def parsed(text: str, today: date = TODAY):
    return parse(text, today=today)


def test_the_published_example_is_a_request():
    assert parsed("#Ahmad#20111967#18072027") == AHMAD


@pytest.mark.parametrize(
    "text",
    [
        " # Ahmad # 20111967 # 18072027 ",
        "#Ahmad#20111967#18072027#",
        "#Ahmad#20111967#18072027 # ",
        "#Ahmad #20111967# 18072027\n",
        "#Ahmad#20-11-1967#18-07-2027",
        "#Ahmad#20/11/1967#18/07/2027",
        "#Ahmad#20.11.1967#18.07.2027",
        "#Ahmad#201167#180727",
        "#Ahmad#20 11 1967#18 7 2027",
    ],
)
def test_tolerated_spellings_of_a_request_parse_alike(text):
    assert parsed(text) == AHMAD


def test_lower_case_is_accepted_and_the_name_kept_as_typed():
    assert parsed("#ahmad#20111967#18072027") == BookingRequestText(
        "ahmad", date(1967, 11, 20), date(2027, 7, 18)
    )


def test_a_name_keeps_its_inner_spaces_collapsed():
    command = parsed("#  Siti    Aminah #01021990#18072027")
    assert command == BookingRequestText(
        "Siti Aminah", date(1990, 2, 1), date(2027, 7, 18)
    )


def test_29_february_of_a_leap_year_is_a_birth_date():
    command = parsed("#Siti Aminah#29021996#18072027")
    assert isinstance(command, BookingRequestText)
    assert command.birth_date == date(1996, 2, 29)


@pytest.mark.parametrize("birth", ["29021997", "29-02-1990", "31041990", "31-04-1990"])
def test_a_birth_date_missing_from_the_calendar_is_named(birth):
    command = parsed(f"#Siti Aminah#{birth}#18072027")
    assert command == ParseError(Problem.BIRTH_DATE_NOT_REAL, text=birth)


@pytest.mark.parametrize("birth", ["2011196", "kemarin", "20111967x", "20-11"])
def test_an_unreadable_birth_date_is_named(birth):
    command = parsed(f"#Siti Aminah#{birth}#18072027")
    assert command == ParseError(Problem.BIRTH_DATE_UNREADABLE, text=birth)


@pytest.mark.parametrize("service", ["besok", "1807202", "18-07"])
def test_an_unreadable_service_date_is_named(service):
    command = parsed(f"#Siti Aminah#20111967#{service}")
    assert command == ParseError(Problem.SERVICE_DATE_UNREADABLE, text=service)


def test_a_service_date_missing_from_the_calendar_is_named():
    command = parsed("#Siti Aminah#20111967#30022027")
    assert command == ParseError(Problem.SERVICE_DATE_NOT_REAL, text="30022027")


def test_a_six_digit_birth_year_in_the_future_goes_back_a_century():
    command = parsed("#Siti Aminah#201127#18072027")
    assert isinstance(command, BookingRequestText)
    assert command.birth_date == date(1927, 11, 20)


def test_a_six_digit_birth_year_of_this_year_stays_when_the_day_has_passed():
    command = parsed("#Siti Aminah#011126#18072027")
    assert isinstance(command, BookingRequestText)
    assert command.birth_date == date(2026, 11, 1)


def test_a_six_digit_birth_date_later_this_year_goes_back_a_century():
    command = parsed("#Siti Aminah#251226#18072027")
    assert isinstance(command, BookingRequestText)
    assert command.birth_date == date(1926, 12, 25)


def test_a_six_digit_birth_year_depends_on_the_injected_today():
    command = parsed("#Siti Aminah#201127#18072027", today=date(2028, 1, 1))
    assert isinstance(command, BookingRequestText)
    assert command.birth_date == date(2027, 11, 20)


def test_a_six_digit_29_february_follows_the_resolved_year():
    leap = parsed("#Siti Aminah#290296#18072027")
    assert isinstance(leap, BookingRequestText)
    assert leap.birth_date == date(1996, 2, 29)
    assert parsed("#Siti Aminah#290297#18072027") == ParseError(
        Problem.BIRTH_DATE_NOT_REAL, text="290297"
    )


def test_a_six_digit_service_year_is_in_this_century():
    command = parsed("#Siti Aminah#20111967#050127")
    assert isinstance(command, BookingRequestText)
    assert command.service_date == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("#Siti Aminah#20111967", 2),
        ("#Siti Aminah#20111967#18072027#Jakarta", 4),
        ("#Siti#Aminah#20111967#18072027", 4),
    ],
)
def test_a_wrong_number_of_parts_is_counted(text, count):
    assert parsed(text) == ParseError(Problem.WRONG_PART_COUNT, count=count)


@pytest.mark.parametrize(
    "text", ["##20111967#18072027", "#  #20111967#18072027", "#20111967#18072027"]
)
def test_a_missing_name_is_named(text):
    assert parsed(text) == ParseError(Problem.NAME_MISSING)


def test_a_name_of_at_most_100_letters_is_a_request():
    name = "A" * NAME_MAX_LENGTH
    assert parsed(f"#{name}#20111967#18072027") == BookingRequestText(
        name, date(1967, 11, 20), date(2027, 7, 18)
    )


def test_a_name_longer_than_100_letters_is_refused_with_its_length():
    command = parsed(f"#{'Siti Aminah ' * 9}#20111967#18072027")
    assert command == ParseError(Problem.NAME_TOO_LONG, count=107)


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("Siti Aminah 2", "2"),
        ("Siti@Aminah!", "@!"),
        ("3173012011670001", "317026"),  # an ID number instead of the name
        ("Siti_Aminah_binti_Ali", "_"),
    ],
)
def test_a_name_with_digits_or_symbols_names_them(name, refused):
    command = parsed(f"#{name}#20111967#18072027")
    assert command == ParseError(Problem.NAME_CHARACTERS, text=refused)


@pytest.mark.parametrize("name", ["...", "-", "' ,"])
def test_a_name_without_letters_is_refused(name):
    command = parsed(f"#{name}#20111967#18072027")
    assert command == ParseError(Problem.NAME_CHARACTERS, text="")


@pytest.mark.parametrize(
    "name", ["Moh. Ma'ruf", "Siti-Aminah, S.H.", "Ni Ketut Ayu Sri Wahyuni", "José"]
)
def test_a_name_with_the_punctuation_of_id_cards_is_a_request(name):
    assert isinstance(parsed(f"#{name}#20111967#18072027"), BookingRequestText)


def test_a_name_with_a_decomposed_accent_is_a_request():
    # The server composes characters before judging them; so does the parser.
    assert isinstance(parsed("#Jose\u0301#20111967#18072027"), BookingRequestText)


@pytest.mark.parametrize("birth", ["14-02-1890", "20112030"])
def test_birth_dates_outside_1900_to_today_are_left_to_the_server(birth):
    # The server's rule needs its own "today"; the parser judges the form only.
    assert isinstance(parsed(f"#Ani#{birth}#18072027"), BookingRequestText)


def test_a_message_longer_than_500_characters_is_refused_with_its_length():
    text = "#" + "A" * MESSAGE_MAX_LENGTH + "#20111967#18072027"
    command = parsed(text)
    assert command == ParseError(Problem.MESSAGE_TOO_LONG, count=len(text))


def test_a_long_paste_without_any_hash_is_too_long_too():
    assert parsed("halo " * 120) == ParseError(Problem.MESSAGE_TOO_LONG, count=599)


@pytest.mark.parametrize("text", ["#batal", "#BATAL ", " # Batal # ", "#batal#"])
def test_batal_cancels(text):
    assert parsed(text) == Cancel()


@pytest.mark.parametrize("text", ["#cek", " #cek ", "#CEK", "# cek"])
def test_cek_checks(text):
    assert parsed(text) == Check()


@pytest.mark.parametrize(
    "text", ["00002681", "0000 2681", "0000-2681", " 00 00 26 81 ", "#00002681"]
)
def test_an_approval_code_tolerates_spaces_and_dashes(text):
    assert parsed(text) == ApprovalCode("00002681")


@pytest.mark.parametrize(("text", "digits"), [("0002681", 7), ("000026810", 9)])
def test_seven_or_nine_digits_are_not_an_approval_code(text, digits):
    command = parsed(text)
    assert not isinstance(command, ApprovalCode)
    assert command == ParseError(Problem.APPROVAL_CODE_LENGTH, text=text, count=digits)


@pytest.mark.parametrize(
    "text", ["", "   ", "halo", "selamat pagi", "#", "#halo", "1", "123456789012345"]
)
def test_anything_else_is_unrecognised(text):
    assert parsed(text) == Unrecognised()


# --- one property: every tolerated spelling of a valid request reads back ---

# Words with a letter, and the apostrophes and dots of names like "Moh. Ma'ruf";
# four words of at most 21 characters stay within the 100 a name may have.
_words = st.builds(
    str.__add__,
    st.sampled_from(string.ascii_letters),
    st.text(alphabet=string.ascii_letters + "'.", max_size=20),
)
_names = st.lists(_words, min_size=1, max_size=4).map(" ".join)
_separators = st.sampled_from(["", "-", "/", "."])


def _written(day: date, separator: str, short_year: bool) -> str:
    year = f"{day.year % 100:02d}" if short_year else f"{day.year:04d}"
    return separator.join([f"{day.day:02d}", f"{day.month:02d}", year])


@given(
    name=_names,
    birth=st.dates(min_value=date(1927, 12, 4), max_value=TODAY),
    service=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    birth_separator=_separators,
    service_separator=_separators,
    short_birth_year=st.booleans(),
    short_service_year=st.booleans(),
    padding=st.sampled_from(["", " ", "  "]),
    trailing=st.sampled_from(["", "#", " # "]),
)
def test_any_valid_request_in_any_tolerated_spelling_parses_back(
    name,
    birth,
    service,
    birth_separator,
    service_separator,
    short_birth_year,
    short_service_year,
    padding,
    trailing,
):
    parts = [
        name,
        _written(birth, birth_separator, short_birth_year),
        _written(service, service_separator, short_service_year),
    ]
    hash_sign = f"{padding}#{padding}"
    text = hash_sign + hash_sign.join(parts) + trailing

    assert parsed(text) == BookingRequestText(name, birth, service)
