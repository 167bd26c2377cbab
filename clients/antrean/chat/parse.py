"""Parses one incoming chat text into a command (R1).

Parsing is pure: the date that decides two-digit birth years is a parameter,
never read from the system. Besides the form of a message, it checks only
what a reply can name exactly without the server: the message's length and
the name's length and characters (the server checks the name too). Rules that
need the calendar or the office (open days, the booking window, a birth date
between 1900 and today) are left to the server.
"""

from __future__ import annotations

import enum
import functools
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

APPROVAL_CODE_DIGITS = 8
# Far longer than any request; a longer text is a paste or a chain letter.
MESSAGE_MAX_LENGTH = 500
# The server's limit (NAME_MAX_LENGTH in antrean.server.domain.validation),
# repeated here because clients do not import server code; keep them equal.
NAME_MAX_LENGTH = 100
# Besides letters, what the server accepts in a name, as on ID cards.
NAME_PUNCTUATION = " .'-,"

# Day, month and a two- or four-digit year, with a separator that people type.
_SEPARATED_DATE = re.compile(
    r"(\d{1,2})\s*[-\u2013/. ]\s*(\d{1,2})\s*[-\u2013/. ]\s*(\d{4}|\d{2})"
)
_UNSEPARATED_DATE = re.compile(r"\d{8}|\d{6}")
# Digits with the spaces and dashes (phones turn some into en dashes) that
# people put in when copying a code.
_CODE_LIKE = re.compile(r"[0-9][0-9\s\-\u2013]*")
_CODE_DIGIT = re.compile(r"[0-9]")
# A number this close to 8 digits is a mistyped code; others get the help text.
_NEAR_CODE_DIGITS = range(APPROVAL_CODE_DIGITS - 2, APPROVAL_CODE_DIGITS + 3)


@dataclass(frozen=True)
class BookingRequestText:
    """`#NAME#BIRTHDATE#SERVICEDATE`: a citizen asks for a booking."""

    name: str
    birth_date: date
    service_date: date


@dataclass(frozen=True)
class ApprovalCode:
    """The 8-digit approval code sent back to confirm a request."""

    code: str


@dataclass(frozen=True)
class Cancel:
    """`#batal`: cancel the number's active booking."""


@dataclass(frozen=True)
class Check:
    """`#cek`: show the number's active booking."""


@dataclass(frozen=True)
class Unrecognised:
    """Anything else; answered with the help text."""


class Problem(enum.Enum):
    """What is wrong with a text that looked like a command."""

    MESSAGE_TOO_LONG = "message_too_long"
    WRONG_PART_COUNT = "wrong_part_count"
    NAME_MISSING = "name_missing"
    NAME_TOO_LONG = "name_too_long"
    NAME_CHARACTERS = "name_characters"
    BIRTH_DATE_UNREADABLE = "birth_date_unreadable"
    BIRTH_DATE_NOT_REAL = "birth_date_not_real"
    SERVICE_DATE_UNREADABLE = "service_date_unreadable"
    SERVICE_DATE_NOT_REAL = "service_date_not_real"
    APPROVAL_CODE_LENGTH = "approval_code_length"


@dataclass(frozen=True)
class ParseError:
    """A text that looked like a command but has one part wrong.

    ``text`` is the offending part as typed (a date, the digits of a code, or
    the characters a name may not hold) and ``count`` the number of parts,
    digits or characters found, where that helps the reply say what to fix.
    """

    problem: Problem
    text: str = ""
    count: int = 0


Command = BookingRequestText | ApprovalCode | Cancel | Check | Unrecognised | ParseError


# Turns a two-digit year into a full one, given the month and the day.
YearRule = Callable[[int, int, int], int]


def parse(text: str, *, today: date) -> Command:
    """Parses one chat message; ``today`` resolves two-digit birth years."""
    stripped = text.strip()
    if not stripped:
        return Unrecognised()
    if len(stripped) > MESSAGE_MAX_LENGTH:
        return ParseError(Problem.MESSAGE_TOO_LONG, count=len(stripped))
    if "#" in stripped:
        return _parse_hash_text(stripped, today)
    if _CODE_LIKE.fullmatch(stripped):
        return _parse_code(stripped)
    return Unrecognised()


def _parse_hash_text(text: str, today: date) -> Command:
    parts = _split_parts(text)
    if len(parts) == 1:
        return _parse_single_word(parts[0])
    if len(parts) != 3:
        if len(parts) == 2 and all(_looks_like_date(part) for part in parts):
            return ParseError(Problem.NAME_MISSING)
        return ParseError(Problem.WRONG_PART_COUNT, count=len(parts))

    name = " ".join(parts[0].split())
    if not name:
        return ParseError(Problem.NAME_MISSING)
    name_error = _check_name(name)
    if name_error is not None:
        return name_error

    birth = _read_date(
        parts[1],
        functools.partial(_birth_year, today),
        Problem.BIRTH_DATE_UNREADABLE,
        Problem.BIRTH_DATE_NOT_REAL,
    )
    if isinstance(birth, ParseError):
        return birth

    service = _read_date(
        parts[2],
        _service_year,
        Problem.SERVICE_DATE_UNREADABLE,
        Problem.SERVICE_DATE_NOT_REAL,
    )
    if isinstance(service, ParseError):
        return service

    return BookingRequestText(name=name, birth_date=birth, service_date=service)


def _check_name(name: str) -> ParseError | None:
    """Refuses a name the server would refuse, naming what is wrong with it."""
    # Judged as the server judges: composed characters, in capitals.
    composed = unicodedata.normalize("NFC", name).upper()
    if len(composed) > NAME_MAX_LENGTH:
        return ParseError(Problem.NAME_TOO_LONG, count=len(composed))
    refused = "".join(
        dict.fromkeys(
            char
            for char in composed
            if not (char.isalpha() or char in NAME_PUNCTUATION)
        )
    )
    if refused or not any(char.isalpha() for char in composed):
        return ParseError(Problem.NAME_CHARACTERS, text=refused)
    return None


def _split_parts(text: str) -> list[str]:
    """Splits on `#`, ignoring one leading and any trailing `#` and spaces."""
    body = text.removeprefix("#").rstrip("#" + string.whitespace)
    return [part.strip() for part in body.split("#")]


def _parse_single_word(word: str) -> Command:
    # People copy the approval code with the `#` of the other commands.
    if _CODE_LIKE.fullmatch(word):
        return _parse_code(word)
    keyword = "".join(word.split()).lower()
    if keyword == "batal":
        return Cancel()
    if keyword == "cek":
        return Check()
    return Unrecognised()


def _parse_code(text: str) -> Command:
    digits = "".join(_CODE_DIGIT.findall(text))
    if len(digits) == APPROVAL_CODE_DIGITS:
        return ApprovalCode(digits)
    if len(digits) in _NEAR_CODE_DIGITS:
        return ParseError(Problem.APPROVAL_CODE_LENGTH, text=digits, count=len(digits))
    return Unrecognised()


def _looks_like_date(text: str) -> bool:
    return _date_fields(text) is not None


def _read_date(
    text: str, two_digit_year: YearRule, unreadable: Problem, not_real: Problem
) -> date | ParseError:
    """Reads DDMMYYYY, DDMMYY or D-M-Y with `-`, `/`, `.` or spaces."""
    fields = _date_fields(text)
    if fields is None:
        return ParseError(unreadable, text=text)
    day, month, year_text = fields
    year = int(year_text)
    if len(year_text) == 2:
        year = two_digit_year(year, month, day)
    try:
        return date(year, month, day)
    except ValueError:
        return ParseError(not_real, text=text)


def _date_fields(text: str) -> tuple[int, int, str] | None:
    if _UNSEPARATED_DATE.fullmatch(text):
        return int(text[0:2]), int(text[2:4]), text[4:]
    match = _SEPARATED_DATE.fullmatch(text)
    if match:
        return int(match[1]), int(match[2]), match[3]
    return None


def _birth_year(today: date, yy: int, month: int, day: int) -> int:
    """The latest year ending in ``yy`` whose date is not after ``today``."""
    year = today.year - (today.year - yy) % 100
    if year == today.year and (month, day) > (today.month, today.day):
        year -= 100
    return year


def _service_year(yy: int, month: int, day: int) -> int:
    # Bookings lie at most weeks ahead, so a two-digit service year is 20YY.
    return 2000 + yy
