"""Validation of the fields of a booking request (R1, R5)."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

import phonenumbers

from antrean.server.domain.errors import invalid_argument

# Indonesian numbers are written nationally (0812…) or with the country code.
DEFAULT_REGION = "ID"
NAME_MAX_LENGTH = 100
OLDEST_BIRTH_YEAR = 1900
_NAME_PUNCTUATION = set(" .'-,")
_SPACES = re.compile(r"\s+")
# What people write in a phone number besides digits.
_PHONE_CHARACTERS = re.compile(r"\+?[0-9 ().\-]{4,30}")
# Valid spellings remembered with their E.164 form (at most 31 characters
# each, a few MB in all): parsing costs about 20 µs, and a booking's calls
# each normalise the same number. Refusals are not remembered.
PHONE_CACHE_SIZE = 65_536


def normalize_phone_number(raw: str) -> str:
    """Returns the number in E.164, so that every spelling is one person (R5)."""
    return _normalize_phone_number(raw.strip())


@functools.lru_cache(maxsize=PHONE_CACHE_SIZE)
def _normalize_phone_number(text: str) -> str:
    if not _PHONE_CHARACTERS.fullmatch(text):
        text = ""  # letters would be dropped by the parser: refuse, don't guess
    if text.isdigit() and text.startswith("62"):
        text = "+" + text  # WhatsApp sends numbers with the country code, no plus
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise invalid_argument(
            "INVALID_PHONE_NUMBER",
            "phone_number",
            "The phone number is not a valid number; send it in E.164 form, "
            "e.g. +6281234567890.",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_applicant_name(raw: str) -> str:
    """Returns the name in capitals with single spaces (R2)."""
    name = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip().upper()
    if not name or len(name) > NAME_MAX_LENGTH or not _is_name(name):
        raise invalid_argument(
            "INVALID_APPLICANT_NAME",
            "applicant_name",
            f"The name must be 1 to {NAME_MAX_LENGTH} letters, spaces or . ' - ,"
            " as on the ID card.",
        )
    return name


def check_birth_date(birth_date: date, today: date) -> None:
    """A birth date is not in the future and not absurdly old."""
    if birth_date > today or birth_date.year < OLDEST_BIRTH_YEAR:
        raise invalid_argument(
            "INVALID_BIRTH_DATE",
            "birth_date",
            f"The birth date must lie between {OLDEST_BIRTH_YEAR} and today.",
        )


def _is_name(name: str) -> bool:
    has_letter = any(char.isalpha() for char in name)
    return has_letter and all(
        char.isalpha() or char in _NAME_PUNCTUATION for char in name
    )
