"""R1, R2, R5, R10: the fields of a request and the codes, with no database."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.server.domain import codes
from antrean.server.domain.errors import BookingError, ErrorKind
from antrean.server.domain.validation import (
    check_birth_date,
    normalize_applicant_name,
    normalize_phone_number,
)

TODAY = date(2027, 7, 12)
FORBIDDEN = set("0O1IL")


def refusal(call, *args) -> BookingError:
    with pytest.raises(BookingError) as caught:
        call(*args)
    return caught.value


def with_separators(code: str, separators: list[str]) -> str:
    return "".join(
        separator + char for separator, char in zip(separators, code, strict=True)
    )


# R5: every spelling of a number is one person.


@pytest.mark.parametrize(
    "spelling",
    [
        "+6281234567890",
        "0812-3456-7890",
        "6281234567890",
        "+62 812 3456 7890",
        " 081234567890 ",
    ],
)
def test_every_spelling_of_a_number_is_one_e164_number(spelling):
    assert normalize_phone_number(spelling) == "+6281234567890"


@pytest.mark.parametrize("garbage", ["", "   ", "abc", "12345", "0812", "+62 812 ABC"])
def test_garbage_phone_number_is_refused(garbage):
    error = refusal(normalize_phone_number, garbage)

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "INVALID_PHONE_NUMBER"
    assert error.field == "phone_number"


# R2: the name in capitals.


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("siti aminah", "SITI AMINAH"),
        ("  Siti    Aminah  ", "SITI AMINAH"),
        ("siti\taminah\n", "SITI AMINAH"),
        ("Muhammad A. Rahman", "MUHAMMAD A. RAHMAN"),
        ("o'neil-putra, jr", "O'NEIL-PUTRA, JR"),
        ("Ahmad", "AHMAD"),
    ],
)
def test_name_is_written_in_capitals_with_single_spaces(typed, name):
    assert normalize_applicant_name(typed) == name


def test_name_of_a_hundred_letters_is_accepted():
    assert normalize_applicant_name("a" * 100) == "A" * 100


@pytest.mark.parametrize(
    "typed",
    ["Ahmad 2", "R2D2", "", "   ", "...", "a" * 101, "Siti#Aminah"],
    ids=["digit", "digits", "empty", "blank", "no-letter", "too-long", "hash"],
)
def test_name_that_is_no_name_is_refused(typed):
    error = refusal(normalize_applicant_name, typed)

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "INVALID_APPLICANT_NAME"
    assert error.field == "applicant_name"


# The birth date.


@pytest.mark.parametrize(
    "birth_date",
    [date(1996, 2, 29), date(1967, 11, 20), date(1900, 1, 1), TODAY],
)
def test_plausible_birth_date_is_accepted(birth_date):
    check_birth_date(birth_date, TODAY)


@pytest.mark.parametrize(
    "birth_date",
    [date(2027, 7, 13), date(2090, 1, 1), date(1899, 12, 31), date(1, 1, 1)],
    ids=["tomorrow", "far-future", "before-1900", "year-1"],
)
def test_implausible_birth_date_is_refused(birth_date):
    error = refusal(check_birth_date, birth_date, TODAY)

    assert error.kind is ErrorKind.INVALID_ARGUMENT
    assert error.reason == "INVALID_BIRTH_DATE"
    assert error.field == "birth_date"


# R10: booking codes.


def test_booking_code_alphabet_has_no_confusable_characters():
    assert not FORBIDDEN & set(codes.BOOKING_CODE_ALPHABET)
    assert len(set(codes.BOOKING_CODE_ALPHABET)) == len(codes.BOOKING_CODE_ALPHABET)


def test_booking_code_is_eight_characters_of_the_alphabet():
    for _ in range(100):
        code = codes.new_booking_code()

        assert len(code) == 8
        assert set(code) <= set(codes.BOOKING_CODE_ALPHABET)


def test_booking_codes_are_random_not_sequential():
    draws = [codes.new_booking_code() for _ in range(1000)]

    # 1000 draws from 31^8 codes collide with odds below one in a million.
    assert len(set(draws)) == len(draws)
    # 8000 characters use the whole alphabet, not some predictable part of it.
    assert set("".join(draws)) == set(codes.BOOKING_CODE_ALPHABET)
    assert draws != sorted(draws)


@pytest.mark.parametrize(
    "typed", ["7KM2X9PQ", "7km2x9pq", "7km2-x9pq", " 7KM2 X9PQ ", "7-K-M-2-X-9-P-Q"]
)
def test_booking_code_ignores_case_spaces_and_dashes(typed):
    assert codes.normalize_booking_code(typed) == "7KM2X9PQ"


@pytest.mark.parametrize(
    "typed",
    ["", "7KM2X9P", "7KM2X9PQR", "7KM2X9P0", "7KM2X9PO", "7KM2X9P1", "7km2x9pl"],
    ids=["empty", "short", "long", "zero", "letter-o", "one", "letter-l"],
)
def test_text_that_is_no_booking_code_is_refused(typed):
    assert codes.normalize_booking_code(typed) is None


@given(
    code=st.text(alphabet=codes.BOOKING_CODE_ALPHABET, min_size=8, max_size=8),
    separators=st.lists(
        st.sampled_from(["", "", "-", " ", "--", " - "]), min_size=8, max_size=8
    ),
)
def test_any_booking_code_survives_lower_case_and_dashes(code, separators):
    typed = with_separators(code.lower(), separators)

    assert codes.normalize_booking_code(typed) == code


# R2, R10: approval codes.


def test_approval_code_is_eight_digits():
    for _ in range(100):
        code = codes.new_approval_code()

        assert len(code) == 8
        assert code.isdigit()


def test_approval_code_keeps_its_leading_zeros(monkeypatch):
    monkeypatch.setattr(codes.secrets, "randbelow", lambda _: 2681)

    assert codes.new_approval_code() == "00002681"


@pytest.mark.parametrize("typed", ["00002681", "0000 2681", "0000-2681", " 00002681 "])
def test_approval_code_keeps_leading_zeros_and_ignores_separators(typed):
    assert codes.normalize_approval_code(typed) == "00002681"


@pytest.mark.parametrize("typed", ["", "2681", "000002681", "0000268a", "ABCDEFGH"])
def test_text_that_is_no_approval_code_is_refused(typed):
    assert codes.normalize_approval_code(typed) is None
